"""Pydantic families of the ingest API: jobs, runs, quarantine rows, dataset counts."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

Connector = Literal["csv", "xlsx", "json", "ndjson", "parquet", "sqlite", "sql", "http"]
Mode = Literal["full", "key", "watermark"]
Cycle = Literal[
    "realtime", "hourly", "daily", "weekly", "monthly", "quarterly", "yearly", "irregular"
]
JobId = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,63}(\.[a-z0-9_]{1,63}){0,3}$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class JobCreate(_Strict):
    id: JobId = Field(description="Job id; by convention the catalog dataset id")
    dataset_id: JobId | None = Field(None, description="Catalog dataset; default: the job id")
    connector: Connector
    location: Annotated[str, StringConstraints(min_length=1, max_length=4000)] = Field(
        description="File path, SQLAlchemy URL or HTTP URL"
    )
    options: dict[str, Any] = Field(
        default_factory=dict,
        description="encoding, delimiter, header, sheet, table, query, record_path, page_param, "
        "size_param, page_size, batch_rows …",
    )
    mode: Mode = "full"
    key_columns: list[str] = []
    watermark_column: str | None = None
    update_cycle: Cycle = "irregular"
    enabled: bool = True

    @model_validator(mode="after")
    def _mode_needs(self) -> JobCreate:
        if self.mode == "key" and not self.key_columns:
            raise ValueError("mode 'key' needs key_columns (按主键增量需指定主键列)")
        if self.mode == "watermark" and not self.watermark_column:
            raise ValueError("mode 'watermark' needs watermark_column (按水位增量需指定水位列)")
        return self


class JobUpdate(_Strict):
    mode: Mode | None = None
    key_columns: list[str] | None = None
    watermark_column: str | None = None
    update_cycle: Cycle | None = None
    enabled: bool | None = None
    options: dict[str, Any] | None = None


class JobPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    dataset_id: str
    connector: str
    location: str
    options: dict[str, Any]
    mode: str
    key_columns: list[str]
    watermark_column: str | None
    update_cycle: str
    enabled: bool
    last_watermark: str | None
    last_run_id: str | None
    last_success_at: datetime | None


class RunRequest(_Strict):
    force: bool = Field(False, description="Load even if the source fingerprint is unchanged")
    allow_empty: bool = Field(False, description="Let an empty full delivery empty the dataset")


class RunPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    job_id: str
    dataset_id: str
    mode: str
    trigger: str
    status: str
    started_at: datetime
    finished_at: datetime | None
    duration_s: float | None
    rows_read: int
    rows_loaded: int
    rows_quarantined: int
    rows_unchanged: int
    rows_deleted: int
    source_fingerprint: str | None
    watermark_from: str | None
    watermark_to: str | None
    resumed_from: str | None
    error_code: str | None
    error_en: str | None
    error_zh: str | None


class QuarantineRow(BaseModel):
    run_id: str | None
    row_number: int | None
    line: int | None
    reason_code: str
    column_name: str | None
    reason: str
    reason_zh: str
    value: str | None = Field(description="As delivered, with ID numbers and phones masked")


class DatasetCounts(BaseModel):
    dataset_id: str
    title: str
    title_en: str = ""
    publisher: str
    raw_rows: int
    curated_rows: int
    quarantined_rows: int
    last_status: str | None
    last_run_at: datetime | None
