"""Indicators logic: compute the library into the time series, run checkups, feed the cockpit.

The API, the CLI and the demo call these functions; other domains are read only through
their services (see :mod:`citybrain.indicators.sources`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from citybrain.indicators import scoring
from citybrain.indicators.compute import CITY, Context, Result, compute_library, resolve_default
from citybrain.indicators.definitions import FAMILIES, IndicatorDef, Library, default_library
from citybrain.indicators.errors import CheckupNotFound, IndicatorNotFound
from citybrain.indicators.models import Checkup, IndicatorValue
from citybrain.store.ops import session_scope
from citybrain.store.runtime import Stores

PROBLEM_SCORE = 60.0  # below this an indicator (or a district's value) is a problem


def today() -> date:
    return datetime.now(UTC).date()


def district_names(stores: Stores) -> dict[str, str]:
    from citybrain.org import service as org_service

    with stores.sessions() as session:
        return {d.code: d.name_zh for d in org_service.list_districts(session)}


def make_context(stores: Stores, period: date | None = None) -> Context:
    return Context(
        stores=stores,
        period=period or today(),
        districts=district_names(stores),
        resolve_table=resolve_default,
    )


def compute(
    stores: Stores,
    period: date | None = None,
    library: Library | None = None,
    progress: Callable[[str], None] | None = None,
) -> list[Result]:
    """Compute every indicator for ``period`` and store the values (recomputing replaces)."""
    library = library or default_library()
    ctx = make_context(stores, period)
    results = compute_library(library, ctx, progress)
    with session_scope(stores.sessions) as session:
        store_results(session, ctx.period, results)
    return results


def store_results(session: Session, period: date, results: list[Result]) -> None:
    codes = [r.code for r in results]
    session.execute(
        delete(IndicatorValue).where(
            IndicatorValue.period == period, IndicatorValue.code.in_(codes)
        )
    )
    for result in results:
        values = result.values or {CITY: None}
        for (dim, dim_value), value in values.items():
            session.add(
                IndicatorValue(
                    code=result.code,
                    period=period,
                    dim=dim,
                    dim_value=dim_value,
                    value=value,
                    status=result.status,
                    note=result.note[:2000],
                )
            )
    session.flush()


def definitions(library: Library | None = None) -> list[IndicatorDef]:
    return list((library or default_library()).indicators)


def definition(code: str, library: Library | None = None) -> IndicatorDef:
    found = (library or default_library()).get(code)
    if found is None:
        raise IndicatorNotFound(code)
    return found


def latest_period(session: Session) -> date | None:
    return session.scalar(select(IndicatorValue.period).order_by(IndicatorValue.period.desc()))


def values_for(session: Session, period: date, code: str | None = None) -> list[IndicatorValue]:
    query = select(IndicatorValue).where(IndicatorValue.period == period)
    if code:
        query = query.where(IndicatorValue.code == code)
    return list(session.scalars(query.order_by(IndicatorValue.code, IndicatorValue.dim_value)))


def series(session: Session, code: str, dim: str = "city", dim_value: str = "") -> list[dict]:
    """The time series of one indicator for one area, oldest first."""
    definition(code)
    rows = session.scalars(
        select(IndicatorValue)
        .where(
            IndicatorValue.code == code,
            IndicatorValue.dim == dim,
            IndicatorValue.dim_value == dim_value,
        )
        .order_by(IndicatorValue.period)
    )
    return [{"period": r.period.isoformat(), "value": r.value, "status": r.status} for r in rows]


# ----------------------------------------------------------------------------- checkup


def assess(
    library: Library,
    values: list[IndicatorValue],
    names: dict[str, str],
    previous: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Score stored values and roll them up: the body of a checkup (pure, hand-checkable)."""
    by_code: dict[str, list[IndicatorValue]] = {}
    for row in values:
        by_code.setdefault(row.code, []).append(row)
    prev_items = {i["code"]: i for i in (previous or {}).get("indicators", [])}
    prev_families = {f["family"]: f for f in (previous or {}).get("families", [])}
    prev_districts = {d["code"]: d for d in (previous or {}).get("districts", [])}

    items: list[dict[str, Any]] = []
    district_scores: dict[str, list[tuple[float | None, float]]] = {}
    for d in library.indicators:
        rows = by_code.get(d.code, [])
        city = next((r for r in rows if r.dim == "city"), None)
        value = city.value if city else None
        item_score = scoring.score(d, value)
        by_district = {}
        for r in rows:
            if r.dim == "district":
                s = scoring.score(d, r.value)
                by_district[r.dim_value] = {"value": r.value, "score": s}
                district_scores.setdefault(r.dim_value, []).append((s, d.weight))
        prev = prev_items.get(d.code)
        items.append(
            {
                "code": d.code,
                "name_zh": d.name_zh,
                "name_en": d.name_en,
                "family": d.family,
                "iso37120": d.iso37120,
                "unit": d.unit,
                "direction": d.direction,
                "target": d.target,
                "thresholds": d.thresholds.model_dump() if d.thresholds else None,
                "weight": d.weight,
                "datasets": d.datasets,
                "value": value,
                "score": item_score,
                "rating": scoring.rating(item_score),
                "status": city.status if city else "missing",
                "note": city.note if city else "not computed",
                "by_district": by_district,
                "delta_value": _delta(value, prev and prev.get("value")),
                "delta_score": _delta(item_score, prev and prev.get("score")),
            }
        )

    families = []
    for family, family_en in FAMILIES.items():
        members = [i for i in items if i["family"] == family]
        if not members:
            continue
        fscore = scoring.weighted_mean((i["score"], i["weight"]) for i in members)
        prev = prev_families.get(family)
        families.append(
            {
                "family": family,
                "family_en": family_en,
                "score": fscore,
                "rating": scoring.rating(fscore),
                "indicators": len(members),
                "scored": sum(1 for i in members if i["score"] is not None),
                "delta": _delta(fscore, prev and prev.get("score")),
            }
        )
    districts = []
    for code in sorted(district_scores):
        dscore = scoring.weighted_mean(district_scores[code])
        prev = prev_districts.get(code)
        districts.append(
            {
                "code": code,
                "name": names.get(code, code),
                "score": dscore,
                "rating": scoring.rating(dscore),
                "delta": _delta(dscore, prev and prev.get("score")),
            }
        )
    overall = scoring.weighted_mean((f["score"], 1.0) for f in families)
    return {
        "overall": {
            "score": overall,
            "rating": scoring.rating(overall),
            "delta": _delta(overall, (previous or {}).get("overall", {}).get("score")),
        },
        "families": families,
        "districts": districts,
        "indicators": items,
        "problems": _problems(items, names),
        "unavailable": [
            {"code": i["code"], "name_zh": i["name_zh"], "note": i["note"]}
            for i in items
            if i["status"] != "ok"
        ],
    }


