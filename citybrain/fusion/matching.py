"""Matching: deterministic rules first, then Fellegi-Sunter (Splink) for what they leave.

1. Mentions collapse into *profiles* (distinct feature tuples): 116k social-insurance
   contribution rows of 20k people are a few thousand profiles.
2. Deterministic rules join profiles that share a valid normalised ID number (a 15-digit
   legacy number converts exactly) or a department-internal key (人社 个人编号). A group
   holding a valid ID is *anchored*.
3. Splink scores pairs that involve at least one unanchored group (two anchored groups
   with different valid IDs are different people by rule; scoring them would be wasted work
   and a risk). Blocking rules keep pairs bounded at city scale. The model is trained on
   every profile and predicts on those a rule can pair with an unanchored one.
4. Each unanchored group joins the anchored group it scores best against (above the
   threshold) — never two, so a damaged record cannot chain two people (twins) together;
   one that scores above it against none but matches an unanchored group that did, follows
   that group (one step); unanchored groups that attach nowhere are clustered among
   themselves.

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
import pyarrow.compute as pc
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
    #: one row per profile (``profile_id``, ``cluster``) and each mention's row in it: what
    #: is decided per profile is taken to the mentions by position, not joined back
    profiles: pa.Table
    profile_of: np.ndarray
    stats: dict[str, Any] = field(default_factory=dict)


def _default_db_api() -> Any:
    from splink import DuckDBAPI

    return DuckDBAPI()


def _profiles(
    con: duckdb.DuckDBPyConnection, feats: pa.Table, kind: str
) -> tuple[pa.Table, pa.Table, np.ndarray]:
    """``mf`` (the mentions with ``dept_key`` and ``profile_id``), ``prof`` (one row per
    distinct feature tuple, registered under that name) and each mention's row in ``prof``.

    Only the hash is computed in SQL; grouping is a dictionary encoding of the hashes and
    each profile's columns are its first mention's (every profile column is in the hash), so
    no wide row is hashed, copied or joined again. Profiles are numbered ``i`` in profile_id
    order, so numbers and all that follows from them do not depend on the input's row order.
    """
    cols = PERSON_PROFILE_COLS if kind == "person" else COMPANY_PROFILE_COLS
    key_expr = " || '\x1f' || ".join(
        f"COALESCE(CAST({c} AS VARCHAR), '')" for c in cols if c != "name_pys"
    )
    if kind == "person":
        # a row with nothing but a name is its own profile: never merged with a namesake
        key_expr += (" || CASE WHEN id17 IS NULL AND birth IS NULL AND phone_n IS NULL AND "
                     "room_key IS NULL AND key IS NULL THEN dataset || '|' || CAST(row AS VARCHAR)"
                     " || '|' || role ELSE '' END")
    con.register("_feats", feats)
    # a projection keeps the input's row order (DuckDB's preserve_insertion_order, on by
    # default), so the hashes line up with ``feats`` row for row
    keyed = con.sql(f"""
      SELECT row, dept_key, md5({key_expr}) AS profile_id FROM (
        SELECT *, CASE WHEN key IS NOT NULL AND trim(key) <> ''
                       THEN split_part(dataset, '.', 1) || ':' || trim(key) END AS dept_key
        FROM _feats)
    """).to_arrow_table()
    con.unregister("_feats")
    if not keyed.column("row").equals(feats.column("row")):
        raise RuntimeError("profile hashes came back out of row order")
    mf = feats.append_column("dept_key", keyed.column("dept_key")).append_column(
        "profile_id", keyed.column("profile_id"))
    encoded = pc.dictionary_encode(keyed.column("profile_id")).combine_chunks()
    codes = encoded.indices.to_numpy().astype(np.int64)
    ids = encoded.dictionary
    # codes number the hashes in order of first appearance: a code's first mention is where
    # the running maximum first reaches it
    first = np.flatnonzero(np.diff(np.maximum.accumulate(codes), prepend=-1) > 0)
    rank = np.empty(len(ids), dtype=np.int64)
    rank[pc.sort_indices(ids).to_numpy()] = np.arange(len(ids))
    # rows in order of first appearance: an ascending gather, several times cheaper than one
    # in profile_id order (and no combined copy of the columns: 1.5 GB at city scale)
    prof = mf.select(list(cols)).take(pa.array(first))
    prof = prof.append_column("profile_id", ids)
    prof = prof.append_column("n_mentions", pa.array(np.bincount(codes)))
    prof = prof.append_column("i", pa.array(rank))
    con.register("prof", prof)
    return mf, prof, codes


def _one(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    rows = con.execute(sql).fetchall()
    return int(rows[0][0] or 0) if rows else 0


def _components(n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    graph = coo_matrix((np.ones(len(a), dtype=np.int8), (a, b)), shape=(n, n))
    return connected_components(graph, directed=False)[1]


def _deterministic(
    con: duckdb.DuckDBPyConnection, prof: pa.Table, kind: str, new: set[str] | None
) -> pa.Table:
    """``prof2``, registered under that name: ``prof`` with ``det`` (group number),
    ``anchored``, ``is_new`` (a profile in ``new``, or every profile when ``new`` is None)
    and ``det_label`` (the group of an anchored profile, Splink's training label)."""
    anchor = "id_anchor" if kind == "person" else "uscc_anchor"
    # prof is numbered in profile_id order, and the smallest number of a key is its smallest
    # profile id, so no string is joined or sorted again
    edges = con.execute(f"""
      WITH k AS (
        SELECT i, 'a:' || {anchor} AS k FROM prof WHERE {anchor} IS NOT NULL
        UNION ALL
        SELECT i, 'd:' || dept_key FROM prof WHERE dept_key IS NOT NULL
      )
      SELECT i AS a, min(i) OVER (PARTITION BY k) AS b FROM k
    """).fetchnumpy()
    n = prof.num_rows
    labels = _components(n, edges["a"].astype(np.int64), edges["b"].astype(np.int64))
    det = labels[prof.column("i").to_numpy()]  # components are numbered by i, rows are not
    has_anchor = prof.column(anchor).is_valid().to_numpy(zero_copy_only=False)
    anchored_det = np.zeros(det.max() + 1 if n else 0, dtype=bool)
    anchored_det[det[has_anchor]] = True
    anchored = anchored_det[det]
    if new is None:
        is_new = pa.repeat(pa.scalar(True), n)
    else:
        is_new = pc.is_in(prof.column("profile_id"), pa.array(sorted(new), pa.string()))
    det_array = pa.array(det.astype(np.int64))
    prof2 = (prof.append_column("det", det_array)
             .append_column("anchored", pa.array(anchored))
             .append_column("is_new", is_new)
             .append_column("det_label", pc.if_else(pa.array(anchored),
                                                    pc.cast(det_array, pa.string()),
                                                    pa.scalar(None, pa.string()))))
    con.register("prof2", prof2)
    return prof2


# --------------------------------------------------------------------------- Splink model


#: Levels of the person model whose u is counted rather than sampled: (level, column the
#: pair agrees on, column whose null makes the comparison null, column whose agreement an
#: earlier level of the comparison already took). A homophone is a pair with the same
#: reading and different characters.
COUNTED_U = (("name", "name_s", "name_s", None), ("homophone", "name_py", "name_s", "name_s"),
             ("address", "room_key", "building_id", None), ("phone", "phone_n", "phone_n", None))
#: The most a counted u may be. A small file is no sample of a population: in a CSV of three
#: records two of which share a phone, the count says a random pair shares a phone with
#: probability 1, and two records with the same name, birth date, sex and phone stayed apart.
#: In a city the commonest full name is a few per mille of its people and a phone or a flat
#: is a household's: these ceilings sit above any population's value and below a small
#: file's artefacts (at demo and city scale the counts are 10-1000x lower and stand).
U_CEILING = {"name": 1e-3, "homophone": 1e-3, "address": 1e-3, "phone": 1e-4,
             "rep": 1e-3, "rep_homophone": 1e-3}
#: The company model's counted levels: its legal representative is a person's name
COMPANY_COUNTED_U = (("rep", "rep_s", "rep_s", None), ("rep_homophone", "rep_py", "rep_s", "rep_s"),
                     ("phone", "phone_n", "phone_n", None))

#: Below this many usable profiles the input is too small to learn u from (a random pair
#: agreeing on a birth date has u ~5e-5: a few hundred thousand pairs show one); the person
#: model then takes a city's u, measured on the demo city (20,000 people, 191k records), for
#: every level. Three records, two of them the same person by name, birth date and phone,
#: used to stay apart: sampled u of birth date and sex were 1.0.
SMALL_INPUT = 2000
TYPICAL_U = {
    "name": 4.2e-5, "homophone": 9.1e-6, "heteronym": 1e-4, "one_char": 1.4e-3,
    "surname": 0.028, "name_else": 0.97,
    "birth": 4.8e-5, "birth_swapped": 1.9e-5, "birth_one_digit": 1.4e-3, "birth_else": 0.9986,
    "sex": 0.5, "sex_else": 0.5,
    "address": 1.2e-4, "building": 5.6e-3, "address_else": 0.994,
    "phone": 2.3e-5, "phone_else": 0.99998,
}


def _counted_u(con: duckdb.DuckDBPyConnection, table: pa.Table,
               levels: tuple[tuple[str, str, str, str | None], ...] = COUNTED_U
               ) -> dict[str, float]:
    """u of each :data:`COUNTED_U` level: the share of pairs of profiles, among those the
    comparison is not null for, that agree on the level's column and not on an earlier
    level's — what random sampling estimates, counted exactly from the value frequencies.

    A city of a million people has 2.4M usable profiles; among a few hundred thousand random
    pairs not one shares a full name, a flat or a phone, and Splink then falls back to a
    default u worth 10 bits instead of the 17 to 20 the evidence is worth: a pupil's
    guardian with the parent's name, flat and phone scored 2 bits and stayed apart (recall
    0.9959 and residents +1.9 % at city scale, against 0.9999 at 200k people)."""
    con.register("_u", table)
    try:
        out = {}
        def agreeing(column: str, present: str) -> str:
            return (f"(SELECT COALESCE(sum(c * (c - 1)), 0) FROM (SELECT count(*) AS c "
                    f"FROM _u WHERE {column} IS NOT NULL AND {present} IS NOT NULL "
                    f"GROUP BY {column}))")

        for level, column, present, taken in levels:
            minus = agreeing(taken, present) if taken else "0"
            shared, n = con.execute(f"""
              SELECT {agreeing(column, present)} - {minus},
                     (SELECT count(*) FROM _u WHERE {present} IS NOT NULL)
            """).fetchall()[0]
            pairs = float(n) * (float(n) - 1)
            if pairs > 0:
                out[level] = min(max(float(shared or 0), 1.0) / pairs, U_CEILING[level])
        return out
    finally:
        con.unregister("_u")


def _person_settings(prior: float, counted_u: dict[str, float] | None = None) -> Any:
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl
    from splink import SettingsCreator

    def u_of(level: str) -> dict[str, Any]:
        u = (counted_u or {}).get(level)
        return {} if u is None else {"u_probability": u, "fix_u_probability": True}

    both_ids = "(id17_l IS NOT NULL AND id17_r IS NOT NULL AND id17_l = id17_r)"
    name = cl.CustomComparison(
        output_column_name="name",
        comparison_levels=[
            cll.NullLevel("name_s"),
            # m fixed from domain knowledge: label pairs rarely show every kind of variant, and
            # a level never seen in training must not turn into a veto
            {"sql_condition": "name_s_l = name_s_r", "label_for_charts": "same name (simplified)",
             "tf_adjustment_column": "surname", "tf_adjustment_weight": 1.0,
             "m_probability": 0.9, "fix_m_probability": True, **u_of("name")},
            {"sql_condition": "name_py_l = name_py_r", "label_for_charts": "homophone",
             "m_probability": 0.03, "fix_m_probability": True, **u_of("homophone")},
            cll.ArrayIntersectLevel("name_pys", 1).configure(
                label_for_charts="shared reading of a heteronym (多音字)", m_probability=0.01,
                fix_m_probability=True, **u_of("heteronym")),
            cll.LevenshteinLevel("name_s", 1).configure(label_for_charts="one character off",
                                                        m_probability=0.03,
                                                        fix_m_probability=True,
                                                        **u_of("one_char")),
            cll.ExactMatchLevel("surname").configure(label_for_charts="same surname only",
                                                     m_probability=0.02, fix_m_probability=True,
                                                     **u_of("surname")),
            cll.ElseLevel().configure(m_probability=0.01, fix_m_probability=True,
                                      **u_of("name_else")),
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
            cll.ExactMatchLevel("birth").configure(m_probability=0.95, fix_m_probability=True,
                                                   **u_of("birth")),
            {"sql_condition": "substr(birth_l, 1, 4) = substr(birth_r, 1, 4) AND "
                              "substr(birth_l, 6, 2) = substr(birth_r, 9, 2) AND "
                              "substr(birth_l, 9, 2) = substr(birth_r, 6, 2)",
             "label_for_charts": "day and month swapped", "m_probability": 0.02,
             "fix_m_probability": True, **u_of("birth_swapped")},
            # dates as yyyy-mm-dd: one substitution apart ⇒ same first or last 5 characters
            {"sql_condition": "CASE WHEN left(birth_l, 5) = left(birth_r, 5) OR "
                              "right(birth_l, 5) = right(birth_r, 5) "
                              "THEN levenshtein(birth_l, birth_r) <= 1 ELSE false END",
             "label_for_charts": "Levenshtein distance of birth <= 1",
             "m_probability": 0.02, "fix_m_probability": True, **u_of("birth_one_digit")},
            cll.ElseLevel().configure(m_probability=0.01, fix_m_probability=True,
                                      **u_of("birth_else")),
        ],
    )
    sex = cl.CustomComparison(
        output_column_name="sex",
        comparison_levels=[
            {"sql_condition": f"sex_eff_l IS NULL OR sex_eff_r IS NULL OR {both_ids}",
             "label_for_charts": "null or implied by the ID", "is_null_level": True},
            cll.ExactMatchLevel("sex_eff").configure(m_probability=0.99, fix_m_probability=True,
                                                     **u_of("sex")),
            cll.ElseLevel().configure(m_probability=0.01, fix_m_probability=True,
                                      **u_of("sex_else")),
        ],
    )
    address = cl.CustomComparison(
        output_column_name="address",
        comparison_levels=[
            {"sql_condition": "building_id_l IS NULL OR building_id_r IS NULL",
             "label_for_charts": "null", "is_null_level": True},
            cll.ExactMatchLevel("room_key").configure(label_for_charts="same room",
                                                      m_probability=0.8, fix_m_probability=True,
                                                      **u_of("address")),
            cll.ExactMatchLevel("building_id").configure(label_for_charts="same building",
                                                         m_probability=0.1,
                                                         fix_m_probability=True,
                                                         **u_of("building")),
            cll.ElseLevel().configure(m_probability=0.1, fix_m_probability=True,
                                      **u_of("address_else")),
        ],
    )
    phone = cl.CustomComparison(
        output_column_name="phone",
        comparison_levels=[
            cll.NullLevel("phone_n"),
            cll.ExactMatchLevel("phone_n").configure(m_probability=0.85, fix_m_probability=True,
                                                     **u_of("phone")),
            cll.ElseLevel().configure(m_probability=0.15, fix_m_probability=True,
                                      **u_of("phone_else")),
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


#: (m, u) of every level of the company model for an input too small to learn them from
#: (SMALL_INPUT): u as the demo city measures them, m from what registers get wrong (a company
#: moves, keeps its representative, answers its phone), where a small file has no pairs
#: sharing a credit code to learn them on.
TYPICAL_COMPANY = {
    "name": (0.9, 1.6e-4), "name_one_char": (0.05, 4.5e-3), "name_jw": (0.03, 0.022),
    "name_else": (0.02, 0.973),
    "rep": (0.85, 1e-4), "rep_homophone": (0.03, 1e-5), "rep_else": (0.12, 0.9999),
    "room": (0.6, 1.6e-4), "building": (0.2, 3.3e-3), "address_else": (0.2, 0.9966),
    "phone": (0.7, 1e-5), "phone_else": (0.3, 0.99999),
}


def _company_settings(prior: float, fixed_u: dict[str, float] | None = None) -> Any:
    """The company model; ``fixed_u``: u of the levels it names (counted, or every level's
    for a small input), the others learnt by sampling."""
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl
    from splink import SettingsCreator

    def mu(level: str) -> dict[str, Any]:
        """m fixed from domain knowledge (as in the person model: pairs sharing a credit code
        rarely show every kind of variant, and the levels they never show stayed untrained);
        u learnt, or fixed too for a small input."""
        out: dict[str, Any] = {"m_probability": TYPICAL_COMPANY[level][0],
                               "fix_m_probability": True}
        if fixed_u and level in fixed_u:
            out |= {"u_probability": fixed_u[level], "fix_u_probability": True}
        return out


    name = cl.CustomComparison(
        output_column_name="name",
        comparison_levels=[
            cll.NullLevel("name_s"),
            cll.ExactMatchLevel("name_s").configure(**mu("name")),
            cll.LevenshteinLevel("name_s", 1).configure(**mu("name_one_char")),
            cll.JaroWinklerLevel("name_s", 0.9).configure(**mu("name_jw")),
            cll.ElseLevel().configure(**mu("name_else")),
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
            cll.ExactMatchLevel("rep_s").configure(**mu("rep")),
            {"sql_condition": "rep_py_l = rep_py_r", "label_for_charts": "homophone",
             **mu("rep_homophone")},
            cll.ElseLevel().configure(**mu("rep_else")),
        ],
    )
    address = cl.CustomComparison(
        output_column_name="address",
        comparison_levels=[
            {"sql_condition": "building_id_l IS NULL OR building_id_r IS NULL",
             "label_for_charts": "null", "is_null_level": True},
            cll.ExactMatchLevel("room_key").configure(**mu("room")),
            cll.ExactMatchLevel("building_id").configure(**mu("building")),
            cll.ElseLevel().configure(**mu("address_else")),
        ],
    )
    phone = cl.CustomComparison(
        output_column_name="phone_n",
        comparison_levels=[
            cll.NullLevel("phone_n"),
            cll.ExactMatchLevel("phone_n").configure(**mu("phone")),
            cll.ElseLevel().configure(**mu("phone_else")),
        ],
    )
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="profile_id",
        comparisons=[name, uscc, rep, address, phone],
        blocking_rules_to_generate_predictions=_blocking("company"),
        probability_two_random_records_match=prior,
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=False,
    )


#: Blocking keys: a pair is scored when both profiles agree on every column of one key
BLOCKING_KEYS: dict[str, tuple[tuple[str, ...], ...]] = {
    "person": (
        ("id17",),
        ("name_py", "birth"),
        ("surname", "birth", "sex_eff"),
        ("phone_n",),
        ("room_key",),
        ("name_py", "building_id"),
    ),
    "company": (("uscc17",), ("name_s",), ("rep_py", "building_id"), ("phone_n",)),
}


def _blocking(kind: str) -> list[str]:
    """Blocking rules; every pair must involve an unanchored group and cross two groups."""
    guard = "(NOT (l.anchored AND r.anchored)) AND l.det <> r.det AND (l.is_new OR r.is_new)"
    return [" AND ".join(f"l.{c} = r.{c}" for c in key) + f" AND {guard}"
            for key in BLOCKING_KEYS[kind]]


def _candidates(con: duckdb.DuckDBPyConnection, kind: str, table: pa.Table) -> pa.Table:
    """The rows of ``table`` a blocking rule can pair: the unanchored ones and the anchored
    ones that share a blocking key with one of them (two anchored profiles are never
    scored). At 1M mentions that is 87k of 689k profiles, and Splink's prediction, which
    otherwise joins every profile under every rule, takes a fifth of the time."""
    con.register("_usable", table)
    try:
        shares = " OR ".join(
            f"({', '.join(key)}) IN (SELECT ({', '.join(key)}) FROM _usable WHERE NOT anchored)"
            for key in BLOCKING_KEYS[kind]
        )
        return con.sql(
            f"SELECT * FROM _usable WHERE NOT anchored OR {shares} ORDER BY i"
        ).to_arrow_table()
    finally:
        con.unregister("_usable")


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
    # in profile_id order: Splink's random sampling then does not depend on the input order
    table = con.sql(f"SELECT * FROM prof2 WHERE {usable} ORDER BY i").to_arrow_table()
    if table.num_rows < 2:
        return _no_pairs()
    if pc.all(table.column("anchored")).as_py():  # nothing left to score
        return _no_pairs()
    sizes = con.sql("SELECT count(*) c FROM prof2 WHERE anchored GROUP BY det").fetchnumpy()["c"]
    n = table.num_rows
    prior = float(np.sum(sizes * (sizes - 1) / 2)) / (n * (n - 1) / 2) if n > 1 else 1e-6
    prior = min(max(prior, 1e-5), 0.5)
    # a small input takes a city's u (and the company model's m) instead of learning them
    typical = n < SMALL_INPUT
    if kind == "person":
        settings = _person_settings(prior, TYPICAL_U if typical else _counted_u(con, table))
    else:
        settings = _company_settings(
            prior, {k: u for k, (_, u) in TYPICAL_COMPANY.items()} if typical
            else _counted_u(con, table, COMPANY_COUNTED_U))
    db_api = (db_api_factory or _default_db_api)()
    sdf = db_api.register(table)
    # levels with m fixed by design are "untrained" to Splink: its notices are not ours to show
    splink_log = logging.getLogger("splink")
    level = splink_log.level
    splink_log.setLevel(logging.ERROR)
    try:
        linker = Linker(sdf, settings, log_level=logging.ERROR)
        _train(con, kind, linker, n)
        return _predict(con, kind, linker, db_api, table)
    finally:
        splink_log.setLevel(level)


def _train(con: duckdb.DuckDBPyConnection, kind: str, linker: Any, n: int) -> None:
    """Train u (random pairs) and m (pairs sharing a valid ID) on every usable profile,
    where the model does not fix them."""
    # 2.5e5 random pairs: on 1M records 1e6 pairs cost 0.3 s more for the same pairwise F1
    # (0.99888 against 0.99890), 2e6 twice as long again. Enough for the common levels; the
    # exact name, flat and phone levels are too rare for any affordable sample at city scale
    # and come counted (``_counted_u``)
    # one chunk: the early stop that chunks allow never comes here (the rare levels, such as a
    # shared heteronym reading, stay under Splink's 100 counts), and each chunk costs a pass
    if not _all_fixed(linker, "u"):
        linker.training.estimate_u_using_random_sampling(
            max_pairs=min(2.5e5, max(1e5, n * 20)), num_chunks=1, seed=1)
    label = "id_anchor" if kind == "person" else "uscc_anchor"
    n_labels = _one(con, f"SELECT count(*) - count(DISTINCT {label}) FROM prof2 "
                         f"WHERE {label} IS NOT NULL")
    if n_labels > 0 and not _all_fixed(linker, "m"):
        linker.training.estimate_m_from_label_column("det_label")


def _predict(
    con: duckdb.DuckDBPyConnection, kind: str, linker: Any, db_api: Any, table: pa.Table
) -> pa.Table:
    """Score the blocked pairs with the trained model, on the profiles a rule can pair.

    The model (m, u, λ) and the term frequencies of the whole table go with it, so the
    scores are the ones a prediction over every profile gives."""
    from splink import Linker

    candidates = _candidates(con, kind, table)
    if candidates.num_rows < table.num_rows:
        model = linker.misc.save_model_to_json()
        tf_columns = {level["tf_adjustment_column"] for c in model["comparisons"]
                      for level in c["comparison_levels"] if level.get("tf_adjustment_column")}
        frequencies = {c: linker.table_management.compute_tf_table(c) for c in tf_columns}
        linker = Linker(db_api.register(candidates), model, log_level=logging.ERROR)
        for column, tf in frequencies.items():
            linker.table_management.register_term_frequency_lookup(tf, column)
    preds = linker.inference.predict(threshold_match_probability=0.5)
    out = preds.as_pyarrow_table() if hasattr(preds, "as_pyarrow_table") else pa.Table.from_pandas(
        preds.as_pandas_dataframe())
    return out.select(["profile_id_l", "profile_id_r", "match_probability", "match_weight"])


def _all_fixed(linker: Any, probability: str) -> bool:
    """True when every non-null level fixes its ``m`` or ``u``: training it would then be a
    pass that changes nothing (m: over all labelled pairs, a third of a second at 1M; u:
    over random pairs, for a small input given every u)."""
    model = linker.misc.save_model_to_json()
    return all(level.get("is_null_level") or level.get(f"fix_{probability}_probability")
               for c in model["comparisons"] for level in c["comparison_levels"])


def _no_pairs() -> pa.Table:
    return pa.table({"profile_id_l": pa.array([], pa.string()),
                     "profile_id_r": pa.array([], pa.string()),
                     "match_probability": pa.array([], pa.float64()),
                     "match_weight": pa.array([], pa.float64())})


def _assign(
    con: duckdb.DuckDBPyConnection, prof2: pa.Table, pairs: pa.Table, threshold: float
) -> pa.Table:
    """Final group per profile (see module docstring, step 4): ``cluster``, ``how`` and
    ``weight``, in the row order of ``prof2``."""
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
    # unanchored → its best anchored group; an unanchored group that matches none but
    # matches one that attached follows it (a pupil's guardian listed at two addresses with
    # one phone: one record names the parent's flat, the other only the phone they share),
    # as strong as the weaker of the two links
    attach = con.execute("""
      WITH e AS (
        SELECT da AS f, db AS a, w FROM gedge WHERE NOT aa AND ab
        UNION ALL SELECT db, da, w FROM gedge WHERE NOT ab AND aa
      ), direct AS (
        SELECT f, arg_max(a, w) AS a, max(w) AS w FROM e GROUP BY f
      ), free AS (
        SELECT da AS f, db AS g, w FROM gedge WHERE NOT aa AND NOT ab
        UNION ALL SELECT db, da, w FROM gedge WHERE NOT aa AND NOT ab
      )
      SELECT f, a, w FROM direct
      UNION ALL
      SELECT h.f, arg_max(d.a, least(h.w, d.w)), max(least(h.w, d.w))
      FROM free h JOIN direct d ON d.f = h.g
      WHERE h.f NOT IN (SELECT f FROM direct) GROUP BY h.f
    """).fetchnumpy()
    con.register("_attach", pa.table({"f": pa.array(attach["f"], pa.int64())}))
    free = con.execute("""
      SELECT da, db FROM gedge WHERE NOT aa AND NOT ab
        AND da NOT IN (SELECT f FROM _attach) AND db NOT IN (SELECT f FROM _attach)
    """).fetchnumpy()
    con.unregister("_attach")
    # groups are numbered 0..n-1 (connected components), so arrays indexed by group number
    # stand in for joins and windows over every profile
    det = prof2.column("det").to_numpy()
    anchored = prof2.column("anchored").to_numpy(zero_copy_only=False)
    n = int(det.max()) + 1 if len(det) else 0
    comp = _components(n, np.asarray(free["da"], np.int64), np.asarray(free["db"], np.int64))
    # a free component is named by its smallest group
    labels, first = np.unique(comp, return_index=True)
    rep = np.empty(labels.max() + 1 if len(labels) else 0, dtype=np.int64)
    rep[labels] = first
    fc_of = rep[comp]
    att = np.full(n, -1, dtype=np.int64)
    att_w = np.zeros(n)
    att[np.asarray(attach["f"], np.int64)] = np.asarray(attach["a"], np.int64)
    att_w[np.asarray(attach["f"], np.int64)] = np.asarray(attach["w"], np.float64)
    a, fc = att[det], fc_of[det]
    attached = a >= 0
    probabilistic = attached | ((np.bincount(fc_of, minlength=n)[fc] > 1) & ~anchored)
    # a profile of several mentions is records identical in every compared field
    repeated = prof2.column("n_mentions").to_numpy() > 1
    deterministic = (np.bincount(det, minlength=n)[det] > 1) | anchored | repeated
    how = np.where(probabilistic, 0, np.where(deterministic, 1, 2)).astype(np.int8)
    return pa.table({
        "cluster": pa.array(np.where(attached, a, fc)),
        "how": pa.DictionaryArray.from_arrays(
            pa.array(how), pa.array(["probabilistic", "deterministic", "single"])
        ).cast(pa.string()),
        "weight": pa.array(att_w[det], mask=~attached),
    })


def profile_ids(feats: pa.Table, kind: str) -> list[str]:
    """The distinct profile ids of ``feats`` (same hashing as :func:`match`)."""
    con = duckdb.connect()
    try:
        return _profiles(con, feats, kind)[1].column("profile_id").to_pylist()
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
        mf, prof, profile_of = _profiles(con, feats, kind)
        prof2 = _deterministic(con, prof, kind, new_profiles)
        pairs = _score(con, kind, db_api_factory)
        assigned = _assign(con, prof2, pairs,
                           threshold if threshold is not None else THRESHOLD[kind])
        # per profile, then taken to each mention by its profile's row: no million-row join
        cluster = assigned.column("cluster").to_numpy()
        alone = (np.bincount(cluster)[cluster] == 1) & pc.equal(
            assigned.column("how"), "single").to_numpy(zero_copy_only=False)
        reason = con.sql(f"SELECT {_reason_sql(kind)} AS r FROM prof2 p").to_arrow_table()
        assigned = assigned.append_column("unlinked_reason", pc.if_else(
            pa.array(alone), reason.column("r"), pa.scalar(None, pa.string())))
        per_mention = assigned.take(pa.array(profile_of))
        out = mf.select(columns) if columns else mf
        for name in per_mention.column_names:
            out = out.append_column(name, per_mention.column(name))
        stats = {
            "mentions": out.num_rows,
            "profiles": prof2.num_rows,
            "scored_pairs": pairs.num_rows,
            "clusters": len(np.unique(cluster)),
        }
        profiles = pa.table({"profile_id": prof2.column("profile_id"),
                             "cluster": assigned.column("cluster")})
        return MatchResult(out, profiles, profile_of, stats)
    finally:
        con.close()


def _reason_sql(kind: str) -> str:
    if kind == "person":
        return ("CASE WHEN p.name_s IS NOT NULL AND p.id17 IS NULL AND p.birth IS NULL AND "
                "p.phone_n IS NULL AND p.room_key IS NULL THEN 'name_only' "
                "WHEN p.name_s IS NULL AND p.id17 IS NULL THEN 'no_identifying_fields' "
                "ELSE 'no_match' END")
    return ("CASE WHEN p.uscc17 IS NULL AND p.name_s IS NULL THEN 'no_identifying_fields' "
            "ELSE 'no_match' END")


def log_odds(p: float) -> float:
    return math.log2(p / (1 - p))
