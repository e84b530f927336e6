"""HTTP routes of the quality domain: scans, scorecards, tickets and their transitions."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from citybrain.deps import LakeDep, SessionDep
from citybrain.quality import report, service
from citybrain.quality.schemas import (
    ResultPublic,
    ScanPublic,
    TicketAction,
    TicketEventPublic,
    TicketPublic,
)

router = APIRouter(tags=["quality"])


@router.get("/scans", response_model=list[ScanPublic])
def latest_scans(session: SessionDep) -> list[Any]:
    return service.latest_scans(session)


@router.get("/scans/{scan_id}/results", response_model=list[ResultPublic])
def scan_results(scan_id: int, session: SessionDep) -> list[Any]:
    return service.scan_results(session, scan_id)


@router.get("/scorecards")
def scorecards(session: SessionDep) -> list[dict[str, Any]]:
    return service.scorecards(session)


@router.get("/trend")
def trend(
    session: SessionDep, dataset: str | None = None, department: str | None = None
) -> list[dict[str, Any]]:
    return service.trend(session, dataset=dataset, department=department)


@router.get("/tickets", response_model=list[TicketPublic])
def tickets(
    session: SessionDep,
    department: str | None = None,
    dataset: str | None = None,
    state: str | None = None,
    active: bool = False,
) -> list[Any]:
    return service.list_tickets(
        session, department=department, dataset=dataset, state=state, active_only=active
    )


@router.get("/tickets/{ticket_id}", response_model=TicketPublic)
def ticket(ticket_id: int, session: SessionDep) -> Any:
    return service.get_ticket(session, ticket_id)


@router.get("/tickets/{ticket_id}/history", response_model=list[TicketEventPublic])
def history(ticket_id: int, session: SessionDep) -> list[Any]:
    return service.ticket_history(session, ticket_id)


@router.get("/tickets/{ticket_id}/rows", response_class=Response)
def ticket_rows(ticket_id: int, session: SessionDep, lake: LakeDep) -> Response:
    """The ticket's fix list (整改清单): every failing row now, as CSV (identifiers masked)."""
    body = report.fix_list_csv(service.ticket_rows(session, lake, ticket_id))
    return Response(body, media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="ticket-{ticket_id}.csv"'})


@router.post("/tickets/{ticket_id}/actions", response_model=TicketPublic)
def act(ticket_id: int, body: TicketAction, session: SessionDep) -> Any:
    return service.transition(session, ticket_id, body.action, body.actor, body.note)


@router.get("/reports/datasets/{dataset}", response_class=HTMLResponse)
def dataset_report(dataset: str, session: SessionDep) -> HTMLResponse:
    """A dataset's quality report: a standalone HTML page (Chinese, SVG charts)."""
    return HTMLResponse(report.render_html(report.dataset_body(session, dataset)))


@router.get("/reports/departments/{department}", response_class=HTMLResponse)
def department_report(department: str, session: SessionDep) -> HTMLResponse:
    """A department's quality report over its datasets: a standalone HTML page."""
    return HTMLResponse(report.render_html(report.department_body(session, department)))
