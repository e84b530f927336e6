"""Ingest logic: jobs from the catalog, load runs with their records, schedule, quarantine.

A run is recorded in the ops DB as ``running`` before any work and finished with counts
(read, loaded, quarantined, unchanged, deleted), duration, source fingerprint and status, or
with the bilingual error that stopped it. A run left ``running`` by a killed process is found
by the next run of its job and closed as ``interrupted`` (or ``succeeded`` when the lake shows
its commit landed); the next run resumes from the staged batches.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from citybrain.catalog import service as catalog
from citybrain.catalog import vocab
from citybrain.catalog.schemas import LineageEdge
from citybrain.errors import CityBrainError, NotFound, UnknownChoice
from citybrain.ingest import loader as ld
from citybrain.ingest.connectors import Connector
from citybrain.ingest.errors import DatasetNotLoaded, JobInvalid, JobNotFound, RunNotFound
from citybrain.ingest.models import RUN_STATUSES, IngestJob, IngestRun
from citybrain.ingest.schemas import JobCreate, JobUpdate
from citybrain.privacy import mask_pii
from citybrain.store.lake import QUERY_ERRORS, DuckDBLake, qualified, query_error_text
from citybrain.store.ops import session_scope
from citybrain.store.runtime import Stores

log = logging.getLogger("citybrain.ingest")

_ACTIVE: set[str] = set()  # run ids executing in this process
_ACTIVE_LOCK = threading.Lock()

CONNECTOR_OF_FORMAT = {
    "csv": "csv",
    "xlsx": "xlsx",
    "json": "json",
    "ndjson": "ndjson",
    "parquet": "parquet",
    "sqlite": "sqlite",
    "sql": "sql",
    "http": "http",
}


# --------------------------------------------------------------------------- jobs


def list_jobs(session: Session) -> list[IngestJob]:
    return list(session.scalars(select(IngestJob).order_by(IngestJob.id)))


def get_job(session: Session, job_id: str) -> IngestJob:
    job = session.get(IngestJob, job_id)
    if job is None:
        raise JobNotFound(job_id)
    return job


def create_job(session: Session, data: JobCreate) -> tuple[IngestJob, bool]:
    """Create a job; the same payload again is a no-op (idempotent)."""
    values = data.model_dump()
    values["dataset_id"] = values["dataset_id"] or data.id
    existing = session.get(IngestJob, data.id)
    if existing is not None:
        if all(getattr(existing, k) == v for k, v in values.items()):
            return existing, False
        for key, value in values.items():
            setattr(existing, key, value)
        session.flush()
        return existing, False
    job = IngestJob(**values)
    session.add(job)
    session.flush()
    return job, True


def update_job(session: Session, job_id: str, data: JobUpdate) -> IngestJob:
    job = get_job(session, job_id)
    for key, value in data.model_dump(exclude_unset=True).items():
        setattr(job, key, value)
    if job.mode == "key" and not job.key_columns:
        raise JobInvalid("mode 'key' needs key_columns", "按主键增量需指定主键列")
    if job.mode == "watermark" and not job.watermark_column:
        raise JobInvalid("mode 'watermark' needs watermark_column", "按水位增量需指定水位列")
    session.flush()
    return job


def job_from_dataset(dataset: Any) -> JobCreate | None:
    """The load job a catalog entry implies (its first distribution), or None."""
    if not dataset.distributions:
        return None
    dist = dataset.distributions[0]
    connector = CONNECTOR_OF_FORMAT.get(dist.get("format", ""))
    if connector is None:
        return None
    location = dist["access_url"]
    options: dict[str, Any] = {}
    for key in ("encoding", "table", "query", "sheet", "record_path"):
        if dist.get(key):
            options[key] = dist[key]
    if connector == "sqlite":
        location = f"sqlite:///file:{Path(location).resolve()}?mode=ro&uri=true"
    return JobCreate(
        id=dataset.id,
        dataset_id=dataset.id,
        connector=connector,
        location=location,
        options=options,
        key_columns=list(dataset.primary_key),
        watermark_column=dataset.watermark_field,
        update_cycle=dataset.update_cycle,
    )


def sync_jobs_from_catalog(session: Session) -> dict[str, list[str]]:
    """Create or refresh a job for every active catalog entry with a distribution.

    Where, how often and in what encoding come from the catalog; the load mode, key and
    watermark a data engineer chose on an existing job are kept.
    """
    out: dict[str, list[str]] = {"created": [], "updated": [], "unchanged": []}
    for dataset in catalog.list_datasets(session):
        wanted = job_from_dataset(dataset)
        if wanted is None:
            continue
        job = session.get(IngestJob, wanted.id)
        if job is None:
            create_job(session, wanted)
            out["created"].append(wanted.id)
            continue
        changed = False
        for key in ("connector", "location", "update_cycle"):
            if getattr(job, key) != getattr(wanted, key):
                setattr(job, key, getattr(wanted, key))
                changed = True
        options = {**job.options, **wanted.options}
        if options != job.options:
            job.options = options
            changed = True
        out["updated" if changed else "unchanged"].append(wanted.id)
    session.flush()
    return out


# --------------------------------------------------------------------------- runs


def _spec(session: Session, job: IngestJob, force: bool, allow_empty: bool) -> ld.LoadSpec:
    fields: list[tuple[str, str]] = []
    try:
        entry = catalog.get_dataset(session, job.dataset_id)
        fields = [(f.name, f.type) for f in entry.fields]
    except NotFound:
        pass
    return ld.LoadSpec(
        job_id=job.id,
        dataset_id=job.dataset_id,
        connector=job.connector,
        location=job.location,
        options=dict(job.options or {}),
        mode=job.mode,
        key=list(job.key_columns or []),
        watermark_column=job.watermark_column,
        fields=fields,
        force=force,
        allow_empty=allow_empty,
    )


def _recover_dead_runs(session: Session, lake: DuckDBLake, job: IngestJob) -> None:
    """Close runs of this job left ``running`` by a process that no longer runs them."""
    with _ACTIVE_LOCK:
        active = set(_ACTIVE)
    stale = session.scalars(
        select(IngestRun).where(IngestRun.job_id == job.id, IngestRun.status == "running")
    )
    state = None
    for run in stale:
        if run.id in active:
            from citybrain.ingest.errors import LoadBusy

            raise LoadBusy(
                f"job {job.id} is already loading (run {run.id})",
                f"任务 {job.id} 正在汇聚中(运行 {run.id})",
                run=run.id,
            )
        state = state if state is not None else (ld.read_state(lake, job.id) or {})
        run.finished_at = datetime.now(UTC)
        if state.get("run_id") == run.id:
            run.status = "succeeded"
            run.error_code = "recovered"
            run.error_en = "the process ended after the lake commit; data is complete"
            run.error_zh = "进程在数据湖提交后结束;数据完整"
        else:
            run.status = "interrupted"
            run.error_code = "interrupted"
            run.error_en = "the loading process ended before committing; nothing was published"
            run.error_zh = "汇聚进程在提交前终止;未发布任何数据,下次运行将续传"
    session.flush()


def run_job(
    stores: Stores,
    job_id: str,
    *,
    trigger: str = "manual",
    force: bool = False,
    allow_empty: bool = False,
    progress: Callable[[str, dict[str, Any]], None] | None = None,
    connector: Connector | None = None,
) -> IngestRun:
    """Run one load of ``job_id`` and return its finished run record (never raises for a bad
    source: the run is ``failed`` with the reason; the lake keeps what it had)."""
    run_id = uuid.uuid4().hex
    with session_scope(stores.sessions) as session:
        job = get_job(session, job_id)
        _recover_dead_runs(session, stores.lake, job)
        spec = _spec(session, job, force, allow_empty)
        session.add(
            IngestRun(
                id=run_id,
                job_id=job.id,
                dataset_id=job.dataset_id,
                mode=job.mode,
                trigger=trigger,
                status="running",
                detail={},
            )
        )
    with _ACTIVE_LOCK:
        _ACTIVE.add(run_id)
    started = time.perf_counter()
    result: ld.LoadResult | None = None
    error: tuple[str, str, str] | None = None
    try:
        tmp = stores.settings.home / "tmp" / "ingest"
        result = ld.Loader(stores.lake, tmp).load(spec, run_id, progress, connector)
    except CityBrainError as e:
        error = (e.code, e.message_en, e.message_zh)
    except QUERY_ERRORS as e:
        error = (
            "lake_error",
            f"the lake refused the load: {query_error_text(e)}",
            "数据湖写入失败,已回滚,原有数据不变",
        )
    except Exception as e:  # recorded, so one bad source cannot stop a batch of loads
        log.exception("load %s failed unexpectedly", job_id)
        error = ("unexpected", f"{type(e).__name__}: {_first_line(e)}", "汇聚时发生意外错误")
    except BaseException:
        _finish(
            stores, run_id, started, None, ("interrupted", "the load was interrupted", "汇聚被中断")
        )
        raise
    finally:
        with _ACTIVE_LOCK:
            _ACTIVE.discard(run_id)
    return _finish(stores, run_id, started, result, error)


def _finish(
    stores: Stores,
    run_id: str,
    started: float,
    result: ld.LoadResult | None,
    error: tuple[str, str, str] | None,
) -> IngestRun:
    with session_scope(stores.sessions) as session:
        run = session.get(IngestRun, run_id)
        assert run is not None
        run.finished_at = datetime.now(UTC)
        run.duration_s = round(time.perf_counter() - started, 3)
        if result is not None:
            run.status = result.status
            for key in (
                "rows_read",
                "rows_loaded",
                "rows_quarantined",
                "rows_unchanged",
                "rows_deleted",
                "watermark_from",
                "watermark_to",
                "resumed_from",
            ):
                setattr(run, key, getattr(result, key))
            run.source_fingerprint = result.fingerprint
            run.detail = result.detail
            job = session.get(IngestJob, run.job_id)
            if job is not None:
                job.last_run_id = run_id
                job.last_success_at = run.finished_at
                job.last_watermark = result.watermark_to
            if result.status == "succeeded" and result.columns:
                _record_lineage(session, run.dataset_id, result.columns)
        else:
            assert error is not None
            code, en, zh = error
            run.status = "interrupted" if code == "interrupted" else "failed"
            run.error_code, run.error_en, run.error_zh = code, mask_pii(en), mask_pii(zh)
            job = session.get(IngestJob, run.job_id)
            if job is not None:
                job.last_run_id = run_id
        log.info("load %s run %s: %s", run.job_id, run_id, run.status)
        return run


def _record_lineage(session: Session, dataset_id: str, columns: list[str]) -> None:
    """source field → raw field → curated field, one edge each (catalog keeps them)."""
    table = ld.table_name(dataset_id)
    edges = []
    for c in columns:
        edges.append(
            LineageEdge(
                source_layer="source",
                source_dataset=dataset_id,
                source_field=c,
                target_layer="raw",
                target_dataset=table,
                target_field=c,
                transform="as delivered (text)",
                recorded_by="ingest",
            )
        )
        edges.append(
            LineageEdge(
                source_layer="raw",
                source_dataset=table,
                source_field=c,
                target_layer="curated",
                target_dataset=table,
                target_field=c,
                transform="typed as declared",
                recorded_by="ingest",
            )
        )
    catalog.record_lineage(session, edges)


def run_many(
    stores: Stores,
    job_ids: Iterable[str],
    *,
    trigger: str = "manual",
    force: bool = False,
    on_done: Callable[[IngestRun], None] | None = None,
) -> list[IngestRun]:
    runs = []
    for job_id in job_ids:
        run = run_job(stores, job_id, trigger=trigger, force=force)
        runs.append(run)
        if on_done:
            on_done(run)
    return runs


def due_jobs(session: Session, now: datetime | None = None) -> list[IngestJob]:
    """Enabled jobs whose update cycle has elapsed since their last successful load."""
    now = now or datetime.now(UTC)
    due = []
    for job in list_jobs(session):
        hours = vocab.UPDATE_CYCLES.get(job.update_cycle, ("", "", None))[2]
        if not job.enabled or hours is None:
            continue
        last = job.last_success_at
        if last is not None and last.tzinfo is None:
            last = last.replace(tzinfo=UTC)
        if last is None or last + timedelta(hours=hours) <= now:
            due.append(job)
    return due


def list_runs(
    session: Session, job_id: str | None = None, status: str | None = None, limit: int = 100
) -> list[IngestRun]:
    if status and status not in RUN_STATUSES:
        raise UnknownChoice("run status", "运行状态", status, RUN_STATUSES)
    query = select(IngestRun).order_by(IngestRun.started_at.desc()).limit(limit)
    if job_id:
        query = query.where(IngestRun.job_id == job_id)
    if status:
        query = query.where(IngestRun.status == status)
    return list(session.scalars(query))


def get_run(session: Session, run_id: str) -> IngestRun:
    run = session.get(IngestRun, run_id)
    if run is None:
        raise RunNotFound(run_id)
    return run


# --------------------------------------------------------------------------- lake views


def _lake_count(lake: DuckDBLake, schema: str, table: str) -> int:
    if (schema, table) not in set(lake.tables()):
        return 0
    return int(lake.query(f"SELECT count(*) FROM {qualified(schema, table)}").column(0)[0].as_py())


def quarantine(
    lake: DuckDBLake, dataset_id: str, limit: int = 100, offset: int = 0, mask: bool = True
) -> tuple[list[dict[str, Any]], int]:
    """Quarantined rows of a dataset (row number, reason, value as delivered, masked). A
    dataset never loaded is an error: "0 quarantined" would read as "all rows were good"."""
    table = ld.quarantine_table(dataset_id)
    total = _lake_count(lake, "raw", table)
    if not total:
        if ("raw", ld.table_name(dataset_id)) not in set(lake.tables()):
            raise DatasetNotLoaded(dataset_id)
        return [], 0
    rows = lake.query(
        f"SELECT _cb_run AS run_id, row_number, line, reason_code, column_name, reason, "
        f"reason_zh, value FROM {qualified('raw', table)} ORDER BY run_id, row_number "
        "LIMIT ? OFFSET ?",
        [limit, offset],
    ).to_pylist()
    if mask:
        for row in rows:
            if row["value"]:
                row["value"] = mask_pii(row["value"])
    return rows, total


def dataset_counts(stores: Stores) -> list[dict[str, Any]]:
    """Every job's dataset with its row counts in the lake and its last run."""
    with session_scope(stores.sessions) as session:
        jobs = list_jobs(session)
        titles = {
            d.id: (d.title, d.title_en, d.publisher_name or d.publisher)
            for d in catalog.list_datasets(session, include_withdrawn=True)
        }
        last = {}
        for job in jobs:
            if job.last_run_id:
                run = session.get(IngestRun, job.last_run_id)
                if run is not None:
                    last[job.id] = (run.status, run.started_at)
    tables = set(stores.lake.tables())
    out = []
    for job in jobs:
        t = ld.table_name(job.dataset_id)

        def count(schema: str, name: str) -> int:
            if (schema, name) not in tables:
                return 0
            return int(
                stores.lake.query(f"SELECT count(*) FROM {qualified(schema, name)}")
                .column(0)[0]
                .as_py()
            )

        title, title_en, publisher = titles.get(job.dataset_id, (job.dataset_id, "", ""))
        status, at = last.get(job.id, (None, None))
        out.append(
            {
                "dataset_id": job.dataset_id,
                "title": title,
                "title_en": title_en,
                "publisher": publisher,
                "raw_rows": count("raw", t),
                "curated_rows": count("curated", t),
                "quarantined_rows": count("raw", t + "__quarantine"),
                "last_status": status,
                "last_run_at": at,
            }
        )
    return out


