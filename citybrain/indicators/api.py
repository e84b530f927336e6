"""HTTP routes of the indicators domain: library, values, series, checkups, cockpit data."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Query
from fastapi.responses import FileResponse, Response

from citybrain.deps import SessionDep, StoresDep
from citybrain.indicators import cockpit, service
from citybrain.indicators.definitions import IndicatorDef
from citybrain.indicators.errors import CheckupNotFound
from citybrain.indicators.schemas import (
    CheckupPublic,
    CheckupRequest,
    ComputeRequest,
    ComputeSummary,
    ValuePublic,
)

router = APIRouter(tags=["indicators"])


@router.get("/definitions", response_model=list[IndicatorDef])
def list_definitions() -> list[IndicatorDef]:
    return service.definitions()


@router.get("/definitions/{code}", response_model=IndicatorDef)
def get_definition(code: str) -> IndicatorDef:
    return service.definition(code)


@router.post("/compute", response_model=ComputeSummary)
def compute(stores: StoresDep, request: ComputeRequest | None = None) -> ComputeSummary:
    """Compute every indicator for a period (default today, UTC) and store the values."""
    period = (request.period if request else None) or service.today()
    results = service.compute(stores, period)
    return ComputeSummary(
        period=period,
        computed=len(results),
        ok=sum(1 for r in results if r.status == "ok"),
        unavailable=[r.code for r in results if r.status == "unavailable"],
        errors=[r.code for r in results if r.status == "error"],
    )


@router.get("/values", response_model=list[ValuePublic])
def values(
    session: SessionDep, period: date | None = None, code: str | None = None
) -> list[ValuePublic]:
    """Stored values of one period (default: the latest computed)."""
    period = period or service.latest_period(session)
    if period is None:
        return []
    return [ValuePublic.model_validate(v) for v in service.values_for(session, period, code)]


@router.get("/series/{code}")
def series(
    code: str,
    session: SessionDep,
    dim: str = Query("city", pattern="^(city|district)$"),
    dim_value: str = Query("", max_length=32),
) -> list[dict[str, Any]]:
    return service.series(session, code, dim, dim_value)


@router.post("/checkups", response_model=CheckupPublic, status_code=201)
def run_checkup(stores: StoresDep, request: CheckupRequest | None = None) -> CheckupPublic:
    """一键体检: compute, score, compare with the last checkup, write the reports."""
    request = request or CheckupRequest()
    checkup = service.run_checkup(stores, request.period, pdf=request.pdf)
    return CheckupPublic.model_validate(checkup)


@router.get("/checkups", response_model=list[CheckupPublic])
def list_checkups(session: SessionDep) -> list[CheckupPublic]:
    return [CheckupPublic.model_validate(c) for c in service.list_checkups(session)]


@router.get("/checkups/{checkup_id}", response_model=CheckupPublic)
def get_checkup(checkup_id: int, session: SessionDep) -> CheckupPublic:
    return CheckupPublic.model_validate(service.get_checkup(session, checkup_id))


@router.get("/checkups/{checkup_id}/report.{fmt}")
def checkup_report(checkup_id: int, fmt: str, session: SessionDep) -> Response:
    checkup = service.get_checkup(session, checkup_id)
    path = {"html": checkup.html_path, "pdf": checkup.pdf_path}.get(fmt, "")
    if not path or not Path(path).exists():
        raise CheckupNotFound(checkup_id)
    media = "text/html; charset=utf-8" if fmt == "html" else "application/pdf"
    return FileResponse(path, media_type=media)


@router.get("/cockpit/summary")
def cockpit_summary(stores: StoresDep) -> dict[str, Any]:
    """KPI cards and trend series of the cockpit, aggregated on the server."""
    return cockpit.summary(stores)


@router.get("/cockpit/map")
def cockpit_map(
    stores: StoresDep,
    layer: str = Query("population", pattern="^[a-z_]{1,32}$"),
    district: str | None = Query(None, pattern=r"^\d{6}$"),
) -> dict[str, Any]:
    """One map layer: the areas' GeoJSON plus one value per area (city → districts → grids)."""
    return cockpit.map_layer(stores, layer, district)


@router.get("/cockpit/grid")
def cockpit_grid(stores: StoresDep, code: str = Query(..., pattern=r"^\d{15}$")) -> dict[str, Any]:
    """Drill-down to one grid cell: its latest cases, each linking to the case page."""
    return cockpit.grid_detail(stores, code)


@router.get("/cockpit/live")
def cockpit_live(stores: StoresDep) -> dict[str, Any]:
    """Small, cheap numbers the cockpit polls for live updates (cases and alarms)."""
    return cockpit.live(stores)
