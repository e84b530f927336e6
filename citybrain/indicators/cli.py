"""``citybrain indicators …`` and ``citybrain checkup`` (一键体检)."""

from __future__ import annotations

from datetime import date

import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from citybrain.errors import InvalidInput
from citybrain.indicators import scoring, service
from citybrain.store.runtime import Stores, open_stores

console = Console()


def _period(text: str | None) -> date | None:
    """``--period`` as a date, or a clear error before any store is opened."""
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(
            f"--period {text!r} is not a date: use YYYY-MM-DD, e.g. 2024-12-31",
            f"--period {text!r} 不是日期:请写成 YYYY-MM-DD,例如 2024-12-31",
        ) from None


def _compute(stores: Stores, period: date | None) -> None:
    library = service.default_library()
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("computing indicators / 计算指标", total=len(library.indicators))
        results = service.compute(
            stores, period, library, progress=lambda _code: progress.advance(task)
        )
    ok = sum(1 for r in results if r.status == "ok")
    console.print(f"{ok}/{len(results)} indicators computed / 指标已计算")
    for r in results:
        if r.status != "ok":
            console.print(f"  [yellow]{r.status}[/yellow] {r.code}: {r.note}", soft_wrap=True)


def register(root: typer.Typer) -> None:
    group = typer.Typer(help="Indicator library and values / 指标库与指标值", no_args_is_help=True)

    @group.command("list")
    def list_definitions() -> None:
        """List the indicator library."""
        table = Table("code", "指标 / indicator", "family", "unit", "direction")
        for d in service.definitions():
            table.add_row(d.code, d.name_zh, d.family, d.unit, d.direction)
        console.print(table)

    @group.command("compute")
    def compute(
        period: str = typer.Option(None, help="Period date YYYY-MM-DD (default today, UTC)."),
    ) -> None:
        """Compute every indicator and store the values (recomputing a period replaces it)."""
        day = _period(period)
        with open_stores() as stores:
            _compute(stores, day)

    root.add_typer(group, name="indicators")

    @root.command("checkup")
    def checkup(
        period: str = typer.Option(None, help="Period date YYYY-MM-DD (default today, UTC)."),
        pdf: bool = typer.Option(True, "--pdf/--no-pdf", help="Also print the report to PDF."),
        out: str = typer.Option(None, help="Report folder (default $CITYBRAIN_HOME/reports)."),
    ) -> None:
        """One-click city health check (一键体检): scores, roll-ups, problems, HTML + PDF report."""
        from pathlib import Path

        day = _period(period)
        with open_stores() as stores:
            _compute(stores, day)
            result = service.run_checkup(
                stores, day, Path(out) if out else None, recompute=False, pdf=pdf
            )
        overall = result.summary["overall"]
        console.print(
            f"checkup {result.id}: overall {overall['score']} "
            f"({scoring.RATING_ZH[overall['rating']]}) / 综合得分"
        )
        table = Table("family / 维度", "score", "rating")
        for family in result.summary["families"]:
            table.add_row(
                family["family"],
                "—" if family["score"] is None else f"{family['score']:.1f}",
                scoring.RATING_ZH[family["rating"]],
            )
        console.print(table)
        for problem in result.summary["problems"][:5]:
            console.print(
                f"  [red]问题[/red] {problem['name_zh']} · {problem['area']} · {problem['score']}"
            )
        console.print(f"HTML: {result.html_path}")
        console.print(f"PDF:  {result.pdf_path or result.summary.get('pdf_note', '')}")
