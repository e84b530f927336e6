"""One demo city per test session, shared read-only by every simulate test."""

from __future__ import annotations

from pathlib import Path

import pytest

from citybrain.simulate import service


@pytest.fixture(scope="session")
def city(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("city") / "demo"
    service.generate_city(out, scale="demo", seed=42)
    return out


@pytest.fixture(scope="session")
def manifest(city: Path) -> dict:
    return service.load_manifest(city)
