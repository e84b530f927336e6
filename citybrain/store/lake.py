"""The lake: dataset rows, base registries and telemetry history, worked on set-wise.

The embedded engine is DuckDB over one file plus Parquet in the data dir. DuckDB allows one
read-write connection per file per process; this handle owns it, serialises writes through a
lock and hands readers their own cursors (cheap, thread-safe). Spark plugs in behind the same
:class:`LakeEngine` protocol over the same Parquet files, so domain code never asks which engine
it runs on.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

import duckdb
import pyarrow as pa

from citybrain.errors import InvalidInput, StoreUnavailable

ZONES: tuple[str, ...] = ("raw", "curated", "registry")

#: What a failing query over the lake raises. DuckDB cuts some messages (a JSON conversion
#: error quotes the value) at a byte count, inside a Chinese character: the Python binding
#: then raises UnicodeDecodeError instead of the DuckDB error.
QUERY_ERRORS: tuple[type[Exception], ...] = (duckdb.Error, UnicodeDecodeError)


def query_error_text(e: BaseException) -> str:
    """The first line of a failed query's message, or a note that it cannot be read."""
    if isinstance(e, UnicodeDecodeError):
        return ("the query failed; DuckDB's message was cut inside a character and cannot be "
                "read / 查询出错(错误信息被截断, 无法解码)")
    return (str(e).strip().splitlines() or [type(e).__name__])[0][:500]


def quote_ident(name: str) -> str:
    """Quote an SQL identifier; the one place identifiers enter SQL text."""
    if not name or "\x00" in name:
        raise InvalidInput(f"invalid identifier {name!r}", f"非法标识符 {name!r}")
    return '"' + name.replace('"', '""') + '"'


def qualified(schema: str, table: str) -> str:
    return f"{quote_ident(schema)}.{quote_ident(table)}"


def table_rows(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> int:
    """Rows of a lake table from DuckDB's metadata (its estimate); a view (the raw zone's
    Parquet deliveries) is counted, which Parquet answers from its footers."""
    size = con.execute(
        "SELECT max(estimated_size) FROM duckdb_tables() WHERE schema_name = ? "
        "AND table_name = ?", [schema, table]).fetchall()[0][0]
    if size is None:
        size = con.execute(f"SELECT count(*) FROM {qualified(schema, table)}").fetchall()[0][0]
    return int(size)


class LakeEngine(Protocol):
    """What domains may ask of a lake engine (DuckDB now, Spark at scale)."""

    def query(self, sql: str, params: Sequence[Any] | None = None) -> pa.Table: ...

    def write_arrow(
        self,
        schema: str,
        table: str,
        data: pa.Table | pa.RecordBatchReader,
        mode: str = "replace",
    ) -> int: ...

    def register_parquet(self, schema: str, view: str, path: Path | str) -> None: ...

    def ping(self) -> None: ...

    def close(self) -> None: ...


class DuckDBLake:
    """DuckDB lake over one database file; safe to share across threads of one process."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._con: duckdb.DuckDBPyConnection | None = None
        self._lock = threading.RLock()

    def _connection(self) -> duckdb.DuckDBPyConnection:
        if self._con is None:
            with self._lock:
                if self._con is None:
                    self.path.parent.mkdir(parents=True, exist_ok=True)
                    try:
                        con = duckdb.connect(str(self.path))
                    except duckdb.IOException as e:
                        raise StoreUnavailable(
                            f"lake file {self.path.name} cannot be opened "
                            "(another process may hold it): " + str(e).splitlines()[0],
                            f"数据湖文件 {self.path.name} 无法打开(可能被其他进程占用)",
                        ) from e
                    for zone in ZONES:
                        con.execute(f"CREATE SCHEMA IF NOT EXISTS {quote_ident(zone)}")
                    self._con = con
        return self._con

    @contextmanager
    def writer(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """The single write connection, held under a lock for the duration of the block."""
        with self._lock:
            yield self._connection()

    @contextmanager
    def reader(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A private cursor for reading; many may be open at once."""
        cursor = self._connection().cursor()
        try:
            yield cursor
        finally:
            cursor.close()

    def query(self, sql: str, params: Sequence[Any] | None = None) -> pa.Table:
        with self.reader() as cur:
            return cur.sql(sql, params=list(params) if params else None).to_arrow_table()

    def write_arrow(
        self,
        schema: str,
        table: str,
        data: pa.Table | pa.RecordBatchReader,
        mode: str = "replace",
    ) -> int:
        """Write Arrow data into ``schema.table``; ``mode`` is replace or append. A record-batch
        reader is streamed (a table of millions of wide rows need not be held twice)."""
        if mode not in ("replace", "append"):
            raise InvalidInput(f"unknown write mode {mode!r}", f"未知写入模式 {mode!r}")
        target = qualified(schema, table)
        with self.writer() as con:
            con.execute(f"CREATE SCHEMA IF NOT EXISTS {quote_ident(schema)}")
            if mode == "append":
                # the table is created from the schema alone: a reader can be read only once
                con.register("_incoming", data.schema.empty_table())
                try:
                    con.execute(f"CREATE TABLE IF NOT EXISTS {target} AS SELECT * FROM _incoming")
                finally:
                    con.unregister("_incoming")
            con.register("_incoming", data)
            try:
                if mode == "replace":
                    sql = f"CREATE OR REPLACE TABLE {target} AS SELECT * FROM _incoming"
                else:
                    sql = f"INSERT INTO {target} BY NAME SELECT * FROM _incoming"
                # both statements answer with the number of rows they wrote
                return int(con.execute(sql).fetchall()[0][0])
            finally:
                con.unregister("_incoming")

    def register_parquet(self, schema: str, view: str, path: Path | str) -> None:
        """Expose Parquet file(s) (a path or glob) as a view, without copying them."""
        with self.writer() as con:
            con.execute(f"CREATE SCHEMA IF NOT EXISTS {quote_ident(schema)}")
            con.execute(
                f"CREATE OR REPLACE VIEW {qualified(schema, view)} AS "
                f"SELECT * FROM read_parquet({_sql_string(str(path))})"
            )

    def tables(self) -> list[tuple[str, str]]:
        rows = self.query(
            "SELECT table_schema, table_name FROM information_schema.tables "
            "WHERE table_schema IN ('raw', 'curated', 'registry') ORDER BY 1, 2"
        )
        return list(zip(rows.column(0).to_pylist(), rows.column(1).to_pylist(), strict=True))

    def ping(self) -> None:
        self.query("SELECT 1")

    def close(self) -> None:
        with self._lock:
            if self._con is not None:
                self._con.close()
                self._con = None


def _sql_string(value: str) -> str:
    """A single-quoted SQL string literal, for the few DuckDB table functions that take no
    bound parameters in a view definition."""
    return "'" + value.replace("'", "''") + "'"


def open_lake(engine: str, path: Path) -> DuckDBLake:
    """The lake for the configured engine."""
    if engine == "duckdb":
        return DuckDBLake(path)
    raise InvalidInput(
        f"lake engine {engine!r} is not available in this build; use 'duckdb'",
        f"此版本不支持数据湖引擎 {engine!r},请使用 'duckdb'",
    )
