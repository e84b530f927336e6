"""Department deliveries: build each dataset, inject its defects, write it, keep its truth."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa

from citybrain.simulate import datasets as ds
from citybrain.simulate import registers as rg
from citybrain.simulate import writers
from citybrain.simulate.config import Knobs, stage_rng
from citybrain.simulate.defects import DefectLog, apply_defects
from citybrain.simulate.geo import Geography

PA_TYPES = {"string": pa.string(), "date": pa.string(), "integer": pa.int64(),
            "decimal": pa.float64()}
SQL_TYPES = {"string": "TEXT", "date": "TEXT", "integer": "INTEGER", "decimal": "REAL"}


def catalog(knobs: Knobs) -> list[tuple[ds.Spec, Callable]]:
    """Every dataset in delivery order, with its builder."""
    return [
        (ds.HUKOU, ds.build_hukou), (ds.RESIDENCE, ds.build_residence),
        (ds.BIRTHS, ds.build_births), (ds.DEATHS, ds.build_deaths),
        (ds.VACC, ds.build_vaccinations),
        (ds.MARRIAGES, lambda r, P, C, G: ds.build_marriages(r, P, C, G, knobs.marriage_rate)),
        (ds.SUBSIDIES, ds.build_subsidies),
        (rg.SI_INSURED, rg.build_si_insured), (rg.SI_CONTRIB, rg.build_si_contribution),
        (rg.COMPANY_REGISTER, rg.build_company_register), (rg.ANNUAL, rg.build_annual),
        (rg.ENROLMENT, rg.build_enrolment), (rg.PROPERTY, rg.build_property),
    ]


@dataclass
class Delivered:
    """One written dataset with its truth."""

    spec: ds.Spec
    rows: int
    identity: pa.Table  # row, role, entity_type, entity_index
    defects: DefectLog


def deliver_all(seed: int, knobs: Knobs, P: dict, C: dict, G: Geography, out: Path,
                tick: Callable[[str], None] | None = None) -> list[Delivered]:
    """Build, damage and write every dataset; SQLite tables of one file are written together."""
    done: list[Delivered] = []
    sqlite_pending: dict[str, dict[str, tuple[pa.Table, dict[str, str]]]] = {}
    for spec, builder in catalog(knobs):
        if tick:
            tick(spec.id)
        built = builder(stage_rng(seed, f"dataset:{spec.id}"), P, C, G)
        table, identity, log = _finish(stage_rng(seed, f"defects:{spec.id}"), spec, built,
                                       knobs.defect_rates(spec.id))
        path = out / spec.path
        path.parent.mkdir(parents=True, exist_ok=True)
        if spec.format == "csv":
            writers.write_csv(table, path, spec.encoding)
        elif spec.format == "ndjson":
            writers.write_ndjson(table, path)
        elif spec.format == "json":
            writers.write_json_document(table, path)
        elif spec.format == "xlsx":
            writers.write_xlsx(table, path, spec.title)
        elif spec.format == "sqlite":
            types = {f.name: SQL_TYPES[f.type] for f in spec.fields}
            sqlite_pending.setdefault(spec.path, {})[spec.table or spec.id] = (table, types)
        done.append(Delivered(spec, table.num_rows, identity, log))
        del table, built
    for rel, tables in sqlite_pending.items():
        writers.write_sqlite(tables, out / rel)
    return done


def _finish(rng: np.random.Generator, spec: ds.Spec, built: ds.Built,
            rates: dict[str, dict[str, float]]) -> tuple[pa.Table, pa.Table, DefectLog]:
    """Apply defects, append duplicate rows, and return (table, identity truth, log)."""
    cols = built.cols
    elements = {f.name: f.element for f in spec.fields}
    log, dup_src = apply_defects(rng, cols, elements, rates, built.conditions, built.stale,
                                 spec.record_field, built.late_values, built.stale_with)
    n = len(next(iter(cols.values())))
    if len(dup_src):
        for k, v in cols.items():
            cols[k] = (pa.concat_arrays([v, v.take(pa.array(dup_src))])
                       if isinstance(v, pa.Array) else np.concatenate([v, v[dup_src]]))
        new_rows = n + np.arange(len(dup_src))
        # a duplicate carries its source's field defects too: record them for the copy
        src_to_new = dict(zip(dup_src.tolist(), new_rows.tolist(), strict=True))
        for i in range(len(log.rows)):
            r = log.rows[i]
            if r in src_to_new:
                log.rows.append(src_to_new[r])
                log.fields.append(log.fields[i])
                log.kinds.append(log.kinds[i])
                log.originals.append(log.originals[i])
        log.add(new_rows, "_row", "duplicate", [str(s) for s in dup_src])
    arrays = []
    for f in spec.fields:
        v = cols[f.name]
        if isinstance(v, pa.Array):
            arrays.append(v.cast(PA_TYPES[f.type]))
        else:
            arrays.append(pa.array(v, type=PA_TYPES[f.type], from_pandas=True))
        cols[f.name] = None  # free the numpy/object copy as soon as Arrow has it
    table = pa.table(arrays, names=[f.name for f in spec.fields])
    total = table.num_rows
    id_parts = []
    for role, etype, idx in built.identity:
        full = np.concatenate([idx, idx[dup_src]]) if len(dup_src) else idx
        keep = full >= 0
        id_parts.append(pa.table({
            "row": pa.array(np.arange(total)[keep], pa.int64()),
            "role": pa.array(np.full(keep.sum(), role)),
            "entity_type": pa.array(np.full(keep.sum(), etype)),
            "entity_index": pa.array(full[keep], pa.int64()),
        }))
    return table, pa.concat_tables(id_parts), log
