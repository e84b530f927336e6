"""The load engine: source → staging → raw zone (text) + curated zone (typed) + quarantine.

A run never touches the published tables until the very end: it stages the delivery in
``raw._cb_stage_<t>`` (text, with the delivered row number), types it into
``curated._cb_stage_<t>``, collects unreadable and untypable rows in a quarantine stage, and
then, in ONE DuckDB transaction, swaps (full) or merges (incremental) the stages into
``raw.<t>``, ``curated.<t>`` and ``raw.<t>__quarantine`` and writes the job's state (source
fingerprint, watermark, columns). A crash at any point leaves either the old tables or the new
ones, never a mix; the staging area and a checkpoint survive so the next run resumes (batches
already staged are not staged again).

All work on rows is set-based SQL in DuckDB or Arrow batches; the CSV path is DuckDB's own
``read_csv`` (``all_varchar``, rejected lines kept via ``store_rejects``).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from citybrain.catalog.vocab import FIELD_TYPES
from citybrain.ingest import connectors as cx
from citybrain.ingest.errors import SourceError
from citybrain.store.lake import DuckDBLake, qualified, quote_ident

META = "ingest_meta"
ROW, RUN, HASH = "_cb_row", "_cb_run", "_cb_hash"
FILE_CONNECTORS = ("csv", "xlsx", "json", "ndjson", "parquet")
Progress = Callable[[str, dict[str, Any]], None]


def table_name(dataset_id: str) -> str:
    """Lake table of a dataset: ``gongan.hukou`` → ``gongan__hukou`` (in raw and curated)."""
    return dataset_id.replace(".", "__")


def quarantine_table(dataset_id: str) -> str:
    return table_name(dataset_id) + "__quarantine"


@dataclass
class LoadSpec:
    job_id: str
    dataset_id: str
    connector: str
    location: str
    options: dict[str, Any] = field(default_factory=dict)
    mode: str = "full"  # full | key | watermark
    key: list[str] = field(default_factory=list)
    watermark_column: str | None = None
    fields: list[tuple[str, str]] = field(default_factory=list)  # declared (name, type)
    force: bool = False
    allow_empty: bool = False


@dataclass
class LoadResult:
    status: str  # succeeded | unchanged
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    rows_unchanged: int = 0
    rows_deleted: int = 0
    fingerprint: str | None = None
    watermark_from: str | None = None
    watermark_to: str | None = None
    resumed_from: str | None = None
    columns: list[str] = field(default_factory=list)
    detail: dict[str, Any] = field(default_factory=dict)


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


def read_state(lake: DuckDBLake, job_id: str) -> dict[str, Any] | None:
    with lake.writer() as con:
        ensure_meta(con)
        row = con.execute(
            f"SELECT run_id, fingerprint, watermark, rows, columns FROM {META}.state "
            "WHERE job_id = ?",
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


def _exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return bool(
        con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? "
            "AND table_name = ?",
            [schema, table],
        ).fetchone()[0]  # type: ignore[index]
    )


def _count(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> int:
    return int(con.execute(sql, params or []).fetchone()[0] or 0)  # type: ignore[index]


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


_TYPE_ZH = {
    "integer": "整数",
    "decimal": "小数",
    "float": "数值",
    "date": "日期",
    "datetime": "日期时间",
    "boolean": "布尔值",
}


class Loader:
    """Runs one load of one job against the lake. Not reentrant per job (the lake lock)."""

    def __init__(self, lake: DuckDBLake, tmp_dir: Path) -> None:
        self.lake = lake
        self.tmp_dir = tmp_dir

    # ------------------------------------------------------------------ public
    def load(
        self,
        spec: LoadSpec,
        run_id: str,
        progress: Progress | None = None,
        connector: cx.Connector | None = None,
    ) -> LoadResult:
        notify = progress or (lambda phase, info: None)
        t = table_name(spec.dataset_id)
        names = _Names(t)
        with self.lake.writer() as con:
            ensure_meta(con)
            state = self._state(con, spec.job_id)
            fingerprint = self._fingerprint_first(spec)
            if fingerprint and state and state["fingerprint"] == fingerprint and not spec.force:
                return LoadResult(
                    "unchanged",
                    rows_read=state["rows"] or 0,
                    rows_unchanged=state["rows"] or 0,
                    fingerprint=fingerprint,
                    watermark_from=state["watermark"],
                    watermark_to=state["watermark"],
                    columns=state["columns"],
                )
            checkpoint = self._checkpoint(con, spec, run_id, fingerprint, names)
            resumed_from = checkpoint["run_id"] if checkpoint["run_id"] != run_id else None
            try:
                columns = self._stage(
                    con, spec, run_id, names, checkpoint, connector, notify, state
                )
                notify("staged", {"rows": _count(con, f"SELECT count(*) FROM {names.raw_stage}")})
                result = self._publish(con, spec, run_id, names, columns, state, notify)
            except SourceError:
                self._drop_stages(con, spec.job_id, names)
                raise
            result.resumed_from = resumed_from
            if result.fingerprint is None:
                result.fingerprint = fingerprint
            return result

    # ------------------------------------------------------------------ steps
    @staticmethod
    def _state(con: duckdb.DuckDBPyConnection, job_id: str) -> dict[str, Any] | None:
        row = con.execute(
            f"SELECT run_id, fingerprint, watermark, rows, columns FROM {META}.state "
            "WHERE job_id = ?",
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

    @staticmethod
    def _fingerprint_first(spec: LoadSpec) -> str | None:
        if spec.connector in FILE_CONNECTORS:
            return cx.file_fingerprint(cx.require_file(Path(spec.location)))
        return None

    def _checkpoint(
        self,
        con: duckdb.DuckDBPyConnection,
        spec: LoadSpec,
        run_id: str,
        fingerprint: str | None,
        names: _Names,
    ) -> dict[str, Any]:
        config = _config_hash(spec)
        row = con.execute(
            f"SELECT run_id, fingerprint, config, batches, rows, raw_done FROM {META}.checkpoint "
            "WHERE job_id = ?",
            [spec.job_id],
        ).fetchone()
        if (
            row is not None
            and row[2] == config
            and (fingerprint is None or row[1] == fingerprint)
            and _exists(con, "raw", names.t_raw_stage)
            and _exists(con, "raw", names.t_q_stage)
        ):
            return {"run_id": row[0], "batches": row[3], "rows": row[4], "raw_done": row[5]}
        self._drop_stages(con, spec.job_id, names)
        con.execute(
            f"INSERT INTO {META}.checkpoint VALUES (?, ?, ?, ?, 0, 0, false)",
            [spec.job_id, run_id, fingerprint, config],
        )
        con.execute(
            f"CREATE TABLE {names.q_stage} ({ROW} BIGINT, line BIGINT, reason_code VARCHAR, "
            "column_name VARCHAR, reason VARCHAR, reason_zh VARCHAR, value VARCHAR)"
        )
        return {"run_id": run_id, "batches": 0, "rows": 0, "raw_done": False}

    @staticmethod
    def _drop_stages(con: duckdb.DuckDBPyConnection, job_id: str, names: _Names) -> None:
        for table in (names.raw_stage, names.cur_stage, names.q_stage):
            con.execute(f"DROP TABLE IF EXISTS {table}")
        con.execute(f"DELETE FROM {META}.checkpoint WHERE job_id = ?", [job_id])

    def _stage(
        self,
        con: duckdb.DuckDBPyConnection,
        spec: LoadSpec,
        run_id: str,
        names: _Names,
        checkpoint: dict[str, Any],
        connector: cx.Connector | None,
        notify: Progress,
        state: dict[str, Any] | None,
    ) -> list[str]:
        declared = [n for n, _ in spec.fields]
        if checkpoint["raw_done"]:
            notify("resume", {"phase": "raw_done"})
            return _stage_columns(con, names)
        if spec.connector == "csv" and connector is None:
            layout = cx.prepare_csv(
                Path(spec.location), spec.options, declared, self.tmp_dir / run_id
            )
            _check_schema(layout.columns, declared, state, spec.dataset_id)
            try:
                self._stage_csv(con, layout, run_id, names)
            finally:
                if layout.path != Path(spec.location):
                    layout.path.unlink(missing_ok=True)
                    layout.path.parent.rmdir()
        else:
            source = connector or build_connector(spec, state)
            self._stage_batches(con, spec, run_id, names, checkpoint, source, notify, state)
        con.execute(f"UPDATE {META}.checkpoint SET raw_done = true WHERE job_id = ?", [spec.job_id])
        return _stage_columns(con, names)

    def _stage_csv(
        self, con: duckdb.DuckDBPyConnection, layout: cx.CsvLayout, run_id: str, names: _Names
    ) -> None:
        struct = ", ".join(f"{_lit(c)}: 'VARCHAR'" for c in layout.columns)
        select_cols = ", ".join(quote_ident(c) for c in layout.columns)
        # row_number() OVER () streams in DuckDB and keeps file order (insertion order kept).
        con.execute(
            f"CREATE TABLE {names.raw_stage} AS SELECT {_lit(run_id)} AS {RUN}, "
            f"(row_number() OVER ()) - 1 AS {ROW}, {select_cols} "
            f"FROM read_csv({_lit(str(layout.path))}, "
            f"columns = {{{struct}}}, header = {str(layout.header).lower()}, "
            f"delim = {_lit(layout.delimiter)}, quote = '\"', escape = '\"', "
            "auto_detect = false, store_rejects = true, rejects_table = '_cb_rejects', "
            "rejects_scan = '_cb_rejects_scan', null_padding = false)"
        )
        rejects = con.execute(
            "SELECT line, error_type::VARCHAR, csv_line, error_message FROM _cb_rejects "
            "ORDER BY line"
        ).fetchall()
        con.execute("DROP TABLE IF EXISTS _cb_rejects")
        con.execute("DROP TABLE IF EXISTS _cb_rejects_scan")
        if not rejects:
            return
        first_data_line = 2 if layout.header else 1
        bad_rows = sorted({int(r[0]) - first_data_line for r in rejects})
        # Renumber good rows so _cb_row stays the delivered data-row number around the gaps.
        thresholds = [r - j for j, r in enumerate(bad_rows)]
        con.execute("CREATE TEMP TABLE _cb_thr AS SELECT unnest(?::BIGINT[]) AS t", [thresholds])
        con.execute(
            f"UPDATE {names.raw_stage} SET {ROW} = {ROW} + "
            f"(SELECT count(*) FROM _cb_thr WHERE t <= {names.raw_stage}.{ROW})"
        )
        con.execute("DROP TABLE _cb_thr")
        seen: set[int] = set()
        values = []
        for line, kind, text, message in rejects:
            row = int(line) - first_data_line
            if row in seen:
                continue
            seen.add(row)
            values.append(
                (
                    row,
                    int(line),
                    "unreadable_row",
                    None,
                    f"{kind.lower()}: {message}",
                    _reject_zh(kind),
                    text,
                )
            )
        con.executemany(f"INSERT INTO {names.q_stage} VALUES (?, ?, ?, ?, ?, ?, ?)", values)

    def _stage_batches(
        self,
        con: duckdb.DuckDBPyConnection,
        spec: LoadSpec,
        run_id: str,
        names: _Names,
        checkpoint: dict[str, Any],
        source: cx.Connector,
        notify: Progress,
        state: dict[str, Any] | None,
    ) -> None:
        declared = [n for n, _ in spec.fields]
        done = int(checkpoint["batches"])
        rows = int(checkpoint["rows"])
        have_stage = _exists(con, "raw", names.t_raw_stage)
        if done:
            notify("resume", {"batches": done, "rows": rows})
        for batch in source.batches(skip=done):
            columns = [c for c in batch.table.column_names if c != cx.ROW]
            table = batch.table.append_column(
                RUN, pa.array([run_id] * batch.table.num_rows, pa.string())
            )
            con.begin()
            try:
                if not have_stage:
                    _check_schema(columns, declared, state, spec.dataset_id)
                    cols = ", ".join(f"{quote_ident(c)} VARCHAR" for c in columns)
                    con.execute(
                        f"CREATE TABLE {names.raw_stage} ({RUN} VARCHAR, {ROW} BIGINT"
                        + (f", {cols}" if cols else "")
                        + ")"
                    )
                    have_stage = True
                else:
                    known = _stage_columns(con, names)
                    new = [c for c in columns if c not in known]
                    if new:
                        _check_schema(known + new, declared or known, state, spec.dataset_id)
                con.register("_cb_batch", table)
                try:
                    con.execute(f"INSERT INTO {names.raw_stage} BY NAME SELECT * FROM _cb_batch")
                finally:
                    con.unregister("_cb_batch")
                if batch.bad:
                    con.executemany(
                        f"INSERT INTO {names.q_stage} VALUES (?, ?, ?, ?, ?, ?, ?)",
                        [
                            (b.row, b.line, b.code, None, b.reason_en, b.reason_zh, b.value)
                            for b in batch.bad
                        ],
                    )
                done += 1
                rows += table.num_rows + len(batch.bad)
                con.execute(
                    f"UPDATE {META}.checkpoint SET batches = ?, rows = ? WHERE job_id = ?",
                    [done, rows, spec.job_id],
                )
                con.commit()
            except BaseException:
                con.rollback()
                raise
            notify("batch", {"batches": done, "rows": rows})

    def _publish(
        self,
        con: duckdb.DuckDBPyConnection,
        spec: LoadSpec,
        run_id: str,
        names: _Names,
        columns: list[str],
        state: dict[str, Any] | None,
        notify: Progress,
    ) -> LoadResult:
        types = dict(spec.fields)
        ordered = [n for n, _ in spec.fields] or columns
        typed = [(c, types.get(c, "string")) for c in ordered]
        checks = [(c, ft, cast_expr(c, ft)) for c, ft in typed if ft != "string"]
        ok = " AND ".join(f"({quote_ident(c)} IS NULL OR {e} IS NOT NULL)" for c, _, e in checks)
        ok = ok or "true"
        hash_cols = ", ".join(f"{cast_expr(c, ft)}" for c, ft in typed) or "NULL"
        select_typed = ", ".join(f"{cast_expr(c, ft)} AS {quote_ident(c)}" for c, ft in typed)
        con.execute(f"UPDATE {names.raw_stage} SET {RUN} = ? WHERE {RUN} <> ?", [run_id, run_id])
        n_staged = _count(con, f"SELECT count(*) FROM {names.raw_stage}")
        n_unreadable = _count(con, f"SELECT count(*) FROM {names.q_stage}")
        previous_rows = (state or {}).get("rows") or 0
        if spec.mode == "full" and n_staged == 0 and previous_rows and not spec.allow_empty:
            raise SourceError(
                "empty_delivery",
                f"the delivery has no readable rows but the lake holds {previous_rows}; "
                "a full load would delete them, so nothing was changed (use --allow-empty)",
                f"本次交付没有可读取的数据行,而数据湖中已有 {previous_rows} 行;全量汇聚将删除它们,"
                "故未做任何改动(如确需清空请加 --allow-empty)",
            )
        con.execute(
            f"CREATE OR REPLACE TABLE {names.cur_stage} AS SELECT {RUN}, {ROW}, "
            + (f"{select_typed}, " if select_typed else "")
            + f"hash({hash_cols}) AS {HASH} FROM {names.raw_stage} WHERE {ok}"
        )
        if checks:
            which = " ".join(
                f"WHEN NOT ({quote_ident(c)} IS NULL OR {e} IS NOT NULL) THEN {_lit(c)}"
                for c, _, e in checks
            )
            value = " ".join(
                f"WHEN NOT ({quote_ident(c)} IS NULL OR {e} IS NOT NULL) THEN {quote_ident(c)}"
                for c, _, e in checks
            )
            ftype = " ".join(
                f"WHEN NOT ({quote_ident(c)} IS NULL OR {e} IS NOT NULL) THEN {_lit(ft)}"
                for c, ft, e in checks
            )
            zh = " ".join(
                f"WHEN NOT ({quote_ident(c)} IS NULL OR {e} IS NOT NULL) "
                f"THEN {_lit(_TYPE_ZH.get(ft, ft))}"
                for c, ft, e in checks
            )
            con.execute(
                f"INSERT INTO {names.q_stage} SELECT {ROW}, NULL, 'type_invalid', "
                f"CASE {which} END, 'value cannot be read as ' || CASE {ftype} END, "
                f"'无法识别为' || CASE {zh} END, CASE {value} END "
                f"FROM {names.raw_stage} WHERE NOT ({ok})"
            )
        notify("typed", {})
        watermark_from = (state or {}).get("watermark")
        watermark_to = watermark_from
        not_newer = 0
        if spec.mode == "watermark":
            wm = spec.watermark_column
            if not wm or wm not in ordered:
                raise SourceError(
                    "watermark_missing",
                    f"watermark column {wm} is not delivered",
                    f"水位列 {wm} 不在交付数据中",
                )
            self._quarantine_where(
                con,
                names,
                f"{quote_ident(wm)} IS NULL",
                "watermark_missing",
                wm,
                "watermark value is empty",
                "水位列为空",
            )
            if watermark_from is not None:
                wtype = FIELD_TYPES[types.get(wm, "string")]
                cond = f"{quote_ident(wm)} <= TRY_CAST(? AS {wtype})"
                not_newer = _count(
                    con, f"SELECT count(*) FROM {names.cur_stage} WHERE {cond}", [watermark_from]
                )
                con.execute(f"DELETE FROM {names.cur_stage} WHERE {cond}", [watermark_from])
            top = con.execute(
                f"SELECT max({quote_ident(wm)})::VARCHAR FROM {names.cur_stage}"
            ).fetchone()[0]  # type: ignore[index]
            watermark_to = top if top is not None else watermark_from
        if spec.key and spec.mode in ("key", "watermark"):
            missing = [k for k in spec.key if k not in ordered]
            if missing:
                raise SourceError(
                    "key_missing",
                    f"key columns not delivered: {missing}",
                    f"主键列未交付:{missing}",
                )
            null_key = " OR ".join(f"{quote_ident(k)} IS NULL" for k in spec.key)
            self._quarantine_where(
                con,
                names,
                null_key,
                "key_missing",
                ",".join(spec.key),
                "key value is empty",
                "主键为空",
            )
            keys = ", ".join(quote_ident(k) for k in spec.key)
            con.execute(
                f"INSERT INTO {names.q_stage} SELECT {ROW}, NULL, 'duplicate_key', "
                f"{_lit(','.join(spec.key))}, 'key repeated in this delivery; a later row wins', "
                f"'本次交付中主键重复,以后出现的行为准', NULL "
                f"FROM (SELECT {ROW}, row_number() OVER "
                f"(PARTITION BY {keys} ORDER BY {ROW} DESC) AS n FROM {names.cur_stage}) "
                "WHERE n > 1"
            )
            con.execute(
                f"DELETE FROM {names.cur_stage} WHERE {ROW} IN (SELECT {ROW} FROM {names.q_stage}"
                " WHERE reason_code = 'duplicate_key')"
            )
        n_quarantined = _count(con, f"SELECT count(*) FROM {names.q_stage}")
        result = LoadResult(
            "succeeded",
            rows_read=n_staged + n_unreadable,
            rows_quarantined=n_quarantined,
            watermark_from=watermark_from,
            watermark_to=watermark_to,
            columns=ordered,
        )
        fingerprint = None
        if spec.connector not in FILE_CONNECTORS:
            raw_cols = ", ".join(quote_ident(c) for c in columns) or "NULL"
            fingerprint = "rows:" + str(
                con.execute(
                    f"SELECT count(*)::VARCHAR || ':' || "
                    f"coalesce(sum(hash({raw_cols}))::VARCHAR, '0')"
                    f" FROM {names.raw_stage}"
                ).fetchone()[0]
            )  # type: ignore[index]
            result.fingerprint = fingerprint
        con.begin()
        try:
            if spec.mode == "full" or not spec.key:
                self._merge_replace_or_append(con, spec, names, result, not_newer, run_id)
            else:
                self._merge_by_key(con, spec, names, result, not_newer, run_id)
            con.execute(
                f"INSERT OR REPLACE INTO {META}.state VALUES (?, ?, ?, ?, ?, ?, now())",
                [
                    spec.job_id,
                    run_id,
                    fingerprint
                    or con.execute(
                        f"SELECT fingerprint FROM {META}.checkpoint WHERE job_id = ?", [spec.job_id]
                    ).fetchone()[0],  # type: ignore[index]
                    watermark_to,
                    result.rows_read,
                    json.dumps(ordered, ensure_ascii=False),
                ],
            )
            for table in (names.raw_stage, names.cur_stage, names.q_stage):
                con.execute(f"DROP TABLE IF EXISTS {table}")
            con.execute(f"DELETE FROM {META}.checkpoint WHERE job_id = ?", [spec.job_id])
            notify("commit", {})
            con.commit()
        except BaseException:
            con.rollback()
            raise
        notify("merged", {})
        return result

    @staticmethod
    def _quarantine_where(
        con: duckdb.DuckDBPyConnection,
        names: _Names,
        cond: str,
        code: str,
        column: str,
        en: str,
        zh: str,
    ) -> None:
        con.execute(
            f"INSERT INTO {names.q_stage} SELECT {ROW}, NULL, ?, ?, ?, ?, NULL "
            f"FROM {names.cur_stage} WHERE {cond}",
            [code, column, en, zh],
        )
        con.execute(f"DELETE FROM {names.cur_stage} WHERE {cond}")

    def _merge_replace_or_append(
        self,
        con: duckdb.DuckDBPyConnection,
        spec: LoadSpec,
        names: _Names,
        result: LoadResult,
        not_newer: int,
        run_id: str,
    ) -> None:
        """Full: the delivery replaces raw, curated and quarantine. Append (watermark, no key):
        the newer rows are added."""
        staged = _count(con, f"SELECT count(*) FROM {names.cur_stage}")
        cur_exists = _exists(con, "curated", names.t)
        if spec.mode == "full":
            if cur_exists:
                result.rows_unchanged = _count(
                    con,
                    f"SELECT count(*) FROM {names.cur_stage} WHERE {HASH} IN "
                    f"(SELECT {HASH} FROM {names.cur})",
                )
                result.rows_deleted = _count(
                    con,
                    f"SELECT count(*) FROM {names.cur} WHERE {HASH} NOT IN "
                    f"(SELECT {HASH} FROM {names.cur_stage})",
                )
            result.rows_loaded = staged - result.rows_unchanged
            same_quarantine = _exists(con, "raw", names.t_q) and _count(
                con, f"SELECT count(*) FROM {names.q_stage}"
            ) == _count(con, f"SELECT count(*) FROM {names.q}")
            if (
                cur_exists
                and not result.rows_loaded
                and not result.rows_deleted
                and same_quarantine
            ):
                return  # nothing changed: leave the published tables exactly as they are
            for final, stage, t_final in (
                (names.raw, names.raw_stage, names.t),
                (names.cur, names.cur_stage, names.t),
            ):
                con.execute(f"DROP TABLE IF EXISTS {final}")
                con.execute(f"ALTER TABLE {stage} RENAME TO {quote_ident(t_final)}")
            con.execute(f"DROP TABLE IF EXISTS {names.q}")
            con.execute(
                f"CREATE TABLE {names.q} AS SELECT ? AS {RUN}, {ROW} AS row_number, line, "
                "reason_code, column_name, reason, reason_zh, value, now() AS quarantined_at "
                f"FROM {names.q_stage} ORDER BY {ROW}",
                [run_id],
            )
            return
        # watermark without key: append what is newer
        result.rows_unchanged = not_newer
        result.rows_loaded = staged
        self._append(con, names, f"SELECT * FROM {names.cur_stage}", run_id)

    def _merge_by_key(
        self,
        con: duckdb.DuckDBPyConnection,
        spec: LoadSpec,
        names: _Names,
        result: LoadResult,
        not_newer: int,
        run_id: str,
    ) -> None:
        """Upsert by key: new keys inserted, changed rows replaced, identical rows untouched."""
        keys = ", ".join(quote_ident(k) for k in spec.key)
        if not _exists(con, "curated", names.t):
            result.rows_loaded = _count(con, f"SELECT count(*) FROM {names.cur_stage}")
            result.rows_unchanged = not_newer
            self._append(con, names, f"SELECT * FROM {names.cur_stage}", run_id)
            return
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE _cb_diff AS SELECT s.{ROW}, "
            f"CASE WHEN c._cb_hit IS NULL THEN 'new' WHEN c._cb_old = s.{HASH} THEN 'same' "
            f"ELSE 'changed' END AS kind FROM {names.cur_stage} s LEFT JOIN "
            f"(SELECT {keys}, {HASH} AS _cb_old, true AS _cb_hit FROM {names.cur}) c "
            f"USING ({keys})"
        )
        same = _count(con, "SELECT count(*) FROM _cb_diff WHERE kind = 'same'")
        result.rows_unchanged = same + not_newer
        result.rows_loaded = _count(con, "SELECT count(*) FROM _cb_diff WHERE kind <> 'same'")
        on = " AND ".join(f"{names.cur}.{quote_ident(k)} = d.{quote_ident(k)}" for k in spec.key)
        con.execute(
            f"DELETE FROM {names.cur} USING (SELECT {keys} FROM {names.cur_stage} "
            f"JOIN _cb_diff USING ({ROW}) WHERE kind = 'changed') d WHERE {on}"
        )
        self._append(
            con,
            names,
            f"SELECT s.* FROM {names.cur_stage} s JOIN _cb_diff USING ({ROW}) WHERE kind <> 'same'",
            run_id,
        )
        con.execute("DROP TABLE _cb_diff")

    @staticmethod
    def _append(
        con: duckdb.DuckDBPyConnection, names: _Names, curated_rows: str, run_id: str
    ) -> None:
        """Incremental publish: curated rows, their raw rows and this run's quarantine."""
        con.execute(f"CREATE TABLE IF NOT EXISTS {names.cur} AS {curated_rows} LIMIT 0")
        con.execute(f"CREATE TEMP TABLE _cb_new AS {curated_rows}")
        con.execute(f"INSERT INTO {names.cur} BY NAME SELECT * FROM _cb_new")
        con.execute(
            f"CREATE TABLE IF NOT EXISTS {names.raw} AS SELECT * FROM {names.raw_stage} LIMIT 0"
        )
        con.execute(
            f"INSERT INTO {names.raw} BY NAME SELECT * FROM {names.raw_stage} WHERE {ROW} IN "
            f"(SELECT {ROW} FROM _cb_new UNION ALL SELECT {ROW} FROM {names.q_stage})"
        )
        con.execute("DROP TABLE _cb_new")
        con.execute(
            f"CREATE TABLE IF NOT EXISTS {names.q} ({RUN} VARCHAR, row_number BIGINT, "
            "line BIGINT, reason_code VARCHAR, column_name VARCHAR, reason VARCHAR, "
            "reason_zh VARCHAR, value VARCHAR, quarantined_at TIMESTAMP WITH TIME ZONE)"
        )
        con.execute(
            f"INSERT INTO {names.q} SELECT ?, {ROW}, line, reason_code, column_name, reason, "
            f"reason_zh, value, now() FROM {names.q_stage} ORDER BY {ROW}",
            [run_id],
        )


