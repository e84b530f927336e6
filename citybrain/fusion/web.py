"""Console pages of the fusion domain: registry overview, person and company records."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from citybrain.fusion import service
from citybrain.fusion.errors import RegistryMissing
from citybrain.privacy import mask_tree
from citybrain.web.console import NavItem, render

NAV_ITEMS = (NavItem("/fusion", "基础库", "Base registries", 40),)

router = APIRouter(include_in_schema=False)


@router.get("/fusion", response_class=HTMLResponse)
def overview(request: Request, q: str | None = None) -> Response:
    lake = request.app.state.stores.lake
    info = service.summary(lake)
    districts: dict[str, int] = {}
    found: list[dict[str, object]] = []
    if info.get("built"):
        districts = service.resident_counts(lake, "district")
        if q:
            digits = any(ch.isdigit() for ch in q)
            found = mask_tree(service.find_person(lake, id_number=q if digits else None,
                                                  name=None if digits else q),
                              service.PERSONAL_FIELDS)
    return render(request, "fusion_overview.html",
                  {"info": info, "districts": districts, "found": found, "q": q or "",
                   "max_residents": max(districts.values(), default=1)})


@router.get("/fusion/persons/{person_id}", response_class=HTMLResponse)
def person_page(request: Request, person_id: str) -> Response:
    lake = request.app.state.stores.lake
    try:
        detail = mask_tree(service.get_person(lake, person_id), service.PERSONAL_FIELDS)
    except RegistryMissing:
        detail = None
    return render(request, "fusion_person.html", {"d": detail, "person_id": person_id})
