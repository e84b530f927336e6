"""The quality API and console pages on a fresh data dir."""

from __future__ import annotations

import httpx
import pytest

pytestmark = pytest.mark.anyio


async def test_scorecards_tickets_and_pages(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/v1/quality/scorecards")).json() == []
    assert (await client.get("/api/v1/quality/tickets?active=true")).json() == []
    typo = await client.get("/api/v1/quality/tickets?state=opne")  # not an empty list: an error
    assert typo.status_code == 400 and typo.json()["code"] == "quality_unknown_ticket_state"
    assert "in_progress" in typo.json()["detail"]
    missing = await client.get("/api/v1/quality/tickets/999")
    assert missing.status_code == 404
    assert (await client.get("/api/v1/quality/tickets/999/rows")).status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")
    bad = await client.post("/api/v1/quality/tickets/1/actions", json={"action": "explode"})
    assert bad.status_code == 422
    page = await client.get("/quality")
    assert page.status_code == 200 and "数据质量" in page.text
    # neither in the catalog nor scanned: not found, rather than an empty report
    assert (await client.get("/quality/datasets/gongan.hukou")).status_code == 404
    for path in ("datasets/gongan.hukou", "departments/gongan"):  # nothing scanned yet
        report = await client.get(f"/api/v1/quality/reports/{path}")
        assert report.status_code == 404
        assert report.json()["code"] == "quality_not_scanned"
