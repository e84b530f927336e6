"""Tables of the indicators domain: a time series of computed values and the checkups."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, DateTime, Float, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from citybrain.store.ops import Base, utcnow


class IndicatorValue(Base):
    """One value of one indicator for one period and one area; recomputing replaces it."""

    __tablename__ = "indicators_value"
    __table_args__ = (UniqueConstraint("code", "period", "dim", "dim_value"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(48), index=True)
    period: Mapped[date] = mapped_column(Date, index=True)
    dim: Mapped[str] = mapped_column(String(16))
    dim_value: Mapped[str] = mapped_column(String(32))
    value: Mapped[float | None] = mapped_column(Float, nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="ok")
    note: Mapped[str] = mapped_column(Text, default="")
    computed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Checkup(Base):
    """One city health check (城市体检): scores, roll-ups and the report files."""

    __tablename__ = "indicators_checkup"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    period: Mapped[date] = mapped_column(Date, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    overall_score: Mapped[float | None] = mapped_column(Float, nullable=True)
    summary: Mapped[dict[str, Any]] = mapped_column(JSON)
    html_path: Mapped[str] = mapped_column(Text, default="")
    pdf_path: Mapped[str] = mapped_column(Text, default="")
