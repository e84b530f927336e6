"""A simulated city's reports and detections through intake: every case in its true grid."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from sqlalchemy import select

from citybrain.events import service
from citybrain.events.models import Case, Report
from citybrain.store import migrate
from citybrain.store.ops import create_engine, make_session_factory


@pytest.fixture(scope="module")
def replayed(tiny_city: Path, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    engine = create_engine(f"sqlite:///{tmp_path_factory.mktemp('replay') / 'ops.db'}")
    migrate.upgrade(engine)
    with make_session_factory(engine)() as s:
        service.load_city(s, tiny_city)
        first = service.replay_city(s, tiny_city, batch_size=64)
        s.commit()
        again = service.replay_city(s, tiny_city)
        s.commit()
        yield s, first, again
    engine.dispose()


def _truth(city: Path) -> dict[str, dict]:
    rows: dict[str, dict] = {}
    for name in ("reports.csv", "detections.csv"):
        with (city / "truth" / name).open(encoding="utf-8") as f:
            rows.update({r["id"]: r for r in csv.DictReader(f)})
    return rows


def test_every_report_and_case_sits_in_its_true_grid(replayed, tiny_city: Path) -> None:  # type: ignore[no-untyped-def]
    session, first, _ = replayed
    truth = _truth(tiny_city)
    assert first.rejected == 0 and first.created + first.merged == len(truth)
    rows = session.execute(
        select(Report.source_ref, Report.grid_code, Case.grid_code, Case.id)
        .join(Case, Case.id == Report.case_id)
    ).all()  # fmt: skip
    assert len(rows) == len(truth)
    wrong_reports = [r for r in rows if r[1] != truth[r[0]]["grid_code"]]
    wrong_cases = [r for r in rows if r[2] != truth[r[0]]["grid_code"]]
    assert wrong_reports == [] and wrong_cases == []


def test_duplicates_of_one_issue_merge(replayed, tiny_city: Path) -> None:  # type: ignore[no-untyped-def]
    session, first, _ = replayed
    truth = _truth(tiny_city)
    case_of = dict(session.execute(select(Report.source_ref, Report.case_id)).all())
    issues: dict[str, set[int]] = {}
    for ref, row in truth.items():
        if "issue_id" in row:
            issues.setdefault(row["issue_id"], set()).add(case_of[ref])
    assert first.merged > 0
    split = [i for i, cases in issues.items() if len(cases) > 1]
    assert len(split) <= 0.05 * len(issues)


def test_hotline_text_is_classified(replayed, tiny_city: Path) -> None:  # type: ignore[no-untyped-def]
    session, _, _ = replayed
    truth = _truth(tiny_city)
    aliases = {c.code: set(c.aliases) for c in service.list_categories(session)}
    hotline = session.execute(
        select(Report.source_ref, Report.category_code).where(Report.source == "hotline")
    ).all()
    assert hotline
    right = sum(truth[ref]["true_category"] in aliases[code] for ref, code in hotline)
    assert right / len(hotline) >= 0.95


def test_replay_again_changes_nothing(replayed) -> None:  # type: ignore[no-untyped-def]
    session, first, again = replayed
    assert again.repeat == first.created + first.merged
    assert again.created == again.merged == 0
    summary = service.summary(session)
    assert summary["total"] == first.created and summary["reports"] == again.repeat
