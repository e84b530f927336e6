"""Catalog logic: register, change, version, search and trace datasets.

Every change that alters an entry writes a new :class:`CatalogVersion` holding the full entry,
so the history of each data resource is complete; re-registering an identical entry writes
nothing (idempotent). Other domains call these functions, never the tables.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from citybrain.catalog import vocab
from citybrain.catalog.errors import DatasetNotFound, VersionNotFound
from citybrain.catalog.models import CatalogDataset, CatalogField, CatalogLineage, CatalogVersion
from citybrain.catalog.schemas import (
    DatasetCreate,
    DatasetUpdate,
    FieldSpec,
    LineageEdge,
    RegisterResult,
)
from citybrain.errors import UnknownChoice

_GRADE_ORDER = {"general": 0, "important": 1, "core": 2}
_ACCESS_BY_OPEN = {"unconditional": "PUBLIC", "conditional": "RESTRICTED", "none": "NON_PUBLIC"}

# Entry attributes copied from a DatasetCreate; ``fields`` are handled separately.
_ENTRY_KEYS = tuple(k for k in DatasetCreate.model_fields if k not in ("fields",))


def field_grade(spec: FieldSpec) -> str:
    """A field's grade: as declared, else 重要 for sensitive personal data, else 一般."""
    if spec.security_grade:
        return spec.security_grade
    return "important" if spec.sensitivity == "sensitive" else "general"


def _normalise(data: DatasetCreate) -> dict[str, Any]:
    """The entry as stored: defaults derived, JSON-ready (this is also the version snapshot)."""
    values = data.model_dump(mode="json", exclude={"fields"})
    fields = []
    for i, f in enumerate(data.fields):
        item = f.model_dump(mode="json")
        item["security_grade"] = field_grade(f)
        item["position"] = i
        fields.append(item)
    if not values.get("security_grade"):
        grades = [f["security_grade"] for f in fields] or ["general"]
        values["security_grade"] = max(grades, key=_GRADE_ORDER.__getitem__)
    if not values.get("access_rights"):
        values["access_rights"] = _ACCESS_BY_OPEN[values["open_type"]]
    values["fields"] = fields
    return values


def snapshot(dataset: CatalogDataset) -> dict[str, Any]:
    """The stored entry as a JSON-ready dict, in the shape :func:`_normalise` produces."""
    values: dict[str, Any] = {}
    for key in _ENTRY_KEYS:
        value = getattr(dataset, key)
        if isinstance(value, datetime):
            value = _aware(value).isoformat().replace("+00:00", "Z")
        elif isinstance(value, date):
            value = value.isoformat()
        values[key] = value
    values["fields"] = [
        {
            "name": f.name,
            "label_zh": f.label_zh,
            "type": f.type,
            "data_element": f.data_element,
            "sensitivity": f.sensitivity,
            "security_grade": f.security_grade,
            "description": f.description,
            "position": f.position,
        }
        for f in dataset.fields
    ]
    values["status"] = dataset.status
    return values


def _comparable(values: dict[str, Any]) -> dict[str, Any]:
    out = dict(values)
    if out.get("issued"):
        out["issued"] = _aware(datetime.fromisoformat(str(out["issued"]).replace("Z", "+00:00")))
    out.pop("status", None)
    return out


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _apply(dataset: CatalogDataset, values: dict[str, Any]) -> None:
    for key in _ENTRY_KEYS:
        if key == "id":
            continue
        value = values.get(key)
        if key in ("temporal_start", "temporal_end") and isinstance(value, str):
            value = date.fromisoformat(value)
        if key == "issued" and isinstance(value, str):
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        setattr(dataset, key, value)
    # Update fields in place by name: replacing the collection would insert before the
    # orphans are deleted and trip the (dataset, name) unique constraint.
    by_name = {f.name: f for f in dataset.fields}
    wanted = {f["name"] for f in values["fields"]}
    for name, old in by_name.items():
        if name not in wanted:
            dataset.fields.remove(old)
    for f in values["fields"]:
        existing = by_name.get(f["name"])
        if existing is not None:
            for key in (
                "position",
                "label_zh",
                "type",
                "data_element",
                "sensitivity",
                "security_grade",
                "description",
            ):
                setattr(existing, key, f[key])
    new_fields = [
        CatalogField(
            position=f["position"],
            name=f["name"],
            label_zh=f["label_zh"],
            type=f["type"],
            data_element=f["data_element"],
            sensitivity=f["sensitivity"],
            security_grade=f["security_grade"],
            description=f["description"],
        )
        for f in values["fields"]
        if f["name"] not in by_name
    ]
    dataset.fields.extend(new_fields)
    dataset.fields.sort(key=lambda f: f.position)
    dataset.search_text = _search_text(values)
    dataset.theme_text = "|" + "|".join(values.get("themes") or []) + "|"
    dataset.modified = datetime.now(UTC)


def _search_text(values: dict[str, Any]) -> str:
    parts = [values["id"], values["title"], values.get("title_en", ""), values["description"]]
    parts += [values.get("publisher_name", ""), values.get("source_system", "")]
    parts += values.get("keywords") or []
    for f in values["fields"]:
        parts += [f["name"], f["label_zh"]]
    return " ".join(p for p in parts if p).lower()


