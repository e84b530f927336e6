"""Where each person lives: the home building from the evidence of the whole household.

A single department row is a weak witness of a home: about half of the hukou rows of people
who moved still carry the previous address, and so do some residence permits, pupils' home
addresses and subsidy files. Registers written at the move (不动产登记, 出生医学证明, 死亡医学
证明) are strong witnesses. People who live together share that evidence:

1. **Households** are the connected components of persons linked by a shared hukou household
   number (户号), a row that names people living together (a birth certificate names baby,
   mother and father; an enrolment names pupil and guardian) or the same room. A token shared
   by more people than a household can hold is ignored, so a bad value cannot chain strangers.
2. Each **candidate building** of a household scores the summed weight of its address
   mentions (``address_weights`` per dataset in the rules; ``changed_address_weights`` for a
   row dated by a registered change, such as a hukou row's 变动日期 of a move) plus, per
   member, the weight of district evidence (``district_evidence``: a pupil's school or a
   child's vaccination clinic names the district where the family lives) when the building
   lies in that district.
3. The best candidate is every member's home (ties: most recent record, then building id).
   A person with no address but district evidence is placed in that district only.
"""

from __future__ import annotations

from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from citybrain.fusion.extract import Rules

MAX_HOUSEHOLD = 20


def _components(n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    graph = coo_matrix((np.ones(len(a), dtype=np.int8), (a, b)), shape=(n, n))
    return connected_components(graph, directed=False)[1]


def homes(con: duckdb.DuckDBPyConnection, table: str, rules: Rules, buildings: pa.Table,
          districts: pa.Table) -> pa.Table:
    """Per person: ``home_building_id``, ``home_address``, ``home_district``, ``home_how``.

    ``table``: person mentions with features and ``person_id``; ``buildings``: building_id,
    district_code; ``districts``: code, name.
    """
    r: dict[str, Any] = rules.residents
    weights = {str(k): float(v) for k, v in (r.get("address_weights") or {}).items()}
    changed = {str(k): float(v) for k, v in (r.get("changed_address_weights") or {}).items()}
    gone = [str(x) for x in (*r.get("death_status", []), *r.get("moved_away_status", []))]
    household_rows = [str(d) for d in r.get("household_rows", [])]
    d_weight = float(r.get("district_evidence_weight", 1.5))
    cap = int(r.get("max_household", MAX_HOUSEHOLD))
    datasets = sorted(set(weights) | set(changed))
    con.register("_w", pa.table({
        "dataset": pa.array(datasets, pa.string()),
        "w": pa.array([weights.get(d) for d in datasets], pa.float64()),
        "cw": pa.array([changed.get(d) for d in datasets], pa.float64()),
    }))
    con.register("_b", buildings.select(["building_id", "district_code"]))
    con.register("_d", districts.select(["code", "name"]))
    con.execute(f"""
      CREATE OR REPLACE TEMP TABLE _ev AS
      -- one vote per person, dataset and building: a duplicated row is not a second witness;
      -- ties between spellings of one address go to the newest, then the greatest, so the
      -- result does not depend on the order of the mentions. A row dated by a registered
      -- change (hukou 变动日期) of someone still there was written at the move: it weighs
      -- ``changed_address_weights``.
      SELECT m.person_id, m.building_id,
             arg_max(m.addr_norm, (COALESCE(m.record_day, ''), m.addr_norm)) AS addr_norm,
             max(m.record_day) AS record_day,
             max(CASE WHEN w.cw IS NOT NULL AND m.status_day IS NOT NULL
                       AND NOT list_contains(?, COALESCE(trim(m.status), '')) THEN w.cw
                      ELSE COALESCE(w.w, 1.0) END) AS w,
             any_value(b.district_code) AS district_code
      FROM {table} m LEFT JOIN _w w USING (dataset) JOIN _b b USING (building_id)
      WHERE m.building_id IS NOT NULL GROUP BY m.person_id, m.dataset, m.building_id
    """, [gone])
    # district named by a place (school, clinic): the longest district name it contains
    con.execute(f"""
      CREATE OR REPLACE TEMP TABLE _pd AS
      SELECT person_id, arg_max(code, record_day) AS district FROM (
        SELECT m.person_id, COALESCE(m.record_day, '') AS record_day,
               arg_max(d.code, length(d.name)) AS code
        FROM {table} m JOIN _d d ON contains(m.place, d.name)
        WHERE m.place IS NOT NULL GROUP BY m.person_id, m.dataset, m.row, m.role, 2
      ) GROUP BY person_id
    """)
    # household tokens → components over persons
    tokens = con.sql(f"""
      WITH t AS (
        SELECT DISTINCT person_id, 'r:' || room_key AS tok FROM {table}
          WHERE room_key IS NOT NULL
        UNION SELECT DISTINCT person_id, 'h:' || dataset || ':' || trim(household)
          FROM {table} WHERE household IS NOT NULL AND trim(household) <> ''
        UNION SELECT DISTINCT person_id, 'w:' || dataset || ':' || CAST(row AS VARCHAR)
          FROM {table} WHERE list_contains(?, dataset)
      ), ok AS (SELECT tok FROM t GROUP BY tok HAVING count(*) BETWEEN 2 AND {cap})
      SELECT person_id, tok FROM t JOIN ok USING (tok)
    """, params=[household_rows]).to_arrow_table()
    persons = con.sql(f"SELECT DISTINCT person_id FROM {table} ORDER BY 1").to_arrow_table()
    pids = persons.column("person_id").to_pylist()
    pos = {p: i for i, p in enumerate(pids)}
    toks = sorted(set(tokens.column("tok").to_pylist()))
    tpos = {t: len(pids) + i for i, t in enumerate(toks)}
    a = np.fromiter((pos[p] for p in tokens.column("person_id").to_pylist()), np.int64,
                    tokens.num_rows)
    b = np.fromiter((tpos[t] for t in tokens.column("tok").to_pylist()), np.int64,
                    tokens.num_rows)
    comp = _components(len(pids) + len(toks), a, b)[: len(pids)]
    con.register("_hh", pa.table({"person_id": persons.column("person_id"),
                                  "hh": pa.array(comp.astype(np.int64))}))
    con.execute(f"""
      CREATE OR REPLACE TEMP TABLE _hh2 AS
      SELECT person_id, CASE WHEN count(*) OVER (PARTITION BY hh) > {cap}
                             THEN -1 - row_number() OVER () ELSE hh END AS hh
      FROM _hh
    """)
    out = con.sql("""
      WITH cand AS (
        SELECT h.hh, e.building_id, any_value(e.district_code) AS district_code,
               sum(e.w) AS score, max(e.record_day) AS last_day,
               arg_max(e.addr_norm, (e.w, COALESCE(e.record_day, ''), e.addr_norm)) AS address
        FROM _ev e JOIN _hh2 h USING (person_id) GROUP BY ALL
      ), dist AS (
        SELECT h.hh, pd.district, count(*) AS n FROM _pd pd JOIN _hh2 h USING (person_id)
        GROUP BY ALL
      ), hd AS (  -- the district the household's schools and clinics name
        SELECT hh, arg_max(district, (n, district)) AS district FROM dist GROUP BY hh
      ), scored AS (
        SELECT c.*, c.score + COALESCE(d.n, 0) * ? AS total FROM cand c
        LEFT JOIN dist d ON d.hh = c.hh AND d.district = c.district_code
      ), best AS (
        -- a school or clinic is registered where the family lives now: when they name a
        -- district, only buildings in it qualify (an address elsewhere is a lagging one)
        SELECT s.hh, arg_max(s.building_id, (s.total, COALESCE(s.last_day, ''), s.building_id))
                 AS building_id
        FROM scored s LEFT JOIN hd USING (hh)
        WHERE hd.district IS NULL OR s.district_code = hd.district GROUP BY s.hh
      )
      SELECT h.person_id, s.building_id AS home_building_id, s.address AS home_address,
        COALESCE(s.district_code, hd.district) AS home_district,
        CASE WHEN s.building_id IS NOT NULL THEN
               CASE WHEN count(*) OVER (PARTITION BY h.hh) > 1 THEN 'household' ELSE 'own' END
             WHEN hd.district IS NOT NULL THEN 'district_only' END AS home_how
      FROM _hh2 h LEFT JOIN best USING (hh) LEFT JOIN hd USING (hh)
      LEFT JOIN scored s ON s.hh = best.hh AND s.building_id = best.building_id
      ORDER BY h.person_id
    """, params=[d_weight]).to_arrow_table()
    for name in ("_w", "_b", "_d", "_hh"):
        con.unregister(name)
    for name in ("_ev", "_pd", "_hh2"):
        con.execute(f"DROP TABLE {name}")
    return out
