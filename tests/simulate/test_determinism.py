"""Same seed → byte-identical files; knobs and errors behave as documented."""

from __future__ import annotations

import time
from pathlib import Path

import pyarrow.csv as pacsv
import pytest
import typer
from typer.testing import CliRunner

from citybrain.simulate import service
from citybrain.simulate.cli import register
from citybrain.simulate.errors import OutputExistsError, SimulateError

SMALL = {"people": 3000}


def test_same_seed_gives_byte_identical_city(tmp_path: Path) -> None:
    a = service.generate_city(tmp_path / "a", scale="tiny", seed=7, overrides=dict(SMALL))
    time.sleep(1.1)  # a leaked wall-clock timestamp (seconds resolution) would now differ
    b = service.generate_city(tmp_path / "b", scale="tiny", seed=7, overrides=dict(SMALL))
    assert a == b
    da, db = service.digest_tree(tmp_path / "a"), service.digest_tree(tmp_path / "b")
    assert len(da) > 30
    assert {p.split("/")[-1].split(".")[-1] for p in da} >= {
        "csv", "xlsx", "ndjson", "json", "db", "parquet", "geojson", "yaml"}
    assert da == db
    c = service.generate_city(tmp_path / "c", scale="tiny", seed=8, overrides=dict(SMALL))
    dc = service.digest_tree(tmp_path / "c")
    assert c["seed"] == 8
    assert dc["truth/persons.parquet"] != da["truth/persons.parquet"]


def test_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    out = tmp_path / "city"
    out.mkdir()
    (out / "keep.txt").write_text("x")
    with pytest.raises(OutputExistsError) as e:
        service.generate_city(out, scale="tiny", overrides=dict(SMALL))
    assert e.value.http_status == 409 and "--force" in e.value.message_zh
    service.generate_city(out, scale="tiny", overrides=dict(SMALL), force=True)
    assert (out / "manifest.yaml").is_file() and (out / "keep.txt").is_file()


def test_bad_knobs_are_rejected_with_bilingual_errors(tmp_path: Path) -> None:
    with pytest.raises(SimulateError) as e:
        service.generate_city(tmp_path / "x", scale="metropolis")
    assert "未知规模" in e.value.message_zh
    with pytest.raises(SimulateError):
        service.generate_city(tmp_path / "x", overrides={"defects": {"nope": {}}})
    with pytest.raises(SimulateError):
        service.generate_city(tmp_path / "x", overrides={"colour": 3})
    assert not (tmp_path / "x").exists()  # validation happens before touching the disk


def test_defect_overrides_change_the_injected_rate(tmp_path: Path) -> None:
    over = {"people": 3000, "defects": {"gongan.hukou": {"姓名": {"typo": 0.2}}},
            "defect_scale": 1.0}
    service.generate_city(tmp_path / "c", scale="tiny", seed=1, overrides=over)
    rows = pacsv.read_csv(tmp_path / "c/truth/defect_summary.csv").to_pylist()
    typo = next(r for r in rows if r["dataset"] == "gongan.hukou" and r["defect_type"] == "typo")
    assert typo["rate"] == 0.2
    assert abs(typo["injected"] / typo["eligible_rows"] - 0.2) < 0.01


def test_cli_generates_and_reports(tmp_path: Path) -> None:
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """root"""

    register(app)
    out = tmp_path / "cli"
    res = CliRunner().invoke(app, ["simulate", "--scale", "tiny", "--seed", "3", "--out",
                                   str(out)])
    assert res.exit_code == 0, res.output
    assert "city written" in res.output and (out / "manifest.yaml").exists()
    again = CliRunner().invoke(app, ["simulate", "--scale", "tiny", "--out", str(out)])
    assert isinstance(again.exception, OutputExistsError)


def test_identical_across_processes_and_hash_seeds(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    code = ("import sys; from pathlib import Path; from citybrain.simulate import service; "
            "service.generate_city(Path(sys.argv[1]), scale='tiny', seed=5, "
            "overrides={'people': 1500})")
    for i, h in enumerate(("1", "999")):
        env = {**os.environ, "PYTHONHASHSEED": h}
        subprocess.run([sys.executable, "-c", code, str(tmp_path / str(i))], env=env, check=True)
    assert service.digest_tree(tmp_path / "0") == service.digest_tree(tmp_path / "1")
