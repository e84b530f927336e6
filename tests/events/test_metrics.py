"""Evaluation on a small hand-checked case set (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy.orm import Session

from citybrain.events import service
from tests.events.conftest import GRIDS, T0, point_in
from tests.events.test_workflow import H, drive, new_case, step


def _set(session: Session) -> None:
    """Five garbage cases (chengguan, handle SLA 8 h) and one noise case (shengtai).

    grid 0: A closed on time; B closed late (feedback 10 h after dispatch)
    grid 1: C reworked once then closed on time; D extended, still handling
    grid 2: E reported only (never filed)            grid 3: F noise, closed on time
    """
    a = drive(
        session,
        new_case(session, ref="A", grid=0),
        ["file", "dispatch", "handle", "feedback", "verify", "close"],
    )
    b = drive(session, new_case(session, ref="B", grid=0), ["file", "dispatch", "handle"])
    b = step(session, b, "feedback", T0 + 13 * H)  # dispatched at T0+2h, due T0+10h: late
    b = drive(session, b, ["verify", "close"], T0 + 13 * H)
    c = drive(
        session,
        new_case(session, ref="C", grid=1),
        [
            "file",
            "dispatch",
            "handle",
            "feedback",
            "rework",
            "handle",
            "feedback",
            "verify",
            "close",
        ],
    )
    d = drive(session, new_case(session, ref="D", grid=1), ["file", "dispatch", "extend", "handle"])
    new_case(session, ref="E", grid=2)
    f = drive(
        session,
        new_case(session, category="noise", ref="F", grid=3),
        ["file", "dispatch", "handle", "feedback", "verify", "close"],
    )
    assert [x.state for x in (a, b, c, d, f)] == ["closed", "closed", "closed", "handling",
                                                  "closed"]  # fmt: skip
    assert (a.closed_on_time, b.closed_on_time, c.closed_on_time) == (True, False, True)


def test_metrics_by_department_grid_and_district(session: Session) -> None:
    _set(session)
    dept = {m.scope_code: m for m in service.compute_metrics(session, "department")}
    cg = dept["chengguan"]
    # filed A B C D = 4; closed A B C = 3; on time A C = 2; dispatched 4; rework C; extend D
    assert (cg.filed, cg.closed, cg.closed_on_time, cg.reworked, cg.extended) == (4, 3, 2, 1, 1)
    assert (cg.close_rate, cg.on_time_rate, cg.rework_rate, cg.extension_rate) == (
        0.75, 0.5, 0.25, 0.25)  # fmt: skip
    assert cg.score == round(100 * (0.4 * 0.75 + 0.4 * 0.5 + 0.1 * 0.75 + 0.1 * 0.75), 2) == 65.0
    sj = dept["shengtai"]
    assert (sj.filed, sj.closed, sj.score, sj.rank) == (1, 1, 100.0, 1)
    assert cg.rank == 2
    # dispatch → final feedback: A 2 h, B 11 h, C 5 h (with its rework); D not fed back
    assert cg.avg_hours["to_file"] == 1.0 and cg.avg_hours["to_dispatch"] == 1.0
    assert cg.avg_hours["to_handle"] == (2 + 11 + 5) / 3

    grids = {m.scope_code[-3:] + m.scope_code[9:12]: m
             for m in service.compute_metrics(session, "grid")}  # fmt: skip
    g0 = grids["001001"]
    assert (g0.filed, g0.closed, g0.closed_on_time, g0.score) == (2, 2, 1, 80.0)
    g2 = grids["001002"]
    assert (g2.filed, g2.score) == (0, 0.0) and g2.rank == 4  # reported only: last
    district = service.compute_metrics(session, "district")
    assert [(m.scope_code, m.filed, m.closed) for m in district] == [("370202", 5, 4)]


def test_period_filter_and_daily_snapshot(session: Session) -> None:
    _set(session)
    later = service.compute_metrics(session, "department", T0 + timedelta(days=1))
    assert later == []
    rows = service.take_snapshot(session, date(2024, 6, 1))
    assert rows == 2 + 4 + 1  # departments + grids + district
    assert service.take_snapshot(session, date(2024, 6, 1)) == rows  # idempotent per day
    snaps = service.list_snapshots(session, "department")
    assert [(s.scope_code, s.score, s.rank) for s in snaps] == [
        ("shengtai", 100.0, 1), ("chengguan", 65.0, 2)]  # fmt: skip
    x, y = point_in(0)
    assert service.take_snapshot(session, date(2024, 5, 31)) == 0  # before any case


def test_figures_for_the_cockpit(session: Session) -> None:
    _set(session)
    assert service.case_counts(session, "grid", "370202") == {
        c: n for c, n in zip(GRIDS, [0, 1, 1, 0], strict=True) if n
    }  # only D (grid 1) and E (grid 2) are still open
    assert sum(service.case_counts(session, "district", open_only=False).values()) == 6
    days = service.cases_per_day(session, days=3)
    assert [d["count"] for d in days] == [0, 0, 6] and days[-1]["day"] == "2024-06-01"
    geo = service.area_geojson(session, "grid", "370202")
    assert [f["properties"]["code"] for f in geo["features"]] == GRIDS
    assert 0.95 < geo["features"][0]["properties"]["area_km2"] < 1.05  # 0.01° square, 36°N
    drill = service.cases_in_area(session, GRIDS[0])
    assert len(drill) == 2 and drill[0]["url"].startswith("/events/cases/")
    live = service.live_counts(session, T0 + timedelta(hours=1))
    assert live == {"open_cases": 2, "new_today": 6, "active_alarms": 0}
