"""Benchmark: the cockpit's first paint and data-ready time in Chromium with 100k cases.

    python bench/cockpit.py [cases]        # default 100 000

A demo-scale synthetic city gives the geography; ``cases`` reports at random points inside
its grid cells, spread over a year and 12 categories, go through ``events.service.intake``
into the embedded SQLite ops DB; the indicators are computed. A live server then serves the
console and headless Chromium loads ``/cockpit`` five times: first contentful paint and the
``cockpit-data-ready`` mark (KPIs, map layer, trends drawn) are read from the page's own
Performance API. Baseline, same run: the console's organisation page (same shell, same
ECharts bundle, no data) fully loaded — the floor any console page pays. Goal < 1.5 s.
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import shapely

from citybrain.app import create_app
from citybrain.config import Settings
from citybrain.events import service as events
from citybrain.events.schemas import ReportIn
from citybrain.indicators import service as indicators
from citybrain.org import service as org
from citybrain.simulate.service import generate_city
from citybrain.store.ops import session_scope
from citybrain.store.runtime import Stores
from citybrain.testing.browser import chromium
from citybrain.testing.live import live_server

CATEGORIES = ["garbage", "illegal_parking", "street_vending", "waterlogging", "noise",
              "road_damage", "street_light", "manhole_missing", "fallen_tree", "sewage",
              "garbage_overflow", "crowd"]  # fmt: skip
LOADS = 5
GOAL_S = 1.5


def prepare(home: Path, n_cases: int) -> int:
    city = home / "city"
    generate_city(city, scale="demo", seed=7)
    stores = Stores.from_settings(Settings(home=home))
    stores.migrate()
    with session_scope(stores.sessions) as session:
        org.seed_defaults(session)
        events.load_city(session, city)
        events.ensure_categories(session)
        grids = events.area_geojson(session, "grid")
    polys = shapely.from_geojson([json.dumps(f["geometry"]) for f in grids["features"]])
    rng = np.random.default_rng(7)
    minx, miny, maxx, maxy = shapely.total_bounds(polys)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    made = 0
    while made < n_cases:
        xy = rng.uniform((minx, miny), (maxx, maxy), size=(20_000, 2))
        inside = shapely.contains_xy(shapely.union_all(polys), xy[:, 0], xy[:, 1])
        xy = xy[inside][: n_cases - made]
        minutes = rng.integers(0, 365 * 24 * 60, len(xy))
        cats = rng.integers(0, len(CATEGORIES), len(xy))
        reports = [
            ReportIn(source="citizen", source_ref=f"B{made + i:07d}", category=CATEGORIES[c],
                     lon=float(x), lat=float(y), description="bench",
                     reported_at=start + timedelta(minutes=int(m)))
            for i, ((x, y), m, c) in enumerate(zip(xy, minutes, cats, strict=True))
        ]  # fmt: skip
        for k in range(0, len(reports), 5000):
            with session_scope(stores.sessions) as session:
                events.intake(session, reports[k : k + 5000])
        made += len(reports)
    with session_scope(stores.sessions) as session:
        total = int(events.summary(session)["total"])
    indicators.compute(stores)
    stores.close()
    return total


def measure(home: Path) -> tuple[list[float], list[float], list[float]]:
    paint, ready, floor = [], [], []
    with live_server(create_app(Settings(home=home))) as url, chromium() as browser:
        for _ in range(LOADS + 1):  # the first load warms the server's caches; not counted
            page = browser.new_page(viewport={"width": 1400, "height": 900})  # type: ignore[attr-defined]
            page.goto(url + "/cockpit")
            page.wait_for_selector("#cockpit[data-ready='true']", timeout=60_000)
            fcp = page.evaluate(
                "performance.getEntriesByName('first-contentful-paint')[0].startTime"
            )
            mark = page.evaluate("performance.getEntriesByName('cockpit-data-ready')[0].startTime")
            page.goto(url + "/org")
            page.wait_for_load_state("load")
            base = page.evaluate(
                "performance.getEntriesByType('navigation')[0].loadEventEnd"
            )
            page.close()
            paint.append(fcp / 1000)
            ready.append(mark / 1000)
            floor.append(base / 1000)
    return paint[1:], ready[1:], floor[1:]


def main() -> None:
    n_cases = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    with tempfile.TemporaryDirectory(prefix="citybrain-bench-cockpit-") as tmp:
        home = Path(tmp) / "home"
        t0 = time.perf_counter()
        cases = prepare(home, n_cases)
        prep_s = time.perf_counter() - t0
        paint, ready, floor = measure(home)
    value = statistics.median(ready)
    baseline = statistics.median(floor)
    print(json.dumps({
        "bench": "cockpit",
        "metric": "data_ready_s",
        "value": round(value, 3),
        "unit": "s",
        "baseline": "console organisation page fully loaded (same shell and ECharts, no data)",
        "baseline_value": round(baseline, 3),
        "ratio": round(value / baseline, 2) if baseline else None,
        "goal": f"first paint and data ready < {GOAL_S} s with 100k cases",
        "rows": cases,
        "first_paint_s": round(statistics.median(paint), 3),
        "loads": LOADS,
        "prepare_s": round(prep_s, 1),
        "ok": value < GOAL_S and statistics.median(paint) < GOAL_S,
    }))  # fmt: skip


if __name__ == "__main__":
    main()
