"""Benchmark: CityBrain person linking vs plain Splink on the same input, in one run.

Usage: python bench/fusion.py [SIZE] [--scale demo|district|city] [--city DIR] [--seed N]
       [--repeat N]

Builds a person-record CSV in the standalone ``fusion link`` format (record_id, source, name,
id_number, birth_date, sex, address, phone) from a synthetic city's department deliveries:
every person mention of every dataset, then SIZE of them drawn at random (seeded). Truth is
the city's ``truth/source_identity.parquet``.

* CityBrain: ``fusion.service.link_table`` (deterministic ID rules, Chinese-aware features,
  Fellegi-Sunter on profiles through Splink's DuckDB backend).
* Baseline: Splink 5 on the same DuckDB backend configured as its documentation suggests for
  person data, without Chinese-specific comparisons: Jaro-Winkler name, exact ID number, date
  of birth and phone, Levenshtein address; generic cleaning only (trim, upper-case the ID,
  one date format); blocking on ID, name + birth date, phone, address; u by random sampling,
  λ from the deterministic ID rule, m by EM; clusters at match probability 0.95.

Prints one JSON line: value = CityBrain seconds, baseline_value = Splink seconds (of the median
round), ratio = the median over ``--repeat`` rounds (default 3, alternating which side goes
first) of CityBrain / Splink time, ``ratios`` every round's, with pairwise precision, recall
and F1 of both.
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import re
import sys
import tempfile
import time
import warnings
from pathlib import Path

import duckdb
import pyarrow as pa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from citybrain.fusion import extract, scoring, service  # noqa: E402
from citybrain.testing.rounds import alternating, median_round  # noqa: E402

SKIP = {"renshe.si_contribution"}
FIELDS = ("name", "id_number", "birth_date", "sex", "address", "phone")


def build_input(city: Path, size: int, seed: int) -> tuple[pa.Table, pa.Table]:
    """(records in the link format, truth: key → entity) — SIZE records drawn at random."""
    rules = extract.load_rules()
    # the contribution ledger (one row per person and month, ID only) would swamp the pairs
    rules.mentions["person"] = [s for s in rules.mentions["person"]
                                if s.dataset not in SKIP]
    m = extract.mentions(rules, "person", extract.city_reader(city))
    con = duckdb.connect()
    con.register("m", m)
    table = con.sql("""
      SELECT dataset || '|' || CAST(row AS VARCHAR) || '|' || role AS record_id,
             dataset AS source, name, id_number, birth_date, sex, address, phone
      FROM m ORDER BY dataset, row, role
    """).to_arrow_table()
    n = table.num_rows
    if size < n:
        keep = sorted(random.Random(seed).sample(range(n), size))
        table = table.take(pa.array(keep))
    truth = scoring.city_truth(city, "person")
    return table, truth


_DATE = re.compile(r"^(\d{4})[-/]?(\d{2})[-/]?(\d{2})")


def _clean_for_splink(table: pa.Table) -> pa.Table:
    """Generic cleaning any Splink user does: trim, ID upper-case, one date format."""
    con = duckdb.connect()
    con.register("t", table)
    return con.sql(r"""
      SELECT record_id AS unique_id, NULLIF(trim(name), '') AS name,
        NULLIF(upper(trim(id_number)), '') AS id_number,
        CASE WHEN regexp_matches(trim(birth_date), '^\d{4}[-/]?\d{2}[-/]?\d{2}')
             THEN regexp_replace(trim(birth_date), '^(\d{4})[-/]?(\d{2})[-/]?(\d{2}).*$',
                                 '\1-\2-\3') END AS birth_date,
        NULLIF(regexp_replace(trim(address), '\s+', '', 'g'), '') AS address,
        NULLIF(regexp_replace(trim(phone), '\D', '', 'g'), '') AS phone
      FROM t
    """).to_arrow_table()


def run_splink(table: pa.Table) -> pa.Table:
    """Plain Splink 5 (DuckDB backend) as its documentation suggests; returns key, cluster."""
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    df = _clean_for_splink(table)
    settings = SettingsCreator(
        link_type="dedupe_only",
        comparisons=[
            cl.JaroWinklerAtThresholds("name", [0.9, 0.7]),
            cl.ExactMatch("id_number"),
            cl.ExactMatch("birth_date"),
            cl.ExactMatch("phone"),
            cl.LevenshteinAtThresholds("address", [1, 3]),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("id_number"),
            block_on("name", "birth_date"),
            block_on("phone"),
            block_on("address"),
        ],
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=False,
    )
    db_api = DuckDBAPI()
    sdf = db_api.register(df)
    linker = Linker(sdf, settings)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("id_number")], recall=0.9)
    linker.training.estimate_u_using_random_sampling(max_pairs=2e6, seed=1)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("id_number"))
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("name", "birth_date"))
    preds = linker.inference.predict(threshold_match_probability=0.5)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(preds, 0.95)
    out = clusters.as_pyarrow_table() if hasattr(clusters, "as_pyarrow_table") else (
        pa.Table.from_pandas(clusters.as_pandas_dataframe()))
    return out.select(["unique_id", "cluster_id"]).rename_columns(["key", "cluster"])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("size", nargs="?", type=int, default=1_000_000)
    ap.add_argument("--scale", default=None, choices=("tiny", "demo", "district", "city"),
                    help="city to generate (default: smallest with enough records)")
    ap.add_argument("--city", type=Path, help="use this generated city instead")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--repeat", type=int, default=3,
                    help="rounds of both, alternating which goes first; ratio = the median")
    args = ap.parse_args()
    logging.disable(logging.WARNING)  # Splink's training chatter
    warnings.filterwarnings("ignore")
    tmp = None
    city = args.city
    if city is None:
        from citybrain.simulate.service import generate_city

        scale = args.scale or ("demo" if args.size <= 70_000 else
                               "district" if args.size <= 700_000 else "city")
        tmp = tempfile.TemporaryDirectory(prefix="citybrain-bench-fusion-")
        city = Path(tmp.name) / "city"
        generate_city(city, scale=scale, seed=args.seed)
    table, truth = build_input(city, args.size, args.seed)

    def ours_round(_: int) -> tuple[float, pa.Table]:
        t0 = time.perf_counter()
        out = service.link_table(table, "person")
        return time.perf_counter() - t0, out

    def splink_round(_: int) -> tuple[float, pa.Table]:
        t0 = time.perf_counter()
        out = run_splink(table)
        return time.perf_counter() - t0, out

    rounds = alternating(ours_round, splink_round, args.repeat)
    ratios = [o[0] / b[0] for o, b in rounds]
    ratio, at = median_round(ratios)
    (t_ours, ours), (t_splink, theirs) = rounds[at]
    ours_keys = ours.select(["record_id", "cluster_id"]).rename_columns(["key", "cluster"])
    s_ours = scoring.pairwise(ours_keys, truth)
    s_splink = scoring.pairwise(theirs.cast(pa.schema([("key", pa.string()),
                                                       ("cluster", pa.string())])), truth)
    if tmp:
        tmp.cleanup()

    def r(x: float) -> float:
        return round(x, 5)

    print(json.dumps({
        "bench": "fusion", "metric": "seconds to link person records",
        "value": round(t_ours, 2), "unit": "s",
        "baseline": "Splink 5 DuckDB, generic comparisons (JW name, exact ID/date/phone, "
                    "Levenshtein address)",
        "baseline_value": round(t_splink, 2),
        "ratio": round(ratio, 4),
        "ratios": [round(x, 4) for x in ratios],
        "goal": "higher F1 than the baseline, time ratio <= 1.0",
        "rows": table.num_rows,
        "citybrain": {"precision": r(s_ours["precision"]), "recall": r(s_ours["recall"]),
                      "f1": r(s_ours["f1"])},
        "splink": {"precision": r(s_splink["precision"]), "recall": r(s_splink["recall"]),
                   "f1": r(s_splink["f1"])},
        "true_pairs": int(s_ours["true_pairs"]),
    }, ensure_ascii=False))


if __name__ == "__main__":
    main()
