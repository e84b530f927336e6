from __future__ import annotations

import threading
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from citybrain.errors import InvalidInput
from citybrain.store.lake import DuckDBLake, open_lake, quote_ident


def test_write_replace_append_and_query(tmp_path: Path) -> None:
    lake = DuckDBLake(tmp_path / "lake.duckdb")
    data = pa.table({"id": [1, 2, 3], "name": ["甲", "乙", "丙"]})
    assert lake.write_arrow("raw", "people", data) == 3
    lake.write_arrow("raw", "people", pa.table({"id": [4], "name": ["丁"]}), mode="append")
    result = lake.query('SELECT count(*) AS n, max(id) AS m FROM raw."people"')
    assert result.to_pylist() == [{"n": 4, "m": 4}]
    lake.write_arrow("raw", "people", data, mode="replace")
    assert lake.query("SELECT count(*) AS n FROM raw.people").to_pylist() == [{"n": 3}]
    assert ("raw", "people") in lake.tables()
    lake.close()


def test_a_record_batch_reader_is_streamed_whole(tmp_path: Path) -> None:
    """A reader (read once) lands whole, and the count returned is what this write added."""
    lake = DuckDBLake(tmp_path / "lake.duckdb")
    batches = pa.table({"id": list(range(10))}).to_batches(max_chunksize=3)

    def reader() -> pa.RecordBatchReader:
        return pa.RecordBatchReader.from_batches(batches[0].schema, batches)

    assert lake.write_arrow("raw", "streamed", reader(), mode="append") == 10
    assert lake.write_arrow("raw", "streamed", reader(), mode="append") == 10
    assert lake.query("SELECT count(*) AS n FROM raw.streamed").to_pylist() == [{"n": 20}]
    assert lake.write_arrow("raw", "streamed", reader()) == 10
    lake.close()


def test_parameters_are_bound_not_formatted(tmp_path: Path) -> None:
    lake = DuckDBLake(tmp_path / "lake.duckdb")
    lake.write_arrow("raw", "t", pa.table({"name": ["a", "b'; DROP TABLE raw.t; --"]}))
    hit = lake.query("SELECT count(*) AS n FROM raw.t WHERE name = ?", ["b'; DROP TABLE raw.t; --"])
    assert hit.to_pylist() == [{"n": 1}]
    assert lake.query("SELECT count(*) AS n FROM raw.t").to_pylist() == [{"n": 2}]
    lake.close()


def test_register_parquet_as_view_without_copy(tmp_path: Path) -> None:
    path = tmp_path / "rows.parquet"
    pq.write_table(pa.table({"x": list(range(100))}), path)
    lake = DuckDBLake(tmp_path / "lake.duckdb")
    lake.register_parquet("raw", "rows", path)
    assert lake.query("SELECT sum(x) AS s FROM raw.rows").to_pylist() == [{"s": 4950}]
    lake.close()


def test_readers_in_threads_while_writing(tmp_path: Path) -> None:
    lake = DuckDBLake(tmp_path / "lake.duckdb")
    lake.write_arrow("curated", "n", pa.table({"v": list(range(1000))}))
    errors: list[BaseException] = []

    def read() -> None:
        try:
            for _ in range(20):
                assert (
                    lake.query("SELECT count(*) AS c FROM curated.n").column(0)[0].as_py() >= 1000
                )
        except BaseException as e:  # surfaced below
            errors.append(e)

    threads = [threading.Thread(target=read) for _ in range(4)]
    for t in threads:
        t.start()
    for i in range(5):
        lake.write_arrow("curated", "n", pa.table({"v": [1000 + i]}), mode="append")
    for t in threads:
        t.join()
    assert not errors
    lake.close()


def test_identifier_quoting_and_bad_inputs(tmp_path: Path) -> None:
    assert quote_ident('we"ird') == '"we""ird"'
    with pytest.raises(InvalidInput):
        quote_ident("")
    lake = DuckDBLake(tmp_path / "lake.duckdb")
    with pytest.raises(InvalidInput):
        lake.write_arrow("raw", "t", pa.table({"a": [1]}), mode="merge")
    with pytest.raises(InvalidInput):
        open_lake("hive", tmp_path / "x")
    lake.close()
