"""``citybrain ingest``: jobs from the catalog, loads with progress bars, runs, schedule."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from citybrain.ingest import service
from citybrain.ingest.models import IngestRun
from citybrain.store.ops import session_scope
from citybrain.store.runtime import Stores, open_stores

console = Console()


def run_with_progress(stores: Stores, job_ids: list[str], force: bool, trigger: str) -> int:
    """Load jobs one by one under a Rich progress bar; returns how many failed."""
    failed = 0
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=console,
    ) as bar:
        task = bar.add_task("loading / 汇聚中", total=len(job_ids))
        for job_id in job_ids:
            bar.update(task, description=f"{job_id}")
            run = service.run_job(stores, job_id, trigger=trigger, force=force)
            failed += run.status in ("failed", "interrupted")
            bar.console.print(_line(run))
            bar.advance(task)
    return failed


def _line(run: IngestRun) -> str:
    colour = {"succeeded": "green", "unchanged": "cyan"}.get(run.status, "red")
    text = (
        f"[{colour}]{run.status}[/{colour}] {run.job_id}: read {run.rows_read}, loaded "
        f"{run.rows_loaded}, quarantined {run.rows_quarantined}, unchanged "
        f"{run.rows_unchanged} ({run.duration_s}s)"
    )
    if run.error_code:
        text += f"\n  {run.error_code}: {run.error_en} / {run.error_zh}"
    return text


def register(root: typer.Typer) -> None:
    group = typer.Typer(help="Ingestion / 数据汇聚", no_args_is_help=True)

    @group.command("sync")
    def sync() -> None:
        """Create or refresh a load job for every catalog entry."""
        with open_stores() as stores, session_scope(stores.sessions) as session:
            out = service.sync_jobs_from_catalog(session)
        console.print(
            f"jobs: {len(out['created'])} new, {len(out['updated'])} changed, "
            f"{len(out['unchanged'])} unchanged / 汇聚任务已同步"
        )

    @group.command("run")
    def run(
        job_ids: list[str] = typer.Argument(None, help="Jobs to load (default: all)"),  # noqa: B008
        force: bool = typer.Option(False, help="Load even if the source is unchanged"),
    ) -> None:
        """Run loads now (all jobs when none is named)."""
        with open_stores() as stores:
            if not job_ids:
                with session_scope(stores.sessions) as session:
                    job_ids = [j.id for j in service.list_jobs(session) if j.enabled]
            failed = run_with_progress(stores, job_ids, force, "manual")
        if failed:
            raise typer.Exit(1)

    @group.command("schedule")
    def schedule(
        dry_run: bool = typer.Option(False, "--dry-run", help="Only list what is due"),
    ) -> None:
        """Run the loads that are due by their dataset's update cycle (call it from cron)."""
        with open_stores() as stores:
            with session_scope(stores.sessions) as session:
                due = [j.id for j in service.due_jobs(session)]
            console.print(f"{len(due)} due / 到期任务 {len(due)} 个: {', '.join(due) or '-'}")
            if due and not dry_run:
                failed = run_with_progress(stores, due, False, "schedule")
                if failed:
                    raise typer.Exit(1)

    @group.command("runs")
    def runs(
        job: str = typer.Option(None, help="Only this job"),
        limit: int = typer.Option(30, help="How many"),
    ) -> None:
        """Recent load runs with counts and errors."""
        with open_stores() as stores, session_scope(stores.sessions) as session:
            table = Table("run", "job", "status", "read", "loaded", "quar.", "unch.", "s", "error")
            for r in service.list_runs(session, job, None, limit):
                table.add_row(
                    r.id[:8],
                    r.job_id,
                    r.status,
                    str(r.rows_read),
                    str(r.rows_loaded),
                    str(r.rows_quarantined),
                    str(r.rows_unchanged),
                    str(r.duration_s or ""),
                    r.error_code or "",
                )
        console.print(table)

    @group.command("status")
    def status() -> None:
        """Every dataset with its row counts in the lake."""
        with open_stores() as stores:
            rows = service.dataset_counts(stores)
        table = Table("dataset", "名称", "raw", "curated", "quarantine", "last run")
        for r in rows:
            table.add_row(
                r["dataset_id"],
                r["title"],
                str(r["raw_rows"]),
                str(r["curated_rows"]),
                str(r["quarantined_rows"]),
                r["last_status"] or "-",
            )
        console.print(table)

    @group.command("quarantine")
    def quarantine(dataset_id: str, limit: int = typer.Option(50, help="How many")) -> None:
        """Rows of a dataset that could not be read or typed, with row number and reason."""
        with open_stores() as stores:
            rows, total = service.quarantine(stores.lake, dataset_id, limit)
        table = Table("row", "line", "column", "reason", "value")
        for r in rows:
            table.add_row(
                str(r["row_number"]),
                str(r["line"] or ""),
                r["column_name"] or "",
                f"{r['reason']} / {r['reason_zh']}",
                r["value"] or "",
            )
        console.print(table)
        console.print(f"{total} quarantined / 隔离 {total} 行")

    root.add_typer(group, name="ingest")
