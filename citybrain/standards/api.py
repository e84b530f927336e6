"""HTTP routes of the standards domain."""

from __future__ import annotations

from fastapi import APIRouter

from citybrain.standards import service
from citybrain.standards.schemas import AddressRequest, CheckResult, ElementPublic, ValidateRequest

router = APIRouter(tags=["standards"])


@router.get("/elements", response_model=list[ElementPublic])
def list_elements() -> list[dict[str, str]]:
    return service.list_elements()


@router.post("/validate", response_model=list[CheckResult])
def validate(body: ValidateRequest) -> list[dict[str, object]]:
    return service.validate_values(body.element, body.values)


@router.post("/address/parse")
def parse_address(body: AddressRequest) -> dict[str, str | None]:
    return service.parse_address(body.text)
