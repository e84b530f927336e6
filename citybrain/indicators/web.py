"""Console pages of the indicators domain: the cockpit (驾驶舱), the library, the checkups."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from citybrain.indicators import service
from citybrain.indicators.definitions import FAMILIES
from citybrain.web.console import NavItem, render

NAV_ITEMS = (
    NavItem("/cockpit", "驾驶舱", "Cockpit", 1),
    NavItem("/indicators", "指标与体检", "Indicators", 80),
)

router = APIRouter(include_in_schema=False)


@router.get("/cockpit", response_class=HTMLResponse)
def cockpit_page(request: Request) -> Response:
    return render(request, "indicators_cockpit.html", {})


@router.get("/indicators", response_class=HTMLResponse)
def indicators_page(request: Request) -> Response:
    stores = request.app.state.stores
    with stores.sessions() as session:
        period = service.latest_period(session)
        values = service.values_for(session, period) if period else []
        checkups = service.list_checkups(session)[:10]
    city = {v.code: v for v in values if v.dim == "city"}
    return render(
        request,
        "indicators_library.html",
        {
            "definitions": service.definitions(),
            "city": city,
            "period": period,
            "checkups": checkups,
            "families": FAMILIES,
        },
    )
