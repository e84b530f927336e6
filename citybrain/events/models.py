"""Tables of the events domain: areas, categories, cases with their reports and timeline.

Cases carry the timestamps of every workflow stage and the seconds each stage took, so the
evaluation is plain SQL aggregation on either engine (no date arithmetic in SQL).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from citybrain.store.ops import Base, utcnow


class Area(Base):
    """A district, street, community or grid cell (网格) with its polygon as GeoJSON."""

    __tablename__ = "events_area"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    level: Mapped[str] = mapped_column(String(16), index=True)  # district/street/community/grid
    name: Mapped[str] = mapped_column(String(128))
    parent_code: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    district_code: Mapped[str | None] = mapped_column(String(32), nullable=True)
    geometry: Mapped[str] = mapped_column(Text)  # GeoJSON geometry, WGS84
    lon: Mapped[float] = mapped_column(Float)  # a point inside (label / map marker)
    lat: Mapped[float] = mapped_column(Float)
    worker: Mapped[str] = mapped_column(String(64), default="")  # grid worker (网格员) post


class Place(Base):
    """A building with its standard address: the geocoder's gazetteer (address → point)."""

    __tablename__ = "events_place"

    building_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    address: Mapped[str] = mapped_column(String(256), index=True)
    grid_code: Mapped[str] = mapped_column(String(32))
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)


class Category(Base):
    """An item of the case catalogue (事项清单) after GB/T 30428.2."""

    __tablename__ = "events_category"

    code: Mapped[str] = mapped_column(String(16), primary_key=True)  # e.g. E-05-02
    kind: Mapped[str] = mapped_column(String(16))  # component (部件) / event (事件)
    major_code: Mapped[str] = mapped_column(String(8))
    major_name: Mapped[str] = mapped_column(String(64))
    minor_code: Mapped[str] = mapped_column(String(8))
    name: Mapped[str] = mapped_column(String(64))
    name_en: Mapped[str] = mapped_column(String(128), default="")
    department_code: Mapped[str] = mapped_column(String(32))
    sla_dispatch_h: Mapped[float] = mapped_column(Float)
    sla_handle_h: Mapped[float] = mapped_column(Float)
    sla_verify_h: Mapped[float] = mapped_column(Float)
    filing_criteria: Mapped[str] = mapped_column(Text, default="")
    dedupe_radius_m: Mapped[float] = mapped_column(Float, default=50.0)
    dedupe_window_h: Mapped[float] = mapped_column(Float, default=24.0)
    min_confidence: Mapped[float] = mapped_column(Float, default=0.0)
    auto_dispatch_sources: Mapped[list[str]] = mapped_column(JSON, default=list)
    auto_verify: Mapped[bool] = mapped_column(Boolean, default=False)
    aliases: Mapped[list[str]] = mapped_column(JSON, default=list)
    keywords: Mapped[list[str]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )


