"""``citybrain org``: list and seed districts and departments."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from citybrain.config import get_settings
from citybrain.org import service
from citybrain.store.ops import session_scope
from citybrain.store.runtime import Stores

console = Console()


def register(root: typer.Typer) -> None:
    group = typer.Typer(help="Districts and departments / 区市与部门", no_args_is_help=True)

    @group.command("seed")
    def seed() -> None:
        """Load the default districts and departments (idempotent)."""
        stores = Stores.from_settings(get_settings())
        try:
            stores.migrate()
            with session_scope(stores.sessions) as session:
                changed = service.seed_defaults(session)
                totals = service.counts(session)
        finally:
            stores.close()
        console.print(f"seeded: {changed} changed; {totals} / 初始化完成")

    @group.command("list")
    def list_all() -> None:
        """Show districts and departments."""
        stores = Stores.from_settings(get_settings())
        try:
            stores.migrate()
            with session_scope(stores.sessions) as session:
                districts = service.list_districts(session)
                departments = service.list_departments(session)
        finally:
            stores.close()
        table = Table("code", "区市 / district", "kind")
        for d in districts:
            table.add_row(d.code, d.name_zh, d.kind)
        console.print(table)
        table = Table("code", "部门 / department", "district")
        for dep in departments:
            table.add_row(dep.code, dep.name_zh, dep.district_code or "-")
        console.print(table)

    root.add_typer(group, name="org")
