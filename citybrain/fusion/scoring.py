"""Score clusters against a synthetic city's truth: pairwise precision, recall and F1.

Pairs are counted from cluster sizes (no pair list is built): true positives are the pairs
inside each (cluster, true entity) cell.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa


def pairwise(assigned: pa.Table, truth: pa.Table) -> dict[str, float]:
    """``assigned``: key, cluster; ``truth``: key, entity. Keys absent from truth are ignored."""
    con = duckdb.connect()
    try:
        con.register("a", assigned)
        con.register("t", truth)
        row = con.execute("""
          WITH j AS (SELECT a.cluster, t.entity FROM a JOIN t USING (key)),
          cells AS (SELECT count(*) n FROM j GROUP BY cluster, entity),
          cl AS (SELECT count(*) n FROM j GROUP BY cluster),
          en AS (SELECT count(*) n FROM j GROUP BY entity)
          SELECT (SELECT sum(n * (n - 1) / 2) FROM cells) tp,
                 (SELECT sum(n * (n - 1) / 2) FROM cl) pp,
                 (SELECT sum(n * (n - 1) / 2) FROM en) ap,
                 (SELECT count(*) FROM j) n
        """).fetchall()[0]
    finally:
        con.close()
    tp, pp, ap, n = (float(x or 0) for x in row)  # type: ignore[union-attr]
    precision = tp / pp if pp else 1.0
    recall = tp / ap if ap else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "true_pairs": ap,
            "predicted_pairs": pp, "records": n}


def city_truth(city_dir: Path, kind: str) -> pa.Table:
    """key = dataset|row|role → entity id, from truth/source_identity.parquet."""
    path = Path(city_dir) / "truth" / "source_identity.parquet"
    return duckdb.sql(
        "SELECT dataset || '|' || CAST(row AS VARCHAR) || '|' || role AS key, "
        "entity_id AS entity FROM read_parquet(?) WHERE entity_type = ?",
        params=[str(path), kind],
    ).to_arrow_table()


def mention_keys(mentions: pa.Table, cluster_col: str = "cluster") -> pa.Table:
    return duckdb.sql(
        f"SELECT dataset || '|' || CAST(row AS VARCHAR) || '|' || role AS key, "
        f"CAST({cluster_col} AS VARCHAR) AS cluster FROM mentions"
    ).to_arrow_table()
