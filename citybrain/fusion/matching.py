"""Matching: deterministic rules first, then Fellegi-Sunter (Splink) for what they leave.

1. Mentions collapse into *profiles* (distinct feature tuples): 116k social-insurance
   contribution rows of 20k people are a few thousand profiles.
2. Deterministic rules join profiles that share a valid normalised ID number (a 15-digit
   legacy number converts exactly) or a department-internal key (人社 个人编号). A group
   holding a valid ID is *anchored*.
3. Splink scores pairs that involve at least one unanchored group (two anchored groups
   with different valid IDs are different people by rule; scoring them would be wasted work
   and a risk). Blocking rules keep pairs bounded at city scale.
4. Each unanchored group joins the anchored group it scores best against (above the
   threshold) — never two, so a damaged record cannot chain two people (twins) together;
   unanchored groups that attach nowhere are clustered among themselves.

Splink runs through its ``DatabaseAPI`` abstraction: DuckDB by default, Spark by passing a
``SparkAPI`` (``db_api_factory``); nothing here speaks a backend's dialect directly.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

log = logging.getLogger("citybrain.fusion")

PERSON_PROFILE_COLS = (
    "name_s", "surname", "name_py", "name_pys", "id_anchor", "id17", "birth", "sex_eff",
    "room_key", "building_id", "phone_n", "dept_key",
)
COMPANY_PROFILE_COLS = (
    "name_s", "uscc_anchor", "uscc17", "rep_s", "rep_py", "room_key", "building_id",
    "phone_n", "dept_key",
)
THRESHOLD = {"person": 0.9, "company": 0.9}


@dataclass
class MatchResult:
    """Cluster of every mention (``mention_cluster``) and how it was reached."""

    mentions: pa.Table  # features + profile_id, cluster, reason
    stats: dict[str, Any] = field(default_factory=dict)


def _default_db_api() -> Any:
    from splink import DuckDBAPI

    return DuckDBAPI()


def _profiles(con: duckdb.DuckDBPyConnection, kind: str) -> None:
    """Create table ``prof`` (one row per distinct feature tuple) and ``mention_prof``."""
    cols = PERSON_PROFILE_COLS if kind == "person" else COMPANY_PROFILE_COLS
    key_expr = " || '\x1f' || ".join(
        f"COALESCE(CAST({c} AS VARCHAR), '')" for c in cols if c != "name_pys"
    )
    if kind == "person":
        # a row with nothing but a name is its own profile: never merged with a namesake
        key_expr += (" || CASE WHEN id17 IS NULL AND birth IS NULL AND phone_n IS NULL AND "
                     "room_key IS NULL AND key IS NULL THEN dataset || '|' || CAST(row AS VARCHAR)"
                     " || '|' || role ELSE '' END")
    # a view, not a copy of the wide feature rows: the hash is cheaper to recompute for the
    # output than a million-row copy is to write
    con.execute(f"""
      CREATE OR REPLACE TEMP VIEW mf AS
      SELECT *, md5({key_expr}) AS profile_id FROM (
        SELECT *, CASE WHEN key IS NOT NULL AND trim(key) <> ''
                       THEN split_part(dataset, '.', 1) || ':' || trim(key) END AS dept_key
        FROM feats)
    """)
    select = ", ".join(f"any_value({c}) AS {c}" for c in cols)
    con.execute(f"""
      CREATE OR REPLACE TEMP TABLE prof AS
      SELECT profile_id, {select}, count(*) AS n_mentions
      FROM mf GROUP BY profile_id ORDER BY profile_id
    """)


def _one(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    rows = con.execute(sql).fetchall()
    return int(rows[0][0] or 0) if rows else 0


def _components(n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    graph = coo_matrix((np.ones(len(a), dtype=np.int8), (a, b)), shape=(n, n))
    return connected_components(graph, directed=False)[1]


def _deterministic(con: duckdb.DuckDBPyConnection, kind: str, all_new: bool) -> None:
    """``prof2``: ``prof`` with ``det`` (group number), ``anchored``, ``is_new`` (a profile in
    ``_new``, or every profile when ``all_new``) and ``det_label`` (the group of an anchored
    profile, Splink's training label)."""
    anchor = "id_anchor" if kind == "person" else "uscc_anchor"
    # prof is stored in profile_id order: its rowid numbers the profiles, and the smallest
    # number of a key is its smallest profile id, so no string is joined or sorted again
    edges = con.execute(f"""
      WITH k AS (
        SELECT rowid AS i, 'a:' || {anchor} AS k FROM prof WHERE {anchor} IS NOT NULL
        UNION ALL
        SELECT rowid, 'd:' || dept_key FROM prof WHERE dept_key IS NOT NULL
      )
      SELECT i AS a, min(i) OVER (PARTITION BY k) AS b FROM k
    """).fetchnumpy()
    n = _one(con, "SELECT count(*) FROM prof")
    labels = _components(n, edges["a"].astype(np.int64), edges["b"].astype(np.int64))
    con.register("_det", pa.table({"i": pa.array(np.arange(n)), "det": pa.array(labels)}))
    is_new = "true" if all_new else "p.profile_id IN (SELECT profile_id FROM _new)"
    con.execute(f"""
      CREATE OR REPLACE TEMP TABLE prof2 AS
      WITH p AS (SELECT p.*, d.det FROM (SELECT rowid AS _i, * FROM prof) p
                 JOIN _det d ON d.i = p._i),
      a AS (SELECT det, bool_or({anchor} IS NOT NULL) AS anchored FROM p GROUP BY det)
      SELECT p.* EXCLUDE (_i), a.anchored, {is_new} AS is_new,
             CASE WHEN a.anchored THEN CAST(p.det AS VARCHAR) END AS det_label
      FROM p JOIN a USING (det) ORDER BY p._i
    """)
    con.unregister("_det")


# --------------------------------------------------------------------------- Splink model


def _person_settings(prior: float) -> Any:
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl
    from splink import SettingsCreator

    both_ids = "(id17_l IS NOT NULL AND id17_r IS NOT NULL AND id17_l = id17_r)"
    name = cl.CustomComparison(
        output_column_name="name",
        comparison_levels=[
            cll.NullLevel("name_s"),
            # m fixed from domain knowledge: label pairs rarely show every kind of variant, and
            # a level never seen in training must not turn into a veto
            {"sql_condition": "name_s_l = name_s_r", "label_for_charts": "same name (simplified)",
             "tf_adjustment_column": "surname", "tf_adjustment_weight": 1.0,
             "m_probability": 0.9, "fix_m_probability": True},
            {"sql_condition": "name_py_l = name_py_r", "label_for_charts": "homophone",
             "m_probability": 0.03, "fix_m_probability": True},
            cll.ArrayIntersectLevel("name_pys", 1).configure(
                label_for_charts="shared reading of a heteronym (多音字)", m_probability=0.01,
                fix_m_probability=True),
            cll.LevenshteinLevel("name_s", 1).configure(label_for_charts="one character off",
                                                        m_probability=0.03,
                                                        fix_m_probability=True),
            cll.ExactMatchLevel("surname").configure(label_for_charts="same surname only",
                                                     m_probability=0.02, fix_m_probability=True),
            cll.ElseLevel().configure(m_probability=0.01, fix_m_probability=True),
        ],
    )
    id_cmp = cl.CustomComparison(
        output_column_name="id_number",
        comparison_levels=[
            cll.NullLevel("id17"),
            {"sql_condition": "id17_l = id17_r", "label_for_charts": "same ID body",
             "m_probability": 0.97, "u_probability": 1e-7, "fix_m_probability": True,
             "fix_u_probability": True},
            # one character off; two 17-character bodies one substitution apart agree on
            # their first 8 or last 9 characters, a cheap test that spares the edit distance
            # on nearly every random pair
            {"sql_condition": "CASE WHEN left(id17_l, 8) = left(id17_r, 8) OR "
                              "right(id17_l, 9) = right(id17_r, 9) "
                              "THEN levenshtein(id17_l, id17_r) <= 1 ELSE false END",
             "label_for_charts": "Levenshtein distance of id17 <= 1",
             "m_probability": 0.02, "u_probability": 1e-5, "fix_m_probability": True,
             "fix_u_probability": True},
            cll.ElseLevel().configure(m_probability=0.01, u_probability=0.99999,
                                      fix_m_probability=True, fix_u_probability=True),
        ],
    )
    birth = cl.CustomComparison(
        output_column_name="birth",
        comparison_levels=[
            # the ID body already carries birth date and sex: do not count them twice
            {"sql_condition": f"birth_l IS NULL OR birth_r IS NULL OR {both_ids}",
             "label_for_charts": "null or implied by the ID", "is_null_level": True},
            # m fixed: label pairs share an ID body, so their birth dates are never compared
            cll.ExactMatchLevel("birth").configure(m_probability=0.95, fix_m_probability=True),
            {"sql_condition": "substr(birth_l, 1, 4) = substr(birth_r, 1, 4) AND "
                              "substr(birth_l, 6, 2) = substr(birth_r, 9, 2) AND "
                              "substr(birth_l, 9, 2) = substr(birth_r, 6, 2)",
             "label_for_charts": "day and month swapped", "m_probability": 0.02,
             "fix_m_probability": True},
            # dates as yyyy-mm-dd: one substitution apart ⇒ same first or last 5 characters
            {"sql_condition": "CASE WHEN left(birth_l, 5) = left(birth_r, 5) OR "
                              "right(birth_l, 5) = right(birth_r, 5) "
                              "THEN levenshtein(birth_l, birth_r) <= 1 ELSE false END",
             "label_for_charts": "Levenshtein distance of birth <= 1",
             "m_probability": 0.02, "fix_m_probability": True},
            cll.ElseLevel().configure(m_probability=0.01, fix_m_probability=True),
        ],
    )
    sex = cl.CustomComparison(
        output_column_name="sex",
        comparison_levels=[
            {"sql_condition": f"sex_eff_l IS NULL OR sex_eff_r IS NULL OR {both_ids}",
             "label_for_charts": "null or implied by the ID", "is_null_level": True},
            cll.ExactMatchLevel("sex_eff").configure(m_probability=0.99, fix_m_probability=True),
            cll.ElseLevel().configure(m_probability=0.01, fix_m_probability=True),
        ],
    )
    address = cl.CustomComparison(
        output_column_name="address",
        comparison_levels=[
            {"sql_condition": "building_id_l IS NULL OR building_id_r IS NULL",
             "label_for_charts": "null", "is_null_level": True},
            cll.ExactMatchLevel("room_key").configure(label_for_charts="same room",
                                                      m_probability=0.8, fix_m_probability=True),
            cll.ExactMatchLevel("building_id").configure(label_for_charts="same building",
                                                         m_probability=0.1,
                                                         fix_m_probability=True),
            cll.ElseLevel().configure(m_probability=0.1, fix_m_probability=True),
        ],
    )
    phone = cl.CustomComparison(
        output_column_name="phone",
        comparison_levels=[
            cll.NullLevel("phone_n"),
            cll.ExactMatchLevel("phone_n").configure(m_probability=0.85, fix_m_probability=True),
            cll.ElseLevel().configure(m_probability=0.15, fix_m_probability=True),
        ],
    )
    rules = _blocking("person")
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="profile_id",
        comparisons=[name, id_cmp, birth, sex, address, phone],
        blocking_rules_to_generate_predictions=rules,
        probability_two_random_records_match=prior,
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=False,
    )


