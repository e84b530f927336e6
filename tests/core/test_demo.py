"""The demo pipeline end to end, as `make demo` runs it (without serving)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path


def _cli(home: Path, *args: str, timeout: int = 120) -> subprocess.CompletedProcess[str]:
    """``citybrain ARGS`` as a user runs it on ``home``: a real process."""
    env = {**os.environ, "CITYBRAIN_HOME": str(home), "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "citybrain.cli", *args],
                          capture_output=True, text=True, env=env, timeout=timeout)


def test_demo_prepares_every_stage(demo_home: Path) -> None:
    assert (demo_home / "city" / "manifest.yaml").exists()
    assert (demo_home / "ops.db").exists() and (demo_home / "lake.duckdb").exists()
    assert len(list((demo_home / "reports").glob("checkup-*.html"))) == 1


def test_demo_again_reuses_everything(demo_home: Path) -> None:
    again = _cli(demo_home, "demo", "--no-serve", timeout=600)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "reusing the demo city" in again.stdout
    assert "✓ indicators" in again.stdout and "✓ quality" in again.stdout
    assert len(list((demo_home / "reports").glob("checkup-*.html"))) == 2


def test_quality_reports_of_a_dataset_and_a_department(demo_home: Path, tmp_path: Path) -> None:
    def report(*args: str) -> subprocess.CompletedProcess[str]:
        return _cli(demo_home, "quality", "report", *args, "--out", str(tmp_path))

    for args, name in ((("--dataset", "gongan.hukou"), "gongan.hukou"),
                       (("--dataset", "jiaoyu.enrolment"), "jiaoyu.enrolment"),  # G + ID
                       (("--department", "gongan"), "gongan")):
        done = report(*args)
        assert done.returncode == 0, done.stdout + done.stderr
        page = (tmp_path / f"quality-{name}.html").read_text(encoding="utf-8")
        assert 'id="dimension-chart"' in page and 'id="trend-chart"' in page
        assert "<td>validity</td>" not in page and "有效性" in page  # dimensions in Chinese
        # the register's failing rows are sampled, their ID numbers masked
        assert not re.search(r"(?<!\d)\d{17}[\dX](?!\d)", page)
    assert "********" in (tmp_path / "quality-gongan.hukou.html").read_text(encoding="utf-8")
    assert 'id="dataset-chart"' in (tmp_path / "quality-gongan.html").read_text(encoding="utf-8")

    unknown = report("--dataset", "no.such")
    assert unknown.returncode != 0 and "尚未进行质量检查" in unknown.stdout + unknown.stderr
    both = report("--dataset", "gongan.hukou", "--department", "gongan")
    assert both.returncode != 0 and "--department" in both.stdout + both.stderr


def test_a_tickets_fix_list_holds_every_failing_row(demo_home: Path, tmp_path: Path) -> None:
    from citybrain.config import Settings
    from citybrain.quality import service
    from citybrain.store.ops import session_scope
    from citybrain.store.runtime import Stores

    stores = Stores.from_settings(Settings(home=demo_home))
    try:
        with session_scope(stores.sessions) as session:
            ticket = next(t for t in service.list_tickets(session)
                          if t.rule_key == "validity:sfzjh")
            tid, failed = ticket.id, ticket.failed
    finally:
        stores.close()
    out = tmp_path / "fix.csv"
    done = _cli(demo_home, "quality", "rows", str(tid), "--out", str(out))
    assert done.returncode == 0, done.stdout + done.stderr
    text = out.read_text(encoding="utf-8")
    header, *lines = text.lstrip("\ufeff").splitlines()
    assert text.startswith("\ufeff") and header.split(",")[0] == "行号(row)"
    assert "原因(reason)" in header and len(lines) == failed > 5  # all of them, not a sample
    assert not re.search(r"(?<!\d)\d{17}[\dX](?!\d)", text)  # the pupils' IDs are masked
