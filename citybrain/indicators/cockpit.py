"""Cockpit data (领导驾驶舱): KPI cards, map layers, trends and live numbers.

Everything is aggregated here, on the server, into a few hundred numbers at most, so the page
stays fast however many cases or readings lie behind it. Areas and cases come from the events
domain's service (it owns the grid geography); indicator values from this domain's store.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import duckdb

from citybrain.errors import CityBrainError
from citybrain.indicators import service
from citybrain.indicators.compute import resolve_default
from citybrain.indicators.definitions import FAMILIES
from citybrain.indicators.errors import SourceUnavailable
from citybrain.indicators.sources import domain_service
from citybrain.store.runtime import Stores

KPI_CODES = (
    "POP_HUKOU",
    "COMPANIES_ACTIVE",
    "CASE_OPEN",
    "CASE_CLOSURE_RATE",
    "DATA_QUALITY_SCORE",
    "CATALOG_DATASETS",
)

LAYERS: dict[str, tuple[str, str, str]] = {
    # layer: (Chinese label, English label, unit)
    "population": ("人口密度", "Population density", "人/km²"),
    "cases": ("在办案件", "Open cases", "件"),
    "alarms": ("感知告警", "Active alarms", "件"),
    "devices": ("感知设备", "Devices", "台"),
    "quality": ("数据质量", "Data quality", "分"),
}


def _events():  # type: ignore[no-untyped-def]
    return domain_service("events")


def summary(stores: Stores) -> dict[str, Any]:
    """KPI cards (latest computed values), family scores of the last checkup, cases per day."""
    with stores.sessions() as session:
        period = service.latest_period(session)
        values = service.values_for(session, period) if period else []
        checkups = service.list_checkups(session)
        city = {v.code: v for v in values if v.dim == "city"}
        kpis = []
        for code in KPI_CODES:
            d = service.definition(code)
            v = city.get(code)
            kpis.append(
                {
                    "code": code,
                    "name_zh": d.name_zh,
                    "name_en": d.name_en,
                    "unit": d.unit,
                    "value": v.value if v is not None and v.status == "ok" else None,
                }
            )
        families = checkups[0].summary["families"] if checkups else []
        try:
            per_day = _events().cases_per_day(session, days=30)
        except (SourceUnavailable, AttributeError):
            per_day = []
    return {
        "period": period.isoformat() if period else None,
        "kpis": kpis,
        "families": [
            {"family": f["family"], "family_en": FAMILIES[f["family"]], "score": f["score"]}
            for f in families
        ],
        "cases_per_day": per_day,
    }


def map_layer(stores: Stores, layer: str, district: str | None) -> dict[str, Any]:
    """GeoJSON of the districts (or of one district's grids) and one value per area."""
    if layer not in LAYERS:
        from citybrain.errors import InvalidInput

        raise InvalidInput(f"unknown layer {layer}", f"未知图层 {layer}", layers=list(LAYERS))
    label_zh, label_en, unit = LAYERS[layer]
    level = "grid" if district else "district"
    events = _events()
    with stores.sessions() as session:
        geojson = events.area_geojson(session, level, district)
        areas = [
            {"code": f["properties"]["code"], "name": f["properties"]["name"],
             "area_km2": f["properties"].get("area_km2")}
            for f in geojson["features"]
        ]  # fmt: skip
        values, note = _layer_values(stores, session, layer, level, district, areas)
    for area in areas:
        area["value"] = values.get(area["code"])
    return {
        "layer": layer,
        "level": level,
        "label": label_zh,
        "label_en": label_en,
        "unit": unit,
        "note": note,
        "geojson": geojson,
        "areas": areas,
    }


def _layer_values(
    stores: Stores,
    session: Any,
    layer: str,
    level: str,
    district: str | None,
    areas: list[dict[str, Any]],
) -> tuple[dict[str, float | None], str]:
    events = _events()
    if layer == "population":
        return _population_density(stores, session, level, district, areas)
    if layer in ("cases", "alarms"):
        counts = events.case_counts(
            session, level, district, open_only=True, source="sensor" if layer == "alarms" else None
        )
        return {a["code"]: float(counts.get(a["code"], 0)) for a in areas}, ""
    if layer == "devices":
        try:
            counts = _device_counts(stores, level, district)
        except (SourceUnavailable, duckdb.Error):
            return {}, "设备清单尚未汇聚 / the device list has not been loaded"
        return {a["code"]: float(counts.get(a["code"], 0)) for a in areas}, ""
    if layer == "quality":
        try:
            scores = domain_service("quality").district_scores(session)
        except (SourceUnavailable, AttributeError, CityBrainError):
            return {}, "数据质量按区市评分暂不可用 / data quality by district not available"
        if level == "grid":
            return {a["code"]: scores.get(district or "") for a in areas}, ""
        return {a["code"]: scores.get(a["code"]) for a in areas}, ""
    return {}, ""


def _device_counts(stores: Stores, level: str, district: str | None) -> dict[str, int]:
    """Devices per district or per grid of one district, from the loaded device list."""
    table = resolve_default("curated:perception.devices")
    key = "grid_code" if level == "grid" else "substr(grid_code, 1, 6)"
    where, params = ("WHERE substr(grid_code, 1, 6) = ?", [district]) if district else ("", None)
    rows = stores.lake.query(
        f"SELECT {key} AS code, count(*) AS n FROM {table} {where} GROUP BY 1", params
    ).to_pylist()
    return {str(r["code"]): int(r["n"]) for r in rows}


def _population_density(
    stores: Stores, session: Any, level: str, district: str | None, areas: list[dict[str, Any]]
) -> tuple[dict[str, float | None], str]:
    """Residents per km²: districts from the POP_HUKOU indicator (registered residents); grid
    cells from the fusion registries' resident counts (实有人口) once they are built."""
    if level == "grid":
        try:
            counts = domain_service("fusion").resident_counts(stores, "grid", district)
        except (SourceUnavailable, AttributeError, CityBrainError):
            return {}, "网格实有人口待基础库建成 / grid residents need the fusion registries"
    else:
        period = service.latest_period(session)
        rows = service.values_for(session, period, "POP_HUKOU") if period else []
        counts = {r.dim_value: r.value for r in rows if r.dim == "district"}
    out: dict[str, float | None] = {}
    for area in areas:
        people, km2 = counts.get(area["code"]), area.get("area_km2")
        out[area["code"]] = round(people / km2, 1) if people is not None and km2 else None
    return out, ""


def grid_detail(stores: Stores, grid_code: str) -> dict[str, Any]:
    """One grid cell: its newest cases and the sensing devices installed in it."""
    with stores.sessions() as session:
        cases = _events().cases_in_area(session, grid_code, limit=50)
    try:
        devices = stores.lake.query(
            f"SELECT device_id, type, install_date FROM "
            f"{resolve_default('curated:perception.devices')} WHERE grid_code = ? "
            "ORDER BY device_id LIMIT 50",
            [grid_code],
        ).to_pylist()
    except (SourceUnavailable, duckdb.Error):
        devices = []
    for device in devices:
        device["install_date"] = str(device["install_date"] or "")
    return {"grid": grid_code, "cases": cases, "devices": devices}


def live(stores: Stores) -> dict[str, Any]:
    with stores.sessions() as session:
        try:
            counts = _events().live_counts(session)
        except (SourceUnavailable, AttributeError):
            counts = {"open_cases": None, "new_today": None, "active_alarms": None}
    return {**counts, "at": datetime.now(UTC).isoformat()}