class _Names:
    def __init__(self, t: str) -> None:
        self.t = t
        self.t_q = t + "__quarantine"
        self.t_raw_stage = f"_cb_stage_{t}"
        self.t_q_stage = f"_cb_stage_{t}__q"
        self.raw = qualified("raw", t)
        self.cur = qualified("curated", t)
        self.q = qualified("raw", self.t_q)
        self.raw_stage = qualified("raw", self.t_raw_stage)
        self.cur_stage = qualified("curated", f"_cb_stage_{t}")
        self.q_stage = qualified("raw", self.t_q_stage)


def _stage_columns(con: duckdb.DuckDBPyConnection, names: _Names) -> list[str]:
    rows = con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = 'raw' "
        "AND table_name = ? ORDER BY ordinal_position",
        [names.t_raw_stage],
    ).fetchall()
    return [r[0] for r in rows if r[0] not in (ROW, RUN)]


def _check_schema(
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


def build_connector(spec: LoadSpec, state: dict[str, Any] | None) -> cx.Connector:
    """The batch connector of a job; SQL and HTTP get the watermark to push down."""
    watermark = None
    if spec.mode == "watermark" and spec.watermark_column and state and state.get("watermark"):
        watermark = (spec.watermark_column, state["watermark"])
    path = Path(spec.location)
    if spec.connector == "ndjson":
        return cx.NdjsonConnector(path, spec.options)
    if spec.connector == "json":
        return cx.JsonConnector(path, spec.options)
    if spec.connector == "xlsx":
        return cx.ExcelConnector(path, spec.options)
    if spec.connector == "parquet":
        return cx.ParquetConnector(path, spec.options)
    if spec.connector in ("sql", "sqlite"):
        return cx.SqlConnector(spec.location, spec.options, watermark)
    if spec.connector == "http":
        return cx.HttpConnector(spec.location, spec.options, watermark)
    raise SourceError(
        "connector_unknown", f"unknown connector {spec.connector}", f"未知的连接器 {spec.connector}"
    )


def _config_hash(spec: LoadSpec) -> str:
    text = json.dumps(
        [
            spec.connector,
            spec.location,
            spec.options,
            spec.mode,
            spec.key,
            spec.watermark_column,
            spec.fields,
        ],
        sort_keys=True,
        ensure_ascii=False,
    )
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _lit(value: str) -> str:
    """A SQL string literal for DuckDB table-function options (not bindable there)."""
    return "'" + value.replace("'", "''") + "'"


def _reject_zh(kind: str) -> str:
    return {
        "MISSING COLUMNS": "列数不足(行不完整)",
        "TOO MANY COLUMNS": "列数过多(行不整齐)",
        "UNQUOTED VALUE": "引号使用不当",
        "LINE SIZE OVER MAXIMUM": "行过长",
        "INVALID ENCODING": "字符编码无效",
        "CAST": "类型转换失败",
    }.get(kind, "无法读取的行")


def elapsed(started: float) -> float:
    return round(time.perf_counter() - started, 3)
