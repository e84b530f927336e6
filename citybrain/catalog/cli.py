"""``citybrain catalog``: register a delivery manifest, search and inspect entries."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from citybrain.catalog import service, vocab
from citybrain.store.runtime import open_session

console = Console()




def register(root: typer.Typer) -> None:
    group = typer.Typer(help="Data resource catalog / 数据资源目录", no_args_is_help=True)

    @group.command("register")
    def register_manifest(
        manifest: Path = typer.Argument(..., help="manifest.yaml of a delivery"),  # noqa: B008
    ) -> None:
        """Register every dataset a delivery manifest lists (idempotent; changes are versioned)."""
        with open_session() as session:
            result = service.register_manifest(session, manifest)
        console.print(
            f"registered: {len(result.created)} new, {len(result.updated)} changed, "
            f"{len(result.unchanged)} unchanged / 新登记 {len(result.created)},"
            f"变更 {len(result.updated)},未变 {len(result.unchanged)}"
        )

    @group.command("list")
    def list_entries(
        q: str = typer.Option(None, "--q", help="Keywords"),
        department: str = typer.Option(None, help="Publisher department code or name"),
        theme: str = typer.Option(None, help="Theme code, e.g. SOCI"),
        grade: str = typer.Option(None, help="core | important | general"),
    ) -> None:
        """Search the catalog by keyword, department, theme and grade."""
        with open_session() as session:
            page, total = service.search(session, q, department, theme, grade, limit=1000)
            table = Table("id", "名称 / title", "部门", "共享", "开放", "分级", "周期", "版本")
            for d in page:
                table.add_row(
                    d.id,
                    d.title,
                    d.publisher_name or d.publisher,
                    _zh(vocab.SHARE_TYPES, d.share_type),
                    _zh(vocab.OPEN_TYPES, d.open_type),
                    _zh(vocab.SECURITY_GRADES, d.security_grade),
                    vocab.UPDATE_CYCLES[d.update_cycle][0],
                    str(d.version),
                )
        console.print(table)
        console.print(f"{total} datasets / 共 {total} 个数据资源")

    @group.command("show")
    def show(dataset_id: str) -> None:
        """Show one entry with its fields."""
        with open_session() as session:
            d = service.get_dataset(session, dataset_id)
            console.print(f"[bold]{d.id}[/bold] {d.title} v{d.version} ({d.status})")
            console.print(
                f"{d.publisher_name} · {d.update_cycle} · share {d.share_type} · "
                f"open {d.open_type} · grade {d.security_grade}"
            )
            table = Table("字段", "中文名", "类型", "数据元", "敏感", "分级")
            for f in d.fields:
                table.add_row(
                    f.name, f.label_zh, f.type, f.data_element, f.sensitivity, f.security_grade
                )
        console.print(table)

    @group.command("versions")
    def versions(dataset_id: str) -> None:
        """List every version of an entry."""
        with open_session() as session:
            table = Table("version", "changed_at", "note")
            for v in service.versions(session, dataset_id):
                table.add_row(str(v.version), v.changed_at.isoformat(), v.note)
        console.print(table)

    @group.command("lineage")
    def lineage(dataset_id: str) -> None:
        """Column lineage edges into and out of a dataset."""
        with open_session() as session:
            edges = service.lineage(session, dataset_id)
            edges += service.lineage(session, dataset_id.replace(".", "__"))
            table = Table("from", "to", "transform")
            for e in sorted({e.id: e for e in edges}.values(), key=lambda e: e.id):
                table.add_row(
                    f"{e.source_layer}:{e.source_dataset}.{e.source_field}",
                    f"{e.target_layer}:{e.target_dataset}.{e.target_field}",
                    e.transform,
                )
        console.print(table)

    root.add_typer(group, name="catalog")


def _zh(vocabulary: dict[str, Any], key: str) -> str:
    entry: Callable[..., Any] | Any = vocabulary.get(key)
    return entry[0] if entry else key
