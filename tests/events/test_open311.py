"""Open311 GeoReport v2 with a plain HTTP client, as the published spec describes it:
form-encoded POST, JSON responses, errors as [{code, description}], statuses open/closed."""

from __future__ import annotations

import httpx
import pytest

from tests.events.conftest import point_in

pytestmark = pytest.mark.anyio
BASE = "/open311/v2"


async def test_services_and_definition(api: httpx.AsyncClient) -> None:
    services = (await api.get(f"{BASE}/services.json")).json()
    codes = {s["service_code"] for s in services}
    assert {"E-01-01", "C-02-01"} <= codes
    one = next(s for s in services if s["service_code"] == "E-05-03")
    assert set(one) >= {"service_code", "service_name", "description", "metadata", "type",
                        "keywords", "group"}  # fmt: skip
    assert one["metadata"] is False and one["type"] == "realtime"
    definition = (await api.get(f"{BASE}/services/E-05-03.json")).json()
    assert definition == {"service_code": "E-05-03", "attributes": []}
    missing = await api.get(f"{BASE}/services/nope.json")
    assert missing.status_code == 404 and missing.json()[0]["code"] == 404
    assert (await api.get(f"{BASE}/discovery.json")).json()["endpoints"][0]["url"].endswith("/v2/")


async def test_post_then_follow_a_request_until_closed(api: httpx.AsyncClient) -> None:
    x, y = point_in(3)
    form = {"service_code": "E-01-01", "lat": str(y), "long": str(x), "description": "垃圾没清运",
            "email": "someone@example.org", "first_name": "San", "last_name": "Zhang",
            "media_url": "https://example.org/p.jpg"}  # fmt: skip
    created = await api.post(f"{BASE}/requests.json", data=form)
    assert created.status_code == 200
    assert created.headers["content-type"].startswith("application/json")
    [receipt] = created.json()
    rid = receipt["service_request_id"]
    assert rid.isdigit() and set(receipt) == {"service_request_id", "service_notice", "account_id"}
    # a second resident reports the same pile: merged, same request id, with a notice
    dup = (await api.post(f"{BASE}/requests.json", data=form)).json()[0]
    assert dup["service_request_id"] == rid and dup["service_notice"]
    [req] = (await api.get(f"{BASE}/requests/{rid}.json")).json()
    assert req["status"] == "open" and req["service_code"] == "E-01-01"
    assert req["lat"] == pytest.approx(y) and req["long"] == pytest.approx(x)
    assert req["requested_datetime"].endswith("Z") and "email" not in req
    version = 1
    for action in ("file", "dispatch", "handle", "feedback", "verify", "close"):
        r = await api.post(f"/api/v1/events/cases/{rid}/{action}",
                           json={"version": version, "actor": "op"})  # fmt: skip
        version = r.json()["version"]
    [req] = (await api.get(f"{BASE}/requests/{rid}.json")).json()
    assert req["status"] == "closed"
    listed = (await api.get(f"{BASE}/requests.json",
                            params={"service_request_id": rid})).json()  # fmt: skip
    assert [r["service_request_id"] for r in listed] == [rid]
    closed = (await api.get(f"{BASE}/requests.json", params={
        "status": "closed", "start_date": "2000-01-01T00:00:00Z"})).json()  # fmt: skip
    assert [r["service_request_id"] for r in closed] == [rid]
    opened = (await api.get(f"{BASE}/requests.json", params={"status": "open"})).json()
    assert opened == []


@pytest.mark.parametrize(
    "form,status",
    [
        ({"lat": "36.055", "long": "120.305"}, 400),  # no service_code
        ({"service_code": "E-01-01"}, 400),  # no location
        ({"service_code": "E-01-01", "lat": "x", "long": "y"}, 400),
        ({"service_code": "nope", "lat": "36.055", "long": "120.305"}, 422),
        ({"service_code": "E-01-01", "lat": "10", "long": "10"}, 422),  # outside the city
        (
            {
                "service_code": "E-01-01",
                "lat": "36.055",
                "long": "120.305",
                "description": "长" * 4001,
            },
            400,
        ),  # fmt: skip
    ],
)
async def test_errors_follow_the_spec_shape(api: httpx.AsyncClient, form: dict, status: int
                                            ) -> None:  # fmt: skip
    r = await api.post(f"{BASE}/requests.json", data=form)
    assert r.status_code == status
    [error] = r.json()
    assert error["code"] == status and error["description"]
    assert (await api.get(f"{BASE}/requests.json")).json() == []


async def test_bad_query_and_unknown_request(api: httpx.AsyncClient) -> None:
    assert (await api.get(f"{BASE}/requests.json", params={"start_date": "yesterday"})
            ).status_code == 400  # fmt: skip
    assert (await api.get(f"{BASE}/requests.json", params={"status": "lost"})).status_code == 400
    assert (await api.get(f"{BASE}/requests/123456.json")).status_code == 404
    assert (await api.get(f"{BASE}/requests/abc.json")).status_code == 404
    r = await api.post(f"{BASE}/requests.json", content=b"<xml/>",
                       headers={"content-type": "text/xml"})  # fmt: skip
    assert r.status_code == 415
