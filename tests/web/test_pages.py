"""Console pages over HTTP (no browser): language choice and the vendor asset route."""

from __future__ import annotations

import httpx
import pytest

pytestmark = pytest.mark.anyio


async def test_home_in_both_languages(client: httpx.AsyncClient) -> None:
    zh = await client.get("/")
    assert zh.status_code == 200 and "城市大脑运行总览" in zh.text
    en = await client.get("/", params={"lang": "en"})
    assert "City brain at a glance" in en.text
    assert en.cookies.get("citybrain_lang") == "en"


async def test_echarts_is_served_from_the_npm_install(client: httpx.AsyncClient) -> None:
    response = await client.get("/static/vendor/echarts.min.js")
    assert response.status_code == 200
    assert "echarts" in response.text[:5000]
    missing = await client.get("/static/vendor/jquery.js")
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")
