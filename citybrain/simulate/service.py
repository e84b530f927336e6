"""The simulator's public surface: generate a city, publish live telemetry.

Other domains call only these functions and read the files they write (see
``docs/simulate.md``). No CLI or web framework is imported here.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.csv as pacsv

from citybrain.simulate import companies, departments, geo, people, perception, reports, truth
from citybrain.simulate.config import SCALES, make_knobs, stage_rng
from citybrain.simulate.errors import OutputExistsError
from citybrain.simulate.live import publish_telemetry
from citybrain.simulate.manifest import Manifest, build_manifest, digest_tree, write_manifest

__all__ = ["SCALES", "Manifest", "check_target", "digest_tree", "generate_city",
           "load_manifest", "publish_telemetry"]

OWNED = ("geo", "departments", "perception", "reports", "truth", "manifest.yaml")
STAGES = [("geography", 0.03), ("people", 0.10), ("companies", 0.02), ("departments", 0.55),
          ("perception", 0.15), ("reports", 0.05), ("truth", 0.10)]

Progress = Callable[[str, float], None]


def check_target(out: Path, scale: str = "demo", force: bool = False,
                 overrides: dict[str, Any] | None = None) -> None:
    """Raise the error ``generate_city`` would raise for these arguments, touching nothing."""
    make_knobs(scale, overrides)
    out = Path(out)
    if not force and out.exists() and any(out.iterdir()):
        raise OutputExistsError(
            f"output directory {out} is not empty; pass --force to overwrite",
            f"输出目录 {out} 非空；如需覆盖请加 --force",
            path=str(out),
        )


def _prepare(out: Path, force: bool) -> None:
    check_target(out, force=force)
    if out.exists() and any(out.iterdir()):
        for name in OWNED:  # remove only what a previous run wrote
            p = out / name
            if p.is_dir():
                shutil.rmtree(p)
            elif p.exists():
                p.unlink()
    out.mkdir(parents=True, exist_ok=True)


def generate_city(out: Path, scale: str = "demo", seed: int = 42,
                  progress: Progress | None = None, overrides: dict[str, Any] | None = None,
                  force: bool = False) -> Manifest:
    """Generate a whole city into ``out`` and return its manifest.

    Args:
        out: target directory; must be empty or absent unless ``force``.
        scale: ``tiny`` (tests), ``demo`` (~20k people), ``district`` (~200k), ``city`` (1M).
        seed: the same seed gives byte-identical files.
        progress: called with (stage, fraction done 0..1).
        overrides: scale fields, rates and defect rates (see ``config.make_knobs``).
        force: replace the files of an earlier run in ``out``.
    """
    knobs = make_knobs(scale, overrides)  # validate before touching the disk
    out = Path(out)
    _prepare(out, force)
    done = 0.0

    def step(name: str) -> None:
        nonlocal done
        if progress:
            progress(name, done)
        done += dict(STAGES)[name]

    step("geography")
    G = geo.build_geography(stage_rng(seed, "geography"), knobs.scale)
    counts = geo.write_geography(G, out / "geo")
    step("people")
    P = people.build_people(stage_rng(seed, "people"), knobs, G)
    step("companies")
    C = companies.build_companies(stage_rng(seed, "companies"), P, G,
                                  knobs.scale.people_per_company)
    counts.update({"people": len(P["person_id"]), "households": int(P["household"][-1]) + 1,
                   "companies": len(C["company_id"])})
    dep_base = done
    step("departments")
    n_ds = len(departments.catalog(knobs))
    seen = 0

    def tick(ds_id: str) -> None:
        nonlocal seen
        if progress:
            progress(f"departments:{ds_id}", dep_base + 0.55 * seen / n_ds)
        seen += 1

    delivered = departments.deliver_all(seed, knobs, P, C, G, out, tick)
    counts["department_rows"] = sum(d.rows for d in delivered)
    step("perception")
    rng = stage_rng(seed, "perception")
    dev = perception.build_devices(rng, knobs.scale, G)
    (out / "perception").mkdir(exist_ok=True)
    pacsv.write_csv(perception.devices_table(dev, G), out / "perception/devices.csv")
    incidents = perception.plan_incidents(rng, knobs.scale, dev, G)
    faults = perception.plan_faults(rng, knobs.scale, dev, incidents)
    counts["devices"] = len(dev["device_id"])
    counts["telemetry_readings"] = perception.write_telemetry(
        stage_rng(seed, "telemetry"), knobs.scale, dev, incidents, faults,
        out / "perception/telemetry")
    step("reports")
    rng = stage_rng(seed, "reports")
    rep, rep_truth = reports.build_citizen_reports(rng, knobs.scale.citizen_reports, G, P)
    cams = reports.build_cameras(rng, knobs.scale.cameras, G)
    det, det_truth = reports.build_detections(rng, knobs.scale.detections, cams,
                                              knobs.detection_false_share)
    (out / "reports").mkdir(exist_ok=True)
    pacsv.write_csv(cams, out / "perception/cameras.csv")
    _ndjson(rep, out / "reports/citizen.ndjson")
    _ndjson(det, out / "reports/detections.ndjson")
    counts.update({"citizen_reports": rep.num_rows, "detections": det.num_rows,
                   "cameras": cams.num_rows, "incidents": len(incidents)})
    step("truth")
    tdir = out / "truth"
    tdir.mkdir(exist_ok=True)
    truth.write_people_truth(tdir, P, C, G)
    truth.write_source_truth(tdir, delivered, P, C)
    truth.write_perception_truth(tdir, incidents, faults, dev)
    pacsv.write_csv(rep_truth, tdir / "reports.csv")
    pacsv.write_csv(det_truth, tdir / "detections.csv")
    manifest = build_manifest(seed, knobs, delivered, counts, truth.POPULATION_RULE)
    write_manifest(out, manifest)
    if progress:
        progress("done", 1.0)
    return manifest


def _ndjson(table: pa.Table, path: Path) -> None:
    with path.open("wb") as f:
        for row in table.to_pylist():
            row = {k: (None if isinstance(v, float) and np.isnan(v) else v)
                   for k, v in row.items()}
            f.write(orjson.dumps(row) + b"\n")


def load_manifest(city: Path) -> Manifest:
    """Read ``manifest.yaml`` of a generated city."""
    import yaml

    return yaml.safe_load((Path(city) / "manifest.yaml").read_text(encoding="utf-8"))
