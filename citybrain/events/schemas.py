"""Pydantic families of the events API: reports in, cases out, workflow actions, metrics."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Source = Literal["sensor", "video", "citizen", "patrol", "hotline", "open311"]
SOURCES: tuple[str, ...] = ("sensor", "video", "citizen", "patrol", "hotline", "open311")
Scope = Literal["department", "grid", "district"]
Action = Literal[
    "file", "reject", "cancel", "dispatch", "handle", "feedback", "verify", "rework",
    "close", "return", "extend", "suspend", "resume", "void",
]  # fmt: skip

ShortText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
LongText = Annotated[str, StringConstraints(max_length=4000)]
Ref = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
MediaRef = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ReportIn(_Strict):
    """One report from any source. A location is a point, a building, an address or a grid
    a trusted source (a registered device, a grid worker) vouches for."""

    source: Source
    source_ref: Ref | None = Field(
        None, description="The source's own id of this report; makes re-sending harmless"
    )
    channel: Annotated[str, StringConstraints(max_length=32)] = ""
    category: Code | None = Field(
        None, description="Category code or alias; empty: classified from the text"
    )
    title: ShortText = ""
    description: LongText = ""
    lon: float | None = Field(None, ge=-180, le=180)
    lat: float | None = Field(None, ge=-90, le=90)
    address: Annotated[str, StringConstraints(strip_whitespace=True, max_length=256)] = ""
    building_id: Annotated[str, StringConstraints(max_length=32)] | None = None
    grid_code: Annotated[str, StringConstraints(max_length=32)] | None = None
    media: list[MediaRef] = Field(default_factory=list, max_length=9)
    confidence: float | None = Field(None, ge=0, le=1)
    reporter: Annotated[str, StringConstraints(max_length=64)] = ""
    contact: Annotated[str, StringConstraints(max_length=128)] = ""
    reported_at: datetime | None = None


class ReportBatch(_Strict):
    reports: list[ReportIn] = Field(min_length=1, max_length=10_000)


class IntakeItem(BaseModel):
    """What became of one report: ``created``, ``merged``, ``repeat`` (seen before) or
    ``rejected`` (kept for review, with the error code)."""

    index: int
    status: Literal["created", "merged", "repeat", "rejected"]
    case_id: int | None = None
    error: str | None = None
    grid_code: str | None = None


class IntakeResult(BaseModel):
    created: int = 0
    merged: int = 0
    repeat: int = 0
    rejected: int = 0
    dispatched: int = 0
    items: list[IntakeItem] = Field(default_factory=list)


class ActionIn(_Strict):
    """A workflow step. ``version`` is the case version the actor saw (optimistic lock)."""

    version: int = Field(ge=1)
    actor: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
    note: LongText = ""
    reason: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] = ""
    approver: Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)] = ""
    attachments: list[MediaRef] = Field(default_factory=list, max_length=20)
    department_code: Code | None = Field(None, description="dispatch: override the routing")
    hours: float | None = Field(None, gt=0, le=24 * 90, description="extend: extra hours")
    category: Code | None = Field(None, description="file: reclassify before filing")


class ClearIn(_Strict):
    source: Source
    source_ref: Ref
    cleared_at: datetime | None = None


class SlaCheckIn(_Strict):
    now: datetime | None = None


class SnapshotIn(_Strict):
    day: date | None = None


class CategoryBase(_Strict):
    kind: Literal["component", "event"]
    major_code: Annotated[str, StringConstraints(pattern=r"^\d{2}$")]
    major_name: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    minor_code: Annotated[str, StringConstraints(pattern=r"^\d{2}$")]
    name: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    name_en: Annotated[str, StringConstraints(max_length=128)] = ""
    department_code: Annotated[str, StringConstraints(min_length=1, max_length=32)]
    sla_dispatch_h: float = Field(2, gt=0, le=24 * 90)
    sla_handle_h: float = Field(24, gt=0, le=24 * 365)
    sla_verify_h: float = Field(4, gt=0, le=24 * 90)
    filing_criteria: Annotated[str, StringConstraints(max_length=2000)] = ""
    dedupe_radius_m: float = Field(60, ge=0, le=5000)
    dedupe_window_h: float = Field(24, ge=0, le=24 * 30)
    min_confidence: float = Field(0, ge=0, le=1)
    auto_dispatch_sources: list[Source] = Field(default_factory=lambda: ["patrol"])
    auto_verify: bool = False
    aliases: list[Annotated[str, StringConstraints(min_length=1, max_length=64)]] = Field(
        default_factory=list, max_length=50
    )
    keywords: list[Annotated[str, StringConstraints(min_length=1, max_length=32)]] = Field(
        default_factory=list, max_length=50
    )
    active: bool = True


class CategoryCreate(CategoryBase):
    code: Annotated[str, StringConstraints(pattern=r"^[CE]-\d{2}-\d{2}$")] = Field(
        description="C-<major>-<minor> for components (部件), E-… for events (事件)"
    )


class CategoryUpdate(_Strict):
    major_name: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = None
    name: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = None
    name_en: Annotated[str, StringConstraints(max_length=128)] | None = None
    department_code: Annotated[str, StringConstraints(min_length=1, max_length=32)] | None = None
    sla_dispatch_h: float | None = Field(None, gt=0, le=24 * 90)
    sla_handle_h: float | None = Field(None, gt=0, le=24 * 365)
    sla_verify_h: float | None = Field(None, gt=0, le=24 * 90)
    filing_criteria: Annotated[str, StringConstraints(max_length=2000)] | None = None
    dedupe_radius_m: float | None = Field(None, ge=0, le=5000)
    dedupe_window_h: float | None = Field(None, ge=0, le=24 * 30)
    min_confidence: float | None = Field(None, ge=0, le=1)
    auto_dispatch_sources: list[Source] | None = None
    auto_verify: bool | None = None
    aliases: list[Annotated[str, StringConstraints(min_length=1, max_length=64)]] | None = None
    keywords: list[Annotated[str, StringConstraints(min_length=1, max_length=32)]] | None = None
    active: bool | None = None


class CategoryPublic(CategoryBase):
    model_config = ConfigDict(from_attributes=True)

    code: str
    updated_at: datetime | None = None


class AreaPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    level: str
    name: str
    parent_code: str | None
    district_code: str | None
    lon: float
    lat: float
    worker: str


class Responsible(BaseModel):
    """Who answers for a grid (网格责任体系): worker, community, street, district."""

    grid: AreaPublic
    community: AreaPublic | None
    street: AreaPublic | None
    district: AreaPublic | None
    worker: str


class StepPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    action: str
    from_state: str | None
    to_state: str
    actor: str
    at: datetime
    note: str
    reason: str
    approver: str
    attachments: list[str]
    data: dict[str, object]


class ReportPublic(BaseModel):
    """A report as operators see it (the reporter's contact stays out)."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    source: str
    source_ref: str
    channel: str
    category_code: str
    title: str
    description: str
    lon: float
    lat: float
    address: str
    located_by: str
    media: list[str]
    confidence: float | None
    reported_at: datetime
    cleared_at: datetime | None


class CasePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    case_no: str
    version: int
    state: str
    title: str
    description: str
    category_code: str
    source: str
    grid_code: str
    community_code: str
    street_code: str
    district_code: str
    lon: float
    lat: float
    address: str
    department_code: str
    level: str
    overdue: bool
    report_count: int
    rework_count: int
    extension_count: int
    escalation_count: int
    reported_at: datetime
    filed_at: datetime | None
    dispatched_at: datetime | None
    feedback_at: datetime | None
    verified_at: datetime | None
    closed_at: datetime | None
    due_dispatch_at: datetime | None
    due_handle_at: datetime | None
    due_verify_at: datetime | None
    closed_on_time: bool | None
    allowed_actions: list[str] = Field(default_factory=list)


class CaseDetail(CasePublic):
    reports: list[ReportPublic]
    steps: list[StepPublic]


class CasePage(BaseModel):
    total: int
    items: list[CasePublic]


class MetricRow(BaseModel):
    """Evaluation (综合评价) of one department, grid or district."""

    scope: str
    scope_code: str
    filed: int
    closed: int
    closed_on_time: int
    reworked: int
    extended: int
    close_rate: float
    on_time_rate: float
    rework_rate: float
    extension_rate: float
    avg_hours: dict[str, float | None]
    score: float
    rank: int


class SnapshotRow(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    day: date
    scope: str
    scope_code: str
    filed: int
    closed: int
    close_rate: float
    on_time_rate: float
    rework_rate: float
    extension_rate: float
    score: float
    rank: int


class Escalation(BaseModel):
    case_id: int
    from_level: str
    to_level: str


class ClearResult(BaseModel):
    case_id: int | None
    auto_verified: bool