class Case(Base):
    """One case (案件) on one grid cell; reports of the same problem merge into it."""

    __tablename__ = "events_case"
    __table_args__ = (
        Index("ix_events_case_state_category", "state", "category_code"),
        Index("ix_events_case_open_dedupe", "category_code", "is_open", "last_report_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    state: Mapped[str] = mapped_column(String(16))
    is_open: Mapped[bool] = mapped_column(Boolean, default=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    category_code: Mapped[str] = mapped_column(ForeignKey("events_category.code"))
    source: Mapped[str] = mapped_column(String(16), index=True)
    grid_code: Mapped[str] = mapped_column(String(32), index=True)
    community_code: Mapped[str] = mapped_column(String(32))
    street_code: Mapped[str] = mapped_column(String(32))
    district_code: Mapped[str] = mapped_column(String(32), index=True)
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    address: Mapped[str] = mapped_column(String(256), default="")
    department_code: Mapped[str] = mapped_column(String(32), index=True)
    level: Mapped[str] = mapped_column(String(16), default="grid")  # responsible level
    overdue: Mapped[bool] = mapped_column(Boolean, default=False)
    report_count: Mapped[int] = mapped_column(Integer, default=1)
    rework_count: Mapped[int] = mapped_column(Integer, default=0)
    extension_count: Mapped[int] = mapped_column(Integer, default=0)
    escalation_count: Mapped[int] = mapped_column(Integer, default=0)
    auto_verify: Mapped[bool] = mapped_column(Boolean, default=False)
    source_cleared: Mapped[bool] = mapped_column(Boolean, default=False)
    resume_state: Mapped[str | None] = mapped_column(String(16), nullable=True)
    suspended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    reported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    last_report_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    filed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    dispatched_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    handling_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    feedback_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    verified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    due_dispatch_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    due_handle_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    due_verify_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    closed_on_time: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    secs_to_file: Mapped[int | None] = mapped_column(Integer, nullable=True)
    secs_to_dispatch: Mapped[int | None] = mapped_column(Integer, nullable=True)
    secs_to_handle: Mapped[int | None] = mapped_column(Integer, nullable=True)
    secs_to_verify: Mapped[int | None] = mapped_column(Integer, nullable=True)
    secs_to_close: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    __mapper_args__ = {"version_id_col": version}


class Report(Base):
    """One report from one source; idempotent on (source, source_ref)."""

    __tablename__ = "events_report"
    __table_args__ = (UniqueConstraint("source", "source_ref", name="uq_events_report_source_ref"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(
        ForeignKey("events_case.id", ondelete="CASCADE"), index=True
    )
    source: Mapped[str] = mapped_column(String(16))
    source_ref: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(32), default="")
    category_code: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    address: Mapped[str] = mapped_column(String(256), default="")
    grid_code: Mapped[str] = mapped_column(String(32))
    located_by: Mapped[str] = mapped_column(String(16))  # grid/building/address/point
    media: Mapped[list[str]] = mapped_column(JSON, default=list)
    confidence: Mapped[float | None] = mapped_column(Float, nullable=True)
    reporter: Mapped[str] = mapped_column(String(64), default="")
    contact: Mapped[str] = mapped_column(String(128), default="")  # never shown publicly
    reported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    cleared_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class Step(Base):
    """One step of a case's timeline (流转记录): who did what, when, why, with what."""

    __tablename__ = "events_step"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(
        ForeignKey("events_case.id", ondelete="CASCADE"), index=True
    )
    action: Mapped[str] = mapped_column(String(16))
    from_state: Mapped[str | None] = mapped_column(String(16), nullable=True)
    to_state: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    note: Mapped[str] = mapped_column(Text, default="")
    reason: Mapped[str] = mapped_column(Text, default="")
    approver: Mapped[str] = mapped_column(String(64), default="")
    attachments: Mapped[list[str]] = mapped_column(JSON, default=list)
    data: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)


class RejectedReport(Base):
    """A batch report that could not become a case: kept whole for review, never dropped."""

    __tablename__ = "events_rejected"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(16))
    source_ref: Mapped[str] = mapped_column(String(64))
    error_code: Mapped[str] = mapped_column(String(32), index=True)
    payload: Mapped[dict[str, object]] = mapped_column(JSON)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class DailyMetric(Base):
    """Daily snapshot of the evaluation (month to date), one row per scope, for trends."""

    __tablename__ = "events_daily_metric"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    scope: Mapped[str] = mapped_column(String(16), primary_key=True)  # department/grid/district
    scope_code: Mapped[str] = mapped_column(String(32), primary_key=True)
    filed: Mapped[int] = mapped_column(Integer)
    closed: Mapped[int] = mapped_column(Integer)
    closed_on_time: Mapped[int] = mapped_column(Integer)
    reworked: Mapped[int] = mapped_column(Integer)
    extended: Mapped[int] = mapped_column(Integer)
    close_rate: Mapped[float] = mapped_column(Float)
    on_time_rate: Mapped[float] = mapped_column(Float)
    rework_rate: Mapped[float] = mapped_column(Float)
    extension_rate: Mapped[float] = mapped_column(Float)
    score: Mapped[float] = mapped_column(Float)
    rank: Mapped[int] = mapped_column(Integer)
