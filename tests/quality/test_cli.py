"""The rectification loop from the command line: scorecards, tickets, moves, fix lists, reports."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from citybrain.cli import app as cli_app
from citybrain.config import get_settings
from citybrain.errors import InvalidInput
from citybrain.org import service as org
from citybrain.quality import service
from citybrain.quality.errors import DatasetNotScannable, TicketStateError
from citybrain.store.ops import session_scope
from citybrain.store.runtime import Stores
from tests.quality.test_service import DS, load


@pytest.fixture
def scanned() -> None:
    """The test's home (``CITYBRAIN_HOME``) with one dataset scanned: a bad ID, a name in
    traditional characters."""
    stores = Stores.from_settings(get_settings())
    stores.migrate()
    try:
        with session_scope(stores.sessions) as session:
            org.seed_defaults(session)
            load(stores.lake, ["11010519491231002X", "11010519491231003", "11010519491231002X"],
                 ["张三", "張三", "李四"])
            service.scan_dataset(session, stores.lake, DS, load_ref="load-1")
    finally:
        stores.close()


def _run(*args: str) -> str:
    r = CliRunner().invoke(cli_app, list(args))
    assert r.exit_code == 0, (r.output, r.exception)
    return r.output


def test_scorecards_and_tickets_name_departments_and_states(scanned: None) -> None:
    assert "公安局" in _run("quality", "scorecards")
    listed = _run("quality", "tickets")
    assert "validity:id" in listed and "validity:name" in listed and "待整改 open" in listed
    ticket = next(t for t in _tickets() if t[1] == "validity:id")[0]
    moved = _run("quality", "ticket", str(ticket), "acknowledge", "--note", "on it")
    assert f"ticket {ticket}: in progress / 工单 {ticket}:整改中" in moved
    assert "整改中 in progress" in _run("quality", "tickets", "--department", "gongan")
    assert "validity" not in _run("quality", "tickets", "--department", "weijian")
    assert "validity:id" not in _run("quality", "tickets", "--state", "open")
    assert "validity:id" in _run("quality", "tickets", "--state", "in_progress")
    r = CliRunner().invoke(cli_app, ["quality", "tickets", "--state", "done"])
    assert isinstance(r.exception, InvalidInput) and "closed" in r.exception.message_en


def test_a_refused_move_and_a_report_without_its_subject_say_why(scanned: None) -> None:
    ticket = _tickets()[0][0]
    r = CliRunner().invoke(cli_app, ["quality", "ticket", str(ticket), "reopen"])
    assert isinstance(r.exception, TicketStateError)  # main() prints it on one line
    r = CliRunner().invoke(cli_app, ["quality", "ticket", str(ticket), "fix"])
    assert isinstance(r.exception, InvalidInput) and "acknowledge" in r.exception.message_en
    r = CliRunner().invoke(cli_app, ["quality", "report"])
    assert isinstance(r.exception, InvalidInput)
    assert "--dataset" in r.exception.message_zh


def test_report_file_and_a_fix_list_off_the_catalog(scanned: None, tmp_path: Path) -> None:
    ticket = next(t for t in _tickets() if t[1] == "validity:id")[0]
    # a fix list reads the rows now, through the catalog: this dataset was scanned directly
    r = CliRunner().invoke(cli_app, ["quality", "rows", str(ticket), "--out",
                                     str(tmp_path / "fix.csv")])
    assert isinstance(r.exception, DatasetNotScannable)
    assert not (tmp_path / "fix.csv").exists()
    printed = _run("quality", "report", "--department", "gongan", "--out", str(tmp_path))
    (page,) = tmp_path.glob("*.html")
    assert str(page.name) in printed.replace("\n", "")
    assert "公安局" in page.read_text(encoding="utf-8")


def _tickets() -> list[tuple[int, str]]:
    stores = Stores.from_settings(get_settings())
    try:
        with session_scope(stores.sessions) as session:
            return [(t.id, t.rule_key) for t in service.list_tickets(session)]
    finally:
        stores.close()
