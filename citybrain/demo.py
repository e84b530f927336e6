"""The demo city pipeline: each domain adds its stage here, in data-flow order.

Every stage is idempotent, so ``make demo`` can be run again and reuses what is already done.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from rich.console import Console

from citybrain.config import Settings
from citybrain.store.ops import session_scope
from citybrain.store.runtime import Stores

Stage = Callable[[Stores, Console], str]


def _init(stores: Stores, console: Console) -> str:
    stores.migrate()
    return "schema up to date / 数据库结构已就绪"


def _org(stores: Stores, console: Console) -> str:
    from citybrain.org import service

    with session_scope(stores.sessions) as session:
        service.seed_defaults(session)
        totals = service.counts(session)
    return f"{totals['districts']} districts, {totals['departments']} departments"


def _simulate(stores: Stores, console: Console) -> str:
    from citybrain.simulate import service

    out = stores.settings.home / "city"
    if (out / "manifest.yaml").exists():
        return f"reusing the demo city in {out} / 复用已生成的演示城市"
    service.generate_city(out, scale="demo", seed=42)
    return f"demo city generated in {out} / 演示城市已生成"


def _catalog_ingest(stores: Stores, console: Console) -> str:
    """Register everything the demo city delivered, then load every dataset into the lake."""
    from citybrain.catalog import service as catalog
    from citybrain.ingest import service as ingest

    with session_scope(stores.sessions) as session:
        registered = catalog.register_manifest(session, stores.settings.home / "city/manifest.yaml")
        ingest.sync_jobs_from_catalog(session)
        job_ids = [j.id for j in ingest.list_jobs(session) if j.enabled]
    runs = ingest.run_many(stores, job_ids, trigger="demo")
    failed = [r.job_id for r in runs if r.status not in ("succeeded", "unchanged")]
    rows = sum(c["curated_rows"] for c in ingest.dataset_counts(stores))
    n = len(registered.created) + len(registered.updated) + len(registered.unchanged)
    return (
        f"{n} datasets registered, {len(runs) - len(failed)}/{len(runs)} loaded, {rows} curated "
        f"rows / 目录登记并汇聚完成" + (f"; failed: {', '.join(failed)}" if failed else "")
    )


def _fusion(stores: Stores, console: Console) -> str:
    """Fuse the loaded department records into the base registries (人口库, 法人库, 实有人口)."""
    from citybrain.fusion import service

    result = service.build(stores.lake, stores.settings.home / "city", source="lake")
    return (
        f"{result['person']['entities']} persons, {result['company']['entities']} companies, "
        f"{result['residents']} residents / 基础库已建立"
    )


def _quality(stores: Stores, console: Console) -> str:
    """Scan every loaded dataset (one aggregate query each) and open rectification tickets."""
    from citybrain.quality import service

    with session_scope(stores.sessions) as session:
        scans = service.scan_catalog(session, stores.lake, load_ref="demo",
                                     weights=stores.settings.quality_weights)
        score = service.overall_score(session)
        tickets = service.open_ticket_count(session)
    return (
        f"{len(scans)} datasets scanned, quality score {score}, {tickets} open tickets "
        "/ 质量检查完成，整改工单已派发"
    )


def _indicators(stores: Stores, console: Console) -> str:
    from citybrain.indicators import service

    checkup = service.run_checkup(stores)
    ok = sum(1 for i in checkup.summary["indicators"] if i["status"] == "ok")
    total = len(checkup.summary["indicators"])
    return (
        f"{ok}/{total} indicators computed; checkup {checkup.id} overall "
        f"{checkup.overall_score}; report {checkup.html_path}"
    )


def _events(stores: Stores, console: Console) -> str:
    from citybrain.events import service

    city = stores.settings.home / "city"
    with session_scope(stores.sessions) as session:
        service.load_city(session, city)
        service.ensure_categories(session)
        result = service.replay_city(session, city)
        worked = service.work_demo_cases(session)
        service.check_sla(session)
        service.take_snapshot(session)
        totals = service.summary(session)
    return (
        f"{totals['total']} cases from {totals['reports']} reports "
        f"({result.created} new, {result.merged} merged, {result.rejected} rejected); "
        f"worked by the demo's operators: {worked}"
    )


STAGES: list[tuple[str, Stage]] = [
    ("init", _init),
    ("org", _org),
    ("simulate", _simulate),
    ("catalog+ingest", _catalog_ingest),
    ("quality", _quality),
    ("fusion", _fusion),
    ("events", _events),
    # indicators read every other domain: keep it last
    ("indicators", _indicators),
]


def run_demo(settings: Settings, console: Console) -> None:
    stores = Stores.from_settings(settings)
    try:
        for name, stage in STAGES:
            started = time.perf_counter()
            with console.status(f"demo: {name} …"):
                message = stage(stores, console)
            console.print(
                f"[green]✓[/green] {name} ({time.perf_counter() - started:.1f} s): {message}"
            )
    finally:
        stores.close()
