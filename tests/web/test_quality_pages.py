"""The quality console in a real browser: department scorecards, tickets, a dataset's trend."""

from __future__ import annotations

import math
from collections.abc import Iterator

import pytest

from citybrain.app import create_app
from citybrain.catalog import service as catalog
from citybrain.catalog.schemas import DatasetCreate
from citybrain.config import Settings
from citybrain.org import service as org_service
from citybrain.quality import service
from citybrain.store.ops import session_scope
from citybrain.store.runtime import Stores
from citybrain.testing.live import live_server
from tests.quality.test_service import DS, load

pytestmark = pytest.mark.browser

GOOD_ID = "11010519491231002X"


@pytest.fixture(scope="module")
def scanned(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, float]]:
    """A live console over a home where one dataset was scanned on two loads: the first with
    a bad ID and a traditional-character name, the second with the name fixed. Yields the
    URL and the second scan's score."""
    settings = Settings(home=tmp_path_factory.mktemp("quality-console") / "home")
    stores = Stores.from_settings(settings)
    stores.migrate()
    with session_scope(stores.sessions) as session:
        org_service.seed_defaults(session)
        catalog.upsert_dataset(session, DatasetCreate(
            id=DS.id, title="人员信息", title_en="People", publisher="gongan",
            update_cycle="daily", share_type="unconditional",
            fields=[{"name": f.name, "data_element": f.element} for f in DS.fields]))
        load(stores.lake, [GOOD_ID, "11010519491231003", GOOD_ID], ["张三", "張三", "李四"])
        service.scan_dataset(session, stores.lake, DS, load_ref="load-1")
        load(stores.lake, [GOOD_ID, "11010519491231003", GOOD_ID], ["张三", "张三", "李四"])
        score = service.scan_dataset(session, stores.lake, DS, load_ref="load-2").score
        (ticket,) = service.list_tickets(session, active_only=True)
        service.transition(session, ticket.id, "acknowledge", "officer")
    stores.close()
    assert score is not None and 50 < score < 100
    with live_server(create_app(settings)) as url:
        yield url, score


def _option(page, chart: str) -> dict:  # type: ignore[no-untyped-def]
    page.wait_for_selector(f"#{chart}[data-rendered='true'] canvas", timeout=10_000)
    return page.evaluate(
        f"echarts.getInstanceByDom(document.getElementById('{chart}')).getOption()")


def test_scorecards_name_departments_and_scale_to_the_scores(  # type: ignore[no-untyped-def]
    page, scanned: tuple[str, float], screenshot
) -> None:
    url, score = scanned
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(url + "/quality")
    assert "公安局" in page.locator("#scorecards tr").nth(1).inner_text()
    assert "人员信息" in page.locator("#datasets").inner_text()
    option = _option(page, "scorecard-chart")
    assert option["xAxis"][0]["data"] == ["公安局"]
    # the axis starts just below the lowest score: on 0-100 a 99 and a 100 look the same
    assert option["yAxis"][0]["min"] == math.floor(score - 1)
    lines = _option(page, "department-trend")
    assert lines["xAxis"][0]["data"] == ["load-1", "load-2"]
    (gongan,) = lines["series"]
    assert gongan["name"] == "公安局" and gongan["data"][0] < gongan["data"][1] == score
    # the fixed name closed its ticket; the ID's is open and being worked on
    (row,) = page.locator("#tickets tr").all()[1:]
    assert "整改中" in row.inner_text() and "公安局" in row.inner_text()
    screenshot("quality")
    page.goto(url + "/quality?lang=en")
    assert "Public Security Bureau" in page.locator("#scorecards").inner_text()
    assert "in progress" in page.locator("#tickets").inner_text()
    assert "People" in page.locator("#datasets").inner_text()
    assert not errors


def test_a_datasets_page_draws_its_dimensions_and_its_trend(  # type: ignore[no-untyped-def]
    page, scanned: tuple[str, float], screenshot
) -> None:
    url, _ = scanned
    page.goto(url + f"/quality/datasets/{DS.id}")
    dims = _option(page, "dim-chart")
    assert set(dims["xAxis"][0]["data"]) == {"完整性", "有效性", "唯一性"}
    trend = _option(page, "trend-chart")
    assert trend["xAxis"][0]["data"] == ["load-1", "load-2"]
    first, second = trend["series"][0]["data"]
    assert first < second < 100  # the second load fixed the name, not the ID
    screenshot("dataset")
    page.goto(url + f"/quality/datasets/{DS.id}?lang=en")
    assert page.locator("h1").inner_text().startswith("Data quality report:People")
