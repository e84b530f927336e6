"""``citybrain standards``: validate values by data element, list elements, parse addresses."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import orjson
import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn
from rich.table import Table

from citybrain.standards import service

console = Console(stderr=True)


def register(root: typer.Typer) -> None:
    group = typer.Typer(help="Data standards / 数据标准", no_args_is_help=True)

    @group.command("validate")
    def validate(
        element: Annotated[str, typer.Argument(help="Data element, e.g. id_card, uscc, phone.")],
        file: Annotated[Path, typer.Argument(help="Text file with one value per line.")],
        out: Annotated[
            Path | None, typer.Option("--out", "-o", help="Write JSONL here (default stdout).")
        ] = None,
    ) -> None:
        """Check and normalise one value per line; JSONL {value, valid, normalized, reason}."""
        service.list_elements()
        sink = out.open("w", encoding="utf-8") if out else sys.stdout
        try:
            with Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                TextColumn("{task.completed}"),
                console=console,
                transient=True,
            ) as bar:
                task = bar.add_task(f"validating {element} / 校验中", total=None)
                totals = service.validate_file(
                    element, file, sink, progress=lambda n: bar.advance(task, n)
                )
        finally:
            if out:
                sink.close()
        console.print(
            f"{totals['values']} values, {totals['valid']} valid, {totals['invalid']} invalid "
            f"/ 共 {totals['values']} 个,合格 {totals['valid']},不合格 {totals['invalid']}"
        )

    @group.command("elements")
    def list_elements() -> None:
        """List the data elements (数据元)."""
        table = Table("code", "数据元", "element", "standard")
        for e in service.list_elements():
            table.add_row(e["code"], e["name_zh"], e["name_en"], e["standard"])
        Console().print(table)

    @group.command("address")
    def parse_address(text: str = typer.Argument(..., help="A free-text Chinese address.")) -> None:
        """Parse and normalise one address; prints JSON."""
        sys.stdout.write(orjson.dumps(service.parse_address(text)).decode() + "\n")

    root.add_typer(group, name="standards")
