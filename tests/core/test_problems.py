"""Errors reach a browser on the console as a page and an API client as a problem document."""

from __future__ import annotations

import httpx
import pytest

pytestmark = pytest.mark.anyio

HTML = {"accept": "text/html,application/xhtml+xml,*/*;q=0.8"}


async def test_a_browser_gets_a_console_page_in_its_language(client: httpx.AsyncClient) -> None:
    response = await client.get("/catalog/nosuch", headers=HTML)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "数据资源目录中没有 nosuch" in response.text and "dataset_not_found" in response.text
    assert response.headers["x-request-id"] in response.text  # to quote when reporting it
    english = await client.get("/catalog/nosuch?lang=en", headers=HTML)
    assert english.status_code == 404 and "dataset nosuch is not in the catalog" in english.text
    # an unknown page and a malformed path parameter are pages too
    assert "未找到" in (await client.get("/no/such/page?lang=zh", headers=HTML)).text
    bad = await client.get("/events/cases/not-a-number", headers=HTML)
    assert bad.status_code in (404, 422) and bad.headers["content-type"].startswith("text/html")


async def test_api_clients_and_non_browsers_get_the_problem_document(
    client: httpx.AsyncClient,
) -> None:
    api = await client.get("/api/v1/quality/tickets/99999", headers=HTML)
    assert api.status_code == 404
    assert api.headers["content-type"].startswith("application/problem+json")
    assert api.json()["code"] == "quality_ticket_not_found"
    plain = await client.get("/catalog/nosuch")  # curl and scripts do not ask for HTML
    assert plain.headers["content-type"].startswith("application/problem+json")
    assert plain.json()["detail_zh"] == "数据资源目录中没有 nosuch"


async def test_a_quality_page_of_a_dataset_nobody_knows_is_not_found(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/quality/datasets/nosuch", headers=HTML)
    assert response.status_code == 404 and "尚未进行质量检查" in response.text
