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

This module runs a load end to end; its parts live beside it: ``csv_stage`` (the CSV fast
path), ``declared`` (typing delivered text as the catalog declares), ``raw_files`` (the raw
zone's files and view) and ``lake_meta`` (table names, job state, checkpoints).
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from citybrain.catalog.vocab import FIELD_TYPES
from citybrain.ingest import connectors as cx
from citybrain.ingest.csv_stage import stage_csv
from citybrain.ingest.declared import check_schema, type_into_stage
from citybrain.ingest.errors import SourceError
from citybrain.ingest.lake_meta import (
    META,
    ROW,
    RUN,
    UNREADABLE,
    Names,
    columns_of,
    count,
    ensure_meta,
    exists,
    lit,
    quarantine_table,
    read_state,
    stage_columns,
    state_of,
    table_name,
)
from citybrain.ingest.load_spec import LoadResult, LoadSpec, Progress
from citybrain.ingest.raw_files import (
    MAX_RAW_PARTS,
    Staged,
    adopt_raw_table,
    compact,
    raw_files_dir,
    raw_parts,
    set_raw,
    write_part,
)
from citybrain.store.lake import DuckDBLake, quote_ident

# re-exported: the ingest service's view of the engine
__all__ = ["LoadResult", "LoadSpec", "Loader", "quarantine_table", "read_state", "table_name"]

FILE_CONNECTORS = ("csv", "xlsx", "json", "ndjson", "parquet")


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
        names = Names(t)
        self.part_dir = self.raw_dir / t
        csv_fast = spec.connector == "csv" and connector is None
        with self.lake.writer() as con:
            ensure_meta(con)
            state = state_of(con, spec.job_id)
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
                notify("staged", {"rows": count(con, f"SELECT count(*) FROM {names.cur_stage}")})
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
        names: Names,
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
                and exists(con, "curated", names.t_stage)
            )
        else:
            stages_ok = row is not None and exists(con, "raw", names.t_raw_stage)
        if (
            row is not None
            and stages_ok
            and row[2] == config
            and (fingerprint is None or row[1] == fingerprint)
            and exists(con, "raw", names.t_q_stage)
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
    def _drop_stages(con: duckdb.DuckDBPyConnection, job_id: str, names: Names) -> None:
        for table in (names.raw_stage, names.cur_stage, names.q_stage):
            con.execute(f"DROP TABLE IF EXISTS {table}")
        con.execute(f"DELETE FROM {META}.checkpoint WHERE job_id = ?", [job_id])

    def _collect_garbage(self, con: duckdb.DuckDBPyConnection, names: Names) -> None:
        """Delete raw files of this table that neither the published raw view nor a pending
        checkpoint refers to (a replaced delivery, a crashed run's copy)."""
        if not self.part_dir.is_dir():
            return
        keep = {p["path"] for p in raw_parts(con, names)}
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
        names: Names,
        checkpoint: dict[str, Any],
        connector: cx.Connector | None,
        layout: cx.CsvLayout | None,
        notify: Progress,
        state: dict[str, Any] | None,
    ) -> Staged:
        if checkpoint["raw_done"]:
            notify("resume", {"phase": "raw_done"})
            if checkpoint["layout"] is not None:
                saved = checkpoint["layout"]
                return Staged(saved["columns"], saved["raw"])
            return Staged(stage_columns(con, names), None)
        if layout is not None:
            return stage_csv(con, spec, run_id, names, layout, state)
        source = connector or build_connector(spec, state)
        self._stage_batches(con, spec, run_id, names, checkpoint, source, notify, state)
        columns = stage_columns(con, names)
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
        return Staged(columns, None)

    def _type_with_flags(
        self,
        con: duckdb.DuckDBPyConnection,
        spec: LoadSpec,
        run_id: str,
        names: Names,
        source_sql: str,
        columns: list[str],
        as_text: set[str],
    ) -> None:
        """Curated stage from a text source in one scan: typed rows, untypable ones flagged,
        then split set-wise into the curated stage and the quarantine."""
        ordered = [n for n, _ in spec.fields] or columns
        type_into_stage(
            con, names, source_sql, ordered, dict(spec.fields), run_id, as_text, f" ORDER BY {ROW}"
        )

    def _stage_batches(
        self,
        con: duckdb.DuckDBPyConnection,
        spec: LoadSpec,
        run_id: str,
        names: Names,
        checkpoint: dict[str, Any],
        source: cx.Connector,
        notify: Progress,
        state: dict[str, Any] | None,
    ) -> None:
        declared = [n for n, _ in spec.fields]
        done = int(checkpoint["batches"])
        rows = int(checkpoint["rows"])
        have_stage = exists(con, "raw", names.t_raw_stage)
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
                    check_schema(columns, declared, state, spec.dataset_id)
                    cols = ", ".join(f"{quote_ident(c)} VARCHAR" for c in columns)
                    con.execute(
                        f"CREATE TABLE {names.raw_stage} ({RUN} VARCHAR, {ROW} BIGINT"
                        + (f", {cols}" if cols else "")
                        + ")"
                    )
                    have_stage = True
                else:
                    known = stage_columns(con, names)
                    new = [c for c in columns if c not in known]
                    if new:
                        check_schema(known + new, declared or known, state, spec.dataset_id)
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
        names: Names,
        staged: Staged,
        state: dict[str, Any] | None,
        notify: Progress,
    ) -> LoadResult:
        types = dict(spec.fields)
        ordered = [n for n, _ in spec.fields] or staged.columns
        columns = staged.columns
        self.staged, self.ordered = staged, ordered
        # a resumed stage is published under the run that publishes it
        con.execute(f"UPDATE {names.cur_stage} SET {RUN} = ? WHERE {RUN} <> ?", [run_id, run_id])
        n_typed = count(con, f"SELECT count(*) FROM {names.cur_stage}")
        n_unreadable = count(
            con,
            f"SELECT count(*) FROM {names.q_stage} WHERE reason_code IN "
            f"({', '.join(lit(c) for c in UNREADABLE)})",
        )
        n_staged = count(con, f"SELECT count(*) FROM {names.q_stage}") + n_typed - n_unreadable
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
                not_newer = count(
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
                f"{lit(','.join(spec.key))}, 'key repeated in this delivery; a later row wins', "
                f"'本次交付中主键重复,以后出现的行为准', NULL "
                f"FROM (SELECT {ROW}, row_number() OVER "
                f"(PARTITION BY {keys} ORDER BY {ROW} DESC) AS n FROM {names.cur_stage}) "
                "WHERE n > 1"
            )
            con.execute(
                f"DELETE FROM {names.cur_stage} WHERE {ROW} IN (SELECT {ROW} FROM {names.q_stage}"
                " WHERE reason_code = 'duplicate_key')"
            )
        n_quarantined = count(con, f"SELECT count(*) FROM {names.q_stage}")
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
        names: Names,
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
        names: Names,
        result: LoadResult,
        not_newer: int,
        run_id: str,
    ) -> None:
        """Full: the delivery replaces raw, curated and quarantine. Append (watermark, no key):
        the newer rows are added."""
        staged = count(con, f"SELECT count(*) FROM {names.cur_stage}")
        cur_exists = exists(con, "curated", names.t)
        if spec.mode == "full":
            if cur_exists and self._comparable(con, names):
                row = self._row_hash()
                result.rows_unchanged = count(
                    con,
                    f"SELECT count(*) FROM {names.cur_stage} WHERE {row} IN "
                    f"(SELECT {row} FROM {names.cur})",
                )
                result.rows_deleted = count(
                    con,
                    f"SELECT count(*) FROM {names.cur} WHERE {row} NOT IN "
                    f"(SELECT {row} FROM {names.cur_stage})",
                )
            elif cur_exists:
                result.rows_deleted = count(con, f"SELECT count(*) FROM {names.cur}")
            result.rows_loaded = staged - result.rows_unchanged
            same_quarantine = exists(con, "raw", names.t_q) and count(
                con, f"SELECT count(*) FROM {names.q_stage}"
            ) == count(con, f"SELECT count(*) FROM {names.q}")
            if (
                cur_exists
                and not result.rows_loaded
                and not result.rows_deleted
                and same_quarantine
            ):
                return  # nothing changed: leave the published tables exactly as they are
            con.execute(f"DROP TABLE IF EXISTS {names.cur}")
            con.execute(f"ALTER TABLE {names.cur_stage} RENAME TO {quote_ident(names.t)}")
            part = write_part(con, names, self.part_dir, self.staged, run_id, None)
            set_raw(con, names, [part] if part else [])
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
        names: Names,
        result: LoadResult,
        not_newer: int,
        run_id: str,
    ) -> None:
        """Upsert by key: new keys inserted, changed rows replaced, identical rows untouched."""
        keys = ", ".join(quote_ident(k) for k in spec.key)
        if not exists(con, "curated", names.t):
            result.rows_loaded = count(con, f"SELECT count(*) FROM {names.cur_stage}")
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
        same = count(con, "SELECT count(*) FROM _cb_diff WHERE kind = 'same'")
        result.rows_unchanged = same + not_newer
        result.rows_loaded = count(con, "SELECT count(*) FROM _cb_diff WHERE kind <> 'same'")
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
        self, con: duckdb.DuckDBPyConnection, names: Names, curated_rows: str, run_id: str
    ) -> None:
        """Incremental publish: curated rows, their raw rows and this run's quarantine."""
        con.execute(f"CREATE TABLE IF NOT EXISTS {names.cur} AS {curated_rows} LIMIT 0")
        con.execute(f"CREATE TEMP TABLE _cb_new AS {curated_rows}")
        con.execute(f"INSERT INTO {names.cur} BY NAME SELECT * FROM _cb_new")
        # raw keeps what this delivery added or changed, and the rows it quarantined
        wanted = count(con, "SELECT count(*) FROM _cb_new") + count(
            con,
            f"SELECT count(*) FROM {names.q_stage} WHERE reason_code NOT IN "
            f"({', '.join(lit(c) for c in UNREADABLE)})",
        )
        parts = adopt_raw_table(con, names, self.part_dir, run_id)
        if not parts and exists(con, "raw", names.t):
            parts = raw_parts(con, names)
        if wanted:
            where = None
            if wanted != self.raw_rows:
                where = (
                    f"{ROW} IN (SELECT {ROW} FROM _cb_new UNION ALL SELECT {ROW} "
                    f"FROM {names.q_stage})"
                )
            part = write_part(con, names, self.part_dir, self.staged, run_id, where)
            if part:
                parts.append(part)
        con.execute("DROP TABLE _cb_new")
        if len(parts) > MAX_RAW_PARTS:
            parts = [compact(con, self.part_dir, parts, self.staged.columns, run_id)]
        set_raw(con, names, parts)
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

    def _comparable(self, con: duckdb.DuckDBPyConnection, names: Names) -> bool:
        """Whether the published curated table has every column this delivery types."""
        return set(self.ordered) <= set(columns_of(con, "curated", names.t))


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


def elapsed(started: float) -> float:
    return round(time.perf_counter() - started, 3)