def _company_settings(prior: float) -> Any:
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl
    from splink import SettingsCreator

    name = cl.CustomComparison(
        output_column_name="name",
        comparison_levels=[
            cll.NullLevel("name_s"),
            cll.ExactMatchLevel("name_s").configure(m_probability=0.9, fix_m_probability=True),
            cll.LevenshteinLevel("name_s", 1).configure(m_probability=0.05,
                                                        fix_m_probability=True),
            cll.JaroWinklerLevel("name_s", 0.9).configure(m_probability=0.03,
                                                          fix_m_probability=True),
            cll.ElseLevel().configure(m_probability=0.02, fix_m_probability=True),
        ],
    )
    uscc = cl.CustomComparison(
        output_column_name="uscc",
        comparison_levels=[
            cll.NullLevel("uscc17"),
            {"sql_condition": "uscc17_l = uscc17_r", "label_for_charts": "same code body",
             "m_probability": 0.97, "u_probability": 1e-7, "fix_m_probability": True,
             "fix_u_probability": True},
            cll.ElseLevel().configure(m_probability=0.03, u_probability=0.9999999,
                                      fix_m_probability=True, fix_u_probability=True),
        ],
    )
    rep = cl.CustomComparison(
        output_column_name="legal_rep",
        comparison_levels=[
            cll.NullLevel("rep_s"),
            cll.ExactMatchLevel("rep_s"),
            {"sql_condition": "rep_py_l = rep_py_r", "label_for_charts": "homophone"},
            cll.ElseLevel(),
        ],
    )
    address = cl.CustomComparison(
        output_column_name="address",
        comparison_levels=[
            {"sql_condition": "building_id_l IS NULL OR building_id_r IS NULL",
             "label_for_charts": "null", "is_null_level": True},
            cll.ExactMatchLevel("room_key"),
            cll.ExactMatchLevel("building_id"),
            cll.ElseLevel(),
        ],
    )
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="profile_id",
        comparisons=[name, uscc, rep, address, cl.ExactMatch("phone_n")],
        blocking_rules_to_generate_predictions=_blocking("company"),
        probability_two_random_records_match=prior,
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=False,
    )


