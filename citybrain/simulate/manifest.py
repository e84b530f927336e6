"""manifest.yaml: what was generated, where it lies, and what every field means."""

from __future__ import annotations

import hashlib
from dataclasses import asdict
from pathlib import Path
from typing import Any

import yaml

from citybrain.simulate import GENERATOR_VERSION
from citybrain.simulate.config import PERIOD_END, PERIOD_START, TELEMETRY_START, Knobs
from citybrain.simulate.datasets import DEPARTMENTS
from citybrain.simulate.departments import Delivered

Manifest = dict[str, Any]

TRUTH_FILES = {
    "persons": ("truth/persons.parquet", "every true person (one row each)"),
    "companies": ("truth/companies.parquet", "every true company"),
    "source_identity": ("truth/source_identity.parquet",
                        "dataset, row, role → entity_type, entity_id for every source row"),
    "defects": ("truth/defects.parquet", "dataset, row, field, defect_type, original value"),
    "defect_summary": ("truth/defect_summary.csv",
                       "configured rate, eligible rows and injected count per defect"),
    "population_by_grid": ("truth/population_by_grid.csv", "resident population per grid"),
    "life_events": ("truth/life_events.csv", "births, deaths and moves in the period"),
    "incidents": ("truth/incidents.csv", "injected incidents, windows and devices"),
    "sensor_faults": ("truth/sensor_faults.csv", "flatline and dropout windows"),
    "reports": ("truth/reports.csv", "true category, grid and issue of each citizen report"),
    "detections": ("truth/detections.csv", "whether each detection is a true event"),
}


def build_manifest(seed: int, knobs: Knobs, delivered: list[Delivered], counts: dict[str, int],
                   population_rule: str) -> Manifest:
    datasets = []
    for d in delivered:
        s = d.spec
        dept = s.id.split(".")[0]
        entry: dict[str, Any] = {
            "id": s.id, "title": s.title, "title_en": s.title_en,
            "department": {"code": dept, "name": DEPARTMENTS[dept]},
            "format": s.format, "encoding": s.encoding, "path": s.path,
        }
        if s.table:
            entry["table"] = s.table
        entry.update({
            "update_cycle": s.cycle, "primary_key": s.primary_key, "row_count": d.rows,
            "row_numbering": "0-based data row in file order (SQLite: rowid - 1)",
            "fields": [{"name": f.name, "label": f.label, "type": f.type,
                        "data_element": f.element, "sensitivity": f.sensitivity}
                       for f in s.fields],
        })
        datasets.append(entry)
    return {
        "generator": "citybrain.simulate", "generator_version": GENERATOR_VERSION,
        "seed": seed, "scale": knobs.scale.name,
        "period": {"start": PERIOD_START.isoformat(), "end": PERIOD_END.isoformat(),
                   "timezone": "UTC"},
        "knobs": {k: v for k, v in asdict(knobs).items() if k not in ("defects",)},
        "counts": counts,
        "geo": {k: f"geo/{k}.geojson" for k in
                ("districts", "streets", "communities", "grids", "roads", "buildings")},
        "datasets": datasets,
        "perception": {
            "devices": "perception/devices.csv", "cameras": "perception/cameras.csv",
            "telemetry": "perception/telemetry/date=YYYY-MM-DD.parquet",
            "telemetry_start": TELEMETRY_START.isoformat().replace("+00:00", "Z"),
            "telemetry_days": knobs.scale.telemetry_days,
            "telemetry_interval_min": knobs.scale.telemetry_interval_min,
            "mqtt_topic": "citybrain/telemetry/<device_type>/<device_id>",
        },
        "reports": {"citizen": "reports/citizen.ndjson",
                    "detections": "reports/detections.ndjson"},
        "truth": {k: {"path": p, "about": a} for k, (p, a) in TRUTH_FILES.items()},
        "population_rule": population_rule,
    }


def write_manifest(out: Path, manifest: Manifest) -> None:
    text = yaml.safe_dump(manifest, allow_unicode=True, sort_keys=False, width=100)
    (out / "manifest.yaml").write_text(text, encoding="utf-8")


def digest_tree(root: Path) -> dict[str, str]:
    """SHA-256 of every file under ``root`` (relative paths), for determinism checks."""
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}
