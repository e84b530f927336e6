"""Benchmark: a CSV loaded through CityBrain ingest vs DuckDB's own read_csv, same file, same run.

    python bench/ingest.py [rows] [repeat]     # defaults: 10 000 000 rows, 3 rounds

The CSV is written by DuckDB COPY into a temp dir (deleted afterwards). The baseline is
``CREATE TABLE AS SELECT * FROM read_csv(file)`` into a fresh DuckDB file; ours is a full load
run (fingerprint, raw zone as text, curated zone typed, quarantine check, atomic publish, run
record). Prints one JSON line; goal: ours at least 0.5x DuckDB's rows per second. A second
baseline gives DuckDB the catalog's declared types (ID numbers as text, as ours must keep them)
and is reported as ``ratio_vs_declared_types``. ``steps_s``
splits our time by load phase (received = fingerprint + raw copy; staged = the one typed scan);
``cpu_s``/``baseline_cpu_s`` are CPU seconds, steadier than wall time on a shared machine.

The machine is shared and noisy (the same command has given 0.49 and 0.60), so the file is
loaded in ``repeat`` rounds, baseline and ours alternating which goes first; ``ratio`` is the
median of the rounds' ratios, ``ratios`` lists them all.
"""

from __future__ import annotations

import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import duckdb

from citybrain.catalog import service as catalog
from citybrain.catalog.schemas import DatasetCreate
from citybrain.config import Settings
from citybrain.ingest import service
from citybrain.ingest.schemas import JobCreate
from citybrain.store.ops import session_scope
from citybrain.store.runtime import Stores
from citybrain.testing.rounds import alternating, median_round

FIELDS = [
    ("id", "integer"),
    ("name", "string"),
    ("id_card", "string"),
    ("birth", "date"),
    ("amount", "decimal"),
    ("district", "string"),
    ("n", "integer"),
]


def _write_csv(csv: Path, rows: int) -> None:
    duckdb.connect().execute(
        f"COPY (SELECT i AS id, '姓名' || (i % 9973) AS name, "
        f"'3702' || lpad((i * 7919 % 100000000000000)::VARCHAR, 14, '0') AS id_card, "
        f"DATE '1950-01-01' + (i % 25000)::INT AS birth, (i % 99991) / 100.0 AS amount, "
        f"'3702' || lpad((i % 13)::VARCHAR, 2, '0') AS district, i % 7 AS n "
        f"FROM range({rows}) t(i)) TO '{csv}' (HEADER)"
    )


def _baseline(csv: Path, db: Path) -> dict:
    """DuckDB auto-detecting read_csv into a table, then with the declared types."""
    base = duckdb.connect(str(db))
    started, cpu = time.perf_counter(), time.process_time()
    base.execute(f"CREATE TABLE t AS SELECT * FROM read_csv('{csv}')")
    out = {"s": time.perf_counter() - started, "cpu": time.process_time() - cpu}
    out["rows"] = base.execute("SELECT count(*) FROM t").fetchone()[0]
    # Auto-detection reads id_card and district as BIGINT (wrong for ID numbers, which may
    # end in X); ours must keep text, so DuckDB is also timed with the declared types.
    started = time.perf_counter()
    base.execute(
        f"CREATE TABLE t2 AS SELECT * FROM read_csv('{csv}', "
        "types={'id_card': 'VARCHAR', 'district': 'VARCHAR'})"
    )
    out["typed_s"] = time.perf_counter() - started
    base.close()
    return out


def _ours(csv: Path, home: Path, rows: int) -> dict:
    """One full load run into a fresh lake: the time a first delivery of the file takes."""
    stores = Stores.from_settings(Settings(home=home))
    stores.migrate()
    with session_scope(stores.sessions) as s:
        catalog.upsert_dataset(
            s,
            DatasetCreate(
                id="bench.people",
                title="bench",
                publisher="bigdata",
                share_type="unconditional",
                fields=[{"name": n, "type": t} for n, t in FIELDS],
            ),
        )
        service.create_job(s, JobCreate(id="bench.people", connector="csv", location=str(csv)))
    marks: list[tuple[str, float]] = []
    started, cpu = time.perf_counter(), time.process_time()
    run = service.run_job(
        stores,
        "bench.people",
        progress=lambda phase, info: marks.append((phase, time.perf_counter())),
    )
    seconds = time.perf_counter() - started
    cpu_s = time.process_time() - cpu
    stores.close()
    assert run.status == "succeeded", run.error_en
    assert run.rows_loaded == rows, (run.rows_loaded, rows)
    steps, last = {}, started
    for phase, at in marks + [("recorded", started + seconds)]:
        steps[phase] = round(at - last, 2)
        last = at
    return {"s": seconds, "cpu": cpu_s, "steps": steps}


def main(rows: int, repeat: int = 3) -> dict:
    with tempfile.TemporaryDirectory(prefix="cb-bench-ingest-") as tmp:
        root = Path(tmp)
        csv = root / "people.csv"
        _write_csv(csv, rows)

        def baseline(i: int) -> dict:
            out = _baseline(csv, root / f"baseline{i}.duckdb")
            (root / f"baseline{i}.duckdb").unlink(missing_ok=True)
            assert out["rows"] == rows, (out["rows"], rows)
            return out

        def ours(i: int) -> dict:
            out = _ours(csv, root / f"home{i}", rows)
            shutil.rmtree(root / f"home{i}", ignore_errors=True)
            return out

        rounds = alternating(baseline, ours, repeat)
    ratios = [b["s"] / o["s"] for b, o in rounds]
    ratio, at = median_round(ratios)
    base, ours_run = rounds[at]
    return {
        "bench": "ingest",
        "metric": "csv_rows_per_second",
        "value": round(rows / ours_run["s"]),
        "unit": "rows/s",
        "baseline": "duckdb read_csv into a table",
        "baseline_value": round(rows / base["s"]),
        "ratio": round(ratio, 3),
        "goal": ">= 0.5x duckdb read_csv",
        "rows": rows,
        "ratios": [round(r, 3) for r in ratios],
        "seconds": round(ours_run["s"], 2),
        "baseline_seconds": round(base["s"], 2),
        "baseline_declared_types_seconds": round(base["typed_s"], 2),
        "ratio_vs_declared_types": round(
            statistics.median(b["typed_s"] / o["s"] for b, o in rounds), 3
        ),
        "steps_s": ours_run["steps"],
        # CPU seconds of all threads: the same comparison without other load on the machine
        "cpu_s": round(ours_run["cpu"], 2),
        "baseline_cpu_s": round(base["cpu"], 2),
    }


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:3]]
    print(json.dumps(main(*(args or [10_000_000]))))
