"""The CSV fast path: one parallel scan of the kept UTF-8 copy builds the typed curated stage.

DuckDB's CSV reader types the columns whose sample it can read; its cast failures and ragged
lines land in a rejects table, are typed again with the full rules or quarantined with their
line. Row numbers are the delivered data rows, counted around any line the reader skipped.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from citybrain.catalog.vocab import FIELD_TYPES
from citybrain.ingest import connectors as cx
from citybrain.ingest.declared import (
    NATIVE,
    check_schema,
    quarantine_flagged,
    type_into_stage,
    typed_select,
)
from citybrain.ingest.lake_meta import META, ROW, RUN, Names, lit
from citybrain.ingest.load_spec import LoadSpec
from citybrain.ingest.raw_files import Staged, read_csv_sql
from citybrain.store.lake import quote_ident


def stage_csv(
    con: duckdb.DuckDBPyConnection,
    spec: LoadSpec,
    run_id: str,
    names: Names,
    layout: cx.CsvLayout,
    state: dict[str, Any] | None,
) -> Staged:
    """ONE scan of the CSV copy builds the typed curated stage.

    Columns whose sample DuckDB's CSV reader can type are typed by the reader itself, its
    cast failures and ragged lines land in a rejects table (with the line); the others are
    read as text and typed with TRY_CAST, a per-row flag naming the first failing column.
    Rejected lines are then re-typed with the full date/number rules (a value the reader
    refused may still be readable, e.g. ``20240131``) or quarantined — all in one DuckDB
    transaction with the checkpoint, so a crash leaves nothing half-staged.
    """
    declared = [n for n, _ in spec.fields]
    check_schema(layout.columns, declared, state, spec.dataset_id)
    types = dict(spec.fields)
    ordered = declared or layout.columns
    native = native_types(con, layout, types)
    read_types = {c: native.get(c, "VARCHAR") for c in layout.columns}
    as_text = {c for c in ordered if types.get(c, "string") != "string" and c not in native}
    raw = {
        "kind": "csv",
        "path": str(layout.path),
        "columns": layout.columns,
        "header": layout.header,
        "delimiter": layout.delimiter,
    }
    cols = ", ".join(quote_ident(c) for c in ordered)
    # The parallel scan lands in memory (a temp table, gone with the process) in file
    # order; rowid then numbers the rows (row_number() OVER () would force the scan onto
    # one thread). Most deliveries are clean, so the strict reader goes first; only when
    # it refuses a line is the file read again keeping the rejected lines.
    rejects: list[tuple[Any, ...]] = []
    try:
        con.execute(
            "CREATE OR REPLACE TEMP TABLE _cb_read AS SELECT * FROM "
            + read_csv_sql(raw, read_types)
        )
    except duckdb.Error:
        con.execute(
            "CREATE OR REPLACE TEMP TABLE _cb_read AS SELECT * FROM "
            + read_csv_sql(raw, read_types, rejects=True)
        )
        rejects = con.execute(
            "SELECT line, error_type::VARCHAR, csv_line, error_message FROM _cb_rejects "
            "ORDER BY line"
        ).fetchall()
        con.execute("DROP TABLE IF EXISTS _cb_rejects")
        con.execute("DROP TABLE IF EXISTS _cb_rejects_scan")
    con.begin()
    try:
        broken, fields = classify_rejects(layout, rejects)
        base = con.execute("SELECT coalesce(min(rowid), 0) FROM _cb_read").fetchall()[0][0]
        gaps = sorted(set(broken) | set(fields))
        order = ""
        if gaps:
            # _cb_row counts the rows the reader kept: shift it past every rejected row
            gaps_table(con, gaps)
            source = (
                f"SELECT r.__cb_rid + coalesce(g.s, 0) AS {ROW}, r.* EXCLUDE (__cb_rid) "
                f"FROM (SELECT rowid - {int(base)} AS __cb_rid, * FROM _cb_read) r "
                "ASOF LEFT JOIN _cb_gaps g ON r.__cb_rid >= g.t"
            )
            order = f" ORDER BY {ROW}"
        else:
            source = f"SELECT rowid - {int(base)} AS {ROW}, * FROM _cb_read"
        if as_text:
            type_into_stage(con, names, source, ordered, types, run_id, as_text, order)
        else:
            con.execute(
                f"CREATE OR REPLACE TABLE {names.cur_stage} AS SELECT {lit(run_id)} AS "
                f"{RUN}, {ROW}, {cols} FROM ({source}){order}"
            )
        con.execute("DROP TABLE _cb_read")
        if gaps:
            con.execute("DROP TABLE _cb_gaps")
        if fields:
            retype(con, names, run_id, layout, fields, ordered, types)
        if broken:
            con.executemany(
                f"INSERT INTO {names.q_stage} VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        row,
                        line,
                        "unreadable_row",
                        None,
                        f"{kind.lower()}: {message}",
                        reject_zh(kind),
                        text,
                    )
                    for row, (line, kind, text, message) in sorted(broken.items())
                ],
            )
            raw = materialise_raw(con, raw, sorted(broken))
        con.execute(
            f"UPDATE {META}.checkpoint SET raw_done = true, layout = ? WHERE job_id = ?",
            [json.dumps({"columns": layout.columns, "raw": raw}), spec.job_id],
        )
        con.commit()
    except BaseException:
        con.rollback()
        con.execute("DROP TABLE IF EXISTS _cb_read")
        raise
    return Staged(layout.columns, raw)


def native_types(
    con: duckdb.DuckDBPyConnection, layout: cx.CsvLayout, types: dict[str, str]
) -> dict[str, str]:
    """Declared non-text columns whose sample values DuckDB's own casts all read."""
    candidates = [c for c in layout.columns if types.get(c) in NATIVE]
    if not candidates:
        return {}
    rows = cx.sample_rows(layout)
    width = len(layout.columns)
    wanted = [(i, c) for i, c in enumerate(layout.columns) if c in candidates]
    # the sample travels as DuckDB lists (no Arrow conversion, whose first use in a
    # process imports pandas: a quarter second on every CLI load)
    values = [[(r[i] or None) if len(r) == width else None for r in rows] for i, _ in wanted]
    unnest = ", ".join(f"unnest(?::VARCHAR[]) AS {quote_ident(c)}" for _, c in wanted)
    checks = ", ".join(
        f"coalesce(bool_and({quote_ident(c)} IS NULL OR TRY_CAST({quote_ident(c)} AS "
        f"{FIELD_TYPES[types[c]]}) IS NOT NULL), true)"
        for _, c in wanted
    )
    ok = con.execute(f"SELECT {checks} FROM (SELECT {unnest})", values).fetchall()[0]
    return {c: FIELD_TYPES[types[c]] for (_, c), good in zip(wanted, ok, strict=True) if good}


