"""Intake on SQLite and PostgreSQL: location, classification, duplicates, repeats, rejects."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from citybrain.events import service
from citybrain.events.errors import NoLocation, OutsideCity, UnknownCategory
from citybrain.events.models import Case, RejectedReport, Report, Step
from citybrain.events.schemas import ReportIn
from tests.events.conftest import GRIDS, T0, point_in


def rep(grid: int = 0, fx: float = 0.5, fy: float = 0.5, **kw) -> ReportIn:  # type: ignore[no-untyped-def]
    x, y = point_in(grid, fx, fy)
    values = {"source": "citizen", "category": "garbage", "lon": x, "lat": y,
              "reported_at": T0, "description": "垃圾"}  # fmt: skip
    values.update(kw)
    return ReportIn(**values)


def test_points_land_in_their_grid_and_get_routed(session: Session) -> None:
    result = service.intake(session, [rep(g, source_ref=f"r{g}") for g in range(4)], T0)
    assert result.created == 4
    cases = session.scalars(select(Case).order_by(Case.id)).all()
    assert [c.grid_code for c in cases] == GRIDS
    assert {c.community_code for c in cases} == {GRIDS[0][:12], GRIDS[2][:12]}
    assert all(c.street_code == "370202001" and c.district_code == "370202" for c in cases)
    assert all(c.department_code == "chengguan" and c.state == "reported" for c in cases)
    assert cases[0].due_dispatch_at.replace(tzinfo=None) == (T0 + timedelta(hours=2)).replace(
        tzinfo=None
    )


def test_address_geocodes_to_its_building(session: Session) -> None:
    hotline = ReportIn(source="hotline", source_ref="h1", address="市南区测试路1号1号楼3单元",
                       description="楼下路灯不亮好几天了", reported_at=T0)  # fmt: skip
    item = service.intake_one(session, hotline, T0)
    case = session.get(Case, item.case_id)
    assert case.grid_code == GRIDS[2]
    assert case.category_code == "C-01-20"  # classified from the text: 路灯
    report = session.scalar(select(Report).where(Report.case_id == case.id))
    assert report.located_by == "address"


def test_duplicates_merge_within_radius_and_window_only(session: Session) -> None:
    first = service.intake_one(session, rep(0, source_ref="a"), T0)
    # ~11 m away, 3 hours later: same case
    near = rep(0, fx=0.51, source_ref="b", reported_at=T0 + timedelta(hours=3))
    # ~500 m away: new case; same place a day and a half later: new case
    far = rep(0, fx=0.95, fy=0.95, source_ref="c")
    late = rep(0, source_ref="d", reported_at=T0 + timedelta(hours=36))
    other_kind = rep(0, source_ref="e", category="noise")
    result = service.intake(session, [near, far, late, other_kind], T0 + timedelta(days=2))
    statuses = [i.status for i in result.items]
    assert statuses == ["merged", "created", "created", "created"]
    assert result.items[0].case_id == first.case_id
    case = session.get(Case, first.case_id)
    session.refresh(case)
    assert case.report_count == 2
    assert session.scalar(
        select(func.count()).select_from(Step).where(Step.case_id == case.id,
                                                     Step.action == "merge")
    ) == 1  # fmt: skip


def test_duplicates_inside_one_batch_merge(session: Session) -> None:
    batch = [rep(1, source_ref=f"x{i}", fx=0.5 + i * 0.001) for i in range(5)]
    result = service.intake(session, batch, T0)
    assert (result.created, result.merged) == (1, 4)
    assert len({i.case_id for i in result.items}) == 1
    assert session.scalar(select(Case.report_count)) == 5


def test_resending_a_report_is_a_harmless_repeat(session: Session) -> None:
    one = service.intake(session, [rep(0, source_ref="same")], T0)
    again = service.intake(session, [rep(0, source_ref="same"), rep(0, source_ref="same")], T0)
    assert [i.status for i in again.items] == ["repeat", "repeat"]
    assert {i.case_id for i in again.items} == {one.items[0].case_id}
    assert session.scalar(select(func.count()).select_from(Report)) == 1


def test_trusted_sources_are_filed_and_dispatched_on_intake(session: Session) -> None:
    patrol = rep(0, source="patrol", source_ref="p1", category="E-05-03")
    weak_video = rep(2, source="video", source_ref="v1", category="illegal_parking",
                     confidence=0.3)  # fmt: skip
    strong_video = rep(3, source="video", source_ref="v2", category="illegal_parking",
                       confidence=0.9)  # fmt: skip
    result = service.intake(session, [patrol, weak_video, strong_video], T0)
    assert result.dispatched == 2
    states = {c.source_ref: c.state for c in session.execute(
        select(Report.source_ref, Case.state).join(Case, Case.id == Report.case_id))}  # fmt: skip
    assert states == {"p1": "dispatched", "v1": "reported", "v2": "dispatched"}
    dispatched = session.scalar(
        select(Case).where(Case.state == "dispatched", Case.source == "video")
    )
    assert dispatched.department_code == "gongan" and dispatched.due_handle_at is not None
    actions = session.scalars(
        select(Step.action).where(Step.case_id == dispatched.id).order_by(Step.id)
    ).all()
    assert actions == ["report", "file", "dispatch"]


def test_bad_reports_are_kept_not_lost(session: Session) -> None:
    batch = [
        rep(0, source_ref="ok"),
        ReportIn(source="citizen", source_ref="sea", lon=121.9, lat=35.0, category="garbage"),
        rep(0, source_ref="what", category="unicorns"),
        ReportIn(source="citizen", source_ref="nowhere", description="垃圾"),
        ReportIn(source="sensor", source_ref="g", grid_code="999", category="gas_leak"),
    ]
    result = service.intake(session, batch, T0)
    assert [i.error for i in result.items] == [
        None,
        "outside_city",
        "unknown_category",
        "no_location",
        "unknown_grid",
    ]
    assert (result.created, result.rejected) == (1, 4)
    kept = session.scalars(select(RejectedReport.source_ref).order_by(RejectedReport.id)).all()
    assert kept == ["sea", "what", "nowhere", "g"]


@pytest.mark.parametrize(
    "report,error",
    [
        (ReportIn(source="citizen", lon=121.9, lat=35.0, category="garbage"), OutsideCity),
        (ReportIn(source="citizen", lon=120.305, lat=36.055, category="x"), UnknownCategory),
        (ReportIn(source="citizen", address="火星路1号", category="garbage"), NoLocation),
    ],
)
def test_single_report_raises_and_stores_nothing(session: Session, report, error) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(error):
        service.intake_one(session, report, T0)
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Case)) == 0
