"""``citybrain quality``: department scorecards and rectification tickets."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from citybrain.config import get_settings
from citybrain.quality import report, service
from citybrain.store.ops import session_scope
from citybrain.store.runtime import Stores, open_session, open_stores

console = Console()


def _weights(items: list[str]) -> dict[str, float]:
    """``validity=2`` options as a dict (the service checks the names)."""
    from citybrain.errors import InvalidInput

    out = {}
    for item in items:
        name, _, value = item.partition("=")
        try:
            out[name.strip()] = float(value)
        except ValueError:
            raise InvalidInput(
                f"--weight takes DIMENSION=NUMBER, got {item!r}",
                f"--weight 的格式为 维度=数值, 收到 {item!r}",
            ) from None
    return out


def register(root: typer.Typer) -> None:
    group = typer.Typer(
        help="Data quality and rectification / 数据质量与整改", no_args_is_help=True
    )

    @group.command("scan")
    def scan(
        load_ref: str = typer.Option("", help="Label of the load being checked (e.g. a run id)."),
        weight: Annotated[list[str] | None, typer.Option(
            help="DIMENSION=WEIGHT in the score, repeatable (over CITYBRAIN_QUALITY_WEIGHTS)."
        )] = None,
    ) -> None:
        """Scan every loaded catalog dataset; open, update or close tickets (one query each)."""
        from rich.progress import Progress

        from citybrain.catalog import service as catalog

        settings = get_settings()
        weights = {**settings.quality_weights, **_weights(weight or [])}
        stores = Stores.from_settings(settings)
        try:
            stores.migrate()
            with session_scope(stores.sessions) as session:
                total = len(catalog.list_datasets(session))
                with Progress(console=console, transient=True) as bar:
                    task = bar.add_task("scanning / 质量检查", total=total)
                    scans = service.scan_catalog(
                        session,
                        stores.lake,
                        load_ref=load_ref,
                        progress=lambda _: bar.advance(task),
                        weights=weights,
                        step=lambda what: bar.update(task, description=what),
                    )
                score = service.overall_score(session)
                tickets = service.open_ticket_count(session)
        finally:
            stores.close()
        console.print(
            f"{len(scans)} datasets scanned, score {score}, {tickets} open tickets "
            f"/ 已检查 {len(scans)} 个数据集，综合得分 {score}，待整改工单 {tickets} 张"
        )

    @group.command("scorecards")
    def scorecards() -> None:
        """Department scorecards from the latest scan of each dataset."""
        stores = Stores.from_settings(get_settings())
        try:
            stores.migrate()
            with session_scope(stores.sessions) as session:
                cards = service.scorecards(session)
                names = report.department_names(session)
        finally:
            stores.close()
        table = Table("部门 / department", "score", "datasets", "rows", "open", "overdue")
        for c in cards:
            code = c["department"]
            table.add_row(
                f"{names[code][0]} [dim]{code}[/dim]" if code in names else code,
                "-" if c["score"] is None else f"{c['score']:.1f}",
                str(c["datasets"]),
                str(c["rows"]),
                str(c["open_tickets"]),
                str(c["overdue_tickets"]),
            )
        console.print(table)

    @group.command("tickets")
    def tickets(
        department: str = typer.Option(None, help="Only this department."),
        all_states: bool = typer.Option(False, "--all", help="Include closed tickets."),
        state: str = typer.Option(
            None, help="Only this state: open, in_progress, resolved, reopened or closed."
        ),
    ) -> None:
        """List rectification tickets (整改工单)."""
        stores = Stores.from_settings(get_settings())
        try:
            stores.migrate()
            with session_scope(stores.sessions) as session:
                rows = service.list_tickets(
                    session,
                    department=department,
                    state=state,
                    active_only=not (all_states or state),  # a named state is the filter
                )
        finally:
            stores.close()
        table = Table("id", "dataset")
        table.add_column("state", no_wrap=True)
        table.add_column("failed")
        table.add_column("due", no_wrap=True)
        table.add_column("rule", overflow="fold")  # the whole key, wrapped: it names the rule
        for t in rows:
            table.add_row(
                str(t.id),
                t.dataset,
                " ".join(service.STATE_NAMES.get(t.state, (t.state,))),
                f"{t.failed}/{t.checked}",
                t.due_at.date().isoformat(),
                t.rule_key,
            )
        console.print(table)

    @group.command("report")
    def report_cmd(
        dataset: str = typer.Option(None, help="Report on this dataset (its catalog id)."),
        department: str = typer.Option(None, help="Report on this department (its code)."),
        out: str = typer.Option(None, help="Report folder (default $CITYBRAIN_HOME/reports)."),
    ) -> None:
        """Write the HTML quality report (质量报告) of a dataset or a department."""
        from pathlib import Path

        from citybrain.errors import InvalidInput

        if bool(dataset) == bool(department):
            raise InvalidInput(
                "give either --dataset or --department", "请指定 --dataset 或 --department 之一"
            )
        settings = get_settings()
        with open_session(settings) as session:
            body = (report.dataset_body(session, dataset) if dataset
                    else report.department_body(session, department))
        path = report.write(body, Path(out) if out else settings.home / "reports")
        console.print(f"{path} · score {body['score']} / 综合得分")

    @group.command("rows")
    def rows_cmd(
        ticket_id: int = typer.Argument(...),
        out: str = typer.Option(None, help="CSV file (default ticket-<id>.csv here)."),
    ) -> None:
        """Write a ticket's fix list (整改清单): every failing row now, as CSV."""
        from pathlib import Path

        with open_stores() as stores, session_scope(stores.sessions) as session:
            rows = service.ticket_rows(session, stores.lake, ticket_id)
        path = Path(out or f"ticket-{ticket_id}.csv")
        path.write_text(report.fix_list_csv(rows), encoding="utf-8")
        console.print(f"{len(rows)} rows → {path} / 整改清单已导出")

    @group.command("ticket")
    def ticket_action(
        ticket_id: int = typer.Argument(...),
        action: str = typer.Argument(..., help="acknowledge | resolve | reopen"),
        note: str = typer.Option("", help="Note for the history."),
    ) -> None:
        """Move a ticket: acknowledge, resolve (claim fixed) or reopen."""
        stores = Stores.from_settings(get_settings())
        try:
            stores.migrate()
            with session_scope(stores.sessions) as session:
                t = service.transition(session, ticket_id, action, "cli", note)
                zh, en = service.STATE_NAMES.get(t.state, (t.state, t.state))
                console.print(f"ticket {t.id}: {en} / 工单 {t.id}:{zh}")
        finally:
            stores.close()

    root.add_typer(group, name="quality")
