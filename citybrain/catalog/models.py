"""Tables of the catalog: dataset entries, their fields, every version, and lineage edges.

The entry row holds the current state; ``catalog_version`` holds a full snapshot per change so
nothing is ever lost, and ``catalog_lineage`` holds column-level edges between layers
(source system → raw → curated → registry).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from citybrain.store.ops import Base, utcnow


class CatalogDataset(Base):
    """A data resource (数据资源): DCAT-AP 3 dataset plus the Chinese government fields."""

    __tablename__ = "catalog_dataset"

    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    title: Mapped[str] = mapped_column(String(256))
    title_en: Mapped[str] = mapped_column(String(256), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    publisher: Mapped[str] = mapped_column(String(64), index=True)
    publisher_name: Mapped[str] = mapped_column(String(128), default="")
    contact_name: Mapped[str] = mapped_column(String(128), default="")
    contact_email: Mapped[str] = mapped_column(String(256), default="")
    keywords: Mapped[list[str]] = mapped_column(JSON, default=list)
    themes: Mapped[list[str]] = mapped_column(JSON, default=list)
    spatial: Mapped[str] = mapped_column(String(128), default="")
    temporal_start: Mapped[date | None] = mapped_column(Date, nullable=True)
    temporal_end: Mapped[date | None] = mapped_column(Date, nullable=True)
    update_cycle: Mapped[str] = mapped_column(String(16), default="irregular")
    issued: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    modified: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    access_rights: Mapped[str] = mapped_column(String(16), default="NON_PUBLIC")
    conforms_to: Mapped[list[str]] = mapped_column(JSON, default=list)
    provenance: Mapped[str] = mapped_column(Text, default="")
    distributions: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    share_type: Mapped[str] = mapped_column(String(16), default="conditional", index=True)
    share_basis: Mapped[str] = mapped_column(Text, default="")
    open_type: Mapped[str] = mapped_column(String(16), default="none")
    security_grade: Mapped[str] = mapped_column(String(16), default="general", index=True)
    source_system: Mapped[str] = mapped_column(String(128), default="")
    primary_key: Mapped[list[str]] = mapped_column(JSON, default=list)
    watermark_field: Mapped[str | None] = mapped_column(String(128), nullable=True)
    record_count: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="active")
    version: Mapped[int] = mapped_column(Integer, default=1)
    # Lower-cased title, description, keywords and field names/labels: portable keyword search
    # (JSON columns are escaped differently by SQLite and PostgreSQL).
    search_text: Mapped[str] = mapped_column(Text, default="")
    theme_text: Mapped[str] = mapped_column(String(256), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    fields: Mapped[list[CatalogField]] = relationship(
        back_populates="dataset",
        cascade="all, delete-orphan",
        order_by="CatalogField.position",
        lazy="selectin",
    )


class CatalogField(Base):
    """One field (字段) of a dataset, with its data element, sensitivity and grade."""

    __tablename__ = "catalog_field"
    __table_args__ = (UniqueConstraint("dataset_id", "name", name="uq_catalog_field_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    dataset_id: Mapped[str] = mapped_column(
        ForeignKey("catalog_dataset.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(128))
    label_zh: Mapped[str] = mapped_column(String(128), default="")
    type: Mapped[str] = mapped_column(String(16), default="string")
    data_element: Mapped[str] = mapped_column(String(32), default="none")
    sensitivity: Mapped[str] = mapped_column(String(16), default="none")
    security_grade: Mapped[str] = mapped_column(String(16), default="general")
    description: Mapped[str] = mapped_column(Text, default="")

    dataset: Mapped[CatalogDataset] = relationship(back_populates="fields")


class CatalogVersion(Base):
    """The full entry as it stood after one change; versions are never deleted."""

    __tablename__ = "catalog_version"
    __table_args__ = (
        UniqueConstraint("dataset_id", "version", name="uq_catalog_version_dataset_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    dataset_id: Mapped[str] = mapped_column(String(128), index=True)
    version: Mapped[int] = mapped_column(Integer)
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON)
    note: Mapped[str] = mapped_column(String(256), default="")
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class CatalogLineage(Base):
    """A column-level edge: ``source_layer.dataset.field`` → ``target_layer.dataset.field``."""

    __tablename__ = "catalog_lineage"
    __table_args__ = (
        UniqueConstraint(
            "source_layer",
            "source_dataset",
            "source_field",
            "target_layer",
            "target_dataset",
            "target_field",
            name="uq_catalog_lineage_edge",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source_layer: Mapped[str] = mapped_column(String(16))
    source_dataset: Mapped[str] = mapped_column(String(128), index=True)
    source_field: Mapped[str] = mapped_column(String(128))
    target_layer: Mapped[str] = mapped_column(String(16))
    target_dataset: Mapped[str] = mapped_column(String(128), index=True)
    target_field: Mapped[str] = mapped_column(String(128))
    transform: Mapped[str] = mapped_column(String(256), default="")
    recorded_by: Mapped[str] = mapped_column(String(32), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
