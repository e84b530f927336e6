"""Org logic: plain functions over a session. The API, the CLI and other domains call these.

Creation is idempotent on the natural code: creating the same record again is a no-op that
returns it; creating a different record under an existing code is a conflict.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from citybrain.org.errors import DepartmentNotFound, DistrictNotFound, OrgConflict
from citybrain.org.models import Department, District
from citybrain.org.schemas import (
    DepartmentCreate,
    DepartmentUpdate,
    DistrictCreate,
    DistrictUpdate,
)

DEFAULTS_FILE = Path(__file__).with_name("defaults.yaml")


def list_districts(session: Session) -> list[District]:
    return list(session.scalars(select(District).order_by(District.code)))


def get_district(session: Session, code: str) -> District:
    district = session.get(District, code)
    if district is None:
        raise DistrictNotFound(code)
    return district


def create_district(session: Session, data: DistrictCreate) -> tuple[District, bool]:
    """Create a district; returns ``(district, created)``. Same payload twice is harmless."""
    existing = session.get(District, data.code)
    if existing is not None:
        if _same(existing, data.model_dump()):
            return existing, False
        raise OrgConflict(
            f"district {data.code} exists with different values",
            f"区市 {data.code} 已存在且内容不同",
            district=data.code,
        )
    district = District(**data.model_dump())
    session.add(district)
    session.flush()
    return district, True


def update_district(session: Session, code: str, data: DistrictUpdate) -> District:
    district = get_district(session, code)
    for key, value in data.model_dump(exclude_unset=True, exclude_none=True).items():
        setattr(district, key, value)
    session.flush()
    return district


def delete_district(session: Session, code: str) -> None:
    district = get_district(session, code)
    in_use = session.scalar(
        select(func.count()).select_from(Department).where(Department.district_code == code)
    )
    if in_use:
        raise OrgConflict(
            f"district {code} still has {in_use} department(s)",
            f"区市 {code} 下仍有 {in_use} 个部门",
            district=code,
        )
    session.delete(district)
    session.flush()


def list_departments(session: Session, district_code: str | None = None) -> list[Department]:
    query = select(Department).order_by(Department.code)
    if district_code is not None:
        query = query.where(Department.district_code == district_code)
    return list(session.scalars(query))


def get_department(session: Session, code: str) -> Department:
    department = session.get(Department, code)
    if department is None:
        raise DepartmentNotFound(code)
    return department


def create_department(session: Session, data: DepartmentCreate) -> tuple[Department, bool]:
    """Create a department; returns ``(department, created)``; idempotent on its code."""
    if data.district_code is not None:
        get_district(session, data.district_code)
    existing = session.get(Department, data.code)
    if existing is not None:
        if _same(existing, data.model_dump()):
            return existing, False
        raise OrgConflict(
            f"department {data.code} exists with different values",
            f"部门 {data.code} 已存在且内容不同",
            department=data.code,
        )
    department = Department(**data.model_dump())
    session.add(department)
    session.flush()
    return department, True


def update_department(session: Session, code: str, data: DepartmentUpdate) -> Department:
    department = get_department(session, code)
    changes = data.model_dump(exclude_unset=True)
    if changes.get("district_code") is not None:
        get_district(session, changes["district_code"])
    for key, value in changes.items():
        if value is not None or key == "district_code":
            setattr(department, key, value)
    session.flush()
    return department


def delete_department(session: Session, code: str) -> None:
    session.delete(get_department(session, code))
    session.flush()


def upsert_districts(session: Session, items: Iterable[DistrictCreate]) -> int:
    """Insert or refresh districts by code (used by seeding); returns how many changed."""
    changed = 0
    for item in items:
        existing = session.get(District, item.code)
        if existing is None:
            session.add(District(**item.model_dump()))
            changed += 1
        elif not _same(existing, item.model_dump()):
            for key, value in item.model_dump().items():
                setattr(existing, key, value)
            changed += 1
    session.flush()
    return changed


def upsert_departments(session: Session, items: Iterable[DepartmentCreate]) -> int:
    changed = 0
    for item in items:
        existing = session.get(Department, item.code)
        if existing is None:
            session.add(Department(**item.model_dump()))
            changed += 1
        elif not _same(existing, item.model_dump()):
            for key, value in item.model_dump().items():
                setattr(existing, key, value)
            changed += 1
    session.flush()
    return changed


def seed_defaults(session: Session, path: Path = DEFAULTS_FILE) -> int:
    """Load the default districts and city departments; safe to run any number of times."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    changed = upsert_districts(session, (DistrictCreate(**d) for d in data["districts"]))
    changed += upsert_departments(session, (DepartmentCreate(**d) for d in data["departments"]))
    return changed


def counts(session: Session) -> dict[str, int]:
    return {
        "districts": session.scalar(select(func.count()).select_from(District)) or 0,
        "departments": session.scalar(select(func.count()).select_from(Department)) or 0,
    }


def _same(row: District | Department, values: dict[str, object]) -> bool:
    return all(getattr(row, key) == value for key, value in values.items())
