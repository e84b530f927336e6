"""Console pages of the catalog: search the data resource catalog, one entry with history."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from citybrain.catalog import service, vocab
from citybrain.web.console import NavItem, render

NAV_ITEMS = (NavItem("/catalog", "数据资源目录", "Data catalog", 20),)

router = APIRouter(include_in_schema=False)


@router.get("/catalog", response_class=HTMLResponse)
def catalog_page(
    request: Request,
    q: str | None = None,
    department: str | None = None,
    theme: str | None = None,
    grade: str | None = None,
) -> Response:
    with request.app.state.stores.sessions() as session:
        page, total = service.search(
            session, q or None, department or None, theme or None, grade or None, limit=500
        )
        stats = service.counts(session)
    return render(
        request,
        "catalog_list.html",
        {
            "datasets": page,
            "total": total,
            "stats": stats,
            "vocab": vocab,
            "query": {
                "q": q or "",
                "department": department or "",
                "theme": theme or "",
                "grade": grade or "",
            },
        },
    )


@router.get("/catalog/{dataset_id}", response_class=HTMLResponse)
def dataset_page(request: Request, dataset_id: str) -> Response:
    with request.app.state.stores.sessions() as session:
        dataset = service.get_dataset(session, dataset_id)
        versions = service.versions(session, dataset_id)
        edges = service.lineage(session, dataset_id) + service.lineage(
            session, dataset_id.replace(".", "__")
        )
        edges = sorted({e.id: e for e in edges}.values(), key=lambda e: e.id)
        return render(
            request,
            "catalog_dataset.html",
            {
                "d": dataset,
                "versions": versions,
                "edges": edges,
                "vocab": vocab,
            },
        )
