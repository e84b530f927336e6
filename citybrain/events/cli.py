"""``citybrain events``: grids, case catalogue, replay, SLA check, evaluation."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Annotated

import numpy as np
import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn
from rich.table import Table

from citybrain.events import service
from citybrain.store.runtime import open_session

console = Console()




@contextmanager
def _progress(label: str) -> Iterator[Callable[[str, float], None]]:
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task(label, total=1.0)

        def update(step: str, share: float) -> None:
            bar.update(task, completed=share, description=f"{label}: {step}")

        yield update


def register(root: typer.Typer) -> None:
    group = typer.Typer(help="Case centre on the city grid / 一网统管", no_args_is_help=True)

    @group.command("load-grids")
    def load_grids(
        city_dir: Annotated[Path, typer.Argument(help="city directory with geo/*.geojson")],
    ) -> None:
        """Load districts, streets, communities, grid cells and buildings (replaces them)."""
        with _progress("load grids") as progress, open_session() as session:
            counts = service.load_city(session, city_dir, progress)
        console.print(f"loaded {counts} / 网格已导入")

    @group.command("categories")
    def categories(
        reload: Annotated[bool, typer.Option(help="reset to the YAML file first")] = False,
        file: Annotated[Path | None, typer.Option(help="catalogue YAML to load")] = None,
        export: Annotated[bool, typer.Option(help="print the catalogue as YAML")] = False,
    ) -> None:
        """Show the case catalogue (事项清单); --reload loads the YAML, --export prints it."""
        with open_session() as session:
            if reload or file:
                changed = service.load_categories(session, file or service.CATEGORIES_FILE)
                console.print(f"catalogue loaded: {changed} changed / 事项清单已加载")
            service.ensure_categories(session)
            if export:
                console.print(service.export_yaml(session), markup=False, highlight=False)
                return
            table = Table("code", "类别 / name", "大类", "department", "SLA h (派/处/核)")
            for c in service.list_categories(session):
                table.add_row(
                    c.code,
                    c.name,
                    c.major_name,
                    c.department_code,
                    f"{c.sla_dispatch_h:g}/{c.sla_handle_h:g}/{c.sla_verify_h:g}",
                )
        console.print(table)

    @group.command("replay")
    def replay(
        city_dir: Annotated[Path, typer.Argument(help="city directory with reports/*.ndjson")],
        batch: Annotated[int, typer.Option(min=1, max=10_000)] = 2000,
    ) -> None:
        """Send a city's citizen reports and video detections through intake (idempotent)."""
        with _progress("replay") as progress, open_session() as session:
            result = service.replay_city(session, city_dir, batch, progress=progress)
        console.print(result.model_dump(exclude={"items"}))

    @group.command("sla-check")
    def sla_check(
        now: Annotated[datetime | None, typer.Option(help="check as of this time (UTC)")] = None,
    ) -> None:
        """Flag overdue cases and escalate them one level (run it from a timer)."""
        with open_session() as session:
            escalations = service.check_sla(session, now)
        console.print(f"{len(escalations)} case(s) escalated / 超期升级")

    @group.command("metrics")
    def metrics(
        by: Annotated[str, typer.Option(help="department, grid or district")] = "department",
        top: Annotated[int, typer.Option(min=1)] = 20,
    ) -> None:
        """Evaluation ranking (综合评价): filed, close and on-time rates, score."""
        if by not in ("department", "grid", "district"):
            raise typer.BadParameter("choose department, grid or district")
        with open_session() as session:
            rows = service.compute_metrics(session, by)
        table = Table("rank", by, "立案", "结案率", "按期结案率", "返工率", "延期率", "score")
        for m in rows[:top]:
            table.add_row(
                str(m.rank),
                m.scope_code,
                str(m.filed),
                f"{m.close_rate:.0%}",
                f"{m.on_time_rate:.0%}",
                f"{m.rework_rate:.0%}",
                f"{m.extension_rate:.0%}",
                f"{m.score:.1f}",
            )
        console.print(table)

    @group.command("snapshot")
    def snapshot(
        day: Annotated[datetime | None, typer.Option(help="day (default today, UTC)")] = None,
    ) -> None:
        """Store today's month-to-date evaluation for trend charts (idempotent per day)."""
        when: date | None = day.date() if day else None
        with open_session() as session:
            rows = service.take_snapshot(session, when)
        console.print(f"{rows} snapshot rows / 快照已保存")

    @group.command("lookup")
    def lookup(lon: float, lat: float) -> None:
        """Which grid holds a point, and who answers for it."""
        with open_session() as session:
            code = service.lookup_points(session, np.array([lon]), np.array([lat]))[0]
            if code is None:
                console.print("outside the city / 不在本市网格内")
                raise typer.Exit(1)
            chain = service.responsible(session, code)
            for level, area in chain.items():
                if area is not None:
                    console.print(f"{level}: {area.code} {area.name} {area.worker}".rstrip())

    root.add_typer(group, name="events")
