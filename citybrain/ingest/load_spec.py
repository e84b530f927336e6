"""What a load is asked to do (``LoadSpec``) and what it reports (``LoadResult``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

#: progress callback: (phase, details)
Progress = Callable[[str, dict[str, Any]], None]


@dataclass
class LoadSpec:
    job_id: str
    dataset_id: str
    connector: str
    location: str
    options: dict[str, Any] = field(default_factory=dict)
    mode: str = "full"  # full | key | watermark
    key: list[str] = field(default_factory=list)
    watermark_column: str | None = None
    fields: list[tuple[str, str]] = field(default_factory=list)  # declared (name, type)
    force: bool = False
    allow_empty: bool = False


@dataclass
class LoadResult:
    status: str  # succeeded | unchanged
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    rows_unchanged: int = 0
    rows_deleted: int = 0
    fingerprint: str | None = None
    watermark_from: str | None = None
    watermark_to: str | None = None
    resumed_from: str | None = None
    columns: list[str] = field(default_factory=list)
    detail: dict[str, Any] = field(default_factory=dict)
