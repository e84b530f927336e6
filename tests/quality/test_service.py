"""The rectification loop on SQLite and PostgreSQL: open → re-check → closed, with history."""

from __future__ import annotations

import pyarrow as pa
import pytest
from sqlalchemy.orm import Session

from citybrain.quality import service
from citybrain.quality.errors import TicketNotFound, TicketStateError
from citybrain.quality.rules import DatasetInfo, FieldInfo
from citybrain.store.lake import DuckDBLake

DS = DatasetInfo(
    "gongan.people",
    "gongan",
    "raw",
    "people",
    (FieldInfo("pid", "code"), FieldInfo("id", "id_card"), FieldInfo("name", "name")),
    primary_key=("pid",),
    row_order="_cb_row",
)


def load(lake: DuckDBLake, ids: list[str], names: list[str]) -> None:
    n = len(ids)
    lake.write_arrow(
        "raw",
        "people",
        pa.table(
            {
                "_cb_row": list(range(n)),
                "pid": [f"p{i}" for i in range(n)],
                "id": ids,
                "name": names,
            }
        ),
    )


def keys(session: Session, active: bool = True) -> dict[str, str]:
    return {t.rule_key: t.state for t in service.list_tickets(session, active_only=active)}


def test_ticket_opens_rechecks_and_closes_itself(session: Session, lake: DuckDBLake) -> None:
    load(lake, ["11010519491231002X", "11010519491231003", ""], ["张三", "張三", "李四"])
    first = service.scan_dataset(session, lake, DS, load_ref="load-1")
    assert first.rows == 3 and first.score is not None and first.score < 100
    assert keys(session) == {
        "completeness:id": "open",
        "validity:id": "open",
        "validity:name": "open",
    }
    ticket = next(t for t in service.list_tickets(session) if t.rule_key == "validity:id")
    assert (ticket.department, ticket.failed, ticket.checked) == ("gongan", 1, 2)
    # the sample names the row and why; the ID number, even a damaged one, is masked
    assert ticket.samples == [
        {"pid": "p1", "id": "110105*******1003", "_reason": "bad_format", "_row": "1"}
    ]
    assert ticket.due_at > ticket.opened_at

    # the department acknowledges, then claims it fixed, but the next load still fails
    service.transition(session, ticket.id, "acknowledge", "officer")
    service.transition(session, ticket.id, "resolve", "officer", "fixed at source")
    service.scan_dataset(session, lake, DS, load_ref="load-2")
    assert service.get_ticket(session, ticket.id).state == "reopened"

    # the next load is clean: every ticket closes by itself
    load(
        lake,
        ["11010519491231002X", "110105194912310038", "11010519491231002X"],
        ["张三", "张三", "李四"],
    )
    service.scan_dataset(session, lake, DS, load_ref="load-3")
    assert keys(session) == {}
    closed = service.get_ticket(session, ticket.id)
    assert closed.state == "closed" and closed.closed_at is not None
    actions = [e.action for e in service.ticket_history(session, ticket.id)]
    assert actions == ["opened", "acknowledge", "resolve", "reopened", "auto_closed"]
    trend = service.trend(session, dataset=DS.id)
    assert [t["load_ref"] for t in trend] == ["load-1", "load-2", "load-3"]
    assert trend[-1]["score"] == 100.0


def test_scorecards_and_city_figures(session: Session, lake: DuckDBLake) -> None:
    assert service.overall_score(session) is None
    load(lake, ["11010519491231002X", "bad"], ["张三", "李四"])
    service.scan_dataset(session, lake, DS)
    cards = service.scorecards(session)
    assert [c["department"] for c in cards] == ["gongan"]
    assert cards[0]["open_tickets"] == service.open_ticket_count(session) == 1
    assert 0 < service.overall_score(session) < 100  # type: ignore[operator]


def test_bad_transitions_are_refused(session: Session, lake: DuckDBLake) -> None:
    load(lake, ["bad"], ["张三"])
    service.scan_dataset(session, lake, DS)
    ticket = service.list_tickets(session)[0]
    with pytest.raises(TicketStateError):
        service.transition(session, ticket.id, "reopen")
    with pytest.raises(TicketNotFound):
        service.transition(session, 999_999, "resolve")


def test_dimension_weights_change_the_score_and_typos_are_refused(
    session: Session, lake: DuckDBLake
) -> None:
    from citybrain.errors import InvalidInput

    load(lake, ["11010519491231002X", "bad", ""], ["张三", "张三", "李四"])
    plain = service.scan_dataset(session, lake, DS)
    heavy = service.scan_dataset(session, lake, DS, weights=service.check_weights(
        {"validity": 3}))
    dims = plain.dimension_scores
    assert dims["validity"] < dims["completeness"] or dims["validity"] < 100
    expected = round((3 * dims["validity"] + sum(v for d, v in dims.items() if d != "validity"))
                     / (3 + len(dims) - 1), 2)
    assert heavy.score == expected and heavy.score < plain.score
    with pytest.raises(InvalidInput, match="validty"):
        service.check_weights({"validty": 2})
    with pytest.raises(InvalidInput, match="completeness"):
        service.check_weights({"completeness": -1})
