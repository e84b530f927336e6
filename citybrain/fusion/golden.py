"""Golden records: one value per attribute per entity, with the source it came from.

Survivorship per attribute: only standard-valid values compete; the most trusted dataset
for that attribute wins (``survivorship`` in the rules file), then the most recent record
date, then the lowest (dataset, row) so a rebuild is deterministic. Each value keeps its
provenance: dataset, row and load run.
"""

from __future__ import annotations

import re
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from citybrain.fusion.extract import Rules

# attribute → (value expression over the mention features, extra columns carried with it)
PERSON_ATTRS: dict[str, tuple[str, tuple[str, ...]]] = {
    "name": ("name_s", ()),
    "id_number": ("id_anchor", ()),
    "sex": ("sex_eff", ()),
    "birth_date": ("birth", ()),
    "phone": ("phone_n", ()),
    "address": ("CASE WHEN building_id IS NOT NULL THEN addr_norm END", ("building_id",)),
}
COMPANY_ATTRS: dict[str, tuple[str, tuple[str, ...]]] = {
    "name": ("name_s", ()),
    "uscc": ("uscc_anchor", ()),
    "legal_rep": ("rep_s", ()),
    "phone": ("phone_n", ()),
    "address": ("CASE WHEN building_id IS NOT NULL THEN addr_norm END", ("building_id",)),
    "status": ("NULLIF(trim(status), '')", ()),
}


def _rank_sql(rules: Rules, kind: str, attr: str) -> str:
    ranking = rules.ranking(kind, attr)
    if not ranking:
        return "99"
    whens = " ".join(f"WHEN '{d}' THEN {i}" for i, d in enumerate(ranking) if "'" not in d)
    return f"CASE dataset {whens} ELSE 99 END"


def _columns(expr: str, names: list[str]) -> list[str]:
    """The mention columns an attribute's expression reads."""
    return [n for n in names if re.search(rf"\b{re.escape(n)}\b", expr)]


def _sorted_codes(values: pa.ChunkedArray) -> tuple[np.ndarray, list[str]]:
    """Each value's rank among the distinct values (sorted as DuckDB sorts text) and those
    values: an integer stands in for the dataset name in the aggregate's state."""
    encoded = pc.dictionary_encode(values).combine_chunks()
    names = encoded.dictionary
    order = pc.sort_indices(names).to_numpy()
    rank = np.empty(len(order), dtype=np.int32)
    rank[order] = np.arange(len(order), dtype=np.int32)
    codes = rank[encoded.indices.to_numpy(zero_copy_only=False)]
    return codes, names.take(pa.array(order)).to_pylist()


def golden(con: duckdb.DuckDBPyConnection, mentions: pa.Table, kind: str, rules: Rules,
           id_col: str) -> pa.Table:
    """Golden records of ``mentions`` (mentions with features and ``id_col``).

    One aggregate finds, per entity and attribute, the position of the winning mention
    under the key (rank, newest record date first, dataset, row); the values and their
    sources are then taken from those positions. Carrying the values through the aggregate
    held every attribute's strings in its state (3.8 GB more at city scale, against 1.8), and
    a window per attribute sorted the mentions six times."""
    attrs = PERSON_ATTRS if kind == "person" else COMPANY_ATTRS
    n = mentions.num_rows
    ds_code, ds_names = _sorted_codes(mentions.column("dataset"))
    con.register("_gm", mentions.append_column("_pos", pa.array(np.arange(n, dtype=np.int64)))
                 .append_column("_ds", pa.array(ds_code)))
    # newest first, undated last, as an ascending key
    newest = "COALESCE(DATE '9999-12-31' - TRY_CAST(record_day AS DATE), 2147483647)"
    picks = ", ".join(
        f"arg_min(_pos, ({_rank_sql(rules, kind, attr)}, {newest}, _ds, row)) "
        f"FILTER (WHERE {expr} IS NOT NULL) AS _p{i}"
        for i, (attr, (expr, _)) in enumerate(attrs.items())
    )
    names = "[" + ", ".join("'" + d.replace("'", "''") + "'" for d in ds_names) + "]"
    try:
        agg = con.sql(f"""
          SELECT {id_col}, count(*) AS n_mentions,
            list_transform(list(DISTINCT _ds ORDER BY _ds), lambda c: {names}[c + 1])
              AS datasets,
            max(record_day) AS last_seen, {picks}
          FROM _gm GROUP BY {id_col} ORDER BY {id_col}
        """).to_arrow_table()
    finally:
        con.unregister("_gm")
    out = agg.select([id_col, "n_mentions", "datasets", "last_seen"])
    for i, (attr, (expr, extra)) in enumerate(attrs.items()):
        pos = agg.column(f"_p{i}")
        cols = dict.fromkeys(["dataset", "row", "run", "record_day",
                              *_columns(expr, mentions.column_names), *extra])
        entities = pa.array(np.arange(agg.num_rows, dtype=np.int64))
        con.register("_won", mentions.select(list(cols)).take(pos).append_column(
            "_hit", pc.is_valid(pos)).append_column("_k", entities))
        try:
            # a projection keeps the row order (checked): row k is entity k's winner or none
            won = con.sql(f"""
              SELECT _k, {expr} AS v, CASE WHEN _hit THEN {{'dataset': dataset, 'row': row,
                'run': run, 'record_date': record_day}} END AS source
                {"".join(f", {c}" for c in extra)}
              FROM _won
            """).to_arrow_table()
        finally:
            con.unregister("_won")
        if not won.column("_k").equals(pa.chunked_array([entities])):
            raise RuntimeError("golden values came back out of entity order")
        out = out.append_column(attr, won.column("v")).append_column(
            f"{attr}_source", won.column("source"))
        for c in extra:
            out = out.append_column(f"{attr}_{c}", won.column(c))
    return out


def residency(con: duckdb.DuckDBPyConnection, table: str, rules: Rules) -> pa.Table:
    """Per person: dead?, moved away?, recently active? (see docs/fusion.md, 实有人口)."""
    r: dict[str, Any] = rules.residents
    ref = str(r.get("reference_date", "2024-12-31"))
    death = [str(x) for x in r.get("death_status", [])]
    moved = [str(x) for x in r.get("moved_away_status", [])]
    presence = [str(x) for x in r.get("presence_datasets", [])]
    days = int(r.get("activity_days", 1100))
    return con.sql(
        f"""
      SELECT person_id,
        bool_or(death_day IS NOT NULL AND CAST(death_day AS DATE) <= CAST(? AS DATE)
                OR list_contains(?, trim(status))) AS dead,
        max(CASE WHEN death_day IS NOT NULL THEN death_day END) AS death_date,
        bool_or(list_contains(?, trim(status))) AS moved_away,
        bool_or(list_contains(?, dataset)
                OR (record_day IS NOT NULL AND CAST(record_day AS DATE)
                    >= CAST(? AS DATE) - INTERVAL {days} DAY)) AS active
      FROM {table} GROUP BY person_id
    """,
        params=[ref, death, moved, presence, ref],
    ).to_arrow_table()