def _blocking(kind: str) -> list[str]:
    """Blocking rules; every pair must involve an unanchored group and cross two groups."""
    guard = "(NOT (l.anchored AND r.anchored)) AND l.det <> r.det AND (l.is_new OR r.is_new)"
    if kind == "person":
        keys = [
            "l.id17 = r.id17",
            "l.name_py = r.name_py AND l.birth = r.birth",
            "l.surname = r.surname AND l.birth = r.birth AND l.sex_eff = r.sex_eff",
            "l.phone_n = r.phone_n",
            "l.room_key = r.room_key",
            "l.name_py = r.name_py AND l.building_id = r.building_id",
        ]
    else:
        keys = [
            "l.uscc17 = r.uscc17",
            "l.name_s = r.name_s",
            "l.rep_py = r.rep_py AND l.building_id = r.building_id",
            "l.phone_n = r.phone_n",
        ]
    return [f"{k} AND {guard}" for k in keys]


def _score(
    con: duckdb.DuckDBPyConnection, kind: str, db_api_factory: Callable[[], Any] | None
) -> pa.Table:
    """Splink predictions (profile_id_l, profile_id_r, match_probability) over ``prof2``."""
    from splink import Linker

    if kind == "person":
        usable = ("(id17 IS NOT NULL OR birth IS NOT NULL OR phone_n IS NOT NULL "
                  "OR room_key IS NOT NULL)")
    else:
        usable = "(uscc17 IS NOT NULL OR name_s IS NOT NULL)"
    table = con.sql(f"SELECT * FROM prof2 WHERE {usable}").to_arrow_table()
    if table.num_rows < 2:
        return _no_pairs()
    n_unanchored = _one(con, f"SELECT count(*) FROM prof2 WHERE NOT anchored AND {usable}")
    if n_unanchored == 0:
        return _no_pairs()
    sizes = con.sql("SELECT count(*) c FROM prof2 WHERE anchored GROUP BY det").fetchnumpy()["c"]
    n = table.num_rows
    prior = float(np.sum(sizes * (sizes - 1) / 2)) / (n * (n - 1) / 2) if n > 1 else 1e-6
    prior = min(max(prior, 1e-5), 0.5)
    settings = _person_settings(prior) if kind == "person" else _company_settings(prior)
    db_api = (db_api_factory or _default_db_api)()
    sdf = db_api.register(table)
    # levels with m fixed by design are "untrained" to Splink: its notices are not ours to show
    splink_log = logging.getLogger("splink")
    level = splink_log.level
    splink_log.setLevel(logging.ERROR)
    try:
        return _train_predict(con, kind, Linker(sdf, settings, log_level=logging.ERROR), n)
    finally:
        splink_log.setLevel(level)


