"""HTTP routes of the catalog: browse, search, register, change, versions, lineage, DCAT."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Response, status

from citybrain.catalog import service
from citybrain.catalog.schemas import (
    DatasetCreate,
    DatasetPublic,
    DatasetSummary,
    DatasetUpdate,
    LineageEdge,
    LineagePublic,
    VersionPublic,
)
from citybrain.deps import SessionDep

router = APIRouter(tags=["catalog"])


@router.get("/datasets")
def search_datasets(
    session: SessionDep,
    response: Response,
    q: str | None = Query(None, max_length=200, description="Keywords (title, fields …)"),
    department: str | None = Query(None, max_length=128),
    theme: str | None = Query(None, max_length=8),
    grade: str | None = Query(None, pattern="^(core|important|general)$"),
    share_type: str | None = Query(None, pattern="^(unconditional|conditional|none)$"),
    open_type: str | None = Query(None, pattern="^(unconditional|conditional|none)$"),
    include_withdrawn: bool = False,
    limit: int = Query(100, ge=1, le=1000),
    offset: int = Query(0, ge=0),
) -> list[DatasetSummary]:
    """Search the catalog; the total is in the ``X-Total-Count`` header."""
    page, total = service.search(
        session,
        q,
        department,
        theme,
        grade,
        share_type,
        open_type,
        include_withdrawn,
        limit,
        offset,
    )
    response.headers["X-Total-Count"] = str(total)
    return [DatasetSummary.model_validate(d) for d in page]


@router.post(
    "/datasets",
    response_model=DatasetPublic,
    status_code=status.HTTP_201_CREATED,
    responses={200: {"description": "Changed (new version) or unchanged"}},
)
def register_dataset(data: DatasetCreate, session: SessionDep, response: Response) -> Any:
    dataset, outcome = service.upsert_dataset(session, data)
    if outcome != "created":
        response.status_code = status.HTTP_200_OK
    return DatasetPublic.model_validate(dataset)


@router.get("/datasets/{dataset_id}", response_model=DatasetPublic)
def get_dataset(dataset_id: str, session: SessionDep) -> Any:
    return DatasetPublic.model_validate(service.get_dataset(session, dataset_id))


@router.patch("/datasets/{dataset_id}", response_model=DatasetPublic)
def update_dataset(dataset_id: str, data: DatasetUpdate, session: SessionDep) -> Any:
    return DatasetPublic.model_validate(service.update_dataset(session, dataset_id, data))


@router.delete("/datasets/{dataset_id}", response_model=DatasetPublic)
def withdraw_dataset(dataset_id: str, session: SessionDep) -> Any:
    """Withdraw (撤销): the entry and its history stay, marked withdrawn."""
    return DatasetPublic.model_validate(service.withdraw_dataset(session, dataset_id))


@router.get("/datasets/{dataset_id}/versions", response_model=list[VersionPublic])
def list_versions(dataset_id: str, session: SessionDep) -> Any:
    return [VersionPublic.model_validate(v) for v in service.versions(session, dataset_id)]


@router.get("/datasets/{dataset_id}/versions/{version}", response_model=VersionPublic)
def get_version(dataset_id: str, version: int, session: SessionDep) -> Any:
    return VersionPublic.model_validate(service.get_version(session, dataset_id, version))


@router.get("/datasets/{dataset_id}/lineage", response_model=list[LineagePublic])
def get_lineage(dataset_id: str, session: SessionDep) -> Any:
    service.get_dataset(session, dataset_id)
    table = dataset_id.replace(".", "__")
    edges = {e.id: e for e in service.lineage(session, dataset_id)}
    edges.update({e.id: e for e in service.lineage(session, table)})
    return [LineagePublic.model_validate(e) for e in sorted(edges.values(), key=lambda e: e.id)]


@router.post("/lineage", status_code=status.HTTP_200_OK)
def add_lineage(edges: list[LineageEdge], session: SessionDep) -> dict[str, int]:
    return {"added": service.record_lineage(session, edges)}


@router.get("/datasets/{dataset_id}/dcat")
def get_dcat(dataset_id: str, session: SessionDep) -> dict[str, Any]:
    """The entry as DCAT-AP 3 JSON-LD."""
    return service.dcat(service.get_dataset(session, dataset_id))


@router.get("/stats")
def stats(session: SessionDep) -> dict[str, int]:
    return service.counts(session)
