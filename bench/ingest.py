"""Benchmark: a CSV loaded through CityBrain ingest vs DuckDB's own read_csv, same file, same run.

    python bench/ingest.py [rows]      # default 10 000 000

The CSV is written by DuckDB COPY into a temp dir (deleted afterwards). The baseline is
``CREATE TABLE AS SELECT * FROM read_csv(file)`` into a fresh DuckDB file; ours is a full load
run (fingerprint, raw zone as text, curated zone typed, quarantine check, atomic publish, run
record). Prints one JSON line; goal: ours at least 0.5x DuckDB's rows per second. A second
baseline gives DuckDB the catalog's declared types (ID numbers as text, as ours must keep them)
and is reported as ``ratio_vs_declared_types``. ``steps_s``
splits our time by load phase (received = fingerprint + raw copy; staged = the one typed scan);
``cpu_s``/``baseline_cpu_s`` are CPU seconds, steadier than wall time on a shared machine.
"""

from __future__ import annotations

import json
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

FIELDS = [
    ("id", "integer"),
    ("name", "string"),
    ("id_card", "string"),
    ("birth", "date"),
    ("amount", "decimal"),
    ("district", "string"),
    ("n", "integer"),
]


def main(rows: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="cb-bench-ingest-") as tmp:
        root = Path(tmp)
        csv = root / "people.csv"
        duckdb.connect().execute(
            f"COPY (SELECT i AS id, '姓名' || (i % 9973) AS name, "
            f"'3702' || lpad((i * 7919 % 100000000000000)::VARCHAR, 14, '0') AS id_card, "
            f"DATE '1950-01-01' + (i % 25000)::INT AS birth, (i % 99991) / 100.0 AS amount, "
            f"'3702' || lpad((i % 13)::VARCHAR, 2, '0') AS district, i % 7 AS n "
            f"FROM range({rows}) t(i)) TO '{csv}' (HEADER)"
        )
        base = duckdb.connect(str(root / "baseline.duckdb"))
        started, cpu = time.perf_counter(), time.process_time()
        base.execute(f"CREATE TABLE t AS SELECT * FROM read_csv('{csv}')")
        baseline_s = time.perf_counter() - started
        baseline_cpu = time.process_time() - cpu
        loaded = base.execute("SELECT count(*) FROM t").fetchone()[0]
        # Second baseline: DuckDB told the declared types. Auto-detection reads id_card and
        # district as BIGINT (wrong for ID numbers, which may end in X); ours must keep text.
        started = time.perf_counter()
        base.execute(
            f"CREATE TABLE t2 AS SELECT * FROM read_csv('{csv}', "
            "types={'id_card': 'VARCHAR', 'district': 'VARCHAR'})"
        )
        typed_s = time.perf_counter() - started
        base.close()

        stores = Stores.from_settings(Settings(home=root / "home"))
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
        ours_s = time.perf_counter() - started
        ours_cpu = time.process_time() - cpu
        stores.close()
        assert run.status == "succeeded", run.error_en
        assert run.rows_loaded == loaded == rows, (run.rows_loaded, loaded)
    steps, last = {}, started
    for phase, at in marks + [("recorded", started + ours_s)]:
        steps[phase] = round(at - last, 2)
        last = at
    ours = rows / ours_s
    baseline = rows / baseline_s
    return {
        "bench": "ingest",
        "metric": "csv_rows_per_second",
        "value": round(ours),
        "unit": "rows/s",
        "baseline": "duckdb read_csv into a table",
        "baseline_value": round(baseline),
        "ratio": round(ours / baseline, 3),
        "goal": ">= 0.5x duckdb read_csv",
        "rows": rows,
        "seconds": round(ours_s, 2),
        "baseline_seconds": round(baseline_s, 2),
        "baseline_declared_types_seconds": round(typed_s, 2),
        "ratio_vs_declared_types": round(typed_s / ours_s, 3),
        "steps_s": steps,
        # CPU seconds of all threads: the same comparison without other load on the machine
        "cpu_s": round(ours_cpu, 2),
        "baseline_cpu_s": round(baseline_cpu, 2),
    }


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000_000)))
