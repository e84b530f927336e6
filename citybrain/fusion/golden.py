"""Golden records: one value per attribute per entity, with the source it came from.

Survivorship per attribute: only standard-valid values compete; the most trusted dataset
for that attribute wins (``survivorship`` in the rules file), then the most recent record
date, then the lowest (dataset, row) so a rebuild is deterministic. Each value keeps its
provenance: dataset, row and load run.
"""

from __future__ import annotations

from typing import Any

import duckdb
import pyarrow as pa

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


def golden(con: duckdb.DuckDBPyConnection, table: str, kind: str, rules: Rules,
           id_col: str) -> pa.Table:
    """Golden records of ``table`` (mentions with features and ``id_col``).

    One aggregate: per attribute, ``arg_min`` of the value and its source under the key
    (rank, newest record date first, dataset, row) — a window per attribute would sort the
    mentions six times (9.5M at city scale)."""
    attrs = PERSON_ATTRS if kind == "person" else COMPANY_ATTRS
    # newest first, undated last, as an ascending key
    newest = "COALESCE(DATE '9999-12-31' - TRY_CAST(record_day AS DATE), 2147483647)"
    picks, selects = [], []
    for i, (attr, (expr, extra)) in enumerate(attrs.items()):
        extra_fields = "".join(f", '{c}': {c}" for c in extra)
        picks.append(f"""
        arg_min({{'v': {expr}, 'source': {{'dataset': dataset, 'row': row, 'run': run,
                  'record_date': record_day}}{extra_fields}}},
                ({_rank_sql(rules, kind, attr)}, {newest}, dataset, row))
          FILTER (WHERE {expr} IS NOT NULL) AS g{i}""")
        selects.append(f"g{i}.v AS {attr}, g{i}.source AS {attr}_source")
        selects.extend(f"g{i}.{c} AS {attr}_{c}" for c in extra)
    sql = f"""
      SELECT {id_col}, n_mentions, datasets, last_seen, {', '.join(selects)}
      FROM (
        SELECT {id_col}, count(*) AS n_mentions, list(DISTINCT dataset ORDER BY dataset)
          AS datasets, max(record_day) AS last_seen, {','.join(picks)}
        FROM {table} GROUP BY {id_col}
      )
      ORDER BY {id_col}
    """
    return con.sql(sql).to_arrow_table()


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
