"""HTTP API, console pages and CLI of the fusion domain, over the tiny city's registries."""

from __future__ import annotations

from pathlib import Path

import httpx
import pyarrow as pa
import pyarrow.csv as pacsv
import pytest
from typer.testing import CliRunner

from citybrain.app import create_app
from citybrain.cli import app as cli_app
from citybrain.config import Settings
from citybrain.fusion import service
from citybrain.fusion.errors import FusionInputError
from citybrain.privacy import mask_identifier as mask
from tests.fusion.test_linking import _background


@pytest.fixture
async def reg_client(home_with_registry: Path):
    app = create_app(Settings(home=home_with_registry))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
            yield c


def lake_ids(built, person_id: str) -> set[str]:
    """The ID numbers the person's source rows hold in the lake (whole)."""
    lake, _ = built
    return {r["id_number"] for r in lake.query(
        "SELECT id_number FROM registry.person_mentions WHERE person_id = ? "
        "AND id_number IS NOT NULL", [person_id]).to_pylist()}


def _a_person(built) -> dict:
    lake, _ = built
    return lake.query("""
      SELECT person_id, id_number, name FROM registry.persons
      WHERE id_number IS NOT NULL AND home_building_id IS NOT NULL AND n_mentions > 1
      ORDER BY person_id LIMIT 1""").to_pylist()[0]


@pytest.mark.anyio
async def test_api_routes(reg_client: httpx.AsyncClient, built) -> None:
    p = _a_person(built)
    s = (await reg_client.get("/api/v1/fusion/summary")).json()
    assert s["built"] and s["persons"] > 1000 and s["residents"] > 1000
    found = (await reg_client.get("/api/v1/fusion/persons",
                                  params={"id_number": p["id_number"]})).json()
    assert [f["person_id"] for f in found] == [p["person_id"]]
    assert [f["id_number"] for f in found] == [mask(p["id_number"])]
    page = await reg_client.get(f"/api/v1/fusion/persons/{p['person_id']}")
    d = page.json()
    assert d["record"]["name"] == p["name"] and d["sources"] and d["building"]
    # no grant: ID numbers are masked in the golden record and in every source row
    assert p["id_number"] not in page.text and d["record"]["id_number"] == mask(p["id_number"])
    assert {s["id_number"] for s in d["sources"] if s["id_number"]} <= {
        mask(s) for s in lake_ids(built, p["person_id"])}
    assert d["record"]["name_source"]["dataset"]
    b = (await reg_client.get(f"/api/v1/fusion/buildings/{d['building']['building_id']}"
                              )).json()
    assert p["person_id"] in [x["person_id"] for x in b["people"]]
    res = (await reg_client.get("/api/v1/fusion/residents")).json()
    assert len(res) == 10 and all(len(k) == 6 for k in res)
    grid = (await reg_client.get("/api/v1/fusion/residents",
                                 params={"level": "grid", "district": next(iter(res))})).json()
    assert grid and sum(grid.values()) <= res[next(iter(res))]
    lake, _ = built
    uscc = lake.query("SELECT uscc FROM registry.companies WHERE uscc IS NOT NULL "
                      "ORDER BY company_id LIMIT 1").column(0)[0].as_py()
    c = (await reg_client.get(f"/api/v1/fusion/companies/{uscc}")).json()
    assert c["record"]["uscc"] == uscc
    missing = await reg_client.get("/api/v1/fusion/persons/P999999999")
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")
    bad = await reg_client.get("/api/v1/fusion/residents", params={"level": "street"})
    assert bad.status_code == 422


@pytest.mark.anyio
async def test_api_before_build(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/v1/fusion/summary")).json() == {"built": False}
    r = await client.get("/api/v1/fusion/residents")
    assert r.status_code == 404 and "fusion build" in r.text
    page = await client.get("/fusion")
    assert page.status_code == 200 and 'id="not-built"' in page.text


@pytest.mark.anyio
async def test_console_pages(reg_client: httpx.AsyncClient, built) -> None:
    p = _a_person(built)
    page = await reg_client.get("/fusion", params={"q": p["id_number"]})
    assert page.status_code == 200
    assert f"/fusion/persons/{p['person_id']}" in page.text
    found = page.text[page.text.index('id="found"'):]
    assert p["id_number"] not in found and mask(p["id_number"]) in found  # masked
    assert 'id="residents"' in page.text
    detail = await reg_client.get(f"/fusion/persons/{p['person_id']}")
    assert detail.status_code == 200
    assert p["name"] in detail.text and "gongan.hukou" in detail.text


def test_cli_lookups(home_with_registry: Path, built) -> None:
    p = _a_person(built)
    runner = CliRunner()
    r = runner.invoke(cli_app, ["fusion", "person", p["id_number"]])
    assert r.exit_code == 0, r.output
    assert p["person_id"] in r.output
    assert p["id_number"] not in r.output and mask(p["id_number"]) in r.output
    r = runner.invoke(cli_app, ["fusion", "residents"])
    assert r.exit_code == 0 and "370202" in r.output
    r = runner.invoke(cli_app, ["fusion", "person", "P999999999"])
    assert r.exit_code != 0


def test_cli_link_person_and_company(tmp_path: Path) -> None:
    rows = _background(30)
    cols = service.LINK_COLUMNS["person"]
    src = tmp_path / "people.csv"
    pacsv.write_csv(pa.table({c: pa.array([r.get(c) for r in rows], pa.string())
                              for c in cols}), src)
    out = tmp_path / "clusters.csv"
    r = CliRunner().invoke(cli_app, ["fusion", "link", "--kind", "person", str(src),
                                     "--out", str(out)])
    assert r.exit_code == 0, r.output
    got = {x["record_id"]: x["cluster_id"] for x in pacsv.read_csv(out).to_pylist()}
    assert len(got) == 60 and len(set(got.values())) == 30
    assert got["gongan-7"] == got["renshe-7"] != got["gongan-8"]

    comp = tmp_path / "companies.csv"
    comp.write_text(
        "record_id,source,name,uscc,legal_rep,address\n"
        "1,scjg,青岛宝诚机械制造有限公司,91370211MAUTGBHH2X,徐阳伟,\n"
        "2,nb,青岛寶誠機械製造有限公司,91370211MAUTGBHH2X,,\n"
        "3,scjg,青岛海信农业科技合伙企业,91370213MAKKKX5X2Q,吕志国,\n", encoding="utf-8")
    r = CliRunner().invoke(cli_app, ["fusion", "link", "--kind", "company", str(comp),
                                     "--out", str(out)])
    assert r.exit_code == 0, r.output
    got = {str(x["record_id"]): x["cluster_id"] for x in pacsv.read_csv(out).to_pylist()}
    assert got["1"] == got["2"] != got["3"]
    bad = CliRunner().invoke(cli_app, ["fusion", "link", "--kind", "person",
                                       str(tmp_path / "nope.csv"), "--out", str(out)])
    assert bad.exit_code != 0


def test_link_names_what_is_wrong_with_the_record_ids() -> None:
    def table(ids: list[str | None]) -> pa.Table:
        return pa.table({"record_id": pa.array(ids, pa.string()),
                         "name": pa.array(["张三"] * len(ids), pa.string())})

    with pytest.raises(FusionInputError, match=r"2 rows") as empty:
        service.link_table(table(["r1", None, ""]), "person")
    assert "record_id 为空" in empty.value.message_zh
    with pytest.raises(FusionInputError, match=r"1 repeat \('r1'"):
        service.link_table(table(["r1", "r2", "r1"]), "person")