def _train_predict(con: duckdb.DuckDBPyConnection, kind: str, linker: Any, n: int) -> pa.Table:
    """Train u (random pairs) and m (pairs sharing a valid ID), then predict."""
    # 2.5e5 random pairs: on 1M records 1e6 pairs cost 0.3 s more for the same pairwise F1
    # (0.99888 against 0.99890), 2e6 twice as long again; u of a level is a share of random
    # pairs, well estimated from a quarter million of them
    # one chunk: the early stop that chunks allow never comes here (the rare levels, such as a
    # shared heteronym reading, stay under Splink's 100 counts), and each chunk costs a pass
    linker.training.estimate_u_using_random_sampling(max_pairs=min(2.5e5, max(1e5, n * 20)),
                                                     num_chunks=1,
                                                     seed=1)
    label = "id_anchor" if kind == "person" else "uscc_anchor"
    n_labels = _one(con, f"SELECT count(*) - count(DISTINCT {label}) FROM prof2 "
                         f"WHERE {label} IS NOT NULL")
    if n_labels > 0:
        linker.training.estimate_m_from_label_column("det_label")
    preds = linker.inference.predict(threshold_match_probability=0.5)
    out = preds.as_pyarrow_table() if hasattr(preds, "as_pyarrow_table") else pa.Table.from_pandas(
        preds.as_pandas_dataframe())
    return out.select(["profile_id_l", "profile_id_r", "match_probability", "match_weight"])


