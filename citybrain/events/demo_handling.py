"""Demo only: grid workers and departments work the replayed cases, so the demo city has a
history (closed, late, reworked, extended cases) for the statistics and the cockpit to show.

Each case's fate is drawn from a generator seeded by the case's id and time, so the
outcome is the same on every run and a second run finds nothing left to do. Steps go through
:func:`citybrain.events.workflow.act` like an operator's clicks, with timestamps after the
report, never after the latest report in the city.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from citybrain.events.catalogue import get_category
from citybrain.events.intake import as_utc
from citybrain.events.models import Case
from citybrain.events.schemas import ActionIn
from citybrain.events.workflow import act

WORKED_SHARE = 0.85  # cases older than a few days that someone has finished with
RECENT = timedelta(days=3)  # the newest cases are still being worked on


def _rng(case: Case, seed: int) -> np.random.Generator:
    key = f"{seed}:{case.id}:{case.source}:{as_utc(case.reported_at).isoformat()}".encode()
    return np.random.default_rng(int.from_bytes(hashlib.sha256(key).digest()[:8], "little"))


def work_cases(session: Session, seed: int = 42) -> dict[str, int]:
    """Advance old open cases through the workflow; returns how many reached each outcome."""
    latest = as_utc(session.scalar(select(func.max(Case.reported_at))))
    counts = {"closed": 0, "late": 0, "reworked": 0, "extended": 0, "left_open": 0}
    if latest is None:
        return counts
    cases = session.scalars(
        select(Case)
        .where(Case.is_open.is_(True), Case.reported_at < latest - RECENT)
        .order_by(Case.id)
    ).all()
    for case in cases:
        rng = _rng(case, seed)
        if rng.random() > WORKED_SHARE:
            counts["left_open"] += 1
            continue
        outcome = _work(session, case, rng, latest)
        counts[outcome] += 1
    return counts


def _work(session: Session, case: Case, rng: np.random.Generator, latest: datetime) -> str:
    category = get_category(session, case.category_code)
    clock = as_utc(case.reported_at)

    def step(action: str, after_h: float, **extra: object) -> None:
        nonlocal clock
        clock = min(clock + timedelta(hours=float(after_h)), latest)
        act(session, case.id, action, ActionIn(version=case.version, actor=_actor(action), **extra),
            now=clock)  # fmt: skip

    if case.state == "reported":
        step("file", rng.uniform(0.1, 2.0))
    if case.state == "filed":
        step("dispatch", rng.uniform(0.1, category.sla_dispatch_h))
    outcome = "closed"
    if rng.random() < 0.06:
        reason = "需协调多部门 / needs several departments"
        step("extend", 1, reason=reason, approver="指挥中心主任", hours=category.sla_handle_h)
        outcome = "extended"
    if case.state == "dispatched":
        step("handle", rng.uniform(0.2, 4.0))
    late = rng.random() < 0.12
    budget = category.sla_handle_h * (rng.uniform(1.1, 2.5) if late else rng.uniform(0.2, 0.9))
    step("feedback", budget, note="已处置 / handled")
    if rng.random() < 0.05:
        step("rework", rng.uniform(1, 8), reason="核查未通过 / failed verification")
        step("handle", rng.uniform(0.2, 2.0))
        step("feedback", rng.uniform(1, 6), note="返工完成 / reworked")
        outcome = "reworked"
    if case.state == "feedback":
        step("verify", rng.uniform(0.5, category.sla_verify_h))
    if case.state == "verified":
        step("close", rng.uniform(0.1, 2.0))
    return "late" if late and outcome == "closed" else outcome


ACTORS = {"file": "指挥中心", "dispatch": "指挥中心", "verify": "网格员", "close": "指挥中心"}


def _actor(action: str) -> str:
    return ACTORS.get(action, "责任部门")
