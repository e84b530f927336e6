"""The cockpit in a real browser over the demo city: map, layers, KPIs, drill-down, trends."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from citybrain.app import create_app
from citybrain.config import Settings
from citybrain.testing.live import live_server

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def cockpit_url(demo_home: Path) -> Iterator[str]:
    with live_server(create_app(Settings(home=demo_home))) as url:
        yield url


def test_cockpit_map_layers_and_drill_down(page, cockpit_url: str, screenshot) -> None:  # type: ignore[no-untyped-def]
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(cockpit_url + "/cockpit")
    page.wait_for_selector("#cockpit[data-ready='true']", timeout=20_000)
    # KPI cards carry computed numbers, not placeholders.
    population = page.locator("[data-kpi='POP_HUKOU'] .kpi").inner_text()
    assert population.replace(",", "").isdigit() and int(population.replace(",", "")) > 1000
    assert page.locator("[data-kpi='CASE_OPEN'] .kpi").inner_text() != "—"
    assert page.locator("#map canvas").count() >= 1
    assert page.locator("#trend-cases canvas").count() == 1
    screenshot("city-population")

    for layer in ("cases", "devices", "alarms", "population"):
        page.click(f"#layers button[data-layer='{layer}']")
        page.wait_for_selector(f"#cockpit[data-map-ready='{layer}:city']", timeout=10_000)
    page.click("#layers button[data-layer='cases']")
    page.wait_for_selector("#cockpit[data-map-ready='cases:city']")
    screenshot("city-cases")

    # Drill city → district → grid → case, through the same handlers a click on the map runs.
    page.evaluate("window.cockpitDrill('370203', '市北区')")
    page.wait_for_selector("#cockpit[data-map-ready='cases:370203']", timeout=10_000)
    assert "市北区" in page.locator("#crumbs").inner_text()
    screenshot("district-cases")
    grid = page.evaluate("window.cockpitBusiestArea()")
    page.evaluate("(g) => window.cockpitDrill(g.code, g.label)", grid)
    page.wait_for_selector(f"#cockpit[data-drill='{grid['code']}']", timeout=10_000)
    first_case = page.locator("#drill-table a").first
    assert first_case.count() == 1
    screenshot("grid-cases")
    first_case.click()
    page.wait_for_load_state()
    assert "/events/cases/" in page.url
    screenshot("case")
    assert not errors


def test_cockpit_in_english(page, cockpit_url: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(cockpit_url + "/cockpit?lang=en")
    page.wait_for_selector("#cockpit[data-ready='true']", timeout=20_000)
    assert page.locator("h1").inner_text() == "The city on one map"
    assert "Registered" in page.locator("[data-kpi='POP_HUKOU'] .label").inner_text()