def _no_pairs() -> pa.Table:
    return pa.table({"profile_id_l": pa.array([], pa.string()),
                     "profile_id_r": pa.array([], pa.string()),
                     "match_probability": pa.array([], pa.float64()),
                     "match_weight": pa.array([], pa.float64())})


def _assign(con: duckdb.DuckDBPyConnection, pairs: pa.Table, threshold: float) -> None:
    """Final group ``cluster`` per profile (see module docstring, step 4)."""
    con.register("_pairs", pairs)
    con.execute(f"""
      CREATE OR REPLACE TEMP TABLE gedge AS
      SELECT a.det AS da, a.anchored AS aa, b.det AS db, b.anchored AS ab,
             max(p.match_weight) AS w
      FROM _pairs p JOIN prof2 a ON a.profile_id = p.profile_id_l
      JOIN prof2 b ON b.profile_id = p.profile_id_r
      WHERE p.match_probability >= {float(threshold)} AND a.det <> b.det
      GROUP BY ALL
    """)
    con.unregister("_pairs")
    # unanchored → its best anchored group
    con.execute("""
      CREATE OR REPLACE TEMP TABLE attach AS
      WITH e AS (
        SELECT da AS f, db AS a, w FROM gedge WHERE NOT aa AND ab
        UNION ALL SELECT db, da, w FROM gedge WHERE NOT ab AND aa
      )
      SELECT f, arg_max(a, w) AS a, max(w) AS w FROM e GROUP BY f
    """)
    free = con.execute("""
      SELECT da, db FROM gedge WHERE NOT aa AND NOT ab
        AND da NOT IN (SELECT f FROM attach) AND db NOT IN (SELECT f FROM attach)
    """).fetchnumpy()
    dets = np.asarray(con.sql("SELECT DISTINCT det FROM prof2 ORDER BY det")
                      .fetchnumpy()["det"], dtype=np.int64)
    a = np.searchsorted(dets, np.asarray(free["da"], dtype=np.int64))
    b = np.searchsorted(dets, np.asarray(free["db"], dtype=np.int64))
    comp = _components(len(dets), a, b)
    # representative det of each free component = smallest det in it (dets are sorted, so
    # the first position of each component label)
    labels, first = np.unique(comp, return_index=True)
    rep = np.empty(labels.max() + 1 if len(labels) else 0, dtype=np.int64)
    rep[labels] = dets[first]
    con.register("_free", pa.table({"det": pa.array(dets), "fc": pa.array(rep[comp])}))
    con.execute("""
      CREATE OR REPLACE TEMP TABLE assigned AS
      WITH base AS (
        SELECT p.profile_id, p.det, p.anchored, att.a, att.w, fr.fc,
          count(*) OVER (PARTITION BY p.det) AS det_size,
          count(DISTINCT p.det) OVER (PARTITION BY fr.fc) AS fc_size
        FROM prof2 p LEFT JOIN attach att ON att.f = p.det JOIN _free fr ON fr.det = p.det
      )
      SELECT profile_id, det, COALESCE(a, fc) AS cluster,
        CASE WHEN a IS NOT NULL OR (fc_size > 1 AND NOT anchored) THEN 'probabilistic'
             WHEN det_size > 1 OR anchored THEN 'deterministic' ELSE 'single' END AS how,
        w AS weight
      FROM base
    """)
    con.unregister("_free")


