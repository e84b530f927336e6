"""The org API: happy paths and every kind of bad input as 4xx problem+json, never 500."""

from __future__ import annotations

import httpx
import pytest

pytestmark = pytest.mark.anyio

PROBLEM = "application/problem+json"


def assert_problem(response: httpx.Response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    assert body["status"] == status
    assert body["title"] and body["title_zh"] and body["detail"] and body["detail_zh"]
    assert body["request_id"] == response.headers["x-request-id"]
    return body


async def test_create_get_list_update_delete(client: httpx.AsyncClient) -> None:
    payload = {"code": "370202", "name_zh": "市南区", "name_en": "Shinan"}
    created = await client.post("/api/v1/org/districts", json=payload)
    assert created.status_code == 201
    again = await client.post("/api/v1/org/districts", json=payload)
    assert again.status_code == 200  # idempotent retry
    dept = {"code": "gongan", "name_zh": "公安局", "district_code": "370202"}
    assert (await client.post("/api/v1/org/departments", json=dept)).status_code == 201
    listed = await client.get("/api/v1/org/departments", params={"district": "370202"})
    assert [d["code"] for d in listed.json()] == ["gongan"]
    patched = await client.patch("/api/v1/org/districts/370202", json={"name_en": "Shinan Dist."})
    assert patched.json()["name_en"] == "Shinan Dist."
    assert_problem(await client.delete("/api/v1/org/districts/370202"), 409)
    assert (await client.delete("/api/v1/org/departments/gongan")).status_code == 204
    assert (await client.delete("/api/v1/org/districts/370202")).status_code == 204
    assert (await client.get("/api/v1/org/districts")).json() == []


async def test_malformed_json(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/v1/org/districts",
        content=b'{"code": "370202",',
        headers={"content-type": "application/json"},
    )
    assert assert_problem(response, 400)["code"] == "malformed_json"


async def test_unknown_fields(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/v1/org/districts", json={"code": "370202", "name_zh": "市南区", "mayor": "x"}
    )
    body = assert_problem(response, 422)
    assert ["body", "mayor"] in [e["loc"] for e in body["errors"]]


@pytest.mark.parametrize(
    "payload",
    [
        {"code": 370202, "name_zh": "市南区"},
        {"code": "37020", "name_zh": "市南区"},
        {"code": "370202", "name_zh": ["市南区"]},
        {"code": "370202", "name_zh": "市南区", "kind": "province"},
        [],
        "text",
    ],
)
async def test_wrong_types(client: httpx.AsyncClient, payload: object) -> None:
    assert_problem(await client.post("/api/v1/org/districts", json=payload), 422)


async def test_validation_errors_do_not_echo_values(client: httpx.AsyncClient) -> None:
    secret = "370202199001011234"
    response = await client.post("/api/v1/org/districts", json={"code": secret, "name_zh": "x"})
    assert_problem(response, 422)
    assert secret not in response.text


async def test_unknown_ids(client: httpx.AsyncClient) -> None:
    assert assert_problem(await client.get("/api/v1/org/districts/999999"), 404)["code"] == (
        "district_not_found"
    )
    assert_problem(await client.get("/api/v1/org/departments/nobody"), 404)
    assert_problem(await client.patch("/api/v1/org/departments/nobody", json={"name_zh": "x"}), 404)
    assert_problem(await client.delete("/api/v1/org/departments/nobody"), 404)
    assert_problem(await client.get("/api/v1/org/districts/ABC"), 422)
    orphan = {"code": "orphan", "name_zh": "孤儿部门", "district_code": "999999"}
    assert_problem(await client.post("/api/v1/org/departments", json=orphan), 404)


async def test_unknown_route_and_method(client: httpx.AsyncClient) -> None:
    assert_problem(await client.get("/api/v1/nowhere"), 404)
    assert_problem(await client.put("/api/v1/org/districts"), 405)


async def test_health_and_openapi(client: httpx.AsyncClient) -> None:
    health = await client.get("/api/v1/health")
    assert health.status_code == 200
    assert health.json()["checks"] == {"ops_db": "ok", "lake": "ok"}
    paths = (await client.get("/api/openapi.json")).json()["paths"]
    assert "/api/v1/org/districts" in paths and "/api/v1/org/departments/{code}" in paths
    assert (await client.get("/api/docs")).status_code == 200


async def test_request_id_is_propagated(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/health", headers={"x-request-id": "abc123"})
    assert response.headers["x-request-id"] == "abc123"
