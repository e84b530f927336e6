"""Fixtures of the quality tests: a lake with small tables, and the demo city loaded once."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from citybrain.config import Settings
from citybrain.store import migrate
from citybrain.store.lake import DuckDBLake
from citybrain.store.ops import create_engine, make_session_factory, session_scope
from citybrain.store.runtime import Stores


@pytest.fixture
def lake(tmp_path: Path) -> Iterator[DuckDBLake]:
    lk = DuckDBLake(tmp_path / "lake.duckdb")
    yield lk
    lk.close()


@pytest.fixture
def session(ops_db_url: str) -> Iterator[Session]:
    engine = create_engine(ops_db_url)
    migrate.upgrade(engine)
    with make_session_factory(engine)() as s:
        yield s
    engine.dispose()


@pytest.fixture(scope="session")
def demo_city(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stores]:
    """The demo city, registered in the catalog and loaded by ingest (their services), then
    scanned once: what ``citybrain demo`` does up to the quality stage."""
    from citybrain.catalog import service as catalog
    from citybrain.ingest import service as ingest
    from citybrain.org import service as org
    from citybrain.quality import service as quality
    from citybrain.simulate import service as simulate

    home = tmp_path_factory.mktemp("quality-city") / "home"
    stores = Stores.from_settings(Settings(home=home))
    stores.migrate()
    simulate.generate_city(home / "city", scale="demo", seed=42)
    with session_scope(stores.sessions) as s:
        org.seed_defaults(s)
        catalog.register_manifest(s, home / "city" / "manifest.yaml")
        ingest.sync_jobs_from_catalog(s)
        jobs = [j.id for j in ingest.list_jobs(s) if j.enabled]
    ingest.run_many(stores, jobs, trigger="test")
    steps: list[str] = []
    with session_scope(stores.sessions) as s:
        quality.scan_catalog(s, stores.lake, step=steps.append)
    stores.scan_steps = steps  # type: ignore[attr-defined]  # what the scan said it ran
    yield stores
    stores.close()
