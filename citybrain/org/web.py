"""Console pages of the org domain."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from citybrain.org import service
from citybrain.web.console import NavItem, render

NAV_ITEMS = (NavItem("/org", "组织机构", "Organisation", 10),)

router = APIRouter(include_in_schema=False)


@router.get("/org", response_class=HTMLResponse)
def org_page(request: Request) -> Response:
    with request.app.state.stores.sessions() as session:
        districts = service.list_districts(session)
        departments = service.list_departments(session)
    return render(request, "org.html", {"districts": districts, "departments": departments})
