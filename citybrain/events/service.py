"""The events domain's public surface: plain functions over a session.

The API, the CLI, the console and other domains call these. ``intake`` is the entry point for
every source (the perception domain sends sensor alarms through it, and ``clear_source`` when
an alarm clears); all time-dependent functions take ``now`` so behaviour is testable.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from citybrain.errors import UnknownChoice
from citybrain.events.areas import (
    get_area,
    grids_geojson,
    list_areas,
    load_city,
    lookup_points,
    responsible,
)
from citybrain.events.catalogue import (
    CATEGORIES_FILE,
    create_category,
    ensure_categories,
    export_yaml,
    get_category,
    list_categories,
    load_categories,
    update_category,
)
from citybrain.events.demo_handling import work_cases as work_demo_cases
from citybrain.events.errors import STATE_ZH, BadCatalogue
from citybrain.events.intake import as_utc, intake
from citybrain.events.metrics import compute_metrics, list_snapshots, take_snapshot
from citybrain.events.models import Case, Report, Step
from citybrain.events.schemas import (
    SOURCES,
    CaseDetail,
    CasePublic,
    IntakeItem,
    IntakeResult,
    ReportIn,
    ReportPublic,
    StepPublic,
)
from citybrain.events.workflow import (
    TERMINAL,
    act,
    allowed_actions,
    check_sla,
    clear_source,
    get_case,
)

__all__ = [
    "CATEGORIES_FILE",
    "work_demo_cases",
    "act",
    "allowed_actions",
    "area_geojson",
    "case_counts",
    "cases_in_area",
    "cases_per_day",
    "live_counts",
    "case_detail",
    "case_public",
    "check_sla",
    "clear_source",
    "compute_metrics",
    "create_category",
    "ensure_categories",
    "export_yaml",
    "get_area",
    "get_case",
    "get_category",
    "grids_geojson",
    "intake",
    "intake_one",
    "list_areas",
    "list_cases",
    "list_categories",
    "list_snapshots",
    "load_categories",
    "load_city",
    "lookup_points",
    "replay_city",
    "responsible",
    "summary",
    "take_snapshot",
    "update_category",
]

Progress = Callable[[str, float], None]


def intake_one(session: Session, report: ReportIn, now: datetime | None = None) -> IntakeItem:
    """One report; an unusable one raises its 4xx error (nothing half-stored)."""
    return intake(session, [report], now, quarantine=False, raise_on_reject=True).items[0]


def case_public(case: Case) -> CasePublic:
    data = CasePublic.model_validate(
        {
            **{c: getattr(case, c) for c in CasePublic.model_fields if hasattr(case, c)},
            "case_no": case_no(case),
            "allowed_actions": allowed_actions(case.state),
        }
    )
    return data


def case_no(case: Case) -> str:
    """Human case number (案件编号): report day and id, e.g. 20240601-000123."""
    return f"{as_utc(case.reported_at):%Y%m%d}-{case.id:06d}"


def case_detail(session: Session, case_id: int) -> CaseDetail:
    case = get_case(session, case_id)
    reports = session.scalars(
        select(Report).where(Report.case_id == case_id).order_by(Report.reported_at, Report.id)
    ).all()
    steps = session.scalars(
        select(Step).where(Step.case_id == case_id).order_by(Step.at, Step.id)
    ).all()
    return CaseDetail(
        **case_public(case).model_dump(),
        reports=[ReportPublic.model_validate(r) for r in reports],
        steps=[StepPublic.model_validate(s) for s in steps],
    )


def list_cases(
    session: Session,
    *,
    state: str | None = None,
    category: str | None = None,
    source: str | None = None,
    grid: str | None = None,
    district: str | None = None,
    department: str | None = None,
    overdue: bool | None = None,
    open_only: bool = False,
    q: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    ids: list[int] | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[int, list[Case]]:
    """A filtered page of cases, newest first, and the total count."""
    for value in (state or "").split(","):
        if value and value not in STATE_ZH:
            raise UnknownChoice("case state", "案件状态", value, STATE_ZH)
    if source and source not in SOURCES:
        raise UnknownChoice("report source", "来源", source, SOURCES)
    query = select(Case)
    conditions = []
    if state:
        conditions.append(Case.state.in_(state.split(",")))
    if category:
        conditions.append(Case.category_code == category)
    if source:
        conditions.append(Case.source == source)
    if grid:
        conditions.append(Case.grid_code == grid)
    if district:
        conditions.append(Case.district_code == district)
    if department:
        conditions.append(Case.department_code == department)
    if overdue is not None:
        conditions.append(Case.overdue.is_(overdue))
    if open_only:
        conditions.append(Case.is_open.is_(True))
    if q:
        like = f"%{q}%"
        conditions.append(or_(Case.title.like(like), Case.address.like(like)))
    if since:
        conditions.append(Case.reported_at >= since)
    if until:
        conditions.append(Case.reported_at < until)
    if ids is not None:
        conditions.append(Case.id.in_(ids))
    query = query.where(*conditions)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(Case.reported_at.desc(), Case.id.desc()).limit(limit).offset(offset)
    ).all()
    return total, list(rows)


def summary(session: Session) -> dict[str, object]:
    """Counts for the console (aggregated here, so pages stay light)."""
    by_state = dict(session.execute(select(Case.state, func.count()).group_by(Case.state)).all())
    by_source = dict(session.execute(select(Case.source, func.count()).group_by(Case.source)).all())
    open_by_grid = dict(
        session.execute(
            select(Case.grid_code, func.count())
            .where(Case.is_open.is_(True))
            .group_by(Case.grid_code)
        ).all()
    )
    by_district = dict(
        session.execute(select(Case.district_code, func.count()).group_by(Case.district_code)).all()
    )
    total = sum(by_state.values())
    return {
        "total": total,
        "open": sum(v for k, v in by_state.items() if k not in TERMINAL),
        "closed": by_state.get("closed", 0),
        "overdue": session.scalar(
            select(func.count())
            .select_from(Case)
            .where(Case.overdue.is_(True), Case.is_open.is_(True))
        )
        or 0,
        "reports": session.scalar(select(func.count()).select_from(Report)) or 0,
        "by_state": by_state,
        "by_source": by_source,
        "by_district": by_district,
        "open_by_grid": open_by_grid,
    }


# ── replaying a simulated (or exported) city's reports ────────────────────────────────────

CHANNEL_SOURCE = {"12345热线": "hotline", "网格员上报": "patrol"}


def _ndjson(path: Path) -> Iterator[dict]:
    with path.open("rb") as f:
        for n, line in enumerate(f, 1):
            if line.strip():
                try:
                    yield orjson.loads(line)
                except orjson.JSONDecodeError as e:
                    raise BadCatalogue(
                        f"{path.name} line {n} is not JSON", f"{path.name} 第 {n} 行不是 JSON"
                    ) from e


def citizen_report(row: dict) -> ReportIn:
    """A simulator citizen report (hotline, app, grid worker, photo) as an intake report."""
    photos = [p for p in row.get("photos") or [] if p][:9]
    return ReportIn(
        source=CHANNEL_SOURCE.get(row.get("channel", ""), "citizen"),  # type: ignore[arg-type]
        source_ref=str(row["id"]),
        channel=str(row.get("channel") or "")[:32],
        category=row.get("category") or None,
        description=str(row.get("text") or "")[:4000],
        lon=row.get("lon"),
        lat=row.get("lat"),
        address=str(row.get("address") or "")[:256],
        media=photos,
        contact=str(row.get("contact_phone") or "")[:128],
        reported_at=row.get("reported_at"),
    )


def detection_report(row: dict, camera_grid: dict[str, str]) -> ReportIn:
    """A video-AI detection: the camera's registered grid is where the case belongs."""
    return ReportIn(
        source="video",
        source_ref=str(row["id"]),
        channel=str(row.get("algorithm") or "")[:32],
        category=row.get("event_type") or None,
        title=str(row.get("algorithm_name") or "")[:200],
        lon=row.get("lon"),
        lat=row.get("lat"),
        grid_code=camera_grid.get(row.get("camera_id")),
        media=[row["image"]] if row.get("image") else [],
        confidence=row.get("confidence"),
        reporter=str(row.get("camera_id") or "")[:64],
        reported_at=row.get("detected_at"),
    )


