"""Response and request models of the indicators API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict


class ComputeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    period: date | None = None


class CheckupRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    period: date | None = None
    pdf: bool = True


class ValuePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    code: str
    period: date
    dim: str
    dim_value: str
    value: float | None
    status: str
    note: str


class ComputeSummary(BaseModel):
    period: date
    computed: int
    ok: int
    unavailable: list[str]
    errors: list[str]


class CheckupPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    period: date
    created_at: datetime
    overall_score: float | None
    summary: dict[str, Any]
