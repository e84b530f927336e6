"""Request and response models of the standards API."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class ValidateRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    element: str = Field(description="Data element code, e.g. id_card")
    values: list[str | None] = Field(max_length=100_000)


class CheckResult(BaseModel):
    value: str | None
    valid: bool
    normalized: str | None
    reason: str | None


class ElementPublic(BaseModel):
    code: str
    name_zh: str
    name_en: str
    standard: str


class AddressRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=500)
