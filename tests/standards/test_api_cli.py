"""The standards API and the `citybrain standards validate` command as a user runs them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import orjson
import pytest


@pytest.mark.anyio
async def test_validate_api(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/v1/standards/validate",
        json={"element": "id_card", "values": ["11010519491231002X", "110105491231002", None]},
    )
    assert response.status_code == 200
    assert [r["reason"] for r in response.json()] == [None, "legacy_15", "empty"]
    unknown = await client.post("/api/v1/standards/validate", json={"element": "x", "values": []})
    assert unknown.status_code == 404
    assert "未知数据元" in unknown.text
    elements = (await client.get("/api/v1/standards/elements")).json()
    assert {"id_card", "uscc", "phone", "date", "address"} <= {e["code"] for e in elements}


def test_validate_cli_writes_jsonl(tmp_path: Path) -> None:
    src = tmp_path / "phones.txt"
    src.write_text("13800138000\n+86 138 0013 8000\n12345\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    env = {**os.environ, "CITYBRAIN_HOME": str(tmp_path / "home")}
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "citybrain.cli",
            "standards",
            "validate",
            "mobile",
            str(src),
            "-o",
            str(out),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    rows = [orjson.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [(r["valid"], r["reason"]) for r in rows] == [
        (True, None),
        (False, "not_normalized"),
        (False, "bad_length_or_prefix"),
    ]
    assert rows[1]["normalized"] == "13800138000"
