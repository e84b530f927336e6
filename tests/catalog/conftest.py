"""A tiny synthetic city generated once per session (its manifest is what gets registered)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from citybrain.config import Settings
from citybrain.store.runtime import Stores


@pytest.fixture(scope="session")
def tiny_city(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from citybrain.simulate.service import generate_city

    out = tmp_path_factory.mktemp("catalog-city") / "city"
    generate_city(out, scale="tiny", seed=7)
    return out


@pytest.fixture
def stores(ops_db_url: str, tmp_path: Path) -> Iterator[Stores]:
    """Stores on SQLite and on PostgreSQL (the catalog is an ops-DB contract)."""
    s = Stores.from_settings(Settings(home=tmp_path / "home", ops_db_url=ops_db_url))
    s.migrate()
    yield s
    s.close()
