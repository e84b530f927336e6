"""The demo pipeline end to end, as `make demo` runs it (without serving)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def test_demo_prepares_every_stage(demo_home: Path) -> None:
    assert (demo_home / "city" / "manifest.yaml").exists()
    assert (demo_home / "ops.db").exists() and (demo_home / "lake.duckdb").exists()
    assert len(list((demo_home / "reports").glob("checkup-*.html"))) == 1


def test_demo_again_reuses_everything(demo_home: Path) -> None:
    env = {**os.environ, "CITYBRAIN_HOME": str(demo_home), "COLUMNS": "200"}
    command = [sys.executable, "-m", "citybrain.cli", "demo", "--no-serve"]
    again = subprocess.run(command, capture_output=True, text=True, env=env, timeout=600)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "reusing the demo city" in again.stdout
    assert "✓ indicators" in again.stdout and "✓ quality" in again.stdout
    assert len(list((demo_home / "reports").glob("checkup-*.html"))) == 2