def _first_line(e: BaseException) -> str:
    return (str(e).strip().splitlines() or [type(e).__name__])[0][:300]


# --------------------------------------------------------------------------- for other domains


def curated_table_sql(dataset_id: str) -> str:
    """The quoted lake name of a dataset's curated table, for other domains' SQL."""
    return qualified("curated", ld.table_name(dataset_id))


def raw_table(dataset_id: str) -> tuple[str, str]:
    """(schema, table) of a dataset's raw relation, for domains that build their own SQL."""
    return "raw", ld.table_name(dataset_id)


def raw_table_sql(dataset_id: str) -> str:
    """The quoted lake name of a dataset's raw relation (a view over the delivered files: text
    columns as delivered plus ``_cb_row``/``_cb_run``)."""
    return qualified("raw", ld.table_name(dataset_id))


def totals(stores: Stores, now: datetime | None = None) -> dict[str, Any]:
    """Platform-wide load figures: curated rows, quarantine share, datasets loaded in cycle."""
    counts = dataset_counts(stores)
    curated = sum(c["curated_rows"] for c in counts)
    quarantined = sum(c["quarantined_rows"] for c in counts)
    delivered = curated + quarantined
    with session_scope(stores.sessions) as session:
        jobs = [j for j in list_jobs(session) if j.enabled]
        overdue = {j.id for j in due_jobs(session, now)}
    return {
        "datasets": len(counts),
        "curated_rows": curated,
        "quarantined_rows": quarantined,
        "quarantine_share": quarantined / delivered if delivered else None,
        "jobs": len(jobs),
        "fresh_jobs": sum(1 for j in jobs if j.id not in overdue),
    }
