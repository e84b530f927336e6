"""The events API: intake, workflow over HTTP, catalogue editing, and bad input as 4xx."""

from __future__ import annotations

import httpx
import pytest

from tests.events.conftest import GRIDS, point_in

pytestmark = pytest.mark.anyio
PROBLEM = "application/problem+json"


def problem(response: httpx.Response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    assert body["detail"] and body["detail_zh"]
    return body


def report(grid: int = 0, **kw) -> dict:  # type: ignore[no-untyped-def]
    x, y = point_in(grid)
    return {"source": "citizen", "category": "garbage", "lon": x, "lat": y,
            "description": "楼下垃圾堆了好几天", **kw}  # fmt: skip


async def test_report_then_walk_the_workflow(api: httpx.AsyncClient) -> None:
    created = await api.post("/api/v1/events/reports", json=report(source_ref="w1"))
    assert created.status_code == 201 and created.json()["grid_code"] == GRIDS[0]
    case_id = created.json()["case_id"]
    again = await api.post("/api/v1/events/reports", json=report(source_ref="w1"))
    assert again.status_code == 200 and again.json()["status"] == "repeat"
    case = (await api.get(f"/api/v1/events/cases/{case_id}")).json()
    assert case["state"] == "reported" and case["allowed_actions"][:1] == ["file"]
    for action in ("file", "dispatch", "handle", "feedback", "verify", "close"):
        r = await api.post(f"/api/v1/events/cases/{case_id}/{action}",
                           json={"version": case["version"], "actor": "op", "note": action,
                                 "attachments": ["photo://after.jpg"]})  # fmt: skip
        assert r.status_code == 200, r.text
        case = r.json()
    detail = (await api.get(f"/api/v1/events/cases/{case_id}")).json()
    assert detail["state"] == "closed"
    assert [s["action"] for s in detail["steps"]] == [
        "report", "file", "dispatch", "handle", "feedback", "verify", "close"]  # fmt: skip
    assert detail["steps"][-1]["attachments"] == ["photo://after.jpg"]
    assert "contact" not in detail["reports"][0]
    listed = (await api.get("/api/v1/events/cases", params={"state": "closed"})).json()
    assert listed["total"] == 1 and listed["items"][0]["case_no"].endswith(f"{case_id:06d}")
    both = (await api.get("/api/v1/events/cases", params={"state": "closed,filed"})).json()
    assert both["total"] == 1
    for typo in ({"state": "closed,cloesd"}, {"source": "sensors"}):  # an error, not "no cases"
        wrong = await api.get("/api/v1/events/cases", params=typo)
        assert wrong.status_code == 400 and wrong.json()["code"] == "unknown_choice"
        assert wrong.json()["context"]["value"] in ("cloesd", "sensors")
    metrics = (await api.get("/api/v1/events/metrics", params={"by": "grid"})).json()
    assert metrics[0]["scope_code"] == GRIDS[0] and metrics[0]["close_rate"] == 1.0
    assert (await api.post("/api/v1/events/snapshots", json={})).json()["rows"] >= 3


async def test_wrong_transition_stale_version_and_missing_approver(api: httpx.AsyncClient
                                                                   ) -> None:  # fmt: skip
    case_id = (await api.post("/api/v1/events/reports", json=report())).json()["case_id"]
    url = f"/api/v1/events/cases/{case_id}"
    body = problem(await api.post(f"{url}/close", json={"version": 1, "actor": "op"}), 409)
    assert body["code"] == "transition_forbidden" and "file" in body["context"]["allowed"]
    assert (await api.post(f"{url}/file", json={"version": 1, "actor": "op"})).status_code == 200
    body = problem(await api.post(f"{url}/dispatch", json={"version": 1, "actor": "op"}), 409)
    assert body["code"] == "stale_version"
    assert (await api.post(f"{url}/dispatch", json={"version": 2, "actor": "op"})).is_success
    body = problem(await api.post(f"{url}/suspend", json={"version": 3, "actor": "op",
                                                          "reason": "等待材料"}), 422)  # fmt: skip
    assert body["code"] == "reason_and_approver_required"
    problem(await api.post(f"{url}/teleport", json={"version": 3, "actor": "op"}), 422)
    problem(await api.post("/api/v1/events/cases/99999/file",
                           json={"version": 1, "actor": "op"}), 404)  # fmt: skip
    unchanged = (await api.get(url)).json()
    assert (unchanged["state"], unchanged["version"]) == ("dispatched", 3)


@pytest.mark.parametrize(
    "payload,status,code",
    [
        (report(lon=130.0, lat=20.0), 422, "outside_city"),
        (report(category="unicorns"), 422, "unknown_category"),
        ({"source": "citizen", "category": "garbage"}, 422, "no_location"),
        (report(description="长" * 4001), 422, "validation_error"),
        (report(media=["x"] * 10), 422, "validation_error"),
        (report(source="fax"), 422, "validation_error"),
        (report(lon=500), 422, "validation_error"),
        (report(secret="x"), 422, "validation_error"),
    ],
)
async def test_bad_reports_are_clear_4xx(
    api: httpx.AsyncClient, payload: dict, status: int, code: str
) -> None:
    body = problem(await api.post("/api/v1/events/reports", json=payload), status)
    if code != "validation_error":
        assert body["code"] == code
    assert (await api.get("/api/v1/events/cases")).json()["total"] == 0


async def test_batch_keeps_the_good_and_quarantines_the_bad(api: httpx.AsyncClient) -> None:
    batch = {
        "reports": [
            report(source_ref="g1"),
            report(source_ref="b1", lon=1.0, lat=1.0),
            report(1, source_ref="g2", source="sensor", category="gas_leak"),
        ]
    }
    result = (await api.post("/api/v1/events/reports/batch", json=batch)).json()
    assert (result["created"], result["rejected"], result["dispatched"]) == (2, 1, 1)
    assert [i["error"] for i in result["items"]] == [None, "outside_city", None]
    clear = await api.post("/api/v1/events/reports/clear",
                           json={"source": "sensor", "source_ref": "g2"})  # fmt: skip
    assert clear.json()["case_id"] == result["items"][2]["case_id"]


async def test_catalogue_is_editable_and_exported(api: httpx.AsyncClient) -> None:
    cats = (await api.get("/api/v1/events/categories")).json()
    assert {c["kind"] for c in cats} == {"component", "event"}
    patched = await api.patch("/api/v1/events/categories/E-01-01",
                              json={"sla_handle_h": 6, "keywords": ["垃圾", "渣土"]})  # fmt: skip
    assert patched.json()["sla_handle_h"] == 6
    assert "渣土" in (await api.get("/api/v1/events/categories.yaml")).text
    problem(await api.patch("/api/v1/events/categories/E-01-01", json={"sla_handle_h": -1}), 422)
    problem(await api.get("/api/v1/events/categories/X-99-99"), 404)
    new = {"code": "E-02-05", "kind": "event", "major_code": "02", "major_name": "宣传广告",
           "minor_code": "05", "name": "违规横幅", "department_code": "chengguan"}  # fmt: skip
    assert (await api.post("/api/v1/events/categories", json=new)).status_code == 201
    assert (await api.post("/api/v1/events/categories", json=new)).status_code == 200
    x, y = point_in(2)
    r = await api.post("/api/v1/events/reports", json=report(2, category="违规横幅"))
    assert r.status_code == 201
    reset = (await api.post("/api/v1/events/categories/reload")).json()
    assert reset["changed"] >= 1


async def test_areas_lookup_and_geojson(api: httpx.AsyncClient) -> None:
    grids = (await api.get("/api/v1/events/areas", params={"level": "grid"})).json()
    assert [g["code"] for g in grids] == GRIDS
    x, y = point_in(1)
    chain = (await api.get("/api/v1/events/lookup", params={"lon": x, "lat": y})).json()
    assert chain["grid"]["code"] == GRIDS[1] and chain["street"]["code"] == "370202001"
    problem(await api.get("/api/v1/events/lookup", params={"lon": 10, "lat": 10}), 422)
    geo = (await api.get("/api/v1/events/grids.geojson")).json()
    assert len(geo["features"]) == 4
    summary = (await api.get("/api/v1/events/summary")).json()
    assert summary["total"] == 0
