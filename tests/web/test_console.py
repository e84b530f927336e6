"""The console shell in a real browser: home page, charts, navigation, language switch."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def test_home_page_renders_with_chart(page, console_url: str, screenshot) -> None:  # type: ignore[no-untyped-def]
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(console_url + "/")
    assert page.locator("h1").inner_text() == "城市大脑运行总览"
    assert page.locator("#kpi-districts").inner_text() == "10"
    page.wait_for_selector("#zones-chart[data-rendered='true'] canvas", timeout=10_000)
    assert page.evaluate("typeof window.echarts") == "object"
    path = screenshot("home")
    assert path.stat().st_size > 10_000
    assert not errors


def test_navigation_and_english_switch(page, console_url: str, screenshot) -> None:  # type: ignore[no-untyped-def]
    page.goto(console_url + "/")
    page.click("nav >> text=组织机构")
    page.wait_for_url("**/org")
    assert page.locator("#districts tr").count() == 11  # header + 10 districts
    page.click("text=English")
    assert page.locator("h1").inner_text() == "Organisation"
    assert "Shinan" in page.locator("#districts").inner_text()
    screenshot("org-en")
    page.goto(console_url + "/")  # the choice sticks through the cookie
    assert page.locator("h1").inner_text() == "City brain at a glance"
