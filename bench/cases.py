"""Benchmark: cases through intake on PostgreSQL, and point → grid lookups, in one run.

    python bench/cases.py [reports] [lookups]      # defaults 20 000 and 1 000 000

A throwaway PostgreSQL cluster (citybrain.testing.servers.PostgresServer) holds a city of
2,700 Voronoi grid cells (the "city" scale's count). Reports — 50% citizen, 30% video, 20%
grid-worker patrol, 12 categories, ~15% duplicates of an earlier report — go through
``events.service.intake`` in batches of 2,000 (grid lookup + dedupe + routing/auto-dispatch +
persist of case, report and timeline rows), one commit per batch. Baselines measured in the
same run: the raw PostgreSQL insert rate (SQLAlchemy executemany of report-shaped
rows, no logic) and the plain shapely STRtree query for lookups. Prints one JSON line.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import orjson
import shapely
from shapely.geometry import MultiPoint
from sqlalchemy import Column, Float, Integer, MetaData, String, Table, insert

from citybrain.events import service
from citybrain.events.grids import GridIndex
from citybrain.events.schemas import ReportIn
from citybrain.store import migrate
from citybrain.store.ops import create_engine, make_session_factory, session_scope
from citybrain.testing.servers import PostgresServer

GRIDS = 2700
BATCH = 2000
CATEGORIES = [
    "garbage",
    "illegal_parking",
    "street_vending",
    "waterlogging",
    "noise",
    "road_damage",
    "street_light",
    "manhole_missing",
    "fallen_tree",
    "sewage",
    "garbage_overflow",
    "crowd",
]


def city_grids(seed: int = 42) -> tuple[list[str], np.ndarray, shapely.Geometry]:
    rng = np.random.default_rng(seed)
    land = shapely.Point(120.25, 36.4).buffer(0.6, quad_segs=32)
    seeds = rng.uniform((119.65, 35.8), (120.85, 37.0), size=(GRIDS * 2, 2))
    seeds = seeds[shapely.contains_xy(land, seeds[:, 0], seeds[:, 1])][:GRIDS]
    cells = shapely.voronoi_polygons(MultiPoint(seeds), extend_to=land, ordered=True)
    polys = shapely.intersection(np.asarray(cells.geoms), land)
    codes = [f"370202{i // 45:03d}{(i // 5) % 9:03d}{i % 5 + 1:03d}" for i in range(len(polys))]
    return codes, polys, land


def write_city(root: Path, codes: list[str], polys: np.ndarray) -> Path:
    geo = root / "geo"
    geo.mkdir(parents=True)
    feats = [
        {
            "type": "Feature",
            "geometry": orjson.loads(g),
            "properties": {
                "grid_code": c,
                "name": c,
                "community_code": c[:12],
                "district_code": c[:6],
            },
        }
        for c, g in zip(codes, shapely.to_geojson(polys), strict=True)
    ]
    (geo / "grids.geojson").write_bytes(
        orjson.dumps({"type": "FeatureCollection", "features": feats})
    )
    return root


def make_reports(n: int, land: shapely.Geometry, seed: int = 7) -> list[ReportIn]:
    rng = np.random.default_rng(seed)
    minx, miny, maxx, maxy = land.bounds
    pts = rng.uniform((minx, miny), (maxx, maxy), size=(n * 2, 2))
    pts = pts[shapely.contains_xy(land, pts[:, 0], pts[:, 1])][:n]
    cats = rng.integers(0, len(CATEGORIES), n)
    src = rng.choice(["citizen", "video", "patrol"], p=[0.5, 0.3, 0.2], size=n)
    t0 = datetime(2024, 6, 1, tzinfo=UTC)
    secs = np.sort(rng.integers(0, 7 * 86400, n))
    dup = rng.random(n) < 0.15
    of = np.maximum(0, np.arange(n) - rng.integers(1, 50, n))  # an earlier report
    pts[dup] = pts[of[dup]] + rng.normal(0, 0.00005, (int(dup.sum()), 2))
    cats[dup] = cats[of[dup]]
    return [
        ReportIn(
            source=str(src[i]),
            source_ref=f"B{i:09d}",
            category=CATEGORIES[cats[i]],
            lon=float(pts[i, 0]),
            lat=float(pts[i, 1]),
            description="bench",
            confidence=0.9 if src[i] == "video" else None,
            reported_at=t0 + timedelta(seconds=int(secs[i])),
        )
        for i in range(len(pts))
    ]


def bench_lookups(codes: list[str], polys: np.ndarray, land: shapely.Geometry, n: int) -> dict:
    t = time.perf_counter()
    index = GridIndex(codes, polys)
    build = time.perf_counter() - t
    rng = np.random.default_rng(3)
    minx, miny, maxx, maxy = land.bounds
    xy = rng.uniform((minx, miny), (maxx, maxy), size=(n, 2))
    t = time.perf_counter()
    ours = index.lookup(xy[:, 0], xy[:, 1])
    fast = n / (time.perf_counter() - t)
    t = time.perf_counter()
    exact = index.exact(xy[:, 0], xy[:, 1])
    base = n / (time.perf_counter() - t)
    assert (ours == exact).all(), "raster index disagrees with the exact lookup"
    return {
        "lookups_per_s": round(fast),
        "lookup_baseline_strtree_per_s": round(base),
        "lookup_index_build_s": round(build, 3),
        "lookups": n,
    }


def raw_insert_rate(engine, rows: int) -> float:  # type: ignore[no-untyped-def]
    meta = MetaData()
    table = Table(
        "bench_raw",
        meta,
        Column("id", Integer, primary_key=True),
        Column("source", String(16)),
        Column("source_ref", String(64)),
        Column("category_code", String(16)),
        Column("grid_code", String(32)),
        Column("lon", Float),
        Column("lat", Float),
        Column("description", String),
    )
    meta.create_all(engine)
    data = [
        {
            "source": "citizen",
            "source_ref": f"R{i}",
            "category_code": "E-01-01",
            "grid_code": "370202001001001",
            "lon": 120.3 + i * 1e-6,
            "lat": 36.1,
            "description": "bench",
        }
        for i in range(rows)
    ]
    t = time.perf_counter()
    with engine.begin() as conn:
        for start in range(0, rows, BATCH):
            conn.execute(insert(table), data[start : start + BATCH])
    return rows / (time.perf_counter() - t)


def main(n_reports: int, n_lookups: int) -> dict:
    codes, polys, land = city_grids()
    lookups = bench_lookups(codes, polys, land, n_lookups)
    reports = make_reports(n_reports, land)
    with tempfile.TemporaryDirectory(prefix="cb-bench-cases-") as tmp, PostgresServer() as pg:
        city = write_city(Path(tmp), codes, polys)
        engine = create_engine(pg.create_database("bench"))
        migrate.upgrade(engine)
        factory = make_session_factory(engine)
        with session_scope(factory) as s:
            service.load_city(s, city)
            service.ensure_categories(s)
            service.intake(s, reports[:10])  # warm the grid index and catalogue caches
        created = merged = dispatched = 0
        t = time.perf_counter()
        for start in range(10, len(reports), BATCH):
            with session_scope(factory) as s:
                r = service.intake(s, reports[start : start + BATCH])
            created, merged, dispatched = (
                created + r.created,
                merged + r.merged,
                dispatched + r.dispatched,
            )
        elapsed = time.perf_counter() - t
        rate = (len(reports) - 10) / elapsed
        raw = raw_insert_rate(engine, len(reports) * 3)
        engine.dispose()
    return {
        "bench": "cases",
        "metric": "reports through intake per second (PostgreSQL)",
        "value": round(rate),
        "unit": "reports/s",
        "baseline": "raw PostgreSQL executemany insert of report-shaped rows (rows/s)",
        "baseline_value": round(raw),
        "ratio": round(rate / raw, 3),
        "goal": ">= 2000 cases/s through intake; >= 1,000,000 point->grid lookups/s",
        "rows": len(reports) - 10,
        "cases_created": created,
        "reports_merged": merged,
        "auto_dispatched": dispatched,
        "rows_written_per_report": "~4 (case/report/steps)",
        **lookups,
        "lookup_ratio_vs_strtree": round(
            lookups["lookups_per_s"] / lookups["lookup_baseline_strtree_per_s"], 2
        ),
    }


if __name__ == "__main__":
    n_rep = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    n_look = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000
    print(json.dumps(main(n_rep, n_look), ensure_ascii=False))
