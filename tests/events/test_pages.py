"""Console pages over HTTP: list with filters and map data, detail, evaluation, report page."""

from __future__ import annotations

import httpx
import pytest

from tests.events.conftest import point_in

pytestmark = pytest.mark.anyio


async def test_pages_render_in_both_languages(api: httpx.AsyncClient) -> None:
    x, y = point_in(0)
    r = await api.post(
        "/api/v1/events/reports",
        json={
            "source": "patrol",
            "category": "E-05-03",
            "lon": x,
            "lat": y,
            "title": "消防通道违停",
        },
    )
    case_id = r.json()["case_id"]
    page = await api.get("/events")
    assert page.status_code == 200 and "案件中心" in page.text and f"#{case_id}" in page.text
    assert 'id="case-map"' in page.text and "/static/app/events.js" in page.text
    filtered = await api.get("/events", params={"state": "closed"})
    assert f"#{case_id}<" not in filtered.text
    detail = await api.get(f"/events/cases/{case_id}", params={"lang": "en"})
    assert detail.status_code == 200 and "Timeline" in detail.text
    assert 'data-action="handle"' in detail.text and 'data-action="close"' not in detail.text
    missing = await api.get("/events/cases/424242")
    assert missing.status_code == 404
    stats = await api.get("/events/stats", params={"by": "grid", "lang": "zh"})
    assert stats.status_code == 200 and "按期结案率" in stats.text
    mobile = await api.get("/events/report")
    assert (
        'name="viewport"' in mobile.text
        and "/open311/v2/requests.json" in (await api.get("/static/app/events.js")).text
    )
    assert 'name="service_code"' in mobile.text