def _problems(items: list[dict[str, Any]], names: dict[str, str]) -> list[dict[str, Any]]:
    """The worst scored values, city-wide or in one district, each with its evidence."""
    found = []
    for item in items:
        evidence = {
            "value": item["value"],
            "unit": item["unit"],
            "thresholds": item["thresholds"],
            "target": item["target"],
            "datasets": item["datasets"],
        }
        if item["score"] is not None and item["score"] < PROBLEM_SCORE:
            worst = sorted(
                ((c, v) for c, v in item["by_district"].items() if v["score"] is not None),
                key=lambda cv: cv[1]["score"],
            )[:3]
            found.append(
                {
                    "code": item["code"],
                    "name_zh": item["name_zh"],
                    "name_en": item["name_en"],
                    "family": item["family"],
                    "area": "全市",
                    "area_code": "",
                    "score": item["score"],
                    "evidence": {
                        **evidence,
                        "worst_districts": [
                            {"code": c, "name": names.get(c, c), **v} for c, v in worst
                        ],
                    },
                }
            )
        for code, v in item["by_district"].items():
            if (
                v["score"] is not None
                and v["score"] < PROBLEM_SCORE
                and (item["score"] is None or item["score"] >= PROBLEM_SCORE)
            ):
                found.append(
                    {
                        "code": item["code"],
                        "name_zh": item["name_zh"],
                        "name_en": item["name_en"],
                        "family": item["family"],
                        "area": names.get(code, code),
                        "area_code": code,
                        "score": v["score"],
                        "evidence": {**evidence, "value": v["value"], "city_value": item["value"]},
                    }
                )
    found.sort(key=lambda p: (p["score"], p["code"], p["area_code"]))
    return found[:15]


def _delta(now: float | None, before: float | None) -> float | None:
    if now is None or before is None:
        return None
    return round(now - before, 4)


def run_checkup(
    stores: Stores,
    period: date | None = None,
    out_dir: Path | None = None,
    *,
    recompute: bool = True,
    pdf: bool = True,
    library: Library | None = None,
) -> Checkup:
    """One-click city health check: compute, score, compare, and write HTML (+ PDF) reports."""
    from citybrain.indicators import report

    library = library or default_library()
    period = period or today()
    if recompute:
        compute(stores, period, library)
    names = district_names(stores)
    out_dir = out_dir or stores.settings.home / "reports"
    with session_scope(stores.sessions) as session:
        previous = session.scalar(select(Checkup).order_by(Checkup.id.desc()))
        body = assess(
            library, values_for(session, period), names, previous.summary if previous else None
        )
        body["period"] = period.isoformat()
        body["previous_checkup"] = previous.id if previous else None
        checkup = Checkup(period=period, overall_score=body["overall"]["score"], summary=body)
        session.add(checkup)
        session.flush()
        html_path, pdf_path, pdf_note = report.write(checkup.id, body, out_dir, pdf=pdf)
        checkup.html_path = str(html_path)
        checkup.pdf_path = str(pdf_path) if pdf_path else ""
        body["pdf_note"] = pdf_note
        checkup.summary = dict(body)
    return checkup


def list_checkups(session: Session) -> list[Checkup]:
    return list(session.scalars(select(Checkup).order_by(Checkup.id.desc())))


def get_checkup(session: Session, checkup_id: int) -> Checkup:
    checkup = session.get(Checkup, checkup_id)
    if checkup is None:
        raise CheckupNotFound(checkup_id)
    return checkup
