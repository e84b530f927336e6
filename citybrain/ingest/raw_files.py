"""The raw zone as files: each delivery kept as delivered, ``raw.<t>`` a view over them.

A CSV delivery is kept as the UTF-8 copy written while it was fingerprinted; other sources and
incremental slices as Parquet with ``_cb_row``. ``ingest_meta.raw_parts`` lists the files of
each table; the view stacks them by column name with ``_cb_run`` and ``_cb_row``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from citybrain.ingest.lake_meta import META, ROW, RUN, Names, lit
from citybrain.store.lake import DuckDBLake, quote_ident

MAX_RAW_PARTS = 16


@dataclass
class Staged:
    columns: list[str]  # delivered columns
    raw: dict[str, Any] | None  # the staged raw file (CSV path); None: the raw stage table


def raw_files_dir(lake: DuckDBLake) -> Path:
    """Where the raw zone keeps delivered files: ``<lake>.raw/<table>/`` beside the lake file."""
    return lake.path.parent / f"{lake.path.stem}.raw"


def raw_parts(con: duckdb.DuckDBPyConnection, names: Names) -> list[dict[str, Any]]:
    row = con.execute(f"SELECT parts FROM {META}.raw_parts WHERE tbl = ?", [names.t]).fetchone()
    return json.loads(row[0]) if row else []


def read_csv_sql(
    part: dict[str, Any], types: dict[str, str], rejects: bool = False, ignore_errors: bool = False
) -> str:
    """DuckDB ``read_csv`` of a kept CSV with the sniffed layout and explicit column types."""
    struct = ", ".join(f"{lit(c)}: {lit(types[c])}" for c in part["columns"])
    options = (
        f"columns = {{{struct}}}, header = {str(bool(part['header'])).lower()}, "
        f"delim = {lit(part['delimiter'])}, quote = '\"', escape = '\"', auto_detect = false, "
        "null_padding = false"
    )
    if rejects:
        options += (
            ", store_rejects = true, rejects_table = '_cb_rejects', "
            "rejects_scan = '_cb_rejects_scan'"
        )
    elif ignore_errors:
        options += ", ignore_errors = true"
    return f"read_csv({lit(part['path'])}, {options})"


def part_rows_sql(part: dict[str, Any]) -> str:
    """``_cb_row`` + the delivered text columns of one raw file."""
    if part["kind"] == "csv":
        reader = read_csv_sql(part, dict.fromkeys(part["columns"], "VARCHAR"))
        return f"SELECT (row_number() OVER ()) - 1 AS {ROW}, * FROM {reader}"
    return f"SELECT * FROM read_parquet({lit(part['path'])})"


def raw_view_sql(parts: list[dict[str, Any]], columns: list[str]) -> str:
    """The raw view: every file with its run, stacked by column name."""
    if not parts:
        cols = "".join(f", NULL::VARCHAR AS {quote_ident(c)}" for c in columns)
        return f"SELECT NULL::VARCHAR AS {RUN}, NULL::BIGINT AS {ROW}{cols} LIMIT 0"
    selects = []
    for part in parts:
        if part.get("run") is None:  # a compacted file carries its runs
            selects.append(f"SELECT * FROM read_parquet({lit(part['path'])})")
        else:
            selects.append(f"SELECT {lit(part['run'])} AS {RUN}, * FROM ({part_rows_sql(part)})")
    return " UNION ALL BY NAME ".join(f"({s})" for s in selects) if len(selects) > 1 else selects[0]


def set_raw(con: duckdb.DuckDBPyConnection, names: Names, parts: list[dict[str, Any]]) -> None:
    """Point the view ``raw.<t>`` at its files (in the publishing transaction)."""
    kind = con.execute(
        "SELECT table_type FROM information_schema.tables WHERE table_schema = 'raw' "
        "AND table_name = ?",
        [names.t],
    ).fetchone()
    if kind is not None and kind[0] != "VIEW":
        con.execute(f"DROP TABLE {names.raw}")  # a lake from before raw files
    columns = [c for p in parts for c in (p.get("columns") or [])]
    con.execute(
        f"CREATE OR REPLACE VIEW {names.raw} AS "
        + raw_view_sql(parts, list(dict.fromkeys(columns)))
    )
    con.execute(
        f"INSERT OR REPLACE INTO {META}.raw_parts VALUES (?, ?)",
        [names.t, json.dumps(parts, ensure_ascii=False)],
    )


def write_part(
    con: duckdb.DuckDBPyConnection,
    names: Names,
    part_dir: Path,
    staged: Staged,
    run_id: str,
    where: str | None,
) -> dict[str, Any]:
    """The raw file this run publishes: the staged delivery itself when all of it is kept,
    else the kept rows (``where``) written to Parquet in ``part_dir``."""
    if staged.raw is not None and where is None:
        return {**staged.raw, "run": run_id}
    cols = ", ".join(quote_ident(c) for c in staged.columns)
    if staged.raw is not None:
        source = part_rows_sql(staged.raw)
    else:
        source = f"SELECT {ROW}, {cols} FROM {names.raw_stage}"
    part_dir.mkdir(parents=True, exist_ok=True)
    path = part_dir / f"{run_id}.rows.parquet"
    con.execute(
        f"COPY (SELECT {ROW}, {cols} FROM ({source}) WHERE {where or 'true'} ORDER BY {ROW}) "
        f"TO {lit(str(path))} (FORMAT parquet)"
    )
    return {"kind": "parquet", "path": str(path), "columns": staged.columns, "run": run_id}


def compact(
    con: duckdb.DuckDBPyConnection,
    part_dir: Path,
    parts: list[dict[str, Any]],
    columns: list[str],
    run_id: str,
) -> dict[str, Any]:
    """Many incremental raw files folded into one Parquet file (it carries ``_cb_run``)."""
    path = part_dir / f"{run_id}.all.parquet"
    con.execute(
        f"COPY ({raw_view_sql(parts, columns)} ORDER BY {RUN}, {ROW}) "
        f"TO {lit(str(path))} (FORMAT parquet)"
    )
    return {"kind": "parquet", "path": str(path), "columns": None, "run": None}


def adopt_raw_table(
    con: duckdb.DuckDBPyConnection, names: Names, part_dir: Path, run_id: str
) -> list[dict[str, Any]]:
    """A raw zone still stored as a table (lakes from before raw files) becomes one Parquet
    file, so an incremental load keeps its history."""
    kind = con.execute(
        "SELECT table_type FROM information_schema.tables WHERE table_schema = 'raw' "
        "AND table_name = ?",
        [names.t],
    ).fetchall()
    if not kind or kind[0][0] == "VIEW":
        return []
    part_dir.mkdir(parents=True, exist_ok=True)
    path = part_dir / f"{run_id}.adopted.parquet"
    con.execute(f"COPY (SELECT * FROM {names.raw}) TO {lit(str(path))} (FORMAT parquet)")
    return [{"kind": "parquet", "path": str(path), "columns": None, "run": None}]
