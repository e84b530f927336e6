"""Pydantic families of the catalog API: entries, fields, distributions, versions, lineage."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from citybrain.catalog import vocab

DatasetId = Annotated[
    str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,63}(\.[a-z0-9_]{1,63}){0,3}$")
]
Text128 = Annotated[str, StringConstraints(strip_whitespace=True, max_length=128)]
Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=256)]
FieldName = Annotated[str, StringConstraints(min_length=1, max_length=128)]
Sensitivity = Literal["none", "personal", "sensitive"]
Grade = Literal["core", "important", "general"]
ShareType = Literal["unconditional", "conditional", "none"]
OpenType = Literal["unconditional", "conditional", "none"]
Cycle = Literal[
    "realtime", "hourly", "daily", "weekly", "monthly", "quarterly", "yearly", "irregular"
]
FieldType = Literal["string", "integer", "decimal", "float", "date", "datetime", "boolean"]
AccessRights = Literal["PUBLIC", "RESTRICTED", "NON_PUBLIC"]
Layer = Literal["source", "raw", "curated", "registry"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FieldSpec(_Strict):
    """A field as declared by its owner."""

    name: FieldName
    label_zh: Text128 = ""
    type: FieldType = "string"
    data_element: str = Field("none", description="Data element (数据元), see docs/catalog.md")
    sensitivity: Sensitivity = "none"
    security_grade: Grade | None = Field(None, description="Default: derived from sensitivity")
    description: str = ""

    @field_validator("data_element")
    @classmethod
    def _known_element(cls, value: str) -> str:
        if value not in vocab.data_elements():
            raise ValueError(f"unknown data element (未知数据元): {value}")
        return value


class Distribution(_Strict):
    """How the data is delivered (DCAT distribution): a file, a database table or an API."""

    format: Literal["csv", "xlsx", "json", "ndjson", "parquet", "sqlite", "sql", "http"]
    access_url: str = Field(description="File path, SQLAlchemy URL or HTTP URL")
    encoding: str | None = None
    table: str | None = None
    query: str | None = None
    sheet: str | None = None
    record_path: str | None = None
    media_type: str = ""


class DatasetBase(_Strict):
    title: Title
    title_en: Annotated[str, StringConstraints(max_length=256)] = ""
    description: str = ""
    publisher: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{1,63}$")]
    publisher_name: Text128 = ""
    contact_name: Text128 = ""
    contact_email: Annotated[str, StringConstraints(max_length=256)] = ""
    keywords: list[Text128] = []
    themes: list[str] = []
    spatial: Text128 = ""
    temporal_start: date | None = None
    temporal_end: date | None = None
    update_cycle: Cycle = "irregular"
    issued: datetime | None = None
    access_rights: AccessRights | None = Field(None, description="Default: from open type")
    conforms_to: list[str] = []
    provenance: str = ""
    distributions: list[Distribution] = []
    share_type: ShareType = "conditional"
    share_basis: str = Field("", description="Legal basis; required unless unconditional")
    open_type: OpenType = "none"
    security_grade: Grade | None = Field(None, description="Default: highest field grade")
    source_system: Text128 = ""
    primary_key: list[FieldName] = []
    watermark_field: FieldName | None = None
    record_count: int | None = Field(None, ge=0)
    fields: list[FieldSpec] = []

    @field_validator("themes")
    @classmethod
    def _known_themes(cls, value: list[str]) -> list[str]:
        unknown = [t for t in value if t not in vocab.THEMES]
        if unknown:
            raise ValueError(f"unknown theme (未知主题): {', '.join(unknown)}")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> DatasetBase:
        if self.share_type != "unconditional" and not self.share_basis.strip():
            raise ValueError("share_basis (共享依据) is required for conditional or no sharing")
        names = [f.name for f in self.fields]
        if len(set(names)) != len(names):
            raise ValueError("field names must be unique (字段名重复)")
        if self.fields:
            missing = [k for k in self.primary_key if k not in names]
            if self.watermark_field and self.watermark_field not in names:
                missing.append(self.watermark_field)
            if missing:
                raise ValueError(f"key/watermark fields not declared: {', '.join(missing)}")
        return self


class DatasetCreate(DatasetBase):
    id: DatasetId = Field(description="Stable id, <department>.<name>, e.g. gongan.hukou")


class DatasetUpdate(_Strict):
    """Partial change; any field of the entry except its id."""

    title: Title | None = None
    title_en: str | None = None
    description: str | None = None
    publisher_name: Text128 | None = None
    contact_name: Text128 | None = None
    contact_email: str | None = None
    keywords: list[Text128] | None = None
    themes: list[str] | None = None
    spatial: Text128 | None = None
    update_cycle: Cycle | None = None
    access_rights: AccessRights | None = None
    conforms_to: list[str] | None = None
    provenance: str | None = None
    share_type: ShareType | None = None
    share_basis: str | None = None
    open_type: OpenType | None = None
    security_grade: Grade | None = None
    source_system: Text128 | None = None
    note: Annotated[str, StringConstraints(max_length=256)] = ""


class FieldPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    position: int
    name: str
    label_zh: str
    type: str
    data_element: str
    sensitivity: str
    security_grade: str
    description: str


class DatasetPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    title: str
    title_en: str
    description: str
    publisher: str
    publisher_name: str
    contact_name: str
    contact_email: str
    keywords: list[str]
    themes: list[str]
    spatial: str
    temporal_start: date | None
    temporal_end: date | None
    update_cycle: str
    issued: datetime | None
    modified: datetime | None
    access_rights: str
    conforms_to: list[str]
    provenance: str
    distributions: list[dict[str, Any]]
    share_type: str
    share_basis: str
    open_type: str
    security_grade: str
    source_system: str
    primary_key: list[str]
    watermark_field: str | None
    record_count: int | None
    status: str
    version: int
    created_at: datetime
    updated_at: datetime
    fields: list[FieldPublic]


class DatasetSummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    title: str
    publisher: str
    publisher_name: str
    themes: list[str]
    update_cycle: str
    share_type: str
    open_type: str
    security_grade: str
    record_count: int | None
    status: str
    version: int


class VersionPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    dataset_id: str
    version: int
    note: str
    changed_at: datetime
    snapshot: dict[str, Any]


class LineageEdge(_Strict):
    source_layer: Layer
    source_dataset: Annotated[str, StringConstraints(min_length=1, max_length=128)]
    source_field: FieldName
    target_layer: Layer
    target_dataset: Annotated[str, StringConstraints(min_length=1, max_length=128)]
    target_field: FieldName
    transform: Annotated[str, StringConstraints(max_length=256)] = ""
    recorded_by: Annotated[str, StringConstraints(max_length=32)] = ""


class LineagePublic(LineageEdge):
    model_config = ConfigDict(from_attributes=True, extra="ignore")

    id: int
    created_at: datetime


class RegisterResult(BaseModel):
    created: list[str]
    updated: list[str]
    unchanged: list[str]
