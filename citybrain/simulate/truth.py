"""Ground truth beside the data: who every row is, what was damaged, what really happened."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from citybrain.simulate.config import TELEMETRY_START
from citybrain.simulate.datasets import dstr
from citybrain.simulate.departments import Delivered
from citybrain.simulate.geo import Geography

POPULATION_RULE = ("resident population (实有人口) of a grid = people alive on 2024-12-31 whose "
                   "home address on that day is a building in the grid, whatever their hukou")


def _pq(table: pa.Table, path: Path) -> None:
    pq.write_table(table, path, compression="zstd")


def _csv(table: pa.Table, path: Path) -> None:
    pacsv.write_csv(table, path)


def write_people_truth(out: Path, P: dict, C: dict, G: Geography) -> None:
    pid = P["person_id"]
    twin = np.where(P["twin_of"] >= 0, pid[np.maximum(P["twin_of"], 0)], "")
    emp = P["employer"]
    _pq(pa.table({
        "person_id": pid, "name": P["name"], "sex": np.where(P["male"], "M", "F"),
        "birth_date": dstr(P["birth"]).astype(str), "id_card": P["id_card"],
        "birth_region_code": P["region"].astype(str), "ethnic": P["ethnic"],
        "phone": P["phone"],
        "household_id": np.char.add("H", np.char.zfill(P["household"].astype(str), 8)),
        "household_role": np.where(P["role"] == 0, "head", np.where(P["role"] == 1, "spouse",
                                                                    "child")),
        "building_id": G.buildings["building_id"][P["building"]],
        "unit": P["unit"], "room": P["room"], "address": P["address"],
        "grid_code": G.grids["code"][P["grid_idx"]],
        "district_code": G.districts["code"][P["district_idx"]],
        "prev_address": P["prev_address"],
        "move_date": pa.array(dstr(P["move_date"]), pa.string()),
        "death_date": pa.array(dstr(P["death"]), pa.string()),
        "born_in_period": P["born_in_period"], "twin_of": twin,
        "local_hukou": P["local_hukou"],
        "employer_company_id": np.where(emp >= 0, C["company_id"][np.maximum(emp, 0)], ""),
    }), out / "persons.parquet")
    _pq(pa.table({
        "company_id": C["company_id"], "name": C["name"], "uscc": C["uscc"],
        "district_code": G.districts["code"][C["district_idx"]], "form": C["form"],
        "established": dstr(C["established"]).astype(str), "status": C["status"],
        "closed": pa.array(dstr(C["closed"]), pa.string()),
        "legal_rep_person_id": pid[C["legal_rep"]], "address": C["address"],
        "building_id": G.buildings["building_id"][C["building"]],
        "employees": C["employees"],
    }), out / "companies.parquet")
    alive = np.isnat(P["death"])
    counts = np.bincount(P["grid_idx"][alive], minlength=len(G.grids["code"]))
    _csv(pa.table({"grid_code": G.grids["code"], "grid_name": G.grids["name"],
                   "resident_population": counts}), out / "population_by_grid.csv")
    ev = []
    for kind, mask, date in (("birth", P["born_in_period"], P["birth"]),
                             ("death", ~np.isnat(P["death"]), P["death"]),
                             ("move", P["mover"], P["move_date"])):
        idx = np.flatnonzero(mask)
        ev.append(pa.table({"person_id": pid[idx], "event": np.full(len(idx), kind),
                            "date": dstr(date[idx]).astype(str)}))
    events = pa.concat_tables(ev)
    events = events.take(pc.sort_indices(events, [("date", "ascending"),
                                                  ("person_id", "ascending"),
                                                  ("event", "ascending")]))
    _csv(events, out / "life_events.csv")


def write_source_truth(out: Path, delivered: list[Delivered], P: dict, C: dict) -> None:
    """source_identity.parquet, defects.parquet and defect_summary.csv."""
    pid = pa.array(P["person_id"])
    cid = pa.array(C["company_id"])
    writer = None
    try:
        for d in delivered:
            t = d.identity
            is_p = pc.equal(t["entity_type"], "person")
            idx = t["entity_index"]
            ent = pc.if_else(is_p, pid.take(pc.if_else(is_p, idx, 0)),
                             cid.take(pc.if_else(is_p, 0, idx)))
            part = pa.table({"dataset": pa.array(np.full(t.num_rows, d.spec.id)),
                             "row": t["row"], "role": t["role"],
                             "entity_type": t["entity_type"], "entity_id": ent})
            part = part.take(pc.sort_indices(part, [("row", "ascending"),
                                                    ("role", "ascending")]))
            if writer is None:
                writer = pq.ParquetWriter(out / "source_identity.parquet", part.schema,
                                          compression="zstd")
            writer.write_table(part)
    finally:
        if writer is not None:
            writer.close()
    parts, summary = [], []
    for d in delivered:
        log = d.defects
        t = pa.table({"dataset": pa.array([d.spec.id] * len(log.rows), pa.string()),
                      "row": pa.array(log.rows, pa.int64()),
                      "field": pa.array(log.fields, pa.string()),
                      "defect_type": pa.array(log.kinds, pa.string()),
                      "original": pa.array(log.originals, pa.string())})
        parts.append(t.take(pc.sort_indices(t, [("row", "ascending"), ("field", "ascending")])))
        for fld, kind, rate, elig, count in log.summary:
            summary.append((d.spec.id, fld, kind, rate, elig, count))
    _pq(pa.concat_tables(parts), out / "defects.parquet")
    cols = list(zip(*summary, strict=True)) if summary else [[]] * 6
    _csv(pa.table({"dataset": cols[0], "field": cols[1], "defect_type": cols[2],
                   "rate": pa.array(cols[3], pa.float64()),
                   "eligible_rows": pa.array(cols[4], pa.int64()),
                   "injected": pa.array(cols[5], pa.int64())}), out / "defect_summary.csv")


def write_perception_truth(out: Path, incidents: list[dict], faults: list[dict],
                           dev: dict) -> None:
    keys = ["incident_id", "type", "start", "end", "grid_code", "lon", "lat", "device_ids",
            "expect"]
    _csv(pa.table({k: [i[k] for i in incidents] for k in keys}), out / "incidents.csv")

    def iso(s: int) -> str:
        return (TELEMETRY_START + dt.timedelta(seconds=s)).isoformat().replace("+00:00", "Z")

    _csv(pa.table({"device_id": [f["device_id"] for f in faults],
                   "fault": [f["fault"] for f in faults],
                   "start": [iso(f["start_s"]) for f in faults],
                   "end": [iso(f["end_s"]) for f in faults]}), out / "sensor_faults.csv")
