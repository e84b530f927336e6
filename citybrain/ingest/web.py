"""Console pages of ingest: datasets with counts, recent runs, a dataset's quarantine."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from citybrain.ingest import service
from citybrain.web.console import NavItem, render

NAV_ITEMS = (NavItem("/ingest", "数据汇聚", "Ingestion", 25),)

router = APIRouter(include_in_schema=False)


@router.get("/ingest", response_class=HTMLResponse)
def ingest_page(request: Request) -> Response:
    stores = request.app.state.stores
    counts = service.dataset_counts(stores)
    with stores.sessions() as session:
        runs = service.list_runs(session, limit=30)
    return render(request, "ingest_overview.html", {"datasets": counts, "runs": runs})


@router.get("/ingest/{dataset_id}/quarantine", response_class=HTMLResponse)
def quarantine_page(request: Request, dataset_id: str) -> Response:
    rows, total = service.quarantine(request.app.state.stores.lake, dataset_id, limit=500)
    return render(
        request, "ingest_quarantine.html", {"dataset_id": dataset_id, "rows": rows, "total": total}
    )
