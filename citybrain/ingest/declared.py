"""What the catalog declares a delivery looks like, and typing delivered text accordingly.

``typed_select`` types every declared column in one projection and flags, per row, the first
column (declared order) whose text cannot be read as its type; flagged rows are quarantined
with that column, its text and the type, never dropped.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import duckdb

from citybrain.catalog.vocab import FIELD_TYPES
from citybrain.ingest.errors import SourceError
from citybrain.ingest.lake_meta import ROW, RUN, Names, lit
from citybrain.store.lake import quote_ident

NATIVE = ("integer", "decimal", "float", "date", "datetime")  # typed by DuckDB's CSV reader


def cast_expr(column: str, ftype: str) -> str:
    """Typed value of a text column; NULL where it cannot be read (then the row is quarantined)."""
    c = f"trim({quote_ident(column)})"
    if ftype == "date":
        return (
            f"COALESCE(TRY_CAST({c} AS DATE), TRY_STRPTIME({c}, '%Y%m%d')::DATE, "
            f"TRY_STRPTIME({c}, '%Y/%m/%d')::DATE, TRY_CAST(TRY_CAST({c} AS TIMESTAMP) AS DATE))"
        )
    if ftype == "datetime":
        return (
            f"COALESCE(TRY_CAST({c} AS TIMESTAMP), TRY_STRPTIME({c}, '%Y%m%d%H%M%S'), "
            f"TRY_STRPTIME({c}, '%Y/%m/%d %H:%M:%S'))"
        )
    if ftype == "boolean":
        return (
            f"CASE WHEN {c} IN ('是', 'Y', 'y') THEN true WHEN {c} IN ('否', 'N', 'n') THEN false "
            f"ELSE TRY_CAST({c} AS BOOLEAN) END"
        )
    if ftype == "string":
        return quote_ident(column)
    return f"TRY_CAST({c} AS {FIELD_TYPES[ftype]})"


TYPE_ZH = {
    "integer": "整数",
    "decimal": "小数",
    "float": "数值",
    "date": "日期",
    "datetime": "日期时间",
    "boolean": "布尔值",
}


def typed_select(
    source: str, ordered: list[str], types: dict[str, str], run_id: str, as_text: set[str] | None
) -> str:
    """Typed rows of ``source`` (``_cb_row`` + columns) with their hash and, per row, the first
    column (declared order) whose text cannot be read as its type: name, text and type.
    ``as_text``: the columns still text in ``source`` (None: all of them)."""
    typed = [(c, types.get(c, "string")) for c in ordered]
    inner = [ROW]
    checks = []
    for i, (c, ft) in enumerate(typed):
        if ft != "string" and (as_text is None or c in as_text):
            text = quote_ident(f"__cb_t{i}")
            inner += [f"{quote_ident(c)} AS {text}", f"{cast_expr(c, ft)} AS {quote_ident(c)}"]
            checks.append((c, ft, f"{text} IS NOT NULL AND {quote_ident(c)} IS NULL", text))
        else:
            inner.append(quote_ident(c))
    cols = ", ".join(quote_ident(c) for c in ordered)

    def case(pick: Callable[[str, str, str], str]) -> str:
        if not checks:
            return "NULL::VARCHAR"
        whens = " ".join(f"WHEN {b} THEN {pick(c, ft, t)}" for c, ft, b, t in checks)
        return f"CASE {whens} END"

    return (
        f"SELECT {lit(run_id)} AS {RUN}, {ROW}, {cols + ', ' if cols else ''}"
        f"{case(lambda c, ft, t: lit(c))} AS _cb_bad_col, "
        f"{case(lambda c, ft, t: t)} AS _cb_bad_value, "
        f"{case(lambda c, ft, t: lit(ft))} AS _cb_bad_type "
        f"FROM (SELECT {', '.join(inner)} FROM ({source}))"
    )


def check_schema(
    delivered: list[str], declared: list[str], state: dict[str, Any] | None, dataset: str
) -> None:
    """A delivery must carry exactly the declared columns (or, undeclared, the last ones)."""
    expected = declared or ((state or {}).get("columns") or [])
    if not expected:
        return
    missing = [c for c in expected if c not in delivered]
    extra = [c for c in delivered if c not in expected]
    if missing or extra:
        en = "; ".join(
            p
            for p in (
                f"missing columns: {', '.join(missing)}" if missing else "",
                f"new columns: {', '.join(extra)}" if extra else "",
            )
            if p
        )
        zh = ";".join(
            p
            for p in (
                f"缺少列:{'、'.join(missing)}" if missing else "",
                f"新增列:{'、'.join(extra)}" if extra else "",
            )
            if p
        )
        raise SourceError(
            "schema_changed",
            f"the delivery of {dataset} changed its schema ({en}); update the catalog entry "
            "first, nothing was loaded",
            f"{dataset} 的交付数据结构发生变化({zh}),请先更新目录条目,本次未汇聚任何数据",
            missing=missing,
            extra=extra,
        )


def quarantine_flagged(con: duckdb.DuckDBPyConnection, names: Names, source: str) -> None:
    zh = " ".join(f"WHEN {lit(k)} THEN {lit(v)}" for k, v in TYPE_ZH.items())
    con.execute(
        f"INSERT INTO {names.q_stage} SELECT {ROW}, NULL, 'type_invalid', _cb_bad_col, "
        f"'value cannot be read as ' || _cb_bad_type, "
        f"'无法识别为' || CASE _cb_bad_type {zh} ELSE _cb_bad_type END, _cb_bad_value "
        f"FROM {source} WHERE _cb_bad_col IS NOT NULL"
    )


def type_into_stage(
    con: duckdb.DuckDBPyConnection,
    names: Names,
    source_sql: str,
    ordered: list[str],
    types: dict[str, str],
    run_id: str,
    as_text: set[str] | None,
    order: str = "",
) -> None:
    """The curated stage from ``source_sql`` in one scan: rows typed as declared, the rows a
    value of which cannot be typed quarantined set-wise (``order``: an ORDER BY clause)."""
    cols = "".join(f", {quote_ident(c)}" for c in ordered)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _cb_typed AS "
        + typed_select(source_sql, ordered, types, run_id, as_text)
    )
    quarantine_flagged(con, names, "_cb_typed")
    con.execute(
        f"CREATE OR REPLACE TABLE {names.cur_stage} AS SELECT {RUN}, {ROW}{cols} "
        f"FROM _cb_typed WHERE _cb_bad_col IS NULL{order}"
    )
    con.execute("DROP TABLE _cb_typed")
