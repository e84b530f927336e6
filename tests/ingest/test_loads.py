"""Load runs: quarantine, idempotence, incremental loads, crashes, bad input."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from citybrain.ingest import service
from citybrain.ingest.schemas import JobUpdate
from citybrain.store.ops import session_scope
from citybrain.store.runtime import Stores
from tests.ingest.conftest import declare, rows

FIELDS = [("id", "string"), ("day", "date"), ("n", "integer")]
ROOT = Path(__file__).resolve().parents[2]


def write_csv(path: Path, lines: list[str], encoding: str = "utf-8") -> Path:
    path.write_bytes(("id,day,n\n" + "\n".join(lines) + "\n").encode(encoding))
    return path


def test_quarantine_holds_every_bad_row_with_a_reason(stores: Stores, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "d.csv",
        [
            "a,2024-01-01,1",
            "b,2024-01-02",  # ragged: too few columns
            "c,2024-13-45,3",  # bad date
            "d,2024-01-04,4,extra",  # ragged: too many
            "e,2024-01-05,five",  # bad integer
            "f,2024-01-06,6",
        ],
    )
    declare(stores, "q.d", "csv", path, FIELDS)
    run = service.run_job(stores, "q.d")
    assert run.status == "succeeded"
    assert (run.rows_read, run.rows_loaded, run.rows_quarantined) == (6, 2, 4)
    bad, total = service.quarantine(stores.lake, "q.d")
    assert total == 4
    by_row = {b["row_number"]: b for b in bad}
    assert set(by_row) == {1, 2, 3, 4}
    assert by_row[1]["reason_code"] == "unreadable_row" and by_row[1]["line"] == 3
    assert by_row[1]["value"] == "b,2024-01-02" and "列数" in by_row[1]["reason_zh"]
    assert by_row[2]["column_name"] == "day" and by_row[2]["value"] == "2024-13-45"
    assert by_row[4]["column_name"] == "n" and "整数" in by_row[4]["reason_zh"]
    # good rows keep their delivered row numbers around the gaps; raw keeps typed-bad rows
    assert [r["_cb_row"] for r in rows(stores, "curated", "q.d")] == [0, 5]
    assert [r["_cb_row"] for r in rows(stores, "raw", "q.d")] == [0, 2, 4, 5]


def test_rerun_changes_nothing(stores: Stores, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "d.csv", [f"k{i},2024-01-01,{i}" for i in range(50)])
    declare(stores, "i.d", "csv", path, FIELDS)
    first = service.run_job(stores, "i.d")
    before = rows(stores, "curated", "i.d")
    again = service.run_job(stores, "i.d")
    assert (again.status, again.rows_loaded, again.rows_unchanged) == ("unchanged", 0, 50)
    forced = service.run_job(stores, "i.d", force=True)
    assert (forced.status, forced.rows_loaded, forced.rows_unchanged) == ("succeeded", 0, 50)
    assert rows(stores, "curated", "i.d") == before
    assert again.source_fingerprint == first.source_fingerprint


def test_incremental_by_key_picks_up_only_changed_rows(stores: Stores, tmp_path: Path) -> None:
    lines = [f"k{i},2024-01-01,{i}" for i in range(20)]
    path = write_csv(tmp_path / "d.csv", lines)
    declare(stores, "k.d", "csv", path, FIELDS, mode="key", key_columns=["id"])
    assert service.run_job(stores, "k.d").rows_loaded == 20
    lines[3] = "k3,2024-02-02,33"  # changed
    lines.append("k20,2024-03-03,20")  # new
    lines.append("k5,2024-01-01,5")  # duplicate key, identical: later row wins
    write_csv(path, lines)
    run = service.run_job(stores, "k.d")
    assert (run.rows_loaded, run.rows_unchanged, run.rows_quarantined) == (2, 19, 1)
    cur = {r["id"]: r for r in rows(stores, "curated", "k.d")}
    assert len(cur) == 21 and cur["k3"]["n"] == 33 and cur["k20"]["n"] == 20
    raw = rows(stores, "raw", "k.d")
    assert len(raw) == 20 + 3  # raw keeps the first delivery plus what changed
    bad, _ = service.quarantine(stores.lake, "k.d")
    assert bad[0]["reason_code"] == "duplicate_key"


def test_incremental_by_watermark_from_a_database(stores: Stores, tmp_path: Path) -> None:
    db = tmp_path / "src.db"
    con = sqlite3.connect(db)
    con.execute("CREATE TABLE t (id TEXT, day TEXT, n INTEGER)")
    con.executemany(
        "INSERT INTO t VALUES (?, ?, ?)", [(f"k{i}", f"2024-01-{i + 1:02d}", i) for i in range(10)]
    )
    con.commit()
    declare(
        stores,
        "w.d",
        "sql",
        f"sqlite:///{db}",
        FIELDS,
        options={"table": "t"},
        mode="watermark",
        watermark_column="day",
    )
    first = service.run_job(stores, "w.d")
    assert (first.rows_loaded, first.watermark_to) == (10, "2024-01-10")
    con.executemany(
        "INSERT INTO t VALUES (?, ?, ?)", [("k10", "2024-02-01", 10), ("k11", "2024-02-02", 11)]
    )
    con.commit()
    con.close()
    second = service.run_job(stores, "w.d")
    assert (second.rows_read, second.rows_loaded) == (2, 2)  # pushed down: only newer rows read
    assert second.watermark_from == "2024-01-10" and second.watermark_to == "2024-02-02"
    assert len(rows(stores, "curated", "w.d")) == 12
    assert service.run_job(stores, "w.d").rows_loaded == 0


def _killed_load(settings_home: Path, job: str, phase: str, after: int) -> int:
    script = (
        "import os, signal, sys\n"
        "from pathlib import Path\n"
        "from citybrain.config import Settings\n"
        "from citybrain.store.runtime import Stores\n"
        "from citybrain.ingest import service\n"
        "stores = Stores.from_settings(Settings(home=Path(sys.argv[1])))\n"
        "def progress(phase, info):\n"
        "    if phase == sys.argv[3] and info.get('batches', 1) >= int(sys.argv[4]):\n"
        "        os.kill(os.getpid(), signal.SIGKILL)\n"
        "service.run_job(stores, sys.argv[2], progress=progress)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", script, str(settings_home), job, phase, str(after)],
        cwd=ROOT,
        env={**os.environ},
        timeout=120,
    )
    return proc.returncode


@pytest.mark.parametrize("phase", ["staged", "commit"])
def test_csv_load_killed_halfway_then_rerun(stores: Stores, tmp_path: Path, phase: str) -> None:
    path = write_csv(tmp_path / "d.csv", [f"k{i},2024-01-01,{i}" for i in range(300)])
    declare(stores, "c.d", "csv", path, FIELDS)
    assert service.run_job(stores, "c.d").rows_loaded == 300
    write_csv(path, [f"k{i},2024-01-02,{i}" for i in range(500)])  # a new delivery
    home = stores.settings.home
    stores.close()  # the lake file is single-writer: let the child process take it
    assert _killed_load(home, "c.d", phase, 1) == -9
    assert len(rows(stores, "curated", "c.d")) == 300  # the old data is intact
    run = service.run_job(stores, "c.d")
    assert run.status == "succeeded", run.error_en
    assert run.resumed_from is not None  # the staged delivery was published, not re-read
    cur = rows(stores, "curated", "c.d")
    assert len(cur) == 500 and {str(r["day"]) for r in cur} == {"2024-01-02"}
    with session_scope(stores.sessions) as s:
        statuses = [r.status for r in service.list_runs(s, "c.d")]
    assert statuses.count("interrupted") == 1
    assert not [t for _, t in stores.lake.tables() if t.startswith("_cb_stage")]
    assert len(rows(stores, "raw", "c.d")) == 500
    files = stores.lake.path.parent / f"{stores.lake.path.stem}.raw" / "c__d"
    assert len(list(files.iterdir())) == 1  # the killed run's copies are gone


def test_batch_load_killed_resumes_from_staged_batches(stores: Stores, tmp_path: Path) -> None:
    lines = [json.dumps({"id": f"k{i}", "day": "2024-01-01", "n": i}) for i in range(100)]
    (tmp_path / "d.ndjson").write_text("\n".join(lines), encoding="utf-8")
    declare(stores, "b.d", "ndjson", tmp_path / "d.ndjson", FIELDS, options={"batch_rows": 10})
    home = stores.settings.home
    stores.close()
    assert _killed_load(home, "b.d", "batch", 4) == -9
    batches: list[int] = []
    run = service.run_job(
        stores,
        "b.d",
        progress=lambda p, i: batches.append(i.get("batches", 0)) if p == "batch" else None,
    )
    assert run.status == "succeeded" and run.resumed_from is not None
    assert batches[0] == 5  # batches 1-4 were not staged again
    cur = rows(stores, "curated", "b.d")
    assert [r["id"] for r in cur] == [f"k{i}" for i in range(100)]


def test_bad_input_fails_clearly_and_keeps_loaded_data(stores: Stores, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "d.csv", ["a,2024-01-01,1", "b,2024-01-02,2"])
    declare(stores, "bad.d", "csv", path, FIELDS)
    assert service.run_job(stores, "bad.d").rows_loaded == 2

    def fails(code: str) -> None:
        run = service.run_job(stores, "bad.d")
        assert run.status == "failed" and run.error_code == code, (run.error_code, run.error_en)
        assert run.error_en and run.error_zh and run.error_en != run.error_zh
        assert [r["id"] for r in rows(stores, "curated", "bad.d")] == ["a", "b"]

    path.write_bytes(b"")
    fails("source_empty")
    path.write_bytes(b"id,day,n\n\x80\xff\xfe\x81,2024,1\n")
    fails("encoding_unknown")
    path.write_text("id,day,count\na,2024-01-01,1\n", encoding="utf-8")
    fails("schema_changed")
    path.write_text("id,day,n\n", encoding="utf-8")
    fails("empty_delivery")
    path.unlink()
    fails("source_missing")
    with session_scope(stores.sessions) as s:
        job = service.get_job(s, "bad.d")
        job.connector, job.location = "sql", "postgresql+psycopg://nobody@127.0.0.1:1/none"
        service.update_job(s, "bad.d", JobUpdate(options={"table": "t"}))
    fails("source_unreachable")


def test_schedule_runs_what_is_due(stores: Stores, tmp_path: Path) -> None:
    from datetime import UTC, datetime, timedelta

    path = write_csv(tmp_path / "d.csv", ["a,2024-01-01,1"])
    declare(stores, "s.daily", "csv", path, FIELDS, update_cycle="daily")
    declare(stores, "s.never", "csv", path, FIELDS, update_cycle="irregular")
    with session_scope(stores.sessions) as s:
        assert [j.id for j in service.due_jobs(s)] == ["s.daily"]
    service.run_job(stores, "s.daily")
    with session_scope(stores.sessions) as s:
        assert service.due_jobs(s) == []
        tomorrow = datetime.now(UTC) + timedelta(hours=25)
        assert [j.id for j in service.due_jobs(s, tomorrow)] == ["s.daily"]


def test_late_bad_values_are_caught_in_the_same_scan(stores: Stores, tmp_path: Path) -> None:
    """The sample is clean, so DuckDB's reader types the columns itself; values it refuses
    further down are re-read with the full rules or quarantined, rows numbered as delivered."""
    lines = [f"k{i},2024-01-01,{i}" for i in range(4000)]  # well past the 64 KB sample
    lines[3000] = "k3000,20240131,3000"  # not ISO, still a date
    lines[3001] = "k3001,2024-01-01,many"  # not an integer
    lines[3002] = "k3002,2024-01-01"  # ragged
    path = write_csv(tmp_path / "late.csv", lines)
    declare(stores, "late.d", "csv", path, FIELDS)
    run = service.run_job(stores, "late.d")
    assert (run.rows_read, run.rows_loaded, run.rows_quarantined) == (4000, 3998, 2)
    cur = {r["_cb_row"]: r for r in rows(stores, "curated", "late.d")}
    assert str(cur[3000]["day"]) == "2024-01-31" and cur[3003]["id"] == "k3003"
    assert 3001 not in cur and 3002 not in cur and cur[3999]["n"] == 3999
    bad, _ = service.quarantine(stores.lake, "late.d")
    assert [(b["row_number"], b["reason_code"], b["column_name"]) for b in bad] == [
        (3001, "type_invalid", "n"),
        (3002, "unreadable_row", None),
    ]
    raw = rows(stores, "raw", "late.d")
    assert len(raw) == 3999 and raw[3001]["n"] == "many" and raw[3002]["_cb_row"] == 3003


def test_raw_zone_is_a_view_over_kept_files(stores: Stores, tmp_path: Path) -> None:
    """raw.<t> reads files kept beside the lake (a GBK delivery transcoded once); a replaced
    delivery's file is deleted, and the source file may change without touching raw."""
    path = tmp_path / "g.csv"
    path.write_bytes("id,day,n\n甲,2024-01-01,1\n乙,2024-01-02,2\n".encode("gbk"))
    declare(stores, "gbk.d", "csv", path, FIELDS)
    assert service.run_job(stores, "gbk.d").rows_loaded == 2
    kind = (
        stores.lake.query(
            "SELECT table_type FROM information_schema.tables "
            "WHERE table_schema = 'raw' AND table_name = 'gbk__d'"
        )
        .column(0)[0]
        .as_py()
    )
    assert kind == "VIEW"
    files_dir = stores.lake.path.parent / f"{stores.lake.path.stem}.raw" / "gbk__d"
    (kept,) = list(files_dir.iterdir())
    assert kept.read_text(encoding="utf-8").startswith("id,day,n\n甲")
    path.write_bytes("id,day,n\n丙,2024-01-03,3\n".encode("gbk"))
    assert [r["id"] for r in rows(stores, "raw", "gbk.d")] == ["甲", "乙"]  # raw is a copy
    assert service.run_job(stores, "gbk.d").rows_loaded == 1
    assert [p.name for p in files_dir.iterdir()] != [kept.name] and not kept.exists()
    assert [r["id"] for r in rows(stores, "raw", "gbk.d")] == ["丙"]


def test_raw_table_of_an_older_lake_is_kept_by_an_incremental_load(
    stores: Stores, tmp_path: Path
) -> None:
    lines = [f"k{i},2024-01-01,{i}" for i in range(5)]
    path = write_csv(tmp_path / "o.csv", lines)
    declare(stores, "old.d", "csv", path, FIELDS, mode="key", key_columns=["id"])
    assert service.run_job(stores, "old.d").rows_loaded == 5
    with stores.lake.writer() as con:  # what a lake written before raw files looked like
        con.execute('CREATE TABLE raw._o AS SELECT * FROM raw."old__d"')
        con.execute('DROP VIEW raw."old__d"')
        con.execute('ALTER TABLE raw._o RENAME TO "old__d"')
    lines[2] = "k2,2024-02-02,22"
    write_csv(path, lines)
    assert service.run_job(stores, "old.d").rows_loaded == 1
    raw = [(r["id"], r["n"]) for r in rows(stores, "raw", "old.d")]
    assert len(raw) == 6 and ("k2", "2") in raw and ("k2", "22") in raw
