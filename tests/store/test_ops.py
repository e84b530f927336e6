"""The ops-DB contract: the same tests run unchanged on SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, text

from citybrain.errors import StoreUnavailable
from citybrain.store import migrate
from citybrain.store.ops import create_engine, make_session_factory, ping, session_scope

ORG_TABLES = {"org_district", "org_department"}


def test_migrations_round_trip(ops_db_url: str) -> None:
    engine = create_engine(ops_db_url)
    migrate.upgrade(engine)
    assert ORG_TABLES <= set(inspect(engine).get_table_names())
    assert "org_0001" in migrate.current_heads(engine)

    migrate.downgrade(engine, "base")
    assert not ORG_TABLES & set(inspect(engine).get_table_names())
    assert migrate.current_heads(engine) == set()

    migrate.upgrade(engine)
    assert ORG_TABLES <= set(inspect(engine).get_table_names())
    engine.dispose()


def test_upgrade_twice_is_harmless(ops_db_url: str) -> None:
    engine = create_engine(ops_db_url)
    migrate.upgrade(engine)
    heads = migrate.current_heads(engine)
    migrate.upgrade(engine)
    assert migrate.current_heads(engine) == heads
    engine.dispose()


def test_session_scope_rolls_back_on_error(ops_db_url: str) -> None:
    engine = create_engine(ops_db_url)
    migrate.upgrade(engine)
    factory = make_session_factory(engine)
    insert = text(
        "INSERT INTO org_district (code, name_zh, name_en, kind, created_at, updated_at) "
        "VALUES ('370202', '市南区', '', 'district', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
    )
    with pytest.raises(RuntimeError):
        with session_scope(factory) as session:
            session.execute(insert)
            raise RuntimeError("boom")
    with session_scope(factory) as session:
        assert session.execute(text("SELECT count(*) FROM org_district")).scalar() == 0
    engine.dispose()


def test_sqlite_runs_in_wal_mode(tmp_path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'wal.db'}")
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
    engine.dispose()


def test_ping_reports_an_unreachable_database() -> None:
    engine = create_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")
    with pytest.raises(StoreUnavailable) as info:
        ping(engine)
    assert "postgresql" in info.value.message_en
