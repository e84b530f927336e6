"""``citybrain simulate``: generate a synthetic city, or publish live telemetry from one."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from citybrain.simulate import service
from citybrain.simulate.config import SCALES


def register(root: typer.Typer) -> None:
    """Add the ``simulate`` command to the root app."""

    @root.command("simulate")
    def simulate(
        scale: Annotated[str, typer.Option(help=f"city size: {', '.join(SCALES)}",
                                           envvar="CITYBRAIN_SIMULATE_SCALE")] = "demo",
        seed: Annotated[int, typer.Option(help="random seed; same seed, same bytes")] = 42,
        out: Annotated[Path | None, typer.Option(
            help="output directory (default $CITYBRAIN_HOME/city)")] = None,
        force: Annotated[bool, typer.Option(help="overwrite an earlier city in --out")] = False,
        publish: Annotated[str | None, typer.Option(
            help="publish live telemetry to mqtt://host:port or http(s)://… instead")] = None,
        rate: Annotated[float, typer.Option(help="live mode: readings per second")] = 100.0,
        count: Annotated[int | None, typer.Option(help="live mode: readings to send")] = None,
        duration: Annotated[float | None, typer.Option(
            help="live mode: seconds to run")] = None,
    ) -> None:
        """Generate a synthetic city with its ground truth (模拟城市), or feed live telemetry."""
        console = Console()
        if out is None:
            from citybrain.config import get_settings

            out = get_settings().home / "city"
        if publish:
            if count is None and duration is None:
                count = 1000
            stats = service.publish_telemetry(publish, rate=rate, count=count,
                                              duration=duration, city=out, scale=scale,
                                              seed=seed)
            console.print(f"sent {stats['sent']} readings in {stats['seconds']} s "
                          f"({stats['rate']}/s) to {publish}")
            return
        service.check_target(out, scale=scale, force=force)
        with Progress(TextColumn("{task.description:<42}"), BarColumn(),
                      TextColumn("{task.percentage:>3.0f}%"), TimeElapsedColumn(),
                      console=console) as bar:
            task = bar.add_task("starting", total=1.0)

            def progress(stage: str, frac: float) -> None:
                bar.update(task, description=stage, completed=frac)

            manifest = service.generate_city(out, scale=scale, seed=seed, progress=progress,
                                             force=force)
        c = manifest["counts"]
        console.print(f"[green]city written to {out}[/green]: {c['people']} people, "
                      f"{c['companies']} companies, {len(manifest['datasets'])} datasets "
                      f"({c['department_rows']} rows), {c['devices']} devices, "
                      f"{c['grids']} grids")