def retype(
    con: duckdb.DuckDBPyConnection,
    names: Names,
    run_id: str,
    layout: cx.CsvLayout,
    fields: dict[int, list[str]],
    ordered: list[str],
    types: dict[str, str],
) -> None:
    """Lines the CSV reader could not cast, typed again with the full rules (a value such
    as ``20240131`` is still a date): readable rows join the curated stage, the rest are
    quarantined with the first failing column."""
    data: dict[str, pa.Array] = {ROW: pa.array(list(fields), pa.int64())}
    for i, c in enumerate(layout.columns):
        data[c] = pa.array([f[i] or None for f in fields.values()], pa.string())
    con.register("_cb_fix", pa.table(data))
    try:
        con.execute(
            "CREATE OR REPLACE TEMP TABLE _cb_fixed AS "
            + typed_select("SELECT * FROM _cb_fix", ordered, types, run_id, None)
        )
    finally:
        con.unregister("_cb_fix")
    cols = ", ".join(quote_ident(c) for c in ordered)
    con.execute(
        f"INSERT INTO {names.cur_stage} BY NAME SELECT {RUN}, {ROW}, {cols} "
        "FROM _cb_fixed WHERE _cb_bad_col IS NULL"
    )
    quarantine_flagged(con, names, "_cb_fixed")
    con.execute("DROP TABLE _cb_fixed")