def _new_version(session: Session, dataset: CatalogDataset, note: str) -> None:
    session.flush()
    session.add(
        CatalogVersion(
            dataset_id=dataset.id, version=dataset.version, snapshot=snapshot(dataset), note=note
        )
    )
    session.flush()


def upsert_dataset(
    session: Session, data: DatasetCreate, note: str = ""
) -> tuple[CatalogDataset, str]:
    """Create or change an entry; returns it and ``created``/``updated``/``unchanged``.

    Only a real change writes a new version, so registering the same delivery twice is a no-op.
    """
    values = _normalise(data)
    existing = session.get(CatalogDataset, data.id)
    if existing is None:
        dataset = CatalogDataset(id=data.id, version=1, status="active")
        dataset.issued = None
        _apply(dataset, values)
        if dataset.issued is None:
            dataset.issued = datetime.now(UTC)
        session.add(dataset)
        _new_version(session, dataset, note or "registered / 登记")
        return dataset, "created"
    current = snapshot(existing)
    if values.get("issued") is None:
        values["issued"] = current.get("issued")
    if _comparable(current) == _comparable(values) and existing.status == "active":
        return existing, "unchanged"
    _apply(existing, values)
    existing.status = "active"
    existing.version += 1
    _new_version(session, existing, note or "updated / 更新")
    return existing, "updated"


def get_dataset(session: Session, dataset_id: str) -> CatalogDataset:
    dataset = session.get(CatalogDataset, dataset_id)
    if dataset is None:
        raise DatasetNotFound(dataset_id)
    return dataset


def update_dataset(session: Session, dataset_id: str, data: DatasetUpdate) -> CatalogDataset:
    """Change some attributes (a new version); validation runs on the whole resulting entry."""
    dataset = get_dataset(session, dataset_id)
    values = snapshot(dataset)
    changes = data.model_dump(exclude_unset=True, exclude={"note"})
    values.update({k: v for k, v in changes.items() if v is not None})
    for key in ("status",):
        values.pop(key, None)
    for f in values["fields"]:
        f.pop("position", None)
    merged = DatasetCreate.model_validate(values)
    updated, _ = upsert_dataset(session, merged, data.note or "updated / 更新")
    return updated


def withdraw_dataset(session: Session, dataset_id: str, note: str = "") -> CatalogDataset:
    """Withdraw (撤销) an entry: it stays, with its history, marked withdrawn."""
    dataset = get_dataset(session, dataset_id)
    if dataset.status == "withdrawn":
        return dataset
    dataset.status = "withdrawn"
    dataset.version += 1
    dataset.modified = datetime.now(UTC)
    _new_version(session, dataset, note or "withdrawn / 撤销")
    return dataset


def search(
    session: Session,
    q: str | None = None,
    publisher: str | None = None,
    theme: str | None = None,
    grade: str | None = None,
    share_type: str | None = None,
    open_type: str | None = None,
    include_withdrawn: bool = False,
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[CatalogDataset], int]:
    """Search entries by keyword (title, description, keywords, field names and labels),
    department, theme, security grade, sharing and opening type; returns (page, total)."""
    theme = theme.upper() if theme else None  # SQLite's LIKE ignored case; PostgreSQL's does not
    if theme and theme not in vocab.THEMES:
        raise UnknownChoice("theme", "主题", theme, vocab.THEMES)
    query = select(CatalogDataset)
    if q:
        for word in q.lower().split():
            query = query.where(CatalogDataset.search_text.contains(word, autoescape=True))
    if publisher:
        query = query.where(
            or_(CatalogDataset.publisher == publisher, CatalogDataset.publisher_name == publisher)
        )
    if theme:
        query = query.where(CatalogDataset.theme_text.contains(f"|{theme}|", autoescape=True))
    if grade:
        query = query.where(CatalogDataset.security_grade == grade)
    if share_type:
        query = query.where(CatalogDataset.share_type == share_type)
    if open_type:
        query = query.where(CatalogDataset.open_type == open_type)
    if not include_withdrawn:
        query = query.where(CatalogDataset.status == "active")
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    page = session.scalars(query.order_by(CatalogDataset.id).limit(limit).offset(offset))
    return list(page), total


def list_datasets(session: Session, include_withdrawn: bool = False) -> list[CatalogDataset]:
    return search(session, include_withdrawn=include_withdrawn, limit=100_000)[0]


def versions(session: Session, dataset_id: str) -> list[CatalogVersion]:
    get_dataset(session, dataset_id)
    return list(
        session.scalars(
            select(CatalogVersion)
            .where(CatalogVersion.dataset_id == dataset_id)
            .order_by(CatalogVersion.version)
        )
    )


def get_version(session: Session, dataset_id: str, version: int) -> CatalogVersion:
    found = session.scalar(
        select(CatalogVersion).where(
            CatalogVersion.dataset_id == dataset_id, CatalogVersion.version == version
        )
    )
    if found is None:
        raise VersionNotFound(dataset_id, version)
    return found


