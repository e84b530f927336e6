"""Every setting and every command is documented."""

from __future__ import annotations

from pathlib import Path

import typer

from citybrain.cli import app
from citybrain.config import Settings

ROOT = Path(__file__).resolve().parents[2]


def _docs_text() -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "docs").glob("*.md"))


def _command_paths(command: object, prefix: str) -> list[str]:
    """Every leaf command path under ``command`` (Typer vendors click: duck-type groups)."""
    subcommands = getattr(command, "commands", None) or {}
    paths = [] if subcommands else [prefix]
    for name, sub in subcommands.items():
        paths.extend(_command_paths(sub, f"{prefix} {name}"))
    return paths


def test_every_setting_is_documented() -> None:
    docs = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    missing = [
        f"CITYBRAIN_{f.upper()}"
        for f in Settings.model_fields
        if f"CITYBRAIN_{f.upper()}" not in docs
    ]
    assert not missing, f"settings missing from docs/operations.md: {missing}"


def test_every_command_is_documented() -> None:
    docs = _docs_text()
    commands = _command_paths(typer.main.get_command(app), "citybrain")
    assert {"citybrain init", "citybrain org seed"} <= set(commands)  # the walk itself works
    missing = [c for c in commands if f"`{c}" not in docs]
    assert not missing, f"commands missing from docs/: {missing}"
