"""The case workflow after GB/T 30428: 上报 → 立案 → 派遣 → 处置 → 反馈 → 核查 → 结案.

Side paths: 不予立案 (reject), 注销 (cancel), 返工 (rework, back to dispatch), 回退 (return to
the command centre), 延期 (extend), 缓办 (suspend/resume) and 作废 (void). Every step is a row
of the timeline; every change checks the version the actor saw (optimistic locking). Time is a
parameter (``now``) so SLA behaviour is testable without waiting.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from citybrain.errors import InvalidInput
from citybrain.events.areas import LEVELS
from citybrain.events.catalogue import get_category
from citybrain.events.errors import (
    CaseNotFound,
    MissingApproval,
    StaleVersion,
    TransitionForbidden,
)
from citybrain.events.intake import as_utc
from citybrain.events.models import Case, Report, Step
from citybrain.events.schemas import ActionIn, Escalation

TERMINAL = frozenset({"rejected", "cancelled", "closed", "voided"})
ACTIVE_HANDLING = ("dispatched", "handling")


@dataclass(frozen=True)
class Rule:
    sources: tuple[str, ...]
    target: str | None  # None: stays (extend) or returns to the remembered state (resume)
    needs: tuple[str, ...] = ()  # "reason", "approver"
    zh: str = ""


RULES: dict[str, Rule] = {
    "file": Rule(("reported",), "filed", zh="立案"),
    "reject": Rule(("reported",), "rejected", ("reason",), "不予立案"),
    "cancel": Rule(("reported", "filed"), "cancelled", ("reason",), "注销"),
    "dispatch": Rule(("filed",), "dispatched", zh="派遣"),
    "handle": Rule(("dispatched",), "handling", zh="处置"),
    "feedback": Rule(("handling",), "feedback", zh="反馈"),
    "verify": Rule(("feedback",), "verified", zh="核查"),
    "rework": Rule(("feedback",), "dispatched", ("reason",), "返工"),
    "close": Rule(("verified",), "closed", zh="结案"),
    "return": Rule(ACTIVE_HANDLING, "filed", ("reason", "approver"), "回退"),
    "extend": Rule(ACTIVE_HANDLING, None, ("reason", "approver"), "延期"),
    "suspend": Rule(ACTIVE_HANDLING, "suspended", ("reason", "approver"), "缓办"),
    "resume": Rule(("suspended",), None, zh="恢复"),
    "void": Rule(
        ("reported", "filed", "dispatched", "handling", "feedback", "verified", "suspended"),
        "voided",
        ("reason", "approver"),
        "作废",
    ),
}


def allowed_actions(state: str) -> list[str]:
    return [name for name, rule in RULES.items() if state in rule.sources]


def _secs(a: datetime | None, b: datetime) -> int | None:
    return None if a is None else max(0, int((b - as_utc(a)).total_seconds()))


def get_case(session: Session, case_id: int) -> Case:
    case = session.get(Case, case_id)
    if case is None:
        raise CaseNotFound(case_id)
    return case


def act(session: Session, case_id: int, action: str, data: ActionIn,
        now: datetime | None = None) -> Case:  # fmt: skip
    """Apply one workflow action. Raises 409 on a forbidden transition or a stale version,
    422 when a side path lacks its reason or approver."""
    now = as_utc(now) or datetime.now(UTC)
    rule = RULES.get(action)
    if rule is None:
        raise InvalidInput(f"unknown action {action!r}", f"未知操作 {action!r}", action=action)
    case = get_case(session, case_id)
    if data.version != case.version:
        raise StaleVersion(case_id, data.version, case.version)
    if case.state not in rule.sources:
        raise TransitionForbidden(action, case.state, allowed_actions(case.state))
    if ("reason" in rule.needs and not data.reason) or (
        "approver" in rule.needs and not data.approver
    ):
        raise MissingApproval(action)
    before = case.state
    extra = _APPLY[action](session, case, data, now)
    if rule.target is not None:
        case.state = rule.target
    case.is_open = case.state not in TERMINAL
    case.updated_at = now
    _record(session, case, action, before, data.actor, now, data, extra)
    if action == "feedback" and case.auto_verify and case.source_cleared:
        _auto_verify(session, case, now)
    try:
        session.flush()
    except StaleDataError as e:
        session.rollback()
        current = session.get(Case, case_id)
        raise StaleVersion(case_id, data.version, current.version if current else 0) from e
    return case


def _record(
    session: Session,
    case: Case,
    action: str,
    before: str | None,
    actor: str,
    now: datetime,
    data: ActionIn | None = None,
    extra: dict | None = None,
) -> None:
    session.add(Step(
        case_id=case.id, action=action, from_state=before, to_state=case.state, actor=actor,
        at=now, note=data.note if data else "", reason=data.reason if data else "",
        approver=data.approver if data else "",
        attachments=list(data.attachments) if data else [], data=extra or {},
    ))  # fmt: skip


def _file(session: Session, case: Case, data: ActionIn, now: datetime) -> dict:
    extra: dict = {}
    if data.category and data.category != case.category_code:
        category = get_category(session, data.category)
        extra = {"category_from": case.category_code, "category_to": category.code}
        case.category_code = category.code
        case.department_code = category.department_code
    case.filed_at = now
    case.secs_to_file = _secs(case.reported_at, now)
    return extra


def _dispatch(session: Session, case: Case, data: ActionIn, now: datetime) -> dict:
    category = get_category(session, case.category_code)
    if data.department_code:
        case.department_code = data.department_code
    case.dispatched_at = now
    case.level = "grid"
    case.due_handle_at = now + timedelta(hours=category.sla_handle_h)
    if case.secs_to_dispatch is None:
        case.secs_to_dispatch = _secs(case.filed_at, now)
    return {
        "department_code": case.department_code,
        "due_handle_at": case.due_handle_at.isoformat(),
    }


def _handle(session: Session, case: Case, data: ActionIn, now: datetime) -> dict:
    case.handling_at = now
    return {}


def _feedback(session: Session, case: Case, data: ActionIn, now: datetime) -> dict:
    category = get_category(session, case.category_code)
    case.feedback_at = now
    case.secs_to_handle = _secs(case.dispatched_at, now)
    case.due_verify_at = now + timedelta(hours=category.sla_verify_h)
    return {}


def _verify(session: Session, case: Case, data: ActionIn | None, now: datetime) -> dict:
    case.verified_at = now
    case.secs_to_verify = _secs(case.feedback_at, now)
    return {}


def _rework(session: Session, case: Case, data: ActionIn, now: datetime) -> dict:
    category = get_category(session, case.category_code)
    case.rework_count += 1
    case.feedback_at = None
    case.due_verify_at = None
    case.due_handle_at = now + timedelta(hours=category.sla_handle_h)
    return {"rework": case.rework_count}


def _close(session: Session, case: Case, data: ActionIn, now: datetime) -> dict:
    case.closed_at = now
    case.secs_to_close = _secs(case.verified_at, now)
    due, done = as_utc(case.due_handle_at), as_utc(case.feedback_at)
    case.closed_on_time = bool(due and done and done <= due)
    return {"on_time": case.closed_on_time}


def _return(session: Session, case: Case, data: ActionIn, now: datetime) -> dict:
    case.dispatched_at = None
    case.handling_at = None
    case.due_handle_at = None
    case.overdue = False
    case.level = "grid"
    return {"department_code": case.department_code}


def _extend(session: Session, case: Case, data: ActionIn, now: datetime) -> dict:
    if not data.hours:
        raise InvalidInput("extend needs hours > 0", "延期需要填写延期小时数", action="extend")
    case.due_handle_at = as_utc(case.due_handle_at) + timedelta(hours=data.hours)
    case.extension_count += 1
    if case.due_handle_at > now:
        case.overdue = False
    return {"hours": data.hours, "due_handle_at": case.due_handle_at.isoformat()}


def _suspend(session: Session, case: Case, data: ActionIn, now: datetime) -> dict:
    case.resume_state = case.state
    case.suspended_at = now
    return {}


def _resume(session: Session, case: Case, data: ActionIn, now: datetime) -> dict:
    paused = now - as_utc(case.suspended_at)
    if case.due_handle_at is not None:  # the SLA clock stops while a case is suspended
        case.due_handle_at = as_utc(case.due_handle_at) + paused
    case.state = case.resume_state or "dispatched"
    case.resume_state = None
    case.suspended_at = None
    return {"paused_hours": round(paused.total_seconds() / 3600, 2)}


def _terminal(session: Session, case: Case, data: ActionIn, now: datetime) -> dict:
    return {}


_APPLY = {
    "file": _file, "reject": _terminal, "cancel": _terminal, "dispatch": _dispatch,
    "handle": _handle, "feedback": _feedback, "verify": _verify, "rework": _rework,
    "close": _close, "return": _return, "extend": _extend, "suspend": _suspend,
    "resume": _resume, "void": _terminal,
}  # fmt: skip


def _auto_verify(session: Session, case: Case, now: datetime) -> None:
    before = case.state
    _verify(session, case, None, now)
    case.state = "verified"
    case.updated_at = now
    session.add(Step(
        case_id=case.id, action="verify", from_state=before, to_state="verified",
        actor="system", at=now, note="auto-verified: the source has cleared / 信号已恢复,自动核查",
        reason="", approver="", attachments=[], data={"auto": True},
    ))  # fmt: skip


def clear_source(session: Session, source: str, source_ref: str,
                 cleared_at: datetime | None = None) -> tuple[int | None, bool]:  # fmt: skip
    """A source says its problem is gone (a sensor alarm cleared). The case verifies itself
    when its category allows it and the department has reported back; returns
    ``(case id, auto-verified now)``."""
    now = as_utc(cleared_at) or datetime.now(UTC)
    report = session.scalar(
        select(Report).where(Report.source == source, Report.source_ref == source_ref)
    )
    if report is None:
        return None, False
    report.cleared_at = now
    case = get_case(session, report.case_id)
    verified = False
    if case.auto_verify and case.is_open:
        case.source_cleared = True
        if case.state == "feedback":
            _auto_verify(session, case, now)
            verified = True
    session.flush()
    return case.id, verified


def check_sla(session: Session, now: datetime | None = None) -> list[Escalation]:
    """Flag overdue cases and move each overdue case one level up (grid → community →
    street → district) for every full SLA period it stays overdue, one level per check."""
    now = as_utc(now) or datetime.now(UTC)
    escalations: list[Escalation] = []
    overdue = session.scalars(
        select(Case).where(Case.state.in_(ACTIVE_HANDLING), Case.due_handle_at < now)
    ).all()
    hours = {}
    for case in overdue:
        if case.category_code not in hours:
            hours[case.category_code] = get_category(session, case.category_code).sla_handle_h
        late = (now - as_utc(case.due_handle_at)).total_seconds() / 3600
        target = min(len(LEVELS) - 1, 1 + int(late // hours[case.category_code]))
        current = LEVELS.index(case.level) if case.level in LEVELS else 0
        case.overdue = True
        if current < target:
            before = case.level
            case.level = LEVELS[current + 1]
            case.escalation_count += 1
            session.add(Step(
                case_id=case.id, action="escalate", from_state=case.state, to_state=case.state,
                actor="system", at=now, note=f"overdue: {before} → {case.level} / 超期升级",
                reason="", approver="", attachments=[],
                data={"from_level": before, "to_level": case.level},
            ))  # fmt: skip
            escalations.append(Escalation(case_id=case.id, from_level=before, to_level=case.level))
    for case in session.scalars(
        select(Case).where(Case.state == "feedback", Case.due_verify_at < now,
                           Case.overdue.is_(False))
    ):  # fmt: skip
        case.overdue = True
    session.flush()
    return escalations
