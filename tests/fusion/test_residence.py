"""Home placement (``fusion.residence.homes``) on hand-made mentions."""

from __future__ import annotations

import duckdb
import pyarrow as pa

from citybrain.fusion import extract, residence

BUILDINGS = pa.table({"building_id": ["B1", "B2"], "district_code": ["370202", "370211"]})
DISTRICTS = pa.table({"code": ["370202", "370211"], "name": ["市南区", "黄岛区"]})


def _mentions(rows: list[tuple]) -> pa.Table:
    """Mentions from tuples; ``status`` and ``status_day`` (a registered change) may be left
    off the end."""
    names = ("person_id", "dataset", "row", "building_id", "addr_norm", "record_day",
             "room_key", "household", "place", "status", "status_day")
    rows = [r + (None,) * (len(names) - len(r)) for r in rows]
    return pa.table({n: pa.array([r[i] for r in rows], pa.string() if n != "row" else pa.int64())
                     for i, n in enumerate(names)})


def _homes(rows: list[tuple]) -> list[dict]:
    con = duckdb.connect()
    table = _mentions(rows)
    con.register("mentions", table.append_column("role", pa.repeat("subject", table.num_rows)))
    out = residence.homes(con, "mentions", extract.load_rules(), BUILDINGS, DISTRICTS)
    return out.to_pylist()


def test_home_address_does_not_depend_on_the_order_of_the_mentions() -> None:
    # one building spelled two ways, same weight and date: the tie must not go to whichever
    # row the scan meets first (the registry's mentions are written in extract order)
    rows = [
        ("P1", "gongan.hukou", 1, "B1", "市南区香港中路1号", "2024-01-01", None, "H1", None),
        ("P1", "minzheng.subsidies", 2, "B1", "市南区香港中路一号", "2024-01-01", None, None, None),
        ("P2", "gongan.hukou", 3, "B1", "市南区香港中路1号", "2023-01-01", None, "H1", None),
    ]
    first = _homes(rows)
    assert first == _homes(rows[::-1])
    assert {r["home_building_id"] for r in first} == {"B1"}
    assert {r["home_how"] for r in first} == {"household"}


def test_household_evidence_outweighs_one_lagging_row() -> None:
    rows = [
        ("P1", "gongan.hukou", 1, "B2", "黄岛区长江路1号", "2024-05-01", None, "H1", None),
        ("P2", "gongan.hukou", 2, "B1", "市南区香港中路1号", "2024-05-01", None, "H1", None),
        ("P2", "ziranziyuan.property_register", 3, "B1", "市南区香港中路1号", "2024-05-01",
         None, None, None),
    ]
    homes = {r["person_id"]: r["home_building_id"] for r in _homes(rows)}
    assert homes == {"P1": "B1", "P2": "B1"}


def test_a_registered_move_outweighs_the_rows_left_at_the_old_home() -> None:
    """Two members' hukou rows still name the old flat (their move was never registered:
    no change date); the third's row is dated by the registered move: the household lives
    where that row says. A death registered at the old flat is no move."""
    old, new = ("B2", "黄岛区长江路1号"), ("B1", "市南区香港中路1号")
    rows = [
        ("P1", "gongan.hukou", 1, *old, "2001-03-01", None, "H1", None, "正常", None),
        ("P2", "gongan.hukou", 2, *old, "2003-07-01", None, "H1", None, "正常", None),
        ("P3", "gongan.hukou", 3, *new, "2024-05-01", None, "H1", None, "正常", "2024-05-01"),
    ]
    assert {r["home_building_id"] for r in _homes(rows)} == {"B1"}
    rows[2] = ("P3", "gongan.hukou", 3, *new, "2024-05-01", None, "H1", None, "死亡注销",
               "2024-05-01")
    assert {r["home_building_id"] for r in _homes(rows)} == {"B2"}
