"""Browser fixtures: Chromium and a live server per module, screenshots kept.

Module scope, not session: sync Playwright keeps an event loop on the main thread while it
runs, which would break the anyio-based API tests collected after it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from citybrain.app import create_app
from citybrain.config import Settings
from citybrain.org import service as org_service
from citybrain.store.ops import session_scope
from citybrain.store.runtime import Stores
from citybrain.testing.browser import chromium
from citybrain.testing.live import live_server
from tests.conftest import _unavailable

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    try:
        with chromium() as b:
            yield b
    except FileNotFoundError as e:
        _unavailable(str(e))


@pytest.fixture(scope="module")
def console_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A live console over a seeded data dir."""
    settings = Settings(home=tmp_path_factory.mktemp("console") / "home")
    stores = Stores.from_settings(settings)
    stores.migrate()
    with session_scope(stores.sessions) as session:
        org_service.seed_defaults(session)
    stores.close()
    with live_server(create_app(settings)) as url:
        yield url


@pytest.fixture
def page(browser) -> Iterator[object]:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def screenshot(page, request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    """Save a named screenshot into test-artifacts/ (CI keeps the folder)."""
    ARTIFACTS.mkdir(exist_ok=True)

    def take(name: str) -> Path:
        path = ARTIFACTS / f"{request.node.name}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
