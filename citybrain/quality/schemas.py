"""Request and response models of the quality API."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class TicketAction(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: Literal["acknowledge", "resolve", "reopen"]
    actor: str = Field("officer", max_length=64)
    note: str = Field("", max_length=2000)


class TicketPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    dataset: str
    rule_key: str
    department: str
    dimension: str
    field: str
    description: str
    state: str
    failed: int
    checked: int
    samples: list[Any]
    opened_at: datetime
    due_at: datetime
    updated_at: datetime
    closed_at: datetime | None


class TicketEventPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    at: datetime
    action: str
    state: str
    failed: int
    actor: str
    note: str


class ScanPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    dataset: str
    department: str
    lake_table: str
    load_ref: str
    rows: int
    score: float | None
    dimension_scores: dict[str, Any]
    field_scores: dict[str, Any]
    seconds: float
    scanned_at: datetime


class ResultPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    rule_key: str
    dimension: str
    field: str
    description: str
    checked: int
    failed: int
    score: float | None
    error: str | None
    samples: list[Any]
