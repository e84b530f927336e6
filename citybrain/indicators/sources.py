"""Service sources: indicator values computed by other domains, reached through their services.

Each function takes the computation context (and keyword args from the library) and returns
values keyed by ``(dim, dim_value)``. A domain that is not installed, or has nothing yet, makes
the indicator unavailable rather than failing the checkup.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from types import ModuleType
from typing import Any

from citybrain.indicators.compute import CITY, Context, Values
from citybrain.indicators.errors import SourceUnavailable

SourceFunction = Callable[..., Values]
SOURCES: dict[str, SourceFunction] = {}


def source(name: str) -> Callable[[SourceFunction], SourceFunction]:
    def register(function: SourceFunction) -> SourceFunction:
        SOURCES[name] = function
        return function

    return register


def domain_service(domain: str) -> ModuleType:
    """Another domain's service module, or SourceUnavailable if this build lacks it."""
    try:
        return importlib.import_module(f"citybrain.{domain}.service")
    except ModuleNotFoundError as e:
        raise SourceUnavailable(f"domain {domain} is not installed", f"未安装 {domain} 模块") from e


def _call(domain: str, function: str, *args: Any, **kwargs: Any) -> Any:
    module = domain_service(domain)
    target = getattr(module, function, None)
    if target is None:
        raise SourceUnavailable(
            f"{domain}.service has no {function}", f"{domain} 模块未提供 {function}"
        )
    return target(*args, **kwargs)


@source("org.departments")
def org_departments(ctx: Context) -> Values:
    with ctx.stores.sessions() as session:
        counts = _call("org", "counts", session)
    return {CITY: float(counts["departments"])}


@source("catalog.datasets")
def catalog_datasets(ctx: Context) -> Values:
    with ctx.stores.sessions() as session:
        counts = _call("catalog", "counts", session)
    return {CITY: float(counts["datasets"])}


def _ingest_totals(ctx: Context) -> dict:
    key = "ingest.totals"
    if key not in ctx.cache:
        ctx.cache[key] = _call("ingest", "totals", ctx.stores)  # type: ignore[assignment]
    return ctx.cache[key]  # type: ignore[return-value]


@source("ingest.rows_loaded")
def ingest_rows_loaded(ctx: Context) -> Values:
    return {CITY: float(_ingest_totals(ctx)["curated_rows"])}


@source("ingest.quarantine_rate")
def ingest_quarantine_rate(ctx: Context) -> Values:
    share = _ingest_totals(ctx)["quarantine_share"]
    return {CITY: None if share is None else share * 100.0}


@source("ingest.freshness")
def ingest_freshness(ctx: Context) -> Values:
    totals = _ingest_totals(ctx)
    if not totals["jobs"]:
        raise SourceUnavailable("no load jobs yet", "尚无汇聚任务")
    return {CITY: 100.0 * totals["fresh_jobs"] / totals["jobs"]}


_EVENT_METRICS = {
    "filed": lambda m: float(m.filed),
    "closure_rate": lambda m: m.close_rate * 100.0 if m.filed else None,
    "ontime_rate": lambda m: m.on_time_rate * 100.0 if m.filed else None,
    "rework_rate": lambda m: m.rework_rate * 100.0 if m.filed else None,
}


@source("events.metric")
def events_metric(ctx: Context, metric: str, source: str | None = None) -> Values:
    """Case-centre evaluation figures (立案数, 结案率, 按期结案率, 返工率) or open-case counts."""
    with ctx.stores.sessions() as session:
        if metric == "open" or source is not None:
            open_only = metric == "open"
            by_district = _call("events", "case_counts", session, "district", open_only=open_only,
                                source=source)  # fmt: skip
            return {CITY: float(sum(by_district.values()))} | {
                ("district", code): float(n) for code, n in by_district.items()
            }
        pick = _EVENT_METRICS.get(metric)
        if pick is None:
            raise SourceUnavailable(f"unknown case metric {metric}", f"未知案件指标 {metric}")
        values: Values = {}
        for row in _call("events", "compute_metrics", session, "city"):
            values[CITY] = pick(row)
        for row in _call("events", "compute_metrics", session, "district"):
            values[("district", row.scope_code)] = pick(row)
    if not values:
        raise SourceUnavailable("no cases yet", "尚无案件")
    return values


@source("quality.score")
def quality_score(ctx: Context) -> Values:
    """Row-weighted data-quality score of the latest scans, city-wide and by district."""
    with ctx.stores.sessions() as session:
        overall = _call("quality", "overall_score", session)
        by_district = _call("quality", "district_scores", session)
    if overall is None:
        raise SourceUnavailable("no quality scan yet", "尚未进行质量检查")
    return {CITY: float(overall)} | {
        ("district", code): float(score) for code, score in by_district.items()
    }


@source("quality.open_tickets")
def quality_open_tickets(ctx: Context) -> Values:
    with ctx.stores.sessions() as session:
        return {CITY: float(_call("quality", "open_ticket_count", session))}
