"""The generator's promises, checked on the shared demo city."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from collections import Counter
from pathlib import Path

import numpy as np
import openpyxl
import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
import shapely

from citybrain.simulate import identifiers as ids
from citybrain.simulate.config import DEFAULT_DEFECTS


def _read_rows(city: Path, ds: dict) -> list[dict]:
    path = city / ds["path"]
    if ds["format"] == "csv":
        text = path.read_bytes().decode(ds["encoding"].lower())
        return list(csv.DictReader(io.StringIO(text)))
    if ds["format"] == "ndjson":
        return [orjson.loads(line) for line in path.read_bytes().splitlines()]
    if ds["format"] == "json":
        return json.loads(path.read_text(encoding="utf-8"))["data"]
    if ds["format"] == "xlsx":
        ws = openpyxl.load_workbook(path, read_only=True).worksheets[0]
        rows = list(ws.iter_rows(values_only=True))
        return [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]
    con = sqlite3.connect(path)
    cur = con.execute(f'SELECT * FROM "{ds["table"]}" ORDER BY rowid')
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur]


def test_manifest_covers_departments_formats_and_fields(city: Path, manifest: dict) -> None:
    dss = manifest["datasets"]
    assert len({d["department"]["code"] for d in dss}) >= 6
    assert len(dss) >= 10
    assert {"csv", "xlsx", "ndjson", "json", "sqlite"} <= {d["format"] for d in dss}
    assert {"GBK", "GB18030", "UTF-8"} <= {d["encoding"] for d in dss}
    assert manifest["counts"]["people"] == 20_000
    for d in dss:
        assert (city / d["path"]).is_file(), d["path"]
        assert d["fields"] and all(f["label"] and f["sensitivity"] for f in d["fields"])
        assert d["update_cycle"] in {"daily", "weekly", "monthly", "quarterly", "yearly"}
    for rel in list(manifest["geo"].values()) + list(manifest["reports"].values()):
        assert (city / rel).is_file()
    for t in manifest["truth"].values():
        assert (city / t["path"]).is_file()


@pytest.mark.parametrize("ds_id", ["gongan.hukou", "minzheng.marriages", "renshe.si_insured",
                                   "minzheng.subsidies", "weijian.births",
                                   "ziranziyuan.property_register"])
def test_row_counts_and_identity_truth_match_the_files(city: Path, manifest: dict,
                                                       ds_id: str) -> None:
    ds = next(d for d in manifest["datasets"] if d["id"] == ds_id)
    rows = _read_rows(city, ds)
    assert len(rows) == ds["row_count"]
    ident = pq.read_table(city / "truth/source_identity.parquet",
                          filters=[("dataset", "=", ds_id)]).to_pylist()
    persons = {p["person_id"]: p for p in pq.read_table(
        city / "truth/persons.parquet", columns=["person_id", "id_card", "name"]).to_pylist()}
    defects = pq.read_table(city / "truth/defects.parquet",
                            filters=[("dataset", "=", ds_id)]).to_pylist()
    damaged = {(d["row"], d["field"]) for d in defects}
    id_field = next(f["name"] for f in ds["fields"] if f["data_element"] == "id_card")
    name_field = next(f["name"] for f in ds["fields"] if f["data_element"] == "name")
    checked = 0
    for t in ident:
        if t["role"] not in ("subject", "husband", "mother"):
            continue
        field_id = {"husband": "男方公民身份号码", "mother": "mother_id_card"}.get(t["role"],
                                                                            id_field)
        if ds_id == "weijian.births" and t["role"] == "subject":
            field_id = None  # a newborn has no ID number yet; the name is checked below
        if field_id is not None and (t["row"], field_id) in damaged:
            continue
        if field_id is not None:
            assert rows[t["row"]][field_id] == persons[t["entity_id"]]["id_card"]
        checked += 1
        if t["role"] == "subject" and (t["row"], name_field) not in damaged:
            assert rows[t["row"]][name_field] == persons[t["entity_id"]]["name"]
    assert checked > 0.8 * len(rows) - 10


def test_every_truth_identifier_validates(city: Path) -> None:
    p = pq.read_table(city / "truth/persons.parquet")
    id_cards = p["id_card"].to_pylist()
    assert len(set(id_cards)) == len(id_cards)
    assert all(ids.valid_id_card(x) for x in id_cards)
    sexes = p["sex"].to_pylist()
    assert all((int(x[16]) % 2 == 1) == (s == "M") for x, s in zip(id_cards, sexes, strict=True))
    births = p["birth_date"].to_pylist()
    assert all(x[6:14] == b.replace("-", "") for x, b in zip(id_cards, births, strict=True))
    phones = [x for x in p["phone"].to_pylist() if x]
    assert len(phones) > 0.8 * len(id_cards) and all(ids.valid_mobile(x) for x in phones)
    c = pq.read_table(city / "truth/companies.parquet")
    uscc = c["uscc"].to_pylist()
    assert len(set(uscc)) == len(uscc) and all(ids.valid_uscc(x) for x in uscc)
    # retired birthplace codes only for people born while the code existed
    for code, year in zip(p["birth_region_code"].to_pylist(), births, strict=True):
        if code in ("370205", "370284"):
            assert int(year[:4]) <= 2011
        if code == "370282":
            assert int(year[:4]) <= 2016
    assert {"370205", "370282", "370284"} <= set(p["birth_region_code"].to_pylist())
    twins = p.filter(pc.not_equal(p["twin_of"], ""))
    assert twins.num_rows >= 10


def test_defect_rates_match_configuration(city: Path, manifest: dict) -> None:
    summary = pacsv.read_csv(city / "truth/defect_summary.csv").to_pylist()
    defects = pq.read_table(city / "truth/defects.parquet").to_pylist()
    rows = {d["id"]: d["row_count"] for d in manifest["datasets"]}
    dups = Counter(d["dataset"] for d in defects if d["defect_type"] == "duplicate")
    originals = {ds: rows[ds] - dups.get(ds, 0) for ds in rows}
    recorded = Counter((d["dataset"], d["field"], d["defect_type"]) for d in defects
                       if d["row"] < originals[d["dataset"]] or d["defect_type"] == "duplicate")
    assert len(summary) >= 40
    for s in summary:
        ds, fld, kind = s["dataset"], s["field"], s["defect_type"]
        fld_conf = "_row" if kind in ("duplicate", "late_update") else fld
        assert DEFAULT_DEFECTS[ds][fld_conf][kind] == pytest.approx(s["rate"])
        key = (ds, fld, kind)
        assert recorded[key] == s["injected"], key
        assert s["injected"] == min(round(s["rate"] * s["eligible_rows"]), s["eligible_rows"])
        if s["eligible_rows"] >= 2000:
            assert abs(s["injected"] / s["eligible_rows"] - s["rate"]) < 0.002 + 0.1 * s["rate"]


def test_defects_are_visible_in_the_delivered_data(city: Path, manifest: dict) -> None:
    ds = next(d for d in manifest["datasets"] if d["id"] == "gongan.hukou")
    rows = _read_rows(city, ds)
    defects = pq.read_table(city / "truth/defects.parquet",
                            filters=[("dataset", "=", "gongan.hukou")]).to_pylist()
    kinds = Counter(d["defect_type"] for d in defects)
    assert {"typo", "homophone", "traditional", "legacy_15", "wrong_checksum",
            "swapped_day_month", "stale_address", "duplicate", "missing"} <= set(kinds)
    for d in defects:
        if d["defect_type"] == "duplicate":
            continue
        got = rows[d["row"]][d["field"]]
        kind = d["defect_type"]
        assert got != d["original"], d
        if kind == "legacy_15":
            assert len(got) == 15 and got == d["original"][:6] + d["original"][8:17]
        elif kind == "wrong_checksum":
            assert len(got) == 18 and not ids.valid_id_card(got)
        elif kind == "missing":
            assert got == ""
        elif kind == "swapped_day_month":
            assert got[:4] == d["original"][:4] and got[4:6] == d["original"][6:8]
        elif kind == "impossible":
            assert int(got[:4]) < 1900
    # duplicates really repeat their source row
    for d in defects:
        if d["defect_type"] == "duplicate":
            assert rows[d["row"]] == rows[int(d["original"])]


def test_stale_addresses_are_previous_homes(city: Path, manifest: dict) -> None:
    """A hukou row left at the old address is one whose move nobody registered: it keeps its
    first registration date and no change date (but a death's); a row moved has both."""
    p = {r["person_id"]: r for r in pq.read_table(
        city / "truth/persons.parquet",
        columns=["person_id", "prev_address", "move_date"]).to_pylist()}
    ident = {r["row"]: r["entity_id"] for r in pq.read_table(
        city / "truth/source_identity.parquet",
        filters=[("dataset", "=", "gongan.hukou"), ("role", "=", "subject")]).to_pylist()}
    defects = pq.read_table(city / "truth/defects.parquet",
                            filters=[("dataset", "=", "gongan.hukou"),
                                     ("defect_type", "=", "stale_address")]).to_pylist()
    ds = next(d for d in manifest["datasets"] if d["id"] == "gongan.hukou")
    rows = _read_rows(city, ds)
    assert len(defects) > 50
    for d in defects:
        prev = p[ident[d["row"]]]["prev_address"]
        assert prev and rows[d["row"]]["户籍地址"] == prev
        row, moved = rows[d["row"]], p[ident[d["row"]]]["move_date"].replace("-", "")
        assert row["登记日期"] < moved
        assert not row["变动日期"] or row["人员状态"] == "死亡注销"
    stale = {d["row"] for d in defects}
    movers = [i for i, e in ident.items() if p[e]["prev_address"] and i not in stale
              and i < len(rows) and rows[i]["人员状态"] == "正常"]
    assert movers and all(
        rows[i]["变动日期"] == rows[i]["登记日期"] == p[ident[i]]["move_date"].replace("-", "")
        for i in movers)


def _features(city: Path, layer: str) -> list[dict]:
    return orjson.loads((city / f"geo/{layer}.geojson").read_bytes())["features"]


def _geom(f: dict):
    return shapely.from_geojson(orjson.dumps(f["geometry"]))


def test_grids_partition_their_districts(city: Path) -> None:
    districts = {f["properties"]["code"]: _geom(f) for f in _features(city, "districts")}
    grids = _features(city, "grids")
    area = Counter()
    for f in grids:
        code = f["properties"]["grid_code"]
        assert len(code) == 15 and code[:6] == f["properties"]["district_code"]
        g = _geom(f)
        d = districts[code[:6]]
        assert d.buffer(1e-6).covers(g), code
        area[code[:6]] += g.area
    for code, d in districts.items():
        assert area[code] == pytest.approx(d.area, rel=1e-4)  # no overlaps, no gaps
    bounds = shapely.total_bounds(list(districts.values()))  # Qingdao's extent
    assert 119.4 < bounds[0] < bounds[2] < 121.1 and 35.4 < bounds[1] < bounds[3] < 37.2


def test_every_building_lies_in_exactly_one_grid(city: Path) -> None:
    grids = _features(city, "grids")
    geoms = np.array([_geom(f) for f in grids])
    codes = np.array([f["properties"]["grid_code"] for f in grids])
    b = _features(city, "buildings")
    pts = shapely.points([f["geometry"]["coordinates"] for f in b])
    tree = shapely.STRtree(geoms)
    pi, gi = tree.query(pts, predicate="intersects")
    hits = np.bincount(pi, minlength=len(b))
    assert (hits == 1).all()
    order = np.argsort(pi)
    assert (codes[gi[order]] == np.array([f["properties"]["grid_code"] for f in b])).all()


def test_incident_windows_show_up_in_telemetry(city: Path) -> None:
    dev = {r["device_id"]: r for r in pacsv.read_csv(city / "perception/devices.csv").to_pylist()}
    tel = pq.read_table(city / "perception/telemetry")
    incidents = pacsv.read_csv(city / "truth/incidents.csv").to_pylist()
    assert len(incidents) >= 8
    ts = tel["ts"].cast(pa.timestamp("s", tz="UTC")).cast(pa.int64()).to_numpy()
    did = tel["device_id"].cast("string").to_numpy(zero_copy_only=False)
    val = tel["value"].to_numpy()
    import datetime as dt

    def sec(s: str | dt.datetime) -> int:
        if isinstance(s, str):  # the CSV reader may already have parsed the timestamp
            s = dt.datetime.fromisoformat(s.replace("Z", "+00:00"))
        return int(s.timestamp())

    for inc in incidents:
        for d, expect in zip(inc["device_ids"].split(";"), inc["expect"].split(";"),
                             strict=True):
            m = did == d
            inside = m & (ts >= sec(inc["start"])) & (ts < sec(inc["end"]))
            assert inside.sum() >= 3
            spec = dev[d]
            if expect == "above normal_max":
                assert (val[inside] > spec["normal_max"]).all(), inc
                outside = m & ~inside
                assert (val[outside] > spec["normal_max"]).mean() < 0.01
            else:
                assert (val[inside] < spec["normal_min"]).all(), inc


def test_population_and_report_truth(city: Path, manifest: dict) -> None:
    pop = pacsv.read_csv(city / "truth/population_by_grid.csv")
    p = pq.read_table(city / "truth/persons.parquet", columns=["death_date", "grid_code"])
    alive = p.filter(pc.is_null(p["death_date"]))
    assert sum(pop["resident_population"].to_pylist()) == alive.num_rows
    assert pop.num_rows == manifest["counts"]["grids"]
    det = pacsv.read_csv(city / "truth/detections.csv")
    share_false = 1 - np.mean(det["is_true"].to_numpy(zero_copy_only=False))
    assert 0.2 < share_false < 0.3
    lines = (city / "reports/citizen.ndjson").read_bytes().splitlines()
    assert len(lines) == manifest["counts"]["citizen_reports"]
    first = orjson.loads(lines[0])
    assert {"id", "channel", "text", "reported_at", "address"} <= set(first)
    rep_truth = pacsv.read_csv(city / "truth/reports.csv")
    assert rep_truth.num_rows == len(lines)
    assert all(len(g) == 15 for g in rep_truth["grid_code"].cast("string").to_pylist())
