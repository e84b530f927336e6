"""Ingest and catalog over HTTP: register, sync, load, counts, quarantine, lineage, pages."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.anyio


async def test_register_load_and_browse(client: httpx.AsyncClient, tmp_path: Path) -> None:
    csv = tmp_path / "d.csv"
    csv.write_bytes("编号,日期\nA1,2024-01-01\nA2,不是日期\n".encode("gb18030"))
    entry = {
        "id": "minzheng.test",
        "title": "测试数据",
        "publisher": "minzheng",
        "publisher_name": "民政局",
        "share_type": "unconditional",
        "update_cycle": "daily",
        "themes": ["SOCI"],
        "distributions": [{"format": "csv", "access_url": str(csv), "encoding": "GBK"}],
        "fields": [
            {"name": "编号", "data_element": "code"},
            {"name": "日期", "type": "date", "data_element": "date"},
        ],
    }
    assert (await client.post("/api/v1/catalog/datasets", json=entry)).status_code == 201
    assert (await client.post("/api/v1/catalog/datasets", json=entry)).status_code == 200
    synced = (await client.post("/api/v1/ingest/jobs/sync")).json()
    assert synced["created"] == ["minzheng.test"]
    run = (await client.post("/api/v1/ingest/jobs/minzheng.test/runs")).json()
    assert (run["status"], run["rows_loaded"], run["rows_quarantined"]) == ("succeeded", 1, 1)
    counts = (await client.get("/api/v1/ingest/datasets")).json()
    assert counts == [
        {
            **counts[0],
            "dataset_id": "minzheng.test",
            "curated_rows": 1,
            "raw_rows": 2,
            "quarantined_rows": 1,
        }
    ]
    bad = await client.get("/api/v1/ingest/datasets/minzheng.test/quarantine")
    assert bad.json()[0]["reason_zh"] == "无法识别为日期" and bad.headers["x-total-count"] == "1"
    never = await client.get("/api/v1/ingest/datasets/minzheng.nothing/quarantine")
    assert never.status_code == 404 and never.json()["code"] == "ingest_dataset_not_loaded"
    lineage = (await client.get("/api/v1/catalog/datasets/minzheng.test/lineage")).json()
    layers = {(e["source_layer"], e["target_layer"]) for e in lineage}
    assert layers == {("source", "raw"), ("raw", "curated")} and len(lineage) == 4
    found = await client.get("/api/v1/catalog/datasets", params={"q": "测试", "theme": "SOCI"})
    assert [d["id"] for d in found.json()] == ["minzheng.test"]
    runs = (await client.get("/api/v1/ingest/runs", params={"job": "minzheng.test"})).json()
    assert len(runs) == 1 and runs[0]["status"] == "succeeded"
    done = await client.get("/api/v1/ingest/runs", params={"status": "succeeded"})
    assert [r["id"] for r in done.json()] == [runs[0]["id"]]
    wrong = await client.get("/api/v1/ingest/runs", params={"status": "success"})
    assert wrong.status_code == 400 and "unchanged" in wrong.json()["detail"]
    for page in (
        "/catalog",
        "/catalog/minzheng.test",
        "/ingest",
        "/ingest/minzheng.test/quarantine",
        "/ingest?lang=en",
    ):
        response = await client.get(page)
        assert response.status_code == 200, page
    assert "测试数据" in (await client.get("/ingest")).text
    # no English title in the catalog: the English pages show the Chinese one, not a blank
    for page in ("/ingest?lang=en", "/catalog?lang=en", "/catalog/minzheng.test?lang=en"):
        assert "测试数据" in (await client.get(page)).text, page


async def test_errors_are_problems(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/v1/catalog/datasets/no.such")
    assert r.status_code == 404 and r.json()["detail_zh"]
    r = await client.post("/api/v1/ingest/jobs/no.such/runs")
    assert r.status_code == 404
    r = await client.post(
        "/api/v1/catalog/datasets",
        json={
            "id": "a.b",
            "title": "t",
            "publisher": "bigdata",
            "share_type": "unconditional",
            "fields": [{"name": "x", "data_element": "not_an_element"}],
        },
    )
    assert r.status_code == 422
    r = await client.post(
        "/api/v1/ingest/jobs",
        json={"id": "a.b", "connector": "csv", "location": "/x.csv", "mode": "key"},
    )
    assert r.status_code == 422
