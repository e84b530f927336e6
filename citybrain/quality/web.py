"""Console pages of the quality domain: department scorecards, open tickets, dataset reports."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from citybrain.quality import service
from citybrain.quality.rules import DIMENSIONS
from citybrain.web.console import NavItem, render

NAV_ITEMS = (NavItem("/quality", "数据质量", "Data quality", 40),)

router = APIRouter(include_in_schema=False)


@router.get("/quality", response_class=HTMLResponse)
def quality_page(request: Request) -> Response:
    with request.app.state.stores.sessions() as session:
        cards = service.scorecards(session)
        tickets = service.list_tickets(session, active_only=True)
        scans = service.latest_scans(session)
        overdue = {t.id for t in tickets if service.is_overdue(t)}
    return render(
        request,
        "quality_overview.html",
        {
            "cards": cards,
            "tickets": tickets,
            "scans": scans,
            "overdue": overdue,
            "dimensions": DIMENSIONS,
        },
    )


@router.get("/quality/datasets/{dataset}", response_class=HTMLResponse)
def dataset_report(dataset: str, request: Request) -> Response:
    with request.app.state.stores.sessions() as session:
        scans = [s for s in service.latest_scans(session) if s.dataset == dataset]
        scan = scans[0] if scans else None
        results = service.scan_results(session, scan.id) if scan else []
        trend = service.trend(session, dataset=dataset)
        tickets = service.list_tickets(session, dataset=dataset)
    return render(
        request,
        "quality_dataset.html",
        {
            "dataset": dataset,
            "scan": scan,
            "results": results,
            "trend": trend,
            "tickets": tickets,
            "dimensions": DIMENSIONS,
        },
    )
