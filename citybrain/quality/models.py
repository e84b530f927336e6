"""Tables of the quality domain: scans, per-rule results, tickets (工单) and their history."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from citybrain.store.ops import Base, utcnow


class QualityScan(Base):
    """One scan of one dataset (after a load): its scores by dimension and overall."""

    __tablename__ = "quality_scan"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    dataset: Mapped[str] = mapped_column(String(128), index=True)
    department: Mapped[str] = mapped_column(String(32), index=True)
    lake_table: Mapped[str] = mapped_column(String(256))
    load_ref: Mapped[str] = mapped_column(String(128), default="")
    rows: Mapped[int] = mapped_column(Integer, default=0)
    score: Mapped[float | None] = mapped_column(Float, nullable=True)
    dimension_scores: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    field_scores: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: district name → {rows, score}, from addresses naming their district (same scan)
    district_scores: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    seconds: Mapped[float] = mapped_column(Float, default=0.0)
    scanned_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class QualityResult(Base):
    """Outcome of one rule in one scan: counts, a bounded sample of failing rows, or an error."""

    __tablename__ = "quality_result"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    scan_id: Mapped[int] = mapped_column(
        ForeignKey("quality_scan.id", ondelete="CASCADE"), index=True
    )
    rule_key: Mapped[str] = mapped_column(String(256))
    dimension: Mapped[str] = mapped_column(String(32))
    field: Mapped[str] = mapped_column(String(128), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    checked: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    score: Mapped[float | None] = mapped_column(Float, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    samples: Mapped[list[Any]] = mapped_column(JSON, default=list)


class QualityTicket(Base):
    """A rectification ticket (整改工单) for one failing rule, sent to the owning department."""

    __tablename__ = "quality_ticket"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    dataset: Mapped[str] = mapped_column(String(128), index=True)
    rule_key: Mapped[str] = mapped_column(String(256))
    department: Mapped[str] = mapped_column(String(32), index=True)
    dimension: Mapped[str] = mapped_column(String(32))
    field: Mapped[str] = mapped_column(String(128), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[str] = mapped_column(String(16), index=True, default="open")
    failed: Mapped[int] = mapped_column(Integer, default=0)
    checked: Mapped[int] = mapped_column(Integer, default=0)
    samples: Mapped[list[Any]] = mapped_column(JSON, default=list)
    last_scan_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class QualityTicketEvent(Base):
    """History of a ticket: every state change and every re-check, with who and the counts."""

    __tablename__ = "quality_ticket_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ticket_id: Mapped[int] = mapped_column(
        ForeignKey("quality_ticket.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    action: Mapped[str] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(16))
    failed: Mapped[int] = mapped_column(Integer, default=0)
    actor: Mapped[str] = mapped_column(String(64), default="system")
    note: Mapped[str] = mapped_column(Text, default="")
