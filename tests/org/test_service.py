"""Org service contract, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session

from citybrain.org import service
from citybrain.org.errors import DepartmentNotFound, DistrictNotFound, OrgConflict
from citybrain.org.schemas import DepartmentCreate, DepartmentUpdate, DistrictCreate
from citybrain.store import migrate
from citybrain.store.ops import create_engine, make_session_factory


@pytest.fixture
def session(ops_db_url: str) -> Iterator[Session]:
    engine = create_engine(ops_db_url)
    migrate.upgrade(engine)
    with make_session_factory(engine)() as s:
        yield s
    engine.dispose()


SHINAN = DistrictCreate(code="370202", name_zh="市南区", name_en="Shinan")


def test_create_is_idempotent_and_conflicts_on_change(session: Session) -> None:
    _, created = service.create_district(session, SHINAN)
    assert created
    _, created_again = service.create_district(session, SHINAN)
    assert not created_again
    with pytest.raises(OrgConflict):
        service.create_district(session, SHINAN.model_copy(update={"name_zh": "别的区"}))
    assert [d.code for d in service.list_districts(session)] == ["370202"]


def test_department_needs_existing_district(session: Session) -> None:
    with pytest.raises(DistrictNotFound):
        service.create_department(
            session, DepartmentCreate(code="snj_gongan", name_zh="市南公安", district_code="370202")
        )
    service.create_district(session, SHINAN)
    service.create_department(
        session, DepartmentCreate(code="snj_gongan", name_zh="市南公安", district_code="370202")
    )
    assert [d.code for d in service.list_departments(session, "370202")] == ["snj_gongan"]
    with pytest.raises(OrgConflict):
        service.delete_district(session, "370202")


def test_update_and_delete(session: Session) -> None:
    service.create_department(session, DepartmentCreate(code="gongan", name_zh="公安局"))
    updated = service.update_department(session, "gongan", DepartmentUpdate(name_en="Police"))
    assert (updated.name_zh, updated.name_en) == ("公安局", "Police")
    service.delete_department(session, "gongan")
    with pytest.raises(DepartmentNotFound):
        service.get_department(session, "gongan")


def test_seed_defaults_twice_changes_nothing_the_second_time(session: Session) -> None:
    assert service.seed_defaults(session) == 23
    session.commit()
    assert service.seed_defaults(session) == 0
    assert service.counts(session) == {"districts": 10, "departments": 13}
