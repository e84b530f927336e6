"""Tables of the ingest domain: load jobs (what to load, how) and runs (what happened).

Rows themselves live in the lake; these tables are the operational record a data engineer
reads: counts, duration, source fingerprint, status and the bilingual error of every run.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, DateTime, Float, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from citybrain.store.ops import Base, utcnow

#: What a run can be: running, done (succeeded, or unchanged: the source had not changed),
#: or stopped (failed, or interrupted by a crash or a signal and picked up by the next run).
RUN_STATUSES = ("running", "succeeded", "unchanged", "failed", "interrupted")


class IngestJob(Base):
    """How one dataset is loaded: connector, location, options, mode, key and watermark."""

    __tablename__ = "ingest_job"

    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    dataset_id: Mapped[str] = mapped_column(String(128), index=True)
    connector: Mapped[str] = mapped_column(String(16))
    location: Mapped[str] = mapped_column(Text)
    options: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    mode: Mapped[str] = mapped_column(String(16), default="full")
    key_columns: Mapped[list[str]] = mapped_column(JSON, default=list)
    watermark_column: Mapped[str | None] = mapped_column(String(128), nullable=True)
    update_cycle: Mapped[str] = mapped_column(String(16), default="irregular")
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    last_watermark: Mapped[str | None] = mapped_column(String(64), nullable=True)
    last_run_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    last_success_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )


class IngestRun(Base):
    """One load run. Written as ``running`` before any work, finished with counts or error."""

    __tablename__ = "ingest_run"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    job_id: Mapped[str] = mapped_column(ForeignKey("ingest_job.id", ondelete="CASCADE"), index=True)
    dataset_id: Mapped[str] = mapped_column(String(128), index=True)
    mode: Mapped[str] = mapped_column(String(16))
    trigger: Mapped[str] = mapped_column(String(16), default="manual")
    status: Mapped[str] = mapped_column(String(16), default="running", index=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    duration_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    rows_read: Mapped[int] = mapped_column(BigInteger, default=0)
    rows_loaded: Mapped[int] = mapped_column(BigInteger, default=0)
    rows_quarantined: Mapped[int] = mapped_column(BigInteger, default=0)
    rows_unchanged: Mapped[int] = mapped_column(BigInteger, default=0)
    rows_deleted: Mapped[int] = mapped_column(BigInteger, default=0)
    source_fingerprint: Mapped[str | None] = mapped_column(String(80), nullable=True)
    watermark_from: Mapped[str | None] = mapped_column(String(64), nullable=True)
    watermark_to: Mapped[str | None] = mapped_column(String(64), nullable=True)
    resumed_from: Mapped[str | None] = mapped_column(String(32), nullable=True)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    error_code: Mapped[str | None] = mapped_column(String(64), nullable=True)
    error_en: Mapped[str | None] = mapped_column(Text, nullable=True)
    error_zh: Mapped[str | None] = mapped_column(Text, nullable=True)
