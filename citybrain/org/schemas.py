"""Pydantic families (Base / Create / Update / Public) of the org API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

DistrictCode = Annotated[str, StringConstraints(pattern=r"^\d{6}$")]
DepartmentCode = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{1,31}$")]
NameZh = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
NameEn = Annotated[str, StringConstraints(strip_whitespace=True, max_length=128)]
DistrictKind = Literal["district", "county", "county_city"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DistrictCreate(_Strict):
    code: DistrictCode = Field(description="GB/T 2260 six-digit code, e.g. 370202")
    name_zh: NameZh
    name_en: NameEn = ""
    kind: DistrictKind = "district"


class DistrictUpdate(_Strict):
    name_zh: NameZh | None = None
    name_en: NameEn | None = None
    kind: DistrictKind | None = None


class DistrictPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    name_zh: str
    name_en: str
    kind: str
    created_at: datetime
    updated_at: datetime


class DepartmentCreate(_Strict):
    code: DepartmentCode = Field(description="Short stable code, e.g. gongan, weijian")
    name_zh: NameZh
    name_en: NameEn = ""
    district_code: DistrictCode | None = Field(
        None, description="Owning district for a district office; empty for city departments"
    )


class DepartmentUpdate(_Strict):
    name_zh: NameZh | None = None
    name_en: NameEn | None = None
    district_code: DistrictCode | None = None


class DepartmentPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    name_zh: str
    name_en: str
    district_code: str | None
    created_at: datetime
    updated_at: datetime
