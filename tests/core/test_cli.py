"""The `citybrain` command as a user runs it: a real process, a real data dir."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


def run(
    *args: str, home: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "CITYBRAIN_HOME": str(home), "COLUMNS": "200", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "citybrain.cli", *args],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=120,
    )


def test_init_twice_is_harmless(tmp_path: Path) -> None:
    first = run("init", home=tmp_path / "h")
    second = run("init", home=tmp_path / "h")
    assert first.returncode == 0, first.stderr
    assert second.returncode == 0, second.stderr
    assert (tmp_path / "h" / "ops.db").exists()
    assert (tmp_path / "h" / "lake.duckdb").exists()


def test_config_shows_effective_settings_and_masks_passwords(tmp_path: Path) -> None:
    result = run(
        "config",
        home=tmp_path / "h",
        env={"CITYBRAIN_OPS_DB_URL": "postgresql+psycopg://cb:hunter2@db.example/cb"},
    )
    assert result.returncode == 0, result.stderr
    assert "hunter2" not in result.stdout
    assert "postgresql+psycopg://cb:***@db.example/cb" in result.stdout


def test_config_reads_a_toml_file(tmp_path: Path) -> None:
    toml = tmp_path / "citybrain.toml"
    toml.write_text('log_level = "DEBUG"\nport = 9123\n')
    result = run("config", home=tmp_path / "h", env={"CITYBRAIN_CONFIG": str(toml)})
    assert result.returncode == 0, result.stderr
    assert "9123" in result.stdout and "DEBUG" in result.stdout


def test_errors_are_one_line_not_a_traceback(tmp_path: Path) -> None:
    result = run(
        "init",
        home=tmp_path / "h",
        env={"CITYBRAIN_OPS_DB_URL": "postgresql+psycopg://x@127.0.0.1:1/x"},
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) <= 2


def test_production_refuses_the_default_secret(tmp_path: Path) -> None:
    result = run("config", home=tmp_path / "h", env={"CITYBRAIN_ENV": "production"})
    assert result.returncode == 1
    assert "CITYBRAIN_SECRET_KEY" in result.stderr
    assert "Traceback" not in result.stderr


def test_org_seed_and_list(tmp_path: Path) -> None:
    assert run("org", "seed", home=tmp_path / "h").returncode == 0
    listing = run("org", "list", home=tmp_path / "h")
    assert listing.returncode == 0
    assert "市南区" in listing.stdout and "公安局" in listing.stdout


def test_version(tmp_path: Path) -> None:
    from citybrain import __version__

    assert run("version", home=tmp_path).stdout.strip() == __version__


@pytest.mark.parametrize("command", ["init", "config", "serve", "demo", "version", "org"])
def test_every_command_has_help(tmp_path: Path, command: str) -> None:
    result = run(command, "--help", home=tmp_path)
    assert result.returncode == 0 and "Usage" in result.stdout


def test_usage_errors_show_usage_not_a_traceback(tmp_path: Path) -> None:
    result = run("no-such-command", home=tmp_path)
    assert result.returncode == 2
    assert "No such command" in result.stderr and "Traceback" not in result.stderr


def test_quality_weights_with_a_typo_are_refused_before_any_scan(tmp_path: Path) -> None:
    typo = run("quality", "scan", "--weight", "validty=2", home=tmp_path / "h")
    assert typo.returncode != 0 and "未知的质量维度" in typo.stdout + typo.stderr
    shape = run("quality", "scan", "--weight", "validity", home=tmp_path / "h")
    assert shape.returncode != 0 and "DIMENSION=NUMBER" in shape.stdout + shape.stderr
    env = {"CITYBRAIN_QUALITY_WEIGHTS": '{"timelyness": 1}'}
    from_env = run("quality", "scan", home=tmp_path / "h", env=env)
    assert from_env.returncode != 0 and "timelyness" in from_env.stdout + from_env.stderr
    fine = run("quality", "scan", "--weight", "validity=2", home=tmp_path / "h")
    assert fine.returncode == 0, fine.stdout + fine.stderr


INTERRUPTED_QUERY = """
import os, signal, threading, duckdb
from citybrain.cli import _interrupted
con = duckdb.connect()
threading.Timer(0.3, lambda: os.kill(os.getpid(), signal.SIGINT)).start()
try:
    con.sql("SELECT count(*) FROM range(10000000000) t(i) WHERE i % 7 = 3").fetchall()
    print("finished")
except BaseException as e:
    print(type(e).__name__, _interrupted(e))
"""


def test_ctrl_c_inside_a_duckdb_query_reads_as_an_interrupt() -> None:
    """DuckDB swallows the KeyboardInterrupt and raises its own error: the CLI must still say
    "aborted", not print a RuntimeError."""
    out = subprocess.run([sys.executable, "-c", INTERRUPTED_QUERY], capture_output=True,
                         text=True, timeout=120)
    assert out.stdout.split()[-1] == "True", (out.stdout, out.stderr)


def test_a_period_that_is_not_a_date_is_one_clear_line(tmp_path: Path) -> None:
    for command in (["indicators", "compute"], ["checkup", "--no-pdf"]):
        out = run(*command, "--period", "2024-13-01", home=tmp_path / "h")
        assert out.returncode == 1
        assert "YYYY-MM-DD" in out.stderr and "不是日期" in out.stderr
        assert "Traceback" not in out.stderr and "ValueError" not in out.stderr