def replay_city(
    session: Session,
    city_dir: Path,
    batch_size: int = 2000,
    now: datetime | None = None,
    progress: Progress | None = None,
) -> IntakeResult:
    """Send ``reports/citizen.ndjson`` and ``reports/detections.ndjson`` through intake in
    batches; running it again changes nothing (every report carries its source id)."""
    city_dir = Path(city_dir)
    ensure_categories(session)
    cameras: dict[str, str] = {}
    cams = city_dir / "perception" / "cameras.csv"
    if cams.exists():
        import csv

        with cams.open(encoding="utf-8") as f:
            cameras = {r["camera_id"]: r["grid_code"] for r in csv.DictReader(f)}
    reports: list[ReportIn] = []
    for name, convert in (
        ("citizen.ndjson", citizen_report),
        ("detections.ndjson", lambda row: detection_report(row, cameras)),
    ):
        path = city_dir / "reports" / name
        if path.exists():
            reports.extend(convert(row) for row in _ndjson(path))
    reports.sort(key=lambda r: as_utc(r.reported_at) or datetime.now(UTC))
    total = IntakeResult()
    for start in range(0, len(reports), batch_size):
        part = intake(session, reports[start : start + batch_size], now)
        for key in ("created", "merged", "repeat", "rejected", "dispatched"):
            setattr(total, key, getattr(total, key) + getattr(part, key))
        if progress:
            progress("replay", min(1.0, (start + batch_size) / max(1, len(reports))))
    return total


