"""Console pages: operator case list with map, case detail with timeline and actions, the
evaluation ranking, and a mobile report page for citizens. Counts are aggregated here on the
server; pages fetch only the grid GeoJSON and post actions to the API."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from citybrain.events import service
from citybrain.events.errors import STATE_ZH
from citybrain.events.metrics import SCOPES
from citybrain.events.schemas import SOURCES
from citybrain.events.workflow import RULES
from citybrain.web.console import NavItem, render

NAV_ITEMS = (
    NavItem("/events", "一网统管", "Cases", 60),
    NavItem("/events/stats", "考核评价", "Evaluation", 61),
)
router = APIRouter(include_in_schema=False)
SHANGHAI = ZoneInfo("Asia/Shanghai")
SOURCE_ZH = {
    "sensor": "物联感知",
    "video": "视频智能",
    "citizen": "市民上报",
    "patrol": "网格员巡查",
    "hotline": "12345热线",
    "open311": "Open311",
}
STATE_EN = {
    "reported": "reported",
    "filed": "filed",
    "rejected": "not accepted",
    "cancelled": "cancelled",
    "dispatched": "dispatched",
    "handling": "handling",
    "feedback": "fed back",
    "verified": "verified",
    "closed": "closed",
    "suspended": "suspended",
    "voided": "voided",
}
PAGE = 50


def _local(value: datetime | None) -> str:
    if value is None:
        return ""
    value = value.replace(tzinfo=UTC) if value.tzinfo is None else value
    return value.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


def _labels() -> dict[str, object]:
    return {"state_zh": STATE_ZH, "state_en": STATE_EN, "source_zh": SOURCE_ZH, "local": _local}


@router.get("/events", response_class=HTMLResponse)
def case_list(request: Request) -> Response:
    params = request.query_params
    filters = {k: params.get(k) or None for k in ("state", "source", "category", "district", "q")}
    overdue = params.get("overdue") == "1"
    try:
        page = max(1, int(params.get("page", "1")))
    except ValueError:
        page = 1
    with request.app.state.stores.sessions() as session:
        service.ensure_categories(session)
        session.commit()
        total, rows = service.list_cases(
            session,
            **filters,
            overdue=True if overdue else None,
            limit=PAGE,
            offset=(page - 1) * PAGE,
        )
        summary = service.summary(session)
        categories = service.list_categories(session)
        districts = service.list_areas(session, level="district")
    return render(
        request,
        "events_list.html",
        {
            "cases": rows,
            "total": total,
            "page": page,
            "pages": max(1, -(-total // PAGE)),
            "filters": filters,
            "overdue": overdue,
            "summary": summary,
            "categories": categories,
            "category_names": {c.code: c.name for c in categories},
            "districts": districts,
            "sources": SOURCES,
            "states": list(STATE_ZH),
            **_labels(),
            "base_qs": urlencode([(k, v) for k, v in params.multi_items() if k != "page"]),
        },
    )


@router.get("/events/cases/{case_id}", response_class=HTMLResponse)
def case_page(case_id: int, request: Request) -> Response:
    with request.app.state.stores.sessions() as session:
        detail = service.case_detail(session, case_id)
        category = service.get_category(session, detail.category_code)
        categories = service.list_categories(session, active_only=True)
    actions = [(a, RULES[a].zh, RULES[a].needs) for a in detail.allowed_actions]
    return render(
        request,
        "events_case.html",
        {
            "case": detail,
            "category": category,
            "actions": actions,
            "categories": categories,
            **_labels(),
        },
    )


@router.get("/events/stats", response_class=HTMLResponse)
def stats_page(request: Request) -> Response:
    by = request.query_params.get("by", "department")
    by = by if by in SCOPES else "department"
    with request.app.state.stores.sessions() as session:
        rows = service.compute_metrics(session, by)
        trend = service.list_snapshots(session, by)
    series: dict[str, list[list[object]]] = {}
    top = {r.scope_code for r in rows[:5]}
    for snap in trend:
        if snap.scope_code in top:
            series.setdefault(snap.scope_code, []).append([snap.day.isoformat(), snap.score])
    return render(
        request,
        "events_stats.html",
        {
            "rows": rows[:50],
            "by": by,
            "scopes": list(SCOPES),
            "trend": series,
        },
    )


@router.get("/events/report", response_class=HTMLResponse)
def report_page(request: Request) -> Response:
    """A phone-sized page: category, description, photo reference, location → Open311."""
    with request.app.state.stores.sessions() as session:
        service.ensure_categories(session)
        session.commit()
        categories = service.list_categories(session, active_only=True)
    return render(request, "events_report.html", {"categories": categories})
