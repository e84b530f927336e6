from __future__ import annotations

import httpx
import pytest

from citybrain.app import create_app
from citybrain.config import Settings

pytestmark = pytest.mark.anyio


async def test_health_is_503_problem_when_a_store_is_down(settings: Settings) -> None:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        app.state.stores.engine.dispose()
        app.state.stores.engine = __import__("citybrain.store.ops", fromlist=["x"]).create_engine(
            "postgresql+psycopg://nobody@127.0.0.1:1/none"
        )
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            response = await client.get("/api/v1/health")
    assert response.status_code == 503
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["context"]["checks"] == {"ops_db": "unavailable", "lake": "ok"}


async def test_app_runs_on_postgresql(pg_url: str, tmp_path) -> None:
    settings = Settings(home=tmp_path / "h", ops_db_url=pg_url)
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            assert (await client.get("/api/v1/health")).status_code == 200
            created = await client.post(
                "/api/v1/org/districts", json={"code": "370203", "name_zh": "市北区"}
            )
            assert created.status_code == 201


test_app_runs_on_postgresql = pytest.mark.pg(test_app_runs_on_postgresql)
