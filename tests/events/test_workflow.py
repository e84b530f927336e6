"""The GB/T 30428 workflow on SQLite and PostgreSQL: every transition, every forbidden one,
side paths with reason and approver, optimistic locking, SLA escalation on a controlled clock,
auto-verification when the source clears."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from citybrain.events import service
from citybrain.events.errors import MissingApproval, StaleVersion, TransitionForbidden
from citybrain.events.models import Case, Step
from citybrain.events.schemas import ActionIn, ReportIn
from citybrain.events.workflow import RULES
from citybrain.store.ops import make_session_factory
from tests.events.conftest import T0, point_in

H = timedelta(hours=1)
OK = {"reason": "原因", "approver": "张科长"}


def new_case(session: Session, category: str = "garbage", source: str = "citizen",
             ref: str = "r1", grid: int = 0) -> Case:  # fmt: skip
    x, y = point_in(grid)
    item = service.intake_one(session, ReportIn(source=source, source_ref=ref, category=category,
                                                lon=x, lat=y, reported_at=T0), T0)  # fmt: skip
    return session.get(Case, item.case_id)


def step(session: Session, case: Case, action: str, at, **kw) -> Case:  # type: ignore[no-untyped-def]
    data = ActionIn(version=case.version, actor="op", **kw)
    return service.act(session, case.id, action, data, at)


def drive(session: Session, case: Case, path: list[str], start=T0) -> Case:  # type: ignore[no-untyped-def]
    at = start
    for action in path:
        at += H
        extra = dict(OK) if RULES[action].needs else {}
        if action == "extend":
            extra["hours"] = 4
        case = step(session, case, action, at, **extra)
    return case


HAPPY = ["file", "dispatch", "handle", "feedback", "verify", "close"]


def test_happy_path_records_every_step(session: Session) -> None:
    case = drive(session, new_case(session), HAPPY)
    assert case.state == "closed" and not case.is_open
    assert case.closed_on_time is True
    assert (case.secs_to_file, case.secs_to_dispatch, case.secs_to_handle) == (3600, 3600, 7200)
    steps = session.scalars(select(Step).where(Step.case_id == case.id).order_by(Step.id)).all()
    assert [s.action for s in steps] == ["report", *HAPPY]
    assert [s.to_state for s in steps][-1] == "closed"
    assert all(s.actor for s in steps) and all(s.at for s in steps)
    assert case.version == len(HAPPY) + 1


@pytest.mark.parametrize(
    "path,final",
    [
        (["reject"], "rejected"),
        (["cancel"], "cancelled"),
        (["file", "cancel"], "cancelled"),
        (["file", "dispatch", "handle", "feedback", "rework"], "dispatched"),
        (["file", "dispatch", "return"], "filed"),
        (["file", "dispatch", "handle", "return"], "filed"),
        (["file", "dispatch", "extend"], "dispatched"),
        (["file", "dispatch", "handle", "extend"], "handling"),
        (["file", "dispatch", "suspend", "resume"], "dispatched"),
        (["file", "dispatch", "handle", "suspend", "resume"], "handling"),
        (["void"], "voided"),
        (["file", "dispatch", "handle", "feedback", "verify", "void"], "voided"),
        (["file", "dispatch", "suspend", "void"], "voided"),
    ],
)
def test_side_paths(session: Session, path: list[str], final: str) -> None:
    case = drive(session, new_case(session), path)
    assert case.state == final
    assert case.is_open == (final not in ("rejected", "cancelled", "voided", "closed"))
    last = session.scalars(select(Step).where(Step.case_id == case.id).order_by(Step.id.desc())
                           ).first()  # fmt: skip
    if RULES[path[-1]].needs:
        assert last.reason == "原因"
    if "approver" in RULES[path[-1]].needs:
        assert last.approver == "张科长"


STATE_PATHS = {
    "reported": [], "filed": ["file"], "dispatched": ["file", "dispatch"],
    "handling": ["file", "dispatch", "handle"],
    "feedback": ["file", "dispatch", "handle", "feedback"],
    "verified": ["file", "dispatch", "handle", "feedback", "verify"],
    "closed": HAPPY, "suspended": ["file", "dispatch", "suspend"], "rejected": ["reject"],
}  # fmt: skip


@pytest.mark.parametrize("state", list(STATE_PATHS))
def test_every_forbidden_transition_is_a_clear_conflict(session: Session, state: str) -> None:
    case = drive(session, new_case(session), STATE_PATHS[state])
    version = case.version
    forbidden = [a for a in RULES if state not in RULES[a].sources]
    assert forbidden
    for action in forbidden:  # the checks run before any change, so one case serves all
        with pytest.raises(TransitionForbidden) as info:
            step(session, case, action, T0 + 50 * H, **OK, hours=1)
        assert info.value.http_status == 409
        assert info.value.detail["state"] == state
        assert action not in info.value.detail["allowed"]
    session.refresh(case)
    assert (case.state, case.version) == (state if state != "closed" else "closed", version)


def test_close_before_verify_is_refused(session: Session) -> None:
    case = drive(session, new_case(session), ["file", "dispatch", "handle", "feedback"])
    with pytest.raises(TransitionForbidden) as info:
        step(session, case, "close", T0 + 9 * H)
    assert "verify" in info.value.detail["allowed"]
    assert "核查" in info.value.message_zh or "已反馈" in info.value.message_zh


@pytest.mark.parametrize("action", ["return", "extend", "suspend", "void"])
def test_side_paths_need_reason_and_approver(session: Session, action: str) -> None:
    case = drive(session, new_case(session), ["file", "dispatch"])
    with pytest.raises(MissingApproval):
        step(session, case, action, T0 + 5 * H, reason="只有原因", hours=2)
    with pytest.raises(MissingApproval):
        step(session, case, action, T0 + 5 * H, approver="只有审批人", hours=2)


def test_stale_version_is_refused(session: Session) -> None:
    case = drive(session, new_case(session), ["file"])
    old = case.version - 1
    with pytest.raises(StaleVersion) as info:
        service.act(session, case.id, "dispatch", ActionIn(version=old, actor="op"), T0 + 5 * H)
    assert info.value.http_status == 409


def test_concurrent_updates_one_wins_one_gets_409(session: Session) -> None:
    case = drive(session, new_case(session), ["file", "dispatch"])
    session.commit()
    factory = make_session_factory(session.get_bind())
    with factory() as a, factory() as b:
        seen = a.get(Case, case.id).version
        b_case = b.get(Case, case.id)  # b holds what it read: the same version as a
        assert b_case.version == seen
        service.act(a, case.id, "handle", ActionIn(version=seen, actor="a"), T0 + 5 * H)
        a.commit()
        with pytest.raises(StaleVersion):
            # b's version check passes in memory; its UPDATE ... WHERE version = seen fails
            service.act(b, case.id, "return", ActionIn(version=seen, actor="b", **OK),
                        T0 + 5 * H)  # fmt: skip
    session.expire_all()
    assert session.get(Case, case.id).state == "handling"


def test_sla_escalates_one_level_per_period_with_a_controlled_clock(session: Session) -> None:
    case = drive(session, new_case(session), ["file", "dispatch"])  # handle SLA 8 h
    due = case.due_handle_at
    assert service.check_sla(session, due - timedelta(minutes=1)) == []
    first = service.check_sla(session, due + timedelta(minutes=1))
    assert [(e.from_level, e.to_level) for e in first] == [("grid", "community")]
    assert service.check_sla(session, due + timedelta(minutes=2)) == []  # same period: stays
    second = service.check_sla(session, due + timedelta(hours=8, minutes=1))
    assert [(e.from_level, e.to_level) for e in second] == [("community", "street")]
    third = service.check_sla(session, due + timedelta(hours=100))
    assert [e.to_level for e in third] == ["district"]
    assert service.check_sla(session, due + timedelta(hours=200)) == []  # top level reached
    session.refresh(case)
    assert case.overdue and case.level == "district" and case.escalation_count == 3


def test_extension_and_suspension_move_the_deadline(session: Session) -> None:
    case = drive(session, new_case(session), ["file", "dispatch"])
    due = case.due_handle_at
    case = step(session, case, "extend", T0 + 3 * H, hours=5, **OK)
    assert case.due_handle_at == due + 5 * H and case.extension_count == 1
    case = step(session, case, "suspend", T0 + 4 * H, **OK)
    assert service.check_sla(session, due + 20 * H) == []  # suspended: no clock
    case = step(session, case, "resume", T0 + 14 * H)
    assert case.due_handle_at == due + 15 * H


def test_rework_counts_and_restarts_the_clock(session: Session) -> None:
    case = drive(session, new_case(session), ["file", "dispatch", "handle", "feedback"])
    case = step(session, case, "rework", T0 + 10 * H, reason="未清理干净")
    assert case.state == "dispatched" and case.rework_count == 1 and case.feedback_at is None
    assert case.due_handle_at == T0 + 18 * H
    case = drive(session, case, ["handle", "feedback", "verify", "close"], T0 + 10 * H)
    assert case.state == "closed" and case.closed_on_time


def test_cleared_sensor_alarm_verifies_the_case_itself(session: Session) -> None:
    case = new_case(session, category="waterlogging", source="sensor", ref="alarm-1")
    assert case.state == "dispatched" and case.auto_verify
    case = drive(session, case, ["handle"])
    case_id, verified = service.clear_source(session, "sensor", "alarm-1", T0 + 2 * H)
    assert (case_id, verified) == (case.id, False)  # not fed back yet: remembered
    case = step(session, case, "feedback", T0 + 3 * H)
    assert case.state == "verified"
    actors = session.scalars(select(Step.actor).where(Step.case_id == case.id,
                                                      Step.action == "verify")).all()  # fmt: skip
    assert actors == ["system"]


def test_clear_after_feedback_verifies_at_once(session: Session) -> None:
    case = new_case(session, category="waterlogging", source="sensor", ref="alarm-2")
    case = drive(session, case, ["handle", "feedback"])
    assert service.clear_source(session, "sensor", "alarm-2", T0 + 5 * H) == (case.id, True)
    session.refresh(case)
    assert case.state == "verified"
    assert service.clear_source(session, "sensor", "unknown", T0) == (None, False)


def test_citizen_cases_never_verify_themselves(session: Session) -> None:
    case = drive(session, new_case(session, category="waterlogging", ref="c9"),
                 ["file", "dispatch", "handle", "feedback"])  # fmt: skip
    assert service.clear_source(session, "citizen", "c9", T0 + 9 * H) == (case.id, False)
    session.refresh(case)
    assert case.state == "feedback"