def materialise_raw(
    con: duckdb.DuckDBPyConnection, raw: dict[str, Any], unreadable: list[int]
) -> dict[str, Any]:
    """Raw rows of a CSV with unreadable lines, numbered around them, as a Parquet file
    (the CSV copy alone cannot number rows past lines its reader skips)."""
    path = Path(raw["path"]).with_suffix(".parquet")
    gaps_table(con, unreadable)
    cols = ", ".join(f"c.{quote_ident(c)}" for c in raw["columns"])
    reader = read_csv_sql(raw, dict.fromkeys(raw["columns"], "VARCHAR"), ignore_errors=True)
    con.execute(
        f"COPY (SELECT c.{ROW} + coalesce(g.s, 0) AS {ROW}, {cols} FROM "
        f"(SELECT (row_number() OVER ()) - 1 AS {ROW}, * FROM {reader}) c "
        f"ASOF LEFT JOIN _cb_gaps g ON c.{ROW} >= g.t ORDER BY 1) "
        f"TO {lit(str(path))} (FORMAT parquet)"
    )
    con.execute("DROP TABLE _cb_gaps")
    Path(raw["path"]).unlink(missing_ok=True)
    return {"kind": "parquet", "path": str(path), "columns": raw["columns"]}


def classify_rejects(
    layout: cx.CsvLayout, rejects: list[tuple[Any, ...]]
) -> tuple[dict[int, tuple[int, str, str, str]], dict[int, list[str]]]:
    """Rejected CSV lines by data row: unreadable ones (ragged, bad quoting, bad bytes: line,
    kind, text, message) and ones only a cast failed on (their fields, to type again)."""
    first_data_line = 2 if layout.header else 1
    broken: dict[int, tuple[int, str, str, str]] = {}
    uncast: dict[int, str] = {}
    for line, kind, text, message in rejects:
        row = int(line) - first_data_line
        if kind == "CAST":
            uncast.setdefault(row, text)
        else:
            broken.setdefault(row, (int(line), kind, text, message))
    fields: dict[int, list[str]] = {}
    for row, text in uncast.items():
        if row in broken:
            continue
        parsed = cx.parse_line(text or "", layout.delimiter)
        if parsed is None or len(parsed) != len(layout.columns):
            broken[row] = (row + first_data_line, "CAST", text, "cannot split the line")
        else:
            fields[row] = parsed
    return broken, fields


def gaps_table(con: duckdb.DuckDBPyConnection, rows: list[int]) -> None:
    """``_cb_gaps(t, s)``: a kept row counted ``r`` among kept rows is delivered row
    ``r + s`` of the largest ``t <= r`` (``rows``: the sorted skipped row numbers)."""
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _cb_gaps AS SELECT t, max(s) AS s FROM "
        "(SELECT unnest(?::BIGINT[]) AS t, unnest(?::BIGINT[]) AS s) GROUP BY t",
        [[r - j for j, r in enumerate(rows)], [j + 1 for j in range(len(rows))]],
    )


def reject_zh(kind: str) -> str:
    return {
        "MISSING COLUMNS": "列数不足(行不完整)",
        "TOO MANY COLUMNS": "列数过多(行不整齐)",
        "UNQUOTED VALUE": "引号使用不当",
        "LINE SIZE OVER MAXIMUM": "行过长",
        "INVALID ENCODING": "字符编码无效",
        "CAST": "类型转换失败",
    }.get(kind, "无法读取的行")
