"""The case catalogue (事项清单): loaded from YAML, editable through the API, exported back."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from citybrain.events.errors import (
    BadCatalogue,
    CategoryConflict,
    CategoryNotFound,
    UnknownCategory,
)
from citybrain.events.models import Category
from citybrain.events.schemas import CategoryCreate, CategoryPublic, CategoryUpdate

CATEGORIES_FILE = Path(__file__).with_name("categories.yaml")
FALLBACK_CATEGORY = "E-06-99"
_FIELDS = tuple(CategoryCreate.model_fields)


def read_yaml(path: Path = CATEGORIES_FILE) -> list[CategoryCreate]:
    """Parse a catalogue file: ``defaults`` apply to every item that does not set a field."""
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        defaults = dict(data.get("defaults") or {})
        return [CategoryCreate(**{**defaults, **item}) for item in data["categories"]]
    except (OSError, yaml.YAMLError, KeyError, TypeError) as e:
        raise BadCatalogue(
            f"cannot read the case catalogue {Path(path).name}: {type(e).__name__}",
            f"无法读取事项清单 {Path(path).name}",
        ) from e
    except ValidationError as e:
        bad = "; ".join(f"{'.'.join(map(str, err['loc']))}: {err['msg']}" for err in e.errors())
        raise BadCatalogue(
            f"invalid case catalogue {Path(path).name}: {bad}",
            f"事项清单 {Path(path).name} 有误:{bad}",
        ) from e


def load_categories(session: Session, path: Path = CATEGORIES_FILE) -> int:
    """Insert or refresh every category of ``path``; returns how many changed. Categories
    edited through the API are overwritten only by an explicit reload."""
    changed = 0
    for item in read_yaml(path):
        values = item.model_dump()
        row = session.get(Category, item.code)
        if row is None:
            session.add(Category(**values))
            changed += 1
        elif any(getattr(row, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(row, k, v)
            changed += 1
    session.flush()
    return changed


def ensure_categories(session: Session) -> None:
    """Seed the shipped catalogue once, so intake works on a fresh data dir."""
    if session.scalar(select(Category.code).limit(1)) is None:
        load_categories(session)


def list_categories(session: Session, active_only: bool = False) -> list[Category]:
    query = select(Category).order_by(Category.code)
    if active_only:
        query = query.where(Category.active.is_(True))
    return list(session.scalars(query))


def get_category(session: Session, code: str) -> Category:
    row = session.get(Category, code)
    if row is None:
        raise CategoryNotFound(code)
    return row


def create_category(session: Session, data: CategoryCreate) -> tuple[Category, bool]:
    existing = session.get(Category, data.code)
    values = data.model_dump()
    if existing is not None:
        if all(getattr(existing, k) == v for k, v in values.items()):
            return existing, False
        raise CategoryConflict(
            f"category {data.code} exists with different values; PATCH it instead",
            f"事项类别 {data.code} 已存在且内容不同,请用 PATCH 修改",
            category=data.code,
        )
    row = Category(**values)
    session.add(row)
    session.flush()
    return row, True


def update_category(session: Session, code: str, data: CategoryUpdate) -> Category:
    row = get_category(session, code)
    for key, value in data.model_dump(exclude_unset=True, exclude_none=True).items():
        setattr(row, key, value)
    session.flush()
    return row


def export_yaml(session: Session) -> str:
    """The catalogue as it stands, in the shipped file's format (to keep under change control)."""
    items = []
    for row in list_categories(session):
        item = CategoryPublic.model_validate(row).model_dump(exclude={"updated_at"})
        items.append({k: item[k] for k in ("code", *(f for f in _FIELDS if f != "code"))})
    return yaml.safe_dump({"categories": items}, allow_unicode=True, sort_keys=False)


@dataclass
class Resolver:
    """Category code or alias → category; free text → category by keyword."""

    by_code: dict[str, Category]
    by_alias: dict[str, str]
    keywords: list[tuple[str, str]]  # (keyword, code), longest first

    @classmethod
    def build(cls, session: Session) -> Resolver:
        ensure_categories(session)
        rows = list_categories(session, active_only=True)
        by_alias: dict[str, str] = {}
        keywords: list[tuple[str, str]] = []
        for row in rows:
            for alias in (row.code, row.name, *(row.aliases or [])):
                by_alias.setdefault(alias.strip().lower(), row.code)
            keywords.extend((k, row.code) for k in row.keywords or [])
        keywords.sort(key=lambda kc: -len(kc[0]))
        return cls({r.code: r for r in rows}, by_alias, keywords)

    def resolve(self, category: str | None, text: str) -> Category:
        """The named category; with none named, the first keyword found in the text, else the
        catch-all. Raises :class:`UnknownCategory` for a name the catalogue does not know."""
        if category:
            code = self.by_alias.get(category.strip().lower())
            if code is None:
                raise UnknownCategory(category)
            return self.by_code[code]
        for word, code in self.keywords:
            if word in text:
                return self.by_code[code]
        fallback = self.by_code.get(FALLBACK_CATEGORY)
        if fallback is None:
            raise UnknownCategory("")
        return fallback