def profile_ids(feats: pa.Table, kind: str) -> list[str]:
    """The distinct profile ids of ``feats`` (same hashing as :func:`match`)."""
    con = duckdb.connect()
    try:
        con.register("feats", feats)
        _profiles(con, kind)
        return [r[0] for r in con.execute("SELECT profile_id FROM prof").fetchall()]
    finally:
        con.close()


def match(
    feats: pa.Table,
    kind: str,
    *,
    new_profiles: set[str] | None = None,
    db_api_factory: Callable[[], Any] | None = None,
    threshold: float | None = None,
    columns: list[str] | None = None,
) -> MatchResult:
    """Cluster the mentions in ``feats`` (output of ``features.person_features`` etc.).

    ``new_profiles``: when given, only pairs involving one of these profiles are scored (the
    incremental path; the caller keeps earlier assignments for the others). ``columns``: the
    feature columns to return beside the assignment (default: all of them).
    """
    con = duckdb.connect()
    try:
        con.register("feats", feats)
        _profiles(con, kind)
        if new_profiles is not None:
            con.register("_new", pa.table({"profile_id": pa.array(sorted(new_profiles),
                                                                    pa.string())}))
        _deterministic(con, kind, all_new=new_profiles is None)
        pairs = _score(con, kind, db_api_factory)
        _assign(con, pairs, threshold if threshold is not None else THRESHOLD[kind])
        reason_sql = _reason_sql(kind)
        picked = ", ".join(f"mf.{c}" for c in columns) if columns else "mf.*"
        out = con.sql(f"""
          WITH sizes AS (SELECT cluster, count(*) AS n_profiles FROM assigned GROUP BY cluster)
          SELECT {picked}, a.cluster, a.how, a.weight,
            CASE WHEN s.n_profiles = 1 AND a.how = 'single' THEN {reason_sql} END AS unlinked_reason
          FROM mf JOIN assigned a USING (profile_id) JOIN sizes s USING (cluster)
        """).to_arrow_table()
        stats = {
            "mentions": out.num_rows,
            "profiles": _one(con, "SELECT count(*) FROM prof2"),
            "scored_pairs": pairs.num_rows,
            "clusters": _one(con, "SELECT count(DISTINCT cluster) FROM assigned"),
        }
        return MatchResult(out, stats)
    finally:
        con.close()


def _reason_sql(kind: str) -> str:
    if kind == "person":
        return ("CASE WHEN mf.name_s IS NOT NULL AND mf.id17 IS NULL AND mf.birth IS NULL AND "
                "mf.phone_n IS NULL AND mf.room_key IS NULL THEN 'name_only' "
                "WHEN mf.name_s IS NULL AND mf.id17 IS NULL THEN 'no_identifying_fields' "
                "ELSE 'no_match' END")
    return ("CASE WHEN mf.uscc17 IS NULL AND mf.name_s IS NULL THEN 'no_identifying_fields' "
            "ELSE 'no_match' END")


def log_odds(p: float) -> float:
    return math.log2(p / (1 - p))
