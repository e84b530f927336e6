"""HTTP routes of the events domain, mounted at /api/v1/events, plus the Open311 router.

``open311_router`` (GeoReport v2 at /open311/v2) lives in :mod:`citybrain.events.open311`;
the app mounts it beside the domain routers.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from citybrain.deps import SessionDep
from citybrain.events import service
from citybrain.events.open311 import open311_router
from citybrain.events.schemas import (
    Action,
    ActionIn,
    AreaPublic,
    CaseDetail,
    CasePage,
    CasePublic,
    CategoryCreate,
    CategoryPublic,
    CategoryUpdate,
    ClearIn,
    ClearResult,
    Escalation,
    IntakeItem,
    IntakeResult,
    MetricRow,
    ReportBatch,
    ReportIn,
    Responsible,
    Scope,
    SlaCheckIn,
    SnapshotIn,
    SnapshotRow,
)

__all__ = ["router", "open311_router"]

router = APIRouter(tags=["events"])
Limit = Annotated[int, Query(ge=1, le=500)]


@router.get("/categories", response_model=list[CategoryPublic])
def list_categories(session: SessionDep) -> list[CategoryPublic]:
    service.ensure_categories(session)
    return [CategoryPublic.model_validate(c) for c in service.list_categories(session)]


@router.post("/categories", response_model=CategoryPublic, status_code=status.HTTP_201_CREATED)
def create_category(data: CategoryCreate, session: SessionDep, response: Response
                    ) -> CategoryPublic:  # fmt: skip
    row, created = service.create_category(session, data)
    if not created:
        response.status_code = status.HTTP_200_OK
    return CategoryPublic.model_validate(row)


@router.get("/categories.yaml", response_class=Response)
def export_categories(session: SessionDep) -> Response:
    """The catalogue as YAML, in the format of the shipped file."""
    service.ensure_categories(session)
    return Response(service.export_yaml(session), media_type="application/yaml")


@router.post("/categories/reload", response_model=dict[str, int])
def reload_categories(session: SessionDep) -> dict[str, int]:
    """Reset the catalogue to the shipped YAML (edits made through the API are replaced)."""
    return {"changed": service.load_categories(session)}


@router.get("/categories/{code}", response_model=CategoryPublic)
def get_category(code: str, session: SessionDep) -> CategoryPublic:
    service.ensure_categories(session)
    return CategoryPublic.model_validate(service.get_category(session, code))


@router.patch("/categories/{code}", response_model=CategoryPublic)
def update_category(code: str, data: CategoryUpdate, session: SessionDep) -> CategoryPublic:
    service.ensure_categories(session)
    return CategoryPublic.model_validate(service.update_category(session, code, data))


@router.get("/areas", response_model=list[AreaPublic])
def list_areas(
    session: SessionDep,
    level: Annotated[str | None, Query(pattern="^(grid|community|street|district)$")] = None,
    parent: str | None = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 1000,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[AreaPublic]:
    rows = service.list_areas(session, level, parent, limit, offset)
    return [AreaPublic.model_validate(a) for a in rows]


@router.get("/areas/{code}", response_model=AreaPublic)
def get_area(code: str, session: SessionDep) -> AreaPublic:
    return AreaPublic.model_validate(service.get_area(session, code))


@router.get("/grids.geojson", response_class=Response)
def grids_geojson(
    session: SessionDep, simplify: Annotated[float, Query(ge=0, le=0.01)] = 0.0
) -> Response:
    """All grid cells as GeoJSON (feature ``properties.name`` is the grid code)."""
    return Response(
        service.grids_geojson(session, simplify),
        media_type="application/geo+json",
        headers={"Cache-Control": "max-age=300"},
    )


def _responsible(session: SessionDep, grid_code: str) -> Responsible:
    chain = service.responsible(session, grid_code)
    return Responsible(
        grid=AreaPublic.model_validate(chain["grid"]),
        community=AreaPublic.model_validate(chain["community"]) if chain["community"] else None,
        street=AreaPublic.model_validate(chain["street"]) if chain["street"] else None,
        district=AreaPublic.model_validate(chain["district"]) if chain["district"] else None,
        worker=chain["grid"].worker,
    )


@router.get("/grids/{code}/responsible", response_model=Responsible)
def grid_responsible(code: str, session: SessionDep) -> Responsible:
    """Who answers for a grid: its worker, community, street and district."""
    return _responsible(session, code)


@router.get("/lookup", response_model=Responsible)
def lookup(
    session: SessionDep,
    lon: Annotated[float, Query(ge=-180, le=180)],
    lat: Annotated[float, Query(ge=-90, le=90)],
) -> Responsible:
    """The grid holding a point, with its responsibility chain (404 outside the city)."""
    import numpy as np

    from citybrain.events.errors import OutsideCity

    code = service.lookup_points(session, np.array([lon]), np.array([lat]))[0]
    if code is None:
        raise OutsideCity()
    return _responsible(session, code)


@router.post(
    "/reports",
    response_model=IntakeItem,
    status_code=status.HTTP_201_CREATED,
    responses={200: {"description": "Merged into an existing case, or a repeat"}},
)
def create_report(data: ReportIn, session: SessionDep, response: Response) -> IntakeItem:
    """One report from any source; 4xx when it cannot become a case."""
    item = service.intake_one(session, data)
    if item.status != "created":
        response.status_code = status.HTTP_200_OK
    return item


@router.post("/reports/batch", response_model=IntakeResult)
def create_reports(data: ReportBatch, session: SessionDep) -> IntakeResult:
    """Many reports in one call (sensor gateways, video platforms, hotline exports). Unusable
    reports are kept for review and listed per item with their error code."""
    return service.intake(session, data.reports)


@router.post("/reports/clear", response_model=ClearResult)
def clear_report(data: ClearIn, session: SessionDep) -> ClearResult:
    """The source says the problem is gone (an alarm cleared): auto-verification hook."""
    case_id, verified = service.clear_source(session, data.source, data.source_ref,
                                             data.cleared_at)  # fmt: skip
    return ClearResult(case_id=case_id, auto_verified=verified)


@router.get("/cases", response_model=CasePage)
def list_cases(
    session: SessionDep,
    state: str | None = None,
    category: str | None = None,
    source: str | None = None,
    grid: str | None = None,
    district: str | None = None,
    department: str | None = None,
    overdue: bool | None = None,
    open_only: bool = False,
    q: Annotated[str | None, Query(max_length=100)] = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: Limit = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> CasePage:
    total, rows = service.list_cases(
        session, state=state, category=category, source=source, grid=grid, district=district,
        department=department, overdue=overdue, open_only=open_only, q=q, since=since,
        until=until, limit=limit, offset=offset,
    )  # fmt: skip
    return CasePage(total=total, items=[service.case_public(c) for c in rows])


@router.get("/cases/{case_id}", response_model=CaseDetail)
def get_case(case_id: int, session: SessionDep) -> CaseDetail:
    return service.case_detail(session, case_id)


@router.post("/cases/{case_id}/{action}", response_model=CasePublic)
def case_action(case_id: int, action: Action, data: ActionIn, session: SessionDep) -> CasePublic:
    """One workflow step; send the ``version`` you read (409 when the case changed since)."""
    return service.case_public(service.act(session, case_id, action, data))


@router.post("/sla/check", response_model=list[Escalation])
def sla_check(data: SlaCheckIn, session: SessionDep) -> list[Escalation]:
    """Flag overdue cases and escalate them one level (normally run by a timer)."""
    return service.check_sla(session, data.now)


@router.get("/metrics", response_model=list[MetricRow])
def metrics(
    session: SessionDep,
    by: Scope = "department",
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[MetricRow]:
    return service.compute_metrics(session, by, since, until)


@router.post("/snapshots", response_model=dict[str, int])
def take_snapshot(data: SnapshotIn, session: SessionDep) -> dict[str, int]:
    return {"rows": service.take_snapshot(session, data.day)}


@router.get("/snapshots", response_model=list[SnapshotRow])
def list_snapshots(
    session: SessionDep,
    by: Scope = "department",
    code: str | None = None,
    since: date | None = None,
    until: date | None = None,
) -> list[SnapshotRow]:
    return [SnapshotRow.model_validate(r)
            for r in service.list_snapshots(session, by, code, since, until)]  # fmt: skip


@router.get("/summary", response_model=dict[str, object])
def summary(session: SessionDep) -> dict[str, object]:
    return service.summary(session)
