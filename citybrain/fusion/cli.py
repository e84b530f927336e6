"""``citybrain fusion``: build the base registries, link a CSV, look people and companies up."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from citybrain.fusion import service
from citybrain.privacy import mask_tree
from citybrain.store.runtime import open_stores

console = Console()


def _print_masked(lookup: dict) -> None:
    """A lookup as JSON, its ID and phone numbers masked (no grant is held here)."""
    masked = mask_tree(lookup, service.PERSONAL_FIELDS)
    console.print_json(json.dumps(masked, default=str, ensure_ascii=False))


def register(root: typer.Typer) -> None:
    group = typer.Typer(help="Base registries by entity resolution / 基础库(实有人口、法人)",
                        no_args_is_help=True)

    @group.command("build")
    def build(
        city: Annotated[Path | None, typer.Option(help="city folder (geo/); default $CITYBRAIN_HOME/city")] = None,  # noqa: E501
        source: Annotated[str, typer.Option(help="lake (raw zone) or files (city folder)")] = "lake",  # noqa: E501
        rules: Annotated[Path | None, typer.Option(help="rules file (default: built-in rules.yaml)")] = None,  # noqa: E501
        full: Annotated[bool, typer.Option("--full", help="re-match everything (ids kept)")] = False,  # noqa: E501
    ) -> None:
        """Fuse department records into persons, companies, buildings and 实有人口."""
        with open_stores() as stores:
            city_dir = city or stores.settings.home / "city"
            with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                          console=console) as bar:
                task = bar.add_task("fusion …", total=None)
                result = service.build(stores.lake, city_dir, source=source, rules_path=rules,
                                       full=full,
                                       progress=lambda m: bar.update(task, description=m))
        p, c = result["person"], result["company"]
        console.print(
            f"persons {p['entities']} from {p['mentions']} records ({p['unlinked']} unlinked), "
            f"companies {c['entities']} from {c['mentions']} records, residents "
            f"{result['residents']}, {result['seconds']} s / 基础库已更新")

    @group.command("link")
    def link(
        input_csv: Annotated[Path, typer.Argument(help="UTF-8 CSV with the standard columns")],
        out: Annotated[Path, typer.Option("--out", help="where to write record_id,cluster_id")],
        kind: Annotated[str, typer.Option(help="person or company")] = "person",
    ) -> None:
        """Link any CSV of person or company records (no lake needed)."""
        with console.status("linking / 匹配中 …"):
            counts = service.link_file(input_csv, kind, out)
        console.print(f"{counts['records']} records → {counts['clusters']} clusters "
                      f"({counts['unlinked']} unlinked) written to {out} / 已完成")

    @group.command("person")
    def person(
        key: Annotated[str, typer.Argument(help="person id (P…), ID number or name")],
    ) -> None:
        """Show a person's golden record, sources and links."""
        with open_stores() as stores:
            if key.startswith("P") and key[1:].isdigit():
                ids = [key]
            else:
                digits = any(ch.isdigit() for ch in key)
                found = service.find_person(stores.lake, id_number=key if digits else None,
                                            name=None if digits else key)
                ids = [f["person_id"] for f in found]
            details = [service.get_person(stores.lake, i) for i in ids[:5]]
        if not details:
            console.print("no match / 未找到")
            raise typer.Exit(1)
        for d in details:
            _print_masked(d)

    @group.command("company")
    def company(key: Annotated[str, typer.Argument(help="company id (C…) or USCC")]) -> None:
        """Show a company's golden record, sources and people."""
        with open_stores() as stores:
            d = service.get_company(stores.lake, key)
        _print_masked(d)

    @group.command("residents")
    def residents(
        level: Annotated[str, typer.Option(help="district, community, grid or building")] = "district",  # noqa: E501
        district: Annotated[str | None, typer.Option(help="limit to one district code")] = None,
    ) -> None:
        """实有人口 per area."""
        with open_stores() as stores:
            counts = service.resident_counts(stores, level, district)
        table = Table("area / 区域", "residents / 实有人口")
        for code, n in counts.items():
            table.add_row(code, str(n))
        table.add_row("total / 合计", str(sum(counts.values())))
        console.print(table)

    root.add_typer(group, name="fusion")
