"""Fixtures of the events tests: a hand-made square city (exact, hand-checkable geometry),
a tiny simulated city (session-scoped) and sessions on SQLite and PostgreSQL."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import orjson
import pytest
from sqlalchemy import delete
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from citybrain.app import create_app
from citybrain.config import Settings
from citybrain.events import service
from citybrain.events.models import Case, DailyMetric, RejectedReport, Report, Step
from citybrain.store import migrate
from citybrain.store.ops import create_engine, make_session_factory, session_scope
from citybrain.store.runtime import Stores

T0 = datetime(2024, 6, 1, 8, 0, tzinfo=UTC)
D = "370202"
STREET = "370202001"
C1, C2 = "370202001001", "370202001002"
# Four 0.01° squares in a row along x from 120.30; grid i spans [120.30+0.01i, 120.31+0.01i]
GRIDS = [f"{C1}001", f"{C1}002", f"{C2}001", f"{C2}002"]
X0, Y0, STEP = 120.30, 36.05, 0.01


def square(x: float, y: float, size: float) -> dict:
    ring = [[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]
    return {"type": "Polygon", "coordinates": [ring]}


def point_in(grid: int, fx: float = 0.5, fy: float = 0.5) -> tuple[float, float]:
    """A point at fraction (fx, fy) of grid ``grid``."""
    return X0 + STEP * (grid + fx), Y0 + STEP * fy


def _collection(features: list[tuple[dict, dict]]) -> bytes:
    return orjson.dumps({
        "type": "FeatureCollection",
        "features": [{"type": "Feature", "properties": p, "geometry": g} for p, g in features],
    })  # fmt: skip


def write_square_city(out: Path) -> Path:
    geo = out / "geo"
    geo.mkdir(parents=True, exist_ok=True)
    whole = {"type": "Polygon", "coordinates": [[[X0, Y0], [X0 + 4 * STEP, Y0],
             [X0 + 4 * STEP, Y0 + STEP], [X0, Y0 + STEP], [X0, Y0]]]}  # fmt: skip
    half = lambda k: {"type": "Polygon", "coordinates": [[  # noqa: E731
        [X0 + 2 * k * STEP, Y0], [X0 + (2 * k + 2) * STEP, Y0],
        [X0 + (2 * k + 2) * STEP, Y0 + STEP], [X0 + 2 * k * STEP, Y0 + STEP],
        [X0 + 2 * k * STEP, Y0]]]}  # fmt: skip
    (geo / "districts.geojson").write_bytes(
        _collection([({"code": D, "name": "市南区", "urban": True}, whole)])
    )
    (geo / "streets.geojson").write_bytes(
        _collection([({"code": STREET, "name": "八大峡街道", "district_code": D}, whole)])
    )
    (geo / "communities.geojson").write_bytes(_collection([
        ({"code": C1, "name": "一社区", "street_code": STREET}, half(0)),
        ({"code": C2, "name": "二社区", "street_code": STREET}, half(1)),
    ]))  # fmt: skip
    (geo / "grids.geojson").write_bytes(_collection([
        ({"grid_code": code, "name": f"第{i + 1}网格", "community_code": code[:12],
          "district_code": D}, square(X0 + i * STEP, Y0, STEP))
        for i, code in enumerate(GRIDS)
    ]))  # fmt: skip
    bx, by = point_in(2, 0.2, 0.8)
    (geo / "buildings.geojson").write_bytes(_collection([
        ({"building_id": "B0000001", "grid_code": GRIDS[2], "address": "市南区测试路1号1号楼"},
         {"type": "Point", "coordinates": [bx, by]}),
    ]))  # fmt: skip
    return out


@pytest.fixture(scope="session")
def square_city(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_square_city(tmp_path_factory.mktemp("square"))


@pytest.fixture(scope="session")
def tiny_city(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from citybrain.simulate import service as simulate

    out = tmp_path_factory.mktemp("events-city") / "tiny"
    simulate.generate_city(out, scale="tiny", seed=7)
    return out


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.pg)])
def events_engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, square_city: Path
) -> Iterator[Engine]:
    """One migrated database per module and engine (the ops-DB contract: SQLite and
    PostgreSQL), with the square city loaded; tests start from empty case tables."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('events-db') / 'ops.db'}"
    else:
        url = (
            os.environ.get("CITYBRAIN_TEST_PG_URL")
            or request.getfixturevalue("pg_server").create_database()
        )
    engine = create_engine(url)
    migrate.upgrade(engine)
    with session_scope(make_session_factory(engine)) as s:
        service.load_city(s, square_city)
    yield engine
    engine.dispose()


@pytest.fixture
def ops_db_url(events_engine: Engine) -> str:
    """The URL of this module's database (tests that open their own sessions use it)."""
    return events_engine.url.render_as_string(hide_password=False)


@pytest.fixture
def session(events_engine: Engine) -> Iterator[Session]:
    """A session on an emptied case store with the shipped catalogue."""
    with session_scope(make_session_factory(events_engine)) as s:
        for table in (Step, Report, RejectedReport, DailyMetric, Case):
            s.execute(delete(table))
        service.load_categories(s)
    with make_session_factory(events_engine)() as s:
        yield s
        s.rollback()


@pytest.fixture
def events_settings(tmp_path: Path, square_city: Path) -> Settings:
    settings = Settings(home=tmp_path / "home")
    stores = Stores.from_settings(settings)
    stores.migrate()
    with session_scope(stores.sessions) as s:
        service.load_city(s, square_city)
    stores.close()
    return settings


@pytest.fixture
async def api(events_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """In-process client over a data dir where the square city is loaded."""
    app = create_app(events_settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
            yield c
