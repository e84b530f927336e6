"""Evaluation (综合评价) per department, grid and district, and daily snapshots for trends.

Definitions (docs/events.md): over the cases reported in the period,
立案数 filed = cases filed; 结案率 close rate = closed / filed; 按期结案率 on-time rate =
closed with the last feedback before the (extended) handling deadline / filed; 返工率 rework
rate = cases reworked at least once / cases dispatched; 延期率 extension rate = cases extended
at least once / cases dispatched. Score = 100 × (0.4 close + 0.4 on-time + 0.1 (1 − rework)
+ 0.1 (1 − extension)); scopes without filed cases score 0. Rank: by score, then filed.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import case, delete, func, insert, literal, select
from sqlalchemy.orm import Session

from citybrain.events.models import Case, DailyMetric
from citybrain.events.schemas import MetricRow

SCOPES = {"department": Case.department_code, "grid": Case.grid_code,
          "district": Case.district_code}  # fmt: skip
STAGES = ("to_file", "to_dispatch", "to_handle", "to_verify", "to_close")
WEIGHTS = {"close": 0.4, "on_time": 0.4, "rework": 0.1, "extension": 0.1}


def _ratio(a: int, b: int) -> float:
    return round(a / b, 4) if b else 0.0


def compute_metrics(
    session: Session,
    by: str,
    start: datetime | None = None,
    end: datetime | None = None,
) -> list[MetricRow]:
    """One row per scope code, ranked; aggregated in SQL on either engine.

    ``by="city"`` gives one city-wide row (scope code ``city``), for the indicators domain.
    """
    column = SCOPES[by] if by != "city" else literal("city")
    stage_cols = [getattr(Case, f"secs_{s}") for s in STAGES]
    query = select(
        column.label("code"),
        func.count(Case.filed_at).label("filed"),
        func.sum(case((Case.state == "closed", 1), else_=0)).label("closed"),
        func.sum(
            case(((Case.state == "closed") & Case.closed_on_time.is_(True), 1), else_=0)
        ).label("on_time"),
        func.count(Case.secs_to_dispatch).label("dispatched"),
        func.sum(case((Case.rework_count > 0, 1), else_=0)).label("reworked"),
        func.sum(case((Case.extension_count > 0, 1), else_=0)).label("extended"),
        *[func.avg(c).label(s) for c, s in zip(stage_cols, STAGES, strict=True)],
    )
    if by != "city":
        query = query.group_by(column)
    if start is not None:
        query = query.where(Case.reported_at >= start)
    if end is not None:
        query = query.where(Case.reported_at < end)
    rows = []
    for r in session.execute(query):
        filed, dispatched = int(r.filed or 0), int(r.dispatched or 0)
        close = _ratio(int(r.closed or 0), filed)
        on_time = _ratio(int(r.on_time or 0), filed)
        rework = _ratio(int(r.reworked or 0), dispatched)
        extension = _ratio(int(r.extended or 0), dispatched)
        score = 0.0
        if filed:
            score = round(100 * (WEIGHTS["close"] * close + WEIGHTS["on_time"] * on_time
                                 + WEIGHTS["rework"] * (1 - rework)
                                 + WEIGHTS["extension"] * (1 - extension)), 2)  # fmt: skip
        rows.append(MetricRow(
            scope=by, scope_code=r.code, filed=filed, closed=int(r.closed or 0),
            closed_on_time=int(r.on_time or 0), reworked=int(r.reworked or 0),
            extended=int(r.extended or 0), close_rate=close, on_time_rate=on_time,
            rework_rate=rework, extension_rate=extension,
            avg_hours={s: None if getattr(r, s) is None else round(float(getattr(r, s)) / 3600, 2)
                       for s in STAGES},
            score=score, rank=0,
        ))  # fmt: skip
    rows.sort(key=lambda m: (-m.score, -m.filed, m.scope_code))
    for n, row in enumerate(rows):
        same = n and rows[n - 1].score == row.score and rows[n - 1].filed == row.filed
        row.rank = rows[n - 1].rank if same else n + 1
    return rows


def take_snapshot(session: Session, day: date | None = None) -> int:
    """Store month-to-date metrics of every scope as of ``day`` (idempotent per day)."""
    day = day or datetime.now(UTC).date()
    start = datetime.combine(day.replace(day=1), time(), tzinfo=UTC)
    end = datetime.combine(day + timedelta(days=1), time(), tzinfo=UTC)
    session.execute(delete(DailyMetric).where(DailyMetric.day == day))
    values = []
    for scope in SCOPES:
        for m in compute_metrics(session, scope, start, end):
            values.append({
                "day": day, "scope": scope, "scope_code": m.scope_code, "filed": m.filed,
                "closed": m.closed, "closed_on_time": m.closed_on_time, "reworked": m.reworked,
                "extended": m.extended, "close_rate": m.close_rate,
                "on_time_rate": m.on_time_rate, "rework_rate": m.rework_rate,
                "extension_rate": m.extension_rate, "score": m.score, "rank": m.rank,
            })  # fmt: skip
    if values:
        session.execute(insert(DailyMetric), values)
    session.flush()
    return len(values)


def list_snapshots(
    session: Session,
    scope: str,
    scope_code: str | None = None,
    start: date | None = None,
    end: date | None = None,
) -> list[DailyMetric]:
    query = select(DailyMetric).where(DailyMetric.scope == scope)
    if scope_code:
        query = query.where(DailyMetric.scope_code == scope_code)
    if start:
        query = query.where(DailyMetric.day >= start)
    if end:
        query = query.where(DailyMetric.day <= end)
    return list(session.scalars(query.order_by(DailyMetric.day, DailyMetric.rank)))