# ── figures other domains read (the cockpit: citybrain.indicators.cockpit) ─────────────────

_LEVEL_COLUMN = {
    "district": Case.district_code,
    "street": Case.street_code,
    "community": Case.community_code,
    "grid": Case.grid_code,
}


def area_geojson(session: Session, level: str, district: str | None = None) -> dict:
    """Areas of one level (optionally one district's) as GeoJSON; properties code, name,
    area_km2 (approximate, from degrees at the area's latitude)."""
    import shapely

    from citybrain.events.models import Area

    query = select(Area.code, Area.name, Area.geometry, Area.lat).where(Area.level == level)
    if district:
        query = query.where(Area.district_code == district)
    rows = session.execute(query.order_by(Area.code)).all()
    areas = shapely.area(shapely.from_geojson([r.geometry for r in rows])) if rows else []
    features = []
    for r, deg2 in zip(rows, areas, strict=True):
        km2 = float(deg2) * 111.32 * 111.32 * math.cos(math.radians(r.lat))
        features.append(
            {
                "type": "Feature",
                "geometry": orjson.loads(r.geometry),
                "properties": {"code": r.code, "name": r.name, "area_km2": round(km2, 3)},
            }
        )
    return {"type": "FeatureCollection", "features": features}


def case_counts(
    session: Session,
    level: str,
    district: str | None = None,
    *,
    open_only: bool = True,
    source: str | None = None,
) -> dict[str, int]:
    """Cases per area code of ``level`` (district/street/community/grid)."""
    column = _LEVEL_COLUMN[level]
    query = select(column, func.count()).group_by(column)
    if district:
        query = query.where(Case.district_code == district)
    if open_only:
        query = query.where(Case.is_open.is_(True))
    if source:
        query = query.where(Case.source == source)
    return {code: int(n) for code, n in session.execute(query)}


def cases_in_area(session: Session, area_code: str, limit: int = 50) -> list[dict]:
    """Newest cases of a grid (or any area code) for drill-down tables."""
    from citybrain.events.errors import STATE_ZH

    column = _LEVEL_COLUMN["grid" if len(area_code) >= 15 else "district"]
    names = {c.code: c.name for c in list_categories(session)}
    rows = session.scalars(
        select(Case).where(column == area_code).order_by(Case.reported_at.desc()).limit(limit)
    ).all()
    return [
        {
            "id": c.id,
            "number": case_no(c),
            "url": f"/events/cases/{c.id}",
            "category": names.get(c.category_code, c.category_code),
            "status": STATE_ZH.get(c.state, c.state),
            "state": c.state,
        }
        for c in rows
    ]


def cases_per_day(session: Session, days: int = 30) -> list[dict]:
    """Cases reported per day (UTC) over the ``days`` days up to the latest report."""
    latest = session.scalar(select(func.max(Case.reported_at)))
    if latest is None:
        return []
    start = (as_utc(latest) - timedelta(days=days - 1)).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    day = func.date(Case.reported_at)
    rows = dict(
        session.execute(
            select(day, func.count()).where(Case.reported_at >= start).group_by(day)
        ).all()
    )
    counts = {str(k)[:10]: int(v) for k, v in rows.items()}
    return [
        {
            "day": (start + timedelta(days=i)).date().isoformat(),
            "count": counts.get((start + timedelta(days=i)).date().isoformat(), 0),
        }
        for i in range(days)
    ]


def live_counts(session: Session, now: datetime | None = None) -> dict[str, int]:
    now = as_utc(now) or datetime.now(UTC)
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    count = select(func.count()).select_from(Case)
    return {
        "open_cases": session.scalar(count.where(Case.is_open.is_(True))) or 0,
        "new_today": session.scalar(count.where(Case.reported_at >= midnight)) or 0,
        "active_alarms": session.scalar(
            count.where(Case.is_open.is_(True), Case.source == "sensor")
        )
        or 0,
    }
