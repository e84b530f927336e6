"""HTTP routes of the fusion domain: registry lookups and 实有人口 counts.

Lookups answer with ID and phone numbers masked (see :mod:`citybrain.privacy`): nothing
here grants more; a department that needs them whole asks through data sharing.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query

from citybrain.deps import LakeDep
from citybrain.fusion import service
from citybrain.privacy import mask_tree

router = APIRouter(tags=["fusion"])


@router.get("/summary")
def summary(lake: LakeDep) -> dict[str, Any]:
    """Counts of the base registries and the last fusion run."""
    return service.summary(lake)


@router.get("/persons")
def find_persons(
    lake: LakeDep,
    id_number: str | None = Query(None, max_length=32),
    name: str | None = Query(None, max_length=64),
    limit: int = Query(20, ge=1, le=200),
) -> list[dict[str, Any]]:
    """Find persons by ID number (15 or 18 digits) or by name."""
    found = service.find_person(lake, id_number=id_number, name=name, limit=limit)
    return mask_tree(found, service.PERSONAL_FIELDS)


@router.get("/persons/{person_id}")
def get_person(person_id: str, lake: LakeDep) -> dict[str, Any]:
    """A person's golden record with provenance, source records and links."""
    return mask_tree(service.get_person(lake, person_id), service.PERSONAL_FIELDS)


@router.get("/companies/{key}")
def get_company(key: str, lake: LakeDep) -> dict[str, Any]:
    """A company (registry id or USCC) with its sources and people."""
    return mask_tree(service.get_company(lake, key), service.PERSONAL_FIELDS)


@router.get("/buildings/{building_id}")
def building(building_id: str, lake: LakeDep) -> dict[str, Any]:
    """Who lives in a building."""
    return mask_tree(service.building_people(lake, building_id), service.PERSONAL_FIELDS)


@router.get("/residents")
def residents(
    lake: LakeDep,
    level: str = Query("district", pattern="^(district|community|grid|building)$"),
    district: str | None = Query(None, pattern=r"^\d{6}$"),
) -> dict[str, int]:
    """实有人口 per area code."""
    return service.resident_counts(lake, level, district)
