"""Computing indicators over real lake tables, storing them, and the checkup report files."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pyarrow as pa
import pytest

from citybrain.config import Settings
from citybrain.indicators import service
from citybrain.indicators.compute import CITY, lake_query_sql
from citybrain.indicators.definitions import LakeSource, Library
from citybrain.org import service as org_service
from citybrain.store.ops import session_scope
from citybrain.store.runtime import Stores

LIBRARY = Library.model_validate(
    {
        "indicators": [
            {
                "code": "PEOPLE",
                "name_zh": "人口",
                "name_en": "People",
                "family": "多元包容",
                "iso37120": "Population and social conditions",
                "direction": "neutral",
                "dimensions": ["city", "district"],
                "source": {
                    "kind": "lake",
                    "table": "curated.people",
                    "value": "count(*)",
                    "district": "{district_of:addr}",
                },
            },
            {
                "code": "OLD_SHARE",
                "name_zh": "老年人口占比",
                "name_en": "Old share",
                "family": "健康舒适",
                "iso37120": "Population and social conditions",
                "unit": "%",
                "direction": "down",
                "thresholds": {"bad": 50, "good": 0},
                "dimensions": ["city", "district"],
                "source": {
                    "kind": "lake",
                    "table": "curated.people",
                    "where": "alive",
                    "value": "100.0 * avg(CASE WHEN age >= 65 THEN 1 ELSE 0 END)",
                    "district": "{district_of:addr}",
                },
            },
            {
                "code": "FIRMS_PER_PERSON",
                "name_zh": "人均企业",
                "name_en": "Firms per person",
                "family": "创新活力",
                "iso37120": "Economy",
                "direction": "up",
                "thresholds": {"bad": 0, "good": 1},
                "dimensions": ["city", "district"],
                "source": {
                    "kind": "ratio",
                    "numerator": {
                        "kind": "lake",
                        "table": "curated.firms",
                        "value": "count(*)",
                        "district": "{district_of:addr}",
                    },
                    "denominator": {
                        "kind": "lake",
                        "table": "curated.people",
                        "value": "count(*)",
                        "district": "{district_of:addr}",
                    },
                },
            },  # fmt: skip
            {
                "code": "MISSING_TABLE",
                "name_zh": "缺表",
                "name_en": "Missing table",
                "family": "数据治理",
                "iso37120": "Governance",
                "direction": "neutral",
                "source": {"kind": "lake", "table": "curated.nowhere", "value": "count(*)"},
            },
            {
                "code": "BAD_SQL",
                "name_zh": "坏表达式",
                "name_en": "Bad SQL",
                "family": "数据治理",
                "iso37120": "Governance",
                "direction": "neutral",
                "source": {"kind": "lake", "table": "curated.people", "value": "sum(no_such_col)"},
            },
            {
                # DuckDB cuts this error's quoted value inside a Chinese character: the
                # binding raises UnicodeDecodeError, not a DuckDB error
                "code": "UNDECODABLE_ERROR",
                "name_zh": "错误信息无法解码",
                "name_en": "Undecodable error",
                "family": "数据治理",
                "iso37120": "Governance",
                "direction": "neutral",
                "source": {"kind": "lake", "table": "curated.notes",
                           "value": "count(CAST(CAST(note AS JSON) AS STRUCT(a VARCHAR)))"},
            },
        ]
    }
)


@pytest.fixture
def stores(settings: Settings) -> Stores:
    stores = Stores.from_settings(settings)
    stores.migrate()
    with session_scope(stores.sessions) as session:
        org_service.seed_defaults(session)
    stores.lake.write_arrow(
        "curated",
        "people",
        pa.table(
            {
                "addr": ["市南区香港中路1号", "山东省青岛市市南区燕儿岛路2号", "市北区辽宁路3号",
                         "市北区辽宁路5号", "北京市朝阳区1号"],
                "age": [70, 30, 80, 20, 66],
                "alive": [True, True, True, False, True],
            }
        ),
    )  # fmt: skip
    stores.lake.write_arrow(
        "curated", "firms", pa.table({"addr": ["市南区a", "市南区b", "市南区c", "市北区d"]})
    )
    stores.lake.write_arrow("curated", "notes", pa.table({"note": ['{"b": "' + "张" * 40 + '"}']}))
    yield stores
    stores.close()


def test_query_builder_groups_city_and_district_in_one_scan() -> None:
    source = LakeSource(kind="lake", table="t", value="count(*)", where="x > 1", district="d")
    sql = lake_query_sql('"s"."t"', source, by_district=True)
    assert "GROUPING SETS ((), (__district))" in sql and sql.count("FROM") == 2
    assert "WHERE x > 1" in sql
    assert "GROUPING" not in lake_query_sql('"s"."t"', source, by_district=False)


def test_compute_values_by_city_and_district(stores: Stores) -> None:
    results = {r.code: r for r in service.compute(stores, date(2024, 12, 31), LIBRARY)}
    people = results["PEOPLE"].values
    assert people[CITY] == 5  # the Beijing row counts for the city, not for a district
    assert people[("district", "370202")] == 2 and people[("district", "370203")] == 2
    old = results["OLD_SHARE"].values  # alive only: 市南 70,30 → 50%; 市北 80 → 100%
    assert old[CITY] == pytest.approx(75.0)
    assert old[("district", "370202")] == pytest.approx(50.0)
    assert old[("district", "370203")] == pytest.approx(100.0)
    firms = results["FIRMS_PER_PERSON"].values
    assert firms[("district", "370202")] == pytest.approx(1.5)
    assert firms[CITY] == pytest.approx(0.8)
    assert results["MISSING_TABLE"].status == "unavailable"
    assert results["BAD_SQL"].status == "error" and "no_such_col" in results["BAD_SQL"].note
    # one indicator whose error cannot even be read fails alone; the others were computed
    assert results["UNDECODABLE_ERROR"].status == "error"
    assert "无法解码" in results["UNDECODABLE_ERROR"].note


def test_values_are_stored_and_recomputing_replaces_them(stores: Stores) -> None:
    day = date(2024, 12, 31)
    service.compute(stores, day, LIBRARY)
    service.compute(stores, day, LIBRARY)
    with stores.sessions() as session:
        rows = service.values_for(session, day, "PEOPLE")
        assert sorted((r.dim, r.dim_value, r.value) for r in rows) == [
            ("city", "", 5.0), ("district", "370202", 2.0), ("district", "370203", 2.0),
        ]  # fmt: skip
        assert service.latest_period(session) == day


def test_checkup_writes_html_and_pdf_and_compares(stores: Stores, tmp_path: Path) -> None:
    first = service.run_checkup(stores, date(2024, 12, 30), tmp_path, library=LIBRARY)
    second = service.run_checkup(stores, date(2024, 12, 31), tmp_path, library=LIBRARY)
    assert second.summary["previous_checkup"] == first.id
    html = Path(second.html_path).read_text(encoding="utf-8")
    assert "城市体检报告" in html and "老年人口占比" in html and "<svg" in html
    # OLD_SHARE city 75% → score (75-50)/(0-50) clamps to 0: a problem with its evidence.
    problem = next(p for p in second.summary["problems"] if p["code"] == "OLD_SHARE")
    assert problem["score"] == 0.0 and problem["evidence"]["worst_districts"]
    assert {u["code"] for u in second.summary["unavailable"]} == {
        "MISSING_TABLE", "BAD_SQL", "UNDECODABLE_ERROR"}
    if not Path("/usr/bin/chromium").exists():
        pytest.fail("Chromium is needed for the PDF report: apt-get install chromium")
    pdf = Path(second.pdf_path)
    assert pdf.read_bytes()[:5] == b"%PDF-" and pdf.stat().st_size > 10_000
