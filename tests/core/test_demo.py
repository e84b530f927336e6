"""The demo pipeline end to end, as `make demo` runs it (without serving)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def test_demo_prepares_the_city_and_is_idempotent(tmp_path: Path) -> None:
    env = {**os.environ, "CITYBRAIN_HOME": str(tmp_path / "home"), "COLUMNS": "200"}
    command = [sys.executable, "-m", "citybrain.cli", "demo", "--no-serve"]
    first = subprocess.run(command, capture_output=True, text=True, env=env, timeout=600)
    assert first.returncode == 0, first.stdout + first.stderr
    assert (tmp_path / "home" / "city" / "manifest.yaml").exists()
    assert "✓ indicators" in first.stdout
    second = subprocess.run(command, capture_output=True, text=True, env=env, timeout=600)
    assert second.returncode == 0, second.stdout + second.stderr
    assert "reusing the demo city" in second.stdout
    reports = sorted((tmp_path / "home" / "reports").glob("checkup-*.html"))
    assert len(reports) == 2