def record_lineage(session: Session, edges: Iterable[LineageEdge]) -> int:
    """Record column-level lineage edges; an edge already known is left as is. Returns new."""
    added = 0
    for edge in edges:
        values = edge.model_dump()
        exists = session.scalar(
            select(CatalogLineage.id).where(
                *(
                    getattr(CatalogLineage, k) == values[k]
                    for k in (
                        "source_layer",
                        "source_dataset",
                        "source_field",
                        "target_layer",
                        "target_dataset",
                        "target_field",
                    )
                )
            )
        )
        if exists is None:
            session.add(CatalogLineage(**values))
            added += 1
    session.flush()
    return added


def lineage(session: Session, dataset: str) -> list[CatalogLineage]:
    """Edges into or out of any layer of ``dataset`` (source, raw, curated or registry)."""
    return list(
        session.scalars(
            select(CatalogLineage)
            .where(
                or_(
                    CatalogLineage.source_dataset == dataset,
                    CatalogLineage.target_dataset == dataset,
                )
            )
            .order_by(CatalogLineage.id)
        )
    )


def register_manifest(session: Session, path: Path) -> RegisterResult:
    """Register every dataset a delivery manifest (the synthetic city's manifest.yaml) lists."""
    from citybrain.catalog.manifest import read_manifest

    result = RegisterResult(created=[], updated=[], unchanged=[])
    for entry in read_manifest(path):
        _, outcome = upsert_dataset(session, entry, f"registered from {path.name} / 清单登记")
        getattr(result, outcome).append(entry.id)
    return result


def counts(session: Session) -> dict[str, int]:
    active = CatalogDataset.status == "active"
    return {
        "datasets": session.scalar(select(func.count()).select_from(CatalogDataset).where(active))
        or 0,
        "fields": session.scalar(
            select(func.count()).select_from(CatalogField).join(CatalogDataset).where(active)
        )
        or 0,
        "versions": session.scalar(select(func.count()).select_from(CatalogVersion)) or 0,
        "lineage_edges": session.scalar(select(func.count()).select_from(CatalogLineage)) or 0,
    }


def dcat(dataset: CatalogDataset) -> dict[str, Any]:
    """The entry as DCAT-AP 3 JSON-LD, with the Chinese government fields in a ``cb:`` prefix."""
    eu = "http://publications.europa.eu/resource/authority"
    cycle = vocab.UPDATE_CYCLES.get(dataset.update_cycle, ("", "IRREG", None))[1]
    return {
        "@context": {
            "dcat": "http://www.w3.org/ns/dcat#",
            "dct": "http://purl.org/dc/terms/",
            "vcard": "http://www.w3.org/2006/vcard/ns#",
            "cb": "https://citybrain.dev/ns/catalog#",
        },
        "@type": "dcat:Dataset",
        "@id": f"urn:citybrain:dataset:{dataset.id}",
        "dct:identifier": dataset.id,
        "dct:title": [{"@value": dataset.title, "@language": "zh"}]
        + ([{"@value": dataset.title_en, "@language": "en"}] if dataset.title_en else []),
        "dct:description": dataset.description,
        "dct:publisher": {
            "@id": f"urn:citybrain:org:{dataset.publisher}",
            "foaf:name": dataset.publisher_name,
        },
        "dcat:contactPoint": {
            "vcard:fn": dataset.contact_name,
            "vcard:hasEmail": dataset.contact_email,
        },
        "dcat:keyword": dataset.keywords,
        "dcat:theme": [f"{eu}/data-theme/{t}" for t in dataset.themes],
        "dct:spatial": dataset.spatial,
        "dct:temporal": {
            "dcat:startDate": _iso(dataset.temporal_start),
            "dcat:endDate": _iso(dataset.temporal_end),
        },
        "dct:accrualPeriodicity": f"{eu}/frequency/{cycle}",
        "dct:issued": _iso(dataset.issued),
        "dct:modified": _iso(dataset.modified),
        "dct:accessRights": f"{eu}/access-right/{dataset.access_rights}",
        "dct:conformsTo": dataset.conforms_to,
        "dct:provenance": dataset.provenance,
        "dcat:distribution": [
            {
                "@type": "dcat:Distribution",
                "dct:format": d.get("format"),
                "dcat:accessURL": d.get("access_url"),
                "dcat:mediaType": d.get("media_type", ""),
            }
            for d in dataset.distributions
        ],
        "cb:shareType": dataset.share_type,
        "cb:shareBasis": dataset.share_basis,
        "cb:openType": dataset.open_type,
        "cb:securityGrade": dataset.security_grade,
        "cb:updateCycle": dataset.update_cycle,
        "cb:sourceSystem": dataset.source_system,
        "cb:version": dataset.version,
        "cb:fields": [
            {
                "cb:name": f.name,
                "cb:label": f.label_zh,
                "cb:type": f.type,
                "cb:dataElement": f.data_element,
                "cb:sensitivity": f.sensitivity,
                "cb:securityGrade": f.security_grade,
            }
            for f in dataset.fields
        ],
    }


def _iso(value: date | datetime | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return _aware(value).isoformat()
    return value.isoformat()
