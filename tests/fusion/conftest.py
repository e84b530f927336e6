"""Synthetic cities generated once per session, and the registries built from them.

* ``fusion_city`` / ``built``: the tiny city (seed 7) — quick; registries, links, API, CLI.
* ``demo_city`` / ``demo_built``: the demo city (seed 42) that ``citybrain demo`` uses — the
  accuracy figures of the issue (pairwise P/R, residents per district) are asserted on it.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from citybrain.fusion import service
from citybrain.simulate.service import generate_city
from citybrain.store.lake import DuckDBLake


@pytest.fixture(scope="session")
def fusion_city(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("fusion-city")
    generate_city(out, scale="tiny", seed=7)
    return out


@pytest.fixture(scope="session")
def built_lake_file(fusion_city: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("fusion-lake") / "lake.duckdb"
    lake = DuckDBLake(path)
    try:
        service.build(lake, fusion_city, source="files")
    finally:
        lake.close()
    return path


@pytest.fixture(scope="session")
def built(built_lake_file: Path):
    lake = DuckDBLake(built_lake_file)
    yield lake, None
    lake.close()


@pytest.fixture
def home_with_registry(built_lake_file: Path, tmp_path: Path) -> Path:
    """The test's CITYBRAIN_HOME holding a copy of the tiny city's registries."""
    home = tmp_path / "home"
    home.mkdir(parents=True, exist_ok=True)
    shutil.copy(built_lake_file, home / "lake.duckdb")
    return home


@pytest.fixture(scope="session")
def demo_city(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("fusion-demo-city")
    generate_city(out, scale="demo", seed=42)
    return out


@pytest.fixture(scope="session")
def demo_built(demo_city: Path, tmp_path_factory: pytest.TempPathFactory):
    lake = DuckDBLake(tmp_path_factory.mktemp("fusion-demo-lake") / "lake.duckdb")
    service.build(lake, demo_city, source="files")
    yield lake
    lake.close()
