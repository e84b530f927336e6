"""HTTP routes of ingest: jobs, run a load, runs, quarantine, datasets with counts."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Response, status
from fastapi.concurrency import run_in_threadpool

from citybrain.deps import SessionDep, StoresDep
from citybrain.ingest import service
from citybrain.ingest.schemas import (
    DatasetCounts,
    JobCreate,
    JobPublic,
    JobUpdate,
    QuarantineRow,
    RunPublic,
    RunRequest,
)

router = APIRouter(tags=["ingest"])


@router.get("/jobs", response_model=list[JobPublic])
def list_jobs(session: SessionDep) -> Any:
    return [JobPublic.model_validate(j) for j in service.list_jobs(session)]


@router.post("/jobs", response_model=JobPublic, status_code=status.HTTP_201_CREATED)
def create_job(data: JobCreate, session: SessionDep, response: Response) -> Any:
    job, created = service.create_job(session, data)
    if not created:
        response.status_code = status.HTTP_200_OK
    return JobPublic.model_validate(job)


@router.post("/jobs/sync")
def sync_jobs(session: SessionDep) -> dict[str, list[str]]:
    """Create or refresh a job for every catalog entry with a distribution."""
    return service.sync_jobs_from_catalog(session)


@router.get("/jobs/{job_id}", response_model=JobPublic)
def get_job(job_id: str, session: SessionDep) -> Any:
    return JobPublic.model_validate(service.get_job(session, job_id))


@router.patch("/jobs/{job_id}", response_model=JobPublic)
def update_job(job_id: str, data: JobUpdate, session: SessionDep) -> Any:
    return JobPublic.model_validate(service.update_job(session, job_id, data))


@router.post("/jobs/{job_id}/runs", response_model=RunPublic)
async def run_job(job_id: str, stores: StoresDep, data: RunRequest | None = None) -> Any:
    """Run a load now and return its run record (a failed source is a ``failed`` run)."""
    data = data or RunRequest()
    run = await run_in_threadpool(
        service.run_job,
        stores,
        job_id,
        trigger="api",
        force=data.force,
        allow_empty=data.allow_empty,
    )
    return RunPublic.model_validate(run)


@router.get("/runs", response_model=list[RunPublic])
def list_runs(
    session: SessionDep,
    job: str | None = None,
    status_: str | None = Query(None, alias="status", max_length=16),
    limit: int = Query(100, ge=1, le=1000),
) -> Any:
    return [RunPublic.model_validate(r) for r in service.list_runs(session, job, status_, limit)]


@router.get("/runs/{run_id}", response_model=RunPublic)
def get_run(run_id: str, session: SessionDep) -> Any:
    return RunPublic.model_validate(service.get_run(session, run_id))


@router.get("/datasets", response_model=list[DatasetCounts])
def datasets(stores: StoresDep) -> Any:
    """Every loaded dataset with its raw, curated and quarantined row counts."""
    return service.dataset_counts(stores)


@router.get("/datasets/{dataset_id}/quarantine", response_model=list[QuarantineRow])
def quarantine(
    dataset_id: str,
    stores: StoresDep,
    response: Response,
    limit: int = Query(100, ge=1, le=1000),
    offset: int = Query(0, ge=0),
) -> Any:
    rows, total = service.quarantine(stores.lake, dataset_id, limit, offset)
    response.headers["X-Total-Count"] = str(total)
    return rows
