"""``citybrain org``: list and seed districts and departments."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from citybrain.org import service
from citybrain.store.runtime import open_session

console = Console()


def register(root: typer.Typer) -> None:
    group = typer.Typer(help="Districts and departments / 区市与部门", no_args_is_help=True)

    @group.command("seed")
    def seed() -> None:
        """Load the default districts and departments (idempotent)."""
        with open_session() as session:
            changed = service.seed_defaults(session)
            totals = service.counts(session)
        console.print(f"seeded: {changed} changed; {totals} / 初始化完成")

    @group.command("list")
    def list_all() -> None:
        """Show districts and departments."""
        with open_session() as session:
            districts = service.list_districts(session)
            departments = service.list_departments(session)
        table = Table("code", "区市 / district", "kind")
        for d in districts:
            table.add_row(d.code, d.name_zh, d.kind)
        console.print(table)
        table = Table("code", "部门 / department", "district")
        for dep in departments:
            table.add_row(dep.code, dep.name_zh, dep.district_code or "-")
        console.print(table)

    root.add_typer(group, name="org")
