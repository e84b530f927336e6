"""Fixtures shared by every test: temp data dirs, real PostgreSQL and Mosquitto, the app.

Servers are throwaway instances from the installed binaries. Where a binary is missing, the
test fails in CI (``CI`` set) and is skipped with the install hint on a developer's machine,
so CI never passes by skipping.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from citybrain.app import create_app
from citybrain.config import Settings, get_settings
from citybrain.testing.servers import MosquittoServer, PostgresServer, ServerUnavailable

IN_CI = bool(os.environ.get("CI"))


def _unavailable(message: str) -> None:
    if IN_CI:
        pytest.fail(f"required test server unavailable in CI: {message}")
    pytest.skip(message)


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """Every test gets its own data dir and fresh settings; nothing leaks between tests."""
    for key in list(os.environ):
        if key.startswith("CITYBRAIN_") and key != "CITYBRAIN_TEST_PG_URL":
            monkeypatch.delenv(key)
    monkeypatch.setenv("CITYBRAIN_HOME", str(tmp_path / "home"))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    try:
        server = PostgresServer().start()
    except ServerUnavailable as e:
        _unavailable(str(e))
    yield server
    server.stop()


@pytest.fixture
def pg_url(request: pytest.FixtureRequest) -> str:
    """A fresh empty PostgreSQL database: CITYBRAIN_TEST_PG_URL's server if set, else ours."""
    external = os.environ.get("CITYBRAIN_TEST_PG_URL")
    if external:
        return external
    server: PostgresServer = request.getfixturevalue("pg_server")
    return server.create_database()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.pg)])
def ops_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Runs a test once on SQLite and once on PostgreSQL (the ops-DB contract)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'ops.db'}"
    return request.getfixturevalue("pg_url")


@pytest.fixture(scope="session")
def mosquitto_url() -> Iterator[str]:
    try:
        broker = MosquittoServer().start()
    except ServerUnavailable as e:
        _unavailable(str(e))
    yield broker.url
    broker.stop()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path / "home")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """In-process API client over a fresh data dir, with the app's lifespan run."""
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
            yield c


@pytest.fixture(scope="session")
def demo_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data dir prepared by the demo pipeline, once per session (as `make demo` would)."""
    from rich.console import Console

    from citybrain.demo import run_demo

    home = tmp_path_factory.mktemp("demo") / "home"
    run_demo(Settings(home=home), Console(quiet=True))
    return home
