"""A load's bookkeeping in the lake: table names, job state and checkpoints (``ingest_meta``).

Every ingest table of a dataset is named from its id (``gongan.hukou`` → ``gongan__hukou``)
in the raw and curated schemas; ``Names`` holds the published and staging names of one.
"""

from __future__ import annotations

import json
from typing import Any

import duckdb

from citybrain.store.lake import DuckDBLake, qualified

META = "ingest_meta"


ROW, RUN = "_cb_row", "_cb_run"


def table_name(dataset_id: str) -> str:
    """Lake table of a dataset: ``gongan.hukou`` → ``gongan__hukou`` (in raw and curated)."""
    return dataset_id.replace(".", "__")


def quarantine_table(dataset_id: str) -> str:
    return table_name(dataset_id) + "__quarantine"


#: quarantine reasons of records that never reached the raw zone (unreadable as delivered)
UNREADABLE = ("unreadable_row", "json_invalid", "not_an_object")


def ensure_meta(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {META}")
    con.execute(
        f"CREATE TABLE IF NOT EXISTS {META}.state (job_id VARCHAR PRIMARY KEY, run_id VARCHAR, "
        "fingerprint VARCHAR, watermark VARCHAR, rows BIGINT, columns VARCHAR, "
        "updated_at TIMESTAMP)"
    )
    con.execute(
        f"CREATE TABLE IF NOT EXISTS {META}.checkpoint (job_id VARCHAR PRIMARY KEY, "
        "run_id VARCHAR, fingerprint VARCHAR, config VARCHAR, batches BIGINT, rows BIGINT, "
        "raw_done BOOLEAN)"
    )
    con.execute(f"ALTER TABLE {META}.checkpoint ADD COLUMN IF NOT EXISTS layout VARCHAR")
    con.execute(
        f"CREATE TABLE IF NOT EXISTS {META}.raw_parts (tbl VARCHAR PRIMARY KEY, parts VARCHAR)"
    )


def read_state(lake: DuckDBLake, job_id: str) -> dict[str, Any] | None:
    with lake.writer() as con:
        ensure_meta(con)
        return state_of(con, job_id)


def state_of(con: duckdb.DuckDBPyConnection, job_id: str) -> dict[str, Any] | None:
    """What the last published load of a job left: run, fingerprint, watermark, columns."""
    row = con.execute(
        f"SELECT run_id, fingerprint, watermark, rows, columns FROM {META}.state WHERE job_id = ?",
        [job_id],
    ).fetchone()
    if row is None:
        return None
    return {
        "run_id": row[0],
        "fingerprint": row[1],
        "watermark": row[2],
        "rows": row[3],
        "columns": json.loads(row[4] or "[]"),
    }


def exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return bool(
        con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? "
            "AND table_name = ?",
            [schema, table],
        ).fetchone()[0]  # type: ignore[index]
    )


def count(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> int:
    return int(con.execute(sql, params or []).fetchone()[0] or 0)  # type: ignore[index]


def columns_of(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> list[str]:
    rows = con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = ? "
        "AND table_name = ? ORDER BY ordinal_position",
        [schema, table],
    ).fetchall()
    return [r[0] for r in rows]


def stage_columns(con: duckdb.DuckDBPyConnection, names: Names) -> list[str]:
    rows = con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = 'raw' "
        "AND table_name = ? ORDER BY ordinal_position",
        [names.t_raw_stage],
    ).fetchall()
    return [r[0] for r in rows if r[0] not in (ROW, RUN)]


class Names:
    def __init__(self, t: str) -> None:
        self.t = t
        self.t_q = t + "__quarantine"
        self.t_raw_stage = f"_cb_stage_{t}"
        self.t_q_stage = f"_cb_stage_{t}__q"
        self.raw = qualified("raw", t)
        self.cur = qualified("curated", t)
        self.q = qualified("raw", self.t_q)
        self.t_stage = f"_cb_stage_{t}"
        self.raw_stage = qualified("raw", self.t_raw_stage)
        self.cur_stage = qualified("curated", self.t_stage)
        self.q_stage = qualified("raw", self.t_q_stage)


def lit(value: str) -> str:
    """A SQL string literal for DuckDB table-function options (not bindable there)."""
    return "'" + value.replace("'", "''") + "'"
