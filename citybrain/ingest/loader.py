"""The load engine: source → raw zone (files, as delivered) + curated zone (typed) + quarantine.

The raw zone keeps each delivery as a FILE beside the lake (``<lake>.raw/<table>/``): a CSV as
the UTF-8 copy written while it was fingerprinted (GBK/GB18030 transcoded in the same pass),
other sources and incremental slices as Parquet. ``raw.<t>`` is a VIEW over those files, with
``_cb_run`` and ``_cb_row``. The curated stage is built in ONE scan of the source, typed as
declared; values that cannot be typed are caught in that same scan and their rows quarantined
with the row number and reason (never dropped).

A run never touches the published relations until the very end: it stages
``curated._cb_stage_<t>`` and the quarantine stage ``raw._cb_stage_<t>__q`` (plus, for batch
connectors, the text stage ``raw._cb_stage_<t>`` filled batch by batch), then, in ONE DuckDB
transaction, swaps (full) or merges (incremental) them into ``curated.<t>`` and
``raw.<t>__quarantine``, re-points the view ``raw.<t>`` at its files and writes the job's state
(source fingerprint, watermark, columns). A crash leaves either the old tables or the new ones;
the stages and a checkpoint survive so the next run resumes. Files no view or checkpoint refers
to are deleted after each load.
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
ROW, RUN = "_cb_row", "_cb_run"
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
    con.execute(f"ALTER TABLE {META}.checkpoint ADD COLUMN IF NOT EXISTS layout VARCHAR")
    con.execute(
        f"CREATE TABLE IF NOT EXISTS {META}.raw_parts (tbl VARCHAR PRIMARY KEY, parts VARCHAR)"
    )


def read_state(lake: DuckDBLake, job_id: str) -> dict[str, Any] | None:
    with lake.writer() as con:
        ensure_meta(con)
        return _read_state(con, job_id)


def _read_state(con: duckdb.DuckDBPyConnection, job_id: str) -> dict[str, Any] | None:
    """What the last published load of a job left: run, fingerprint, watermark, columns."""
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


def raw_files_dir(lake: DuckDBLake) -> Path:
    """Where the raw zone keeps delivered files: ``<lake>.raw/<table>/`` beside the lake file."""
    return lake.path.parent / f"{lake.path.stem}.raw"


#: quarantine reasons of records that never reached the raw zone (unreadable as delivered)
UNREADABLE = ("unreadable_row", "json_invalid", "not_an_object")
NATIVE = ("integer", "decimal", "float", "date", "datetime")  # typed by DuckDB's CSV reader
MAX_RAW_PARTS = 16


@dataclass
class _Staged:
    columns: list[str]  # delivered columns
    raw: dict[str, Any] | None  # the staged raw file (CSV path); None: the raw stage table


class Loader:
    """Runs one load of one job against the lake. Not reentrant per job (the lake lock)."""

    def __init__(self, lake: DuckDBLake, tmp_dir: Path, raw_dir: Path | None = None) -> None:
        self.lake = lake
        self.tmp_dir = tmp_dir
        self.raw_dir = raw_dir or raw_files_dir(lake)

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
        self.part_dir = self.raw_dir / t
        csv_fast = spec.connector == "csv" and connector is None
        with self.lake.writer() as con:
            ensure_meta(con)
            state = self._state(con, spec.job_id)
            layout: cx.CsvLayout | None = None
            if csv_fast:
                # one pass: fingerprint + the copy the raw zone will keep
                layout = cx.receive_csv(
                    Path(spec.location),
                    spec.options,
                    [n for n, _ in spec.fields],
                    self.part_dir / f"{run_id}.csv",
                )
                fingerprint: str | None = layout.fingerprint
                notify("received", {"path": str(layout.path)})
            else:
                fingerprint = self._fingerprint_first(spec)
            if fingerprint and state and state["fingerprint"] == fingerprint and not spec.force:
                if layout is not None:
                    layout.path.unlink(missing_ok=True)
                return LoadResult(
                    "unchanged",
                    rows_read=state["rows"] or 0,
                    rows_unchanged=state["rows"] or 0,
                    fingerprint=fingerprint,
                    watermark_from=state["watermark"],
                    watermark_to=state["watermark"],
                    columns=state["columns"],
                )
            checkpoint = self._checkpoint(con, spec, run_id, fingerprint, names, csv_fast)
            resumed_from = checkpoint["run_id"] if checkpoint["run_id"] != run_id else None
            try:
                staged = self._stage(
                    con, spec, run_id, names, checkpoint, connector, layout, notify, state
                )
                notify("staged", {"rows": _count(con, f"SELECT count(*) FROM {names.cur_stage}")})
                result = self._publish(con, spec, run_id, names, staged, state, notify)
            except SourceError:
                self._drop_stages(con, spec.job_id, names)
                self._collect_garbage(con, names)
                raise
            self._collect_garbage(con, names)
            result.resumed_from = resumed_from
            if result.fingerprint is None:
                result.fingerprint = fingerprint
            return result

    # ------------------------------------------------------------------ steps
    @staticmethod
    def _state(con: duckdb.DuckDBPyConnection, job_id: str) -> dict[str, Any] | None:
        return _read_state(con, job_id)

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
        csv_fast: bool,
    ) -> dict[str, Any]:
        """The checkpoint to resume from, or a fresh one (stages dropped)."""
        config = _config_hash(spec)
        row = con.execute(
            f"SELECT run_id, fingerprint, config, batches, rows, raw_done, layout "
            f"FROM {META}.checkpoint WHERE job_id = ?",
            [spec.job_id],
        ).fetchone()
        layout = json.loads(row[6]) if row is not None and row[6] else None
        if csv_fast:
            # the CSV is staged in one transaction: resumable only once fully staged
            stages_ok = (
                row is not None
                and bool(row[5])
                and layout is not None
                and Path(layout["raw"]["path"]).is_file()
                and _exists(con, "curated", names.t_stage)
            )
        else:
            stages_ok = row is not None and _exists(con, "raw", names.t_raw_stage)
        if (
            row is not None
            and stages_ok
            and row[2] == config
            and (fingerprint is None or row[1] == fingerprint)
            and _exists(con, "raw", names.t_q_stage)
        ):
            return {
                "run_id": row[0],
                "batches": row[3],
                "rows": row[4],
                "raw_done": row[5],
                "layout": layout,
            }
        self._drop_stages(con, spec.job_id, names)
        con.execute(
            f"INSERT INTO {META}.checkpoint (job_id, run_id, fingerprint, config, batches, rows, "
            "raw_done) VALUES (?, ?, ?, ?, 0, 0, false)",
            [spec.job_id, run_id, fingerprint, config],
        )
        con.execute(
            f"CREATE TABLE {names.q_stage} ({ROW} BIGINT, line BIGINT, reason_code VARCHAR, "
            "column_name VARCHAR, reason VARCHAR, reason_zh VARCHAR, value VARCHAR)"
        )
        return {"run_id": run_id, "batches": 0, "rows": 0, "raw_done": False, "layout": None}

    @staticmethod
    def _drop_stages(con: duckdb.DuckDBPyConnection, job_id: str, names: _Names) -> None:
        for table in (names.raw_stage, names.cur_stage, names.q_stage):
            con.execute(f"DROP TABLE IF EXISTS {table}")
        con.execute(f"DELETE FROM {META}.checkpoint WHERE job_id = ?", [job_id])

    def _collect_garbage(self, con: duckdb.DuckDBPyConnection, names: _Names) -> None:
        """Delete raw files of this table that neither the published raw view nor a pending
        checkpoint refers to (a replaced delivery, a crashed run's copy)."""
        if not self.part_dir.is_dir():
            return
        keep = {p["path"] for p in _raw_parts(con, names)}
        for (text,) in con.execute(
            f"SELECT layout FROM {META}.checkpoint WHERE layout IS NOT NULL"
        ).fetchall():
            keep.add(json.loads(text)["raw"]["path"])
        for path in self.part_dir.iterdir():
            if str(path) not in keep:
                path.unlink(missing_ok=True)

    def _stage(
        self,
        con: duckdb.DuckDBPyConnection,
        spec: LoadSpec,
        run_id: str,
        names: _Names,
        checkpoint: dict[str, Any],
        connector: cx.Connector | None,
        layout: cx.CsvLayout | None,
        notify: Progress,
        state: dict[str, Any] | None,
    ) -> _Staged:
        if checkpoint["raw_done"]:
            notify("resume", {"phase": "raw_done"})
            if checkpoint["layout"] is not None:
                saved = checkpoint["layout"]
                return _Staged(saved["columns"], saved["raw"])
            return _Staged(_stage_columns(con, names), None)
        if layout is not None:
            return self._stage_csv(con, spec, run_id, names, layout, state)
        source = connector or build_connector(spec, state)
        self._stage_batches(con, spec, run_id, names, checkpoint, source, notify, state)
        columns = _stage_columns(con, names)
        con.begin()
        try:
            source_sql = f"SELECT * FROM {names.raw_stage}"
            self._type_with_flags(con, spec, run_id, names, source_sql, columns, set(columns))
            con.execute(
                f"UPDATE {META}.checkpoint SET raw_done = true WHERE job_id = ?", [spec.job_id]
            )
            con.commit()
        except BaseException:
            con.rollback()
            raise
        return _Staged(columns, None)

    def _stage_csv(
        self,
        con: duckdb.DuckDBPyConnection,
        spec: LoadSpec,
        run_id: str,
        names: _Names,
        layout: cx.CsvLayout,
        state: dict[str, Any] | None,
    ) -> _Staged:
        """ONE scan of the CSV copy builds the typed curated stage.

        Columns whose sample DuckDB's CSV reader can type are typed by the reader itself, its
        cast failures and ragged lines land in a rejects table (with the line); the others are
        read as text and typed with TRY_CAST, a per-row flag naming the first failing column.
        Rejected lines are then re-typed with the full date/number rules (a value the reader
        refused may still be readable, e.g. ``20240131``) or quarantined — all in one DuckDB
        transaction with the checkpoint, so a crash leaves nothing half-staged.
        """
        declared = [n for n, _ in spec.fields]
        _check_schema(layout.columns, declared, state, spec.dataset_id)
        types = dict(spec.fields)
        ordered = declared or layout.columns
        native = self._native_types(con, layout, types)
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
                + _read_csv_sql(raw, read_types)
            )
        except duckdb.Error:
            con.execute(
                "CREATE OR REPLACE TEMP TABLE _cb_read AS SELECT * FROM "
                + _read_csv_sql(raw, read_types, rejects=True)
            )
            rejects = con.execute(
                "SELECT line, error_type::VARCHAR, csv_line, error_message FROM _cb_rejects "
                "ORDER BY line"
            ).fetchall()
            con.execute("DROP TABLE IF EXISTS _cb_rejects")
            con.execute("DROP TABLE IF EXISTS _cb_rejects_scan")
        con.begin()
        try:
            broken, fields = _classify_rejects(layout, rejects)
            base = con.execute("SELECT coalesce(min(rowid), 0) FROM _cb_read").fetchall()[0][0]
            gaps = sorted(set(broken) | set(fields))
            order = ""
            if gaps:
                # _cb_row counts the rows the reader kept: shift it past every rejected row
                _gaps_table(con, gaps)
                source = (
                    f"SELECT r.__cb_rid + coalesce(g.s, 0) AS {ROW}, r.* EXCLUDE (__cb_rid) "
                    f"FROM (SELECT rowid - {int(base)} AS __cb_rid, * FROM _cb_read) r "
                    "ASOF LEFT JOIN _cb_gaps g ON r.__cb_rid >= g.t"
                )
                order = f" ORDER BY {ROW}"
            else:
                source = f"SELECT rowid - {int(base)} AS {ROW}, * FROM _cb_read"
            if as_text:
                con.execute(
                    "CREATE OR REPLACE TEMP TABLE _cb_typed AS "
                    + _typed_select(source, ordered, types, run_id, as_text)
                )
                self._quarantine_flagged(con, names, "_cb_typed")
                con.execute(
                    f"CREATE OR REPLACE TABLE {names.cur_stage} AS SELECT {RUN}, {ROW}, {cols} "
                    f"FROM _cb_typed WHERE _cb_bad_col IS NULL{order}"
                )
                con.execute("DROP TABLE _cb_typed")
            else:
                con.execute(
                    f"CREATE OR REPLACE TABLE {names.cur_stage} AS SELECT {_lit(run_id)} AS "
                    f"{RUN}, {ROW}, {cols} FROM ({source}){order}"
                )
            con.execute("DROP TABLE _cb_read")
            if gaps:
                con.execute("DROP TABLE _cb_gaps")
            if fields:
                self._retype(con, names, run_id, layout, fields, ordered, types)
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
                            _reject_zh(kind),
                            text,
                        )
                        for row, (line, kind, text, message) in sorted(broken.items())
                    ],
                )
                raw = self._materialise_raw(con, raw, sorted(broken))
            con.execute(
                f"UPDATE {META}.checkpoint SET raw_done = true, layout = ? WHERE job_id = ?",
                [json.dumps({"columns": layout.columns, "raw": raw}), spec.job_id],
            )
            con.commit()
        except BaseException:
            con.rollback()
            con.execute("DROP TABLE IF EXISTS _cb_read")
            raise
        return _Staged(layout.columns, raw)

    @staticmethod
    def _native_types(
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

    def _retype(
        self,
        con: duckdb.DuckDBPyConnection,
        names: _Names,
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
                + _typed_select("SELECT * FROM _cb_fix", ordered, types, run_id, None)
            )
        finally:
            con.unregister("_cb_fix")
        cols = ", ".join(quote_ident(c) for c in ordered)
        con.execute(
            f"INSERT INTO {names.cur_stage} BY NAME SELECT {RUN}, {ROW}, {cols} "
            "FROM _cb_fixed WHERE _cb_bad_col IS NULL"
        )
        self._quarantine_flagged(con, names, "_cb_fixed")
        con.execute("DROP TABLE _cb_fixed")

    def _materialise_raw(
        self, con: duckdb.DuckDBPyConnection, raw: dict[str, Any], unreadable: list[int]
    ) -> dict[str, Any]:
        """Raw rows of a CSV with unreadable lines, numbered around them, as a Parquet file
        (the CSV copy alone cannot number rows past lines its reader skips)."""
        path = Path(raw["path"]).with_suffix(".parquet")
        _gaps_table(con, unreadable)
        cols = ", ".join(f"c.{quote_ident(c)}" for c in raw["columns"])
        reader = _read_csv_sql(raw, dict.fromkeys(raw["columns"], "VARCHAR"), ignore_errors=True)
        con.execute(
            f"COPY (SELECT c.{ROW} + coalesce(g.s, 0) AS {ROW}, {cols} FROM "
            f"(SELECT (row_number() OVER ()) - 1 AS {ROW}, * FROM {reader}) c "
            f"ASOF LEFT JOIN _cb_gaps g ON c.{ROW} >= g.t ORDER BY 1) "
            f"TO {_lit(str(path))} (FORMAT parquet)"
        )
        con.execute("DROP TABLE _cb_gaps")
        Path(raw["path"]).unlink(missing_ok=True)
        return {"kind": "parquet", "path": str(path), "columns": raw["columns"]}

    def _type_with_flags(
        self,
        con: duckdb.DuckDBPyConnection,
        spec: LoadSpec,
        run_id: str,
        names: _Names,
        source_sql: str,
        columns: list[str],
        as_text: set[str],
    ) -> None:
        """Curated stage from a text source in one scan: typed rows, untypable ones flagged,
        then split set-wise into the curated stage and the quarantine."""
        types = dict(spec.fields)
        ordered = [n for n, _ in spec.fields] or columns
        cols = "".join(f", {quote_ident(c)}" for c in ordered)
        con.execute(
            "CREATE OR REPLACE TEMP TABLE _cb_typed AS "
            + _typed_select(source_sql, ordered, types, run_id, as_text)
        )
        self._quarantine_flagged(con, names, "_cb_typed")
        con.execute(
            f"CREATE OR REPLACE TABLE {names.cur_stage} AS SELECT {RUN}, {ROW}{cols} "
            f"FROM _cb_typed WHERE _cb_bad_col IS NULL ORDER BY {ROW}"
        )
        con.execute("DROP TABLE _cb_typed")

    @staticmethod
    def _quarantine_flagged(con: duckdb.DuckDBPyConnection, names: _Names, source: str) -> None:
        zh = " ".join(f"WHEN {_lit(k)} THEN {_lit(v)}" for k, v in _TYPE_ZH.items())
        con.execute(
            f"INSERT INTO {names.q_stage} SELECT {ROW}, NULL, 'type_invalid', _cb_bad_col, "
            f"'value cannot be read as ' || _cb_bad_type, "
            f"'无法识别为' || CASE _cb_bad_type {zh} ELSE _cb_bad_type END, _cb_bad_value "
            f"FROM {source} WHERE _cb_bad_col IS NOT NULL"
        )

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
        staged: _Staged,
        state: dict[str, Any] | None,
        notify: Progress,
    ) -> LoadResult:
        types = dict(spec.fields)
        ordered = [n for n, _ in spec.fields] or staged.columns
        columns = staged.columns
        self.staged, self.ordered = staged, ordered
        # a resumed stage is published under the run that publishes it
        con.execute(f"UPDATE {names.cur_stage} SET {RUN} = ? WHERE {RUN} <> ?", [run_id, run_id])
        n_typed = _count(con, f"SELECT count(*) FROM {names.cur_stage}")
        n_unreadable = _count(
            con,
            f"SELECT count(*) FROM {names.q_stage} WHERE reason_code IN "
            f"({', '.join(_lit(c) for c in UNREADABLE)})",
        )
        n_staged = _count(con, f"SELECT count(*) FROM {names.q_stage}") + n_typed - n_unreadable
        self.raw_rows = n_staged
        previous_rows = (state or {}).get("rows") or 0
        if spec.mode == "full" and n_staged == 0 and previous_rows and not spec.allow_empty:
            raise SourceError(
                "empty_delivery",
                f"the delivery has no readable rows but the lake holds {previous_rows}; "
                "a full load would delete them, so nothing was changed (use --allow-empty)",
                f"本次交付没有可读取的数据行,而数据湖中已有 {previous_rows} 行;全量汇聚将删除它们,"
                "故未做任何改动(如确需清空请加 --allow-empty)",
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
            if cur_exists and self._comparable(con, names):
                row = self._row_hash()
                result.rows_unchanged = _count(
                    con,
                    f"SELECT count(*) FROM {names.cur_stage} WHERE {row} IN "
                    f"(SELECT {row} FROM {names.cur})",
                )
                result.rows_deleted = _count(
                    con,
                    f"SELECT count(*) FROM {names.cur} WHERE {row} NOT IN "
                    f"(SELECT {row} FROM {names.cur_stage})",
                )
            elif cur_exists:
                result.rows_deleted = _count(con, f"SELECT count(*) FROM {names.cur}")
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
            con.execute(f"DROP TABLE IF EXISTS {names.cur}")
            con.execute(f"ALTER TABLE {names.cur_stage} RENAME TO {quote_ident(names.t)}")
            part = self._raw_part(con, names, run_id, None)
            self._set_raw(con, names, [part] if part else [])
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
        old = self._row_hash() if self._comparable(con, names) else "NULL::UBIGINT"
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE _cb_diff AS SELECT s.{ROW}, "
            f"CASE WHEN c._cb_hit IS NULL THEN 'new' WHEN c._cb_old = s._cb_new THEN 'same' "
            f"ELSE 'changed' END AS kind FROM (SELECT *, {self._row_hash()} AS _cb_new "
            f"FROM {names.cur_stage}) s LEFT JOIN "
            f"(SELECT {keys}, {old} AS _cb_old, true AS _cb_hit FROM {names.cur}) c "
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

    def _append(
        self, con: duckdb.DuckDBPyConnection, names: _Names, curated_rows: str, run_id: str
    ) -> None:
        """Incremental publish: curated rows, their raw rows and this run's quarantine."""
        con.execute(f"CREATE TABLE IF NOT EXISTS {names.cur} AS {curated_rows} LIMIT 0")
        con.execute(f"CREATE TEMP TABLE _cb_new AS {curated_rows}")
        con.execute(f"INSERT INTO {names.cur} BY NAME SELECT * FROM _cb_new")
        # raw keeps what this delivery added or changed, and the rows it quarantined
        wanted = _count(con, "SELECT count(*) FROM _cb_new") + _count(
            con,
            f"SELECT count(*) FROM {names.q_stage} WHERE reason_code NOT IN "
            f"({', '.join(_lit(c) for c in UNREADABLE)})",
        )
        parts = self._adopt_raw_table(con, names, run_id)
        if not parts and _exists(con, "raw", names.t):
            parts = _raw_parts(con, names)
        if wanted:
            where = None
            if wanted != self.raw_rows:
                where = (
                    f"{ROW} IN (SELECT {ROW} FROM _cb_new UNION ALL SELECT {ROW} "
                    f"FROM {names.q_stage})"
                )
            part = self._raw_part(con, names, run_id, where)
            if part:
                parts.append(part)
        con.execute("DROP TABLE _cb_new")
        if len(parts) > MAX_RAW_PARTS:
            parts = [self._compact(con, names, parts, run_id)]
        self._set_raw(con, names, parts)
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

    def _row_hash(self) -> str:
        """One hash of a curated row's values (what "unchanged" compares)."""
        return f"hash({', '.join(quote_ident(c) for c in self.ordered) or 'NULL'})"

    def _comparable(self, con: duckdb.DuckDBPyConnection, names: _Names) -> bool:
        """Whether the published curated table has every column this delivery types."""
        return set(self.ordered) <= set(_columns_of(con, "curated", names.t))

    def _raw_part(
        self, con: duckdb.DuckDBPyConnection, names: _Names, run_id: str, where: str | None
    ) -> dict[str, Any] | None:
        """The raw file this run publishes: the staged delivery itself when all of it is kept,
        else the kept rows written to Parquet."""
        staged = self.staged
        if staged.raw is not None and where is None:
            return {**staged.raw, "run": run_id}
        cols = ", ".join(quote_ident(c) for c in staged.columns)
        if staged.raw is not None:
            source = _part_rows_sql(staged.raw)
        else:
            source = f"SELECT {ROW}, {cols} FROM {names.raw_stage}"
        self.part_dir.mkdir(parents=True, exist_ok=True)
        path = self.part_dir / f"{run_id}.rows.parquet"
        con.execute(
            f"COPY (SELECT {ROW}, {cols} FROM ({source}) WHERE {where or 'true'} ORDER BY {ROW}) "
            f"TO {_lit(str(path))} (FORMAT parquet)"
        )
        return {"kind": "parquet", "path": str(path), "columns": staged.columns, "run": run_id}

    def _compact(
        self,
        con: duckdb.DuckDBPyConnection,
        names: _Names,
        parts: list[dict[str, Any]],
        run_id: str,
    ) -> dict[str, Any]:
        """Many incremental raw files folded into one Parquet file (it carries ``_cb_run``)."""
        path = self.part_dir / f"{run_id}.all.parquet"
        con.execute(
            f"COPY ({_raw_view_sql(parts, self.staged.columns)} ORDER BY {RUN}, {ROW}) "
            f"TO {_lit(str(path))} (FORMAT parquet)"
        )
        return {"kind": "parquet", "path": str(path), "columns": None, "run": None}

    def _adopt_raw_table(
        self, con: duckdb.DuckDBPyConnection, names: _Names, run_id: str
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
        self.part_dir.mkdir(parents=True, exist_ok=True)
        path = self.part_dir / f"{run_id}.adopted.parquet"
        con.execute(f"COPY (SELECT * FROM {names.raw}) TO {_lit(str(path))} (FORMAT parquet)")
        return [{"kind": "parquet", "path": str(path), "columns": None, "run": None}]

    @staticmethod
    def _set_raw(
        con: duckdb.DuckDBPyConnection, names: _Names, parts: list[dict[str, Any]]
    ) -> None:
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
            + _raw_view_sql(parts, list(dict.fromkeys(columns)))
        )
        con.execute(
            f"INSERT OR REPLACE INTO {META}.raw_parts VALUES (?, ?)",
            [names.t, json.dumps(parts, ensure_ascii=False)],
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
        self.t_stage = f"_cb_stage_{t}"
        self.raw_stage = qualified("raw", self.t_raw_stage)
        self.cur_stage = qualified("curated", self.t_stage)
        self.q_stage = qualified("raw", self.t_q_stage)


def _columns_of(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> list[str]:
    rows = con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = ? "
        "AND table_name = ? ORDER BY ordinal_position",
        [schema, table],
    ).fetchall()
    return [r[0] for r in rows]


def _raw_parts(con: duckdb.DuckDBPyConnection, names: _Names) -> list[dict[str, Any]]:
    row = con.execute(f"SELECT parts FROM {META}.raw_parts WHERE tbl = ?", [names.t]).fetchone()
    return json.loads(row[0]) if row else []


def _read_csv_sql(
    part: dict[str, Any], types: dict[str, str], rejects: bool = False, ignore_errors: bool = False
) -> str:
    """DuckDB ``read_csv`` of a kept CSV with the sniffed layout and explicit column types."""
    struct = ", ".join(f"{_lit(c)}: {_lit(types[c])}" for c in part["columns"])
    options = (
        f"columns = {{{struct}}}, header = {str(bool(part['header'])).lower()}, "
        f"delim = {_lit(part['delimiter'])}, quote = '\"', escape = '\"', auto_detect = false, "
        "null_padding = false"
    )
    if rejects:
        options += (
            ", store_rejects = true, rejects_table = '_cb_rejects', "
            "rejects_scan = '_cb_rejects_scan'"
        )
    elif ignore_errors:
        options += ", ignore_errors = true"
    return f"read_csv({_lit(part['path'])}, {options})"


def _part_rows_sql(part: dict[str, Any]) -> str:
    """``_cb_row`` + the delivered text columns of one raw file."""
    if part["kind"] == "csv":
        reader = _read_csv_sql(part, dict.fromkeys(part["columns"], "VARCHAR"))
        return f"SELECT (row_number() OVER ()) - 1 AS {ROW}, * FROM {reader}"
    return f"SELECT * FROM read_parquet({_lit(part['path'])})"


def _raw_view_sql(parts: list[dict[str, Any]], columns: list[str]) -> str:
    """The raw view: every file with its run, stacked by column name."""
    if not parts:
        cols = "".join(f", NULL::VARCHAR AS {quote_ident(c)}" for c in columns)
        return f"SELECT NULL::VARCHAR AS {RUN}, NULL::BIGINT AS {ROW}{cols} LIMIT 0"
    selects = []
    for part in parts:
        if part.get("run") is None:  # a compacted file carries its runs
            selects.append(f"SELECT * FROM read_parquet({_lit(part['path'])})")
        else:
            selects.append(f"SELECT {_lit(part['run'])} AS {RUN}, * FROM ({_part_rows_sql(part)})")
    return " UNION ALL BY NAME ".join(f"({s})" for s in selects) if len(selects) > 1 else selects[0]


def _typed_select(
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
        f"SELECT {_lit(run_id)} AS {RUN}, {ROW}, {cols + ', ' if cols else ''}"
        f"{case(lambda c, ft, t: _lit(c))} AS _cb_bad_col, "
        f"{case(lambda c, ft, t: t)} AS _cb_bad_value, "
        f"{case(lambda c, ft, t: _lit(ft))} AS _cb_bad_type "
        f"FROM (SELECT {', '.join(inner)} FROM ({source}))"
    )


def _classify_rejects(
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


def _gaps_table(con: duckdb.DuckDBPyConnection, rows: list[int]) -> None:
    """``_cb_gaps(t, s)``: a kept row counted ``r`` among kept rows is delivered row
    ``r + s`` of the largest ``t <= r`` (``rows``: the sorted skipped row numbers)."""
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _cb_gaps AS SELECT t, max(s) AS s FROM "
        "(SELECT unnest(?::BIGINT[]) AS t, unnest(?::BIGINT[]) AS s) GROUP BY t",
        [[r - j for j, r in enumerate(rows)], [j + 1 for j in range(len(rows))]],
    )


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
