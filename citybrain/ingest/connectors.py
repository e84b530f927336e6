"""Connectors: read a source as delivered, as text, with a row number for every record.

CSV has a fast path (:func:`receive_csv` + DuckDB ``read_csv`` in the loader): encoding
detection on a sample, then ONE pass over the bytes that hashes them and writes the copy the raw
zone keeps (GBK/GB18030 transcoded to UTF-8 in large chunks), delimiter and header sniffed.
Every other source is a :class:`Connector` that yields Arrow tables of text
columns in batches (Excel, JSON, NDJSON, Parquet, any SQLAlchemy URL, paged HTTP JSON APIs);
records that cannot be read are reported as :class:`BadRow`, never dropped.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import io
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa

from citybrain import text_encoding
from citybrain.ingest.errors import SourceError, SourceUnreachable

CHUNK_BYTES = 8 << 20
BATCH_ROWS = 50_000
ROW = "_cb_row"


@dataclass
class BadRow:
    """A record that could not be read: its row number, a reason and the text as delivered."""

    row: int
    code: str
    reason_en: str
    reason_zh: str
    value: str
    line: int | None = None


@dataclass
class Batch:
    table: pa.Table  # ``_cb_row`` BIGINT + delivered columns as strings
    bad: list[BadRow] = field(default_factory=list)


# --------------------------------------------------------------------------- files


def require_file(path: Path) -> Path:
    if not path.is_file():
        raise SourceError(
            "source_missing",
            f"source file {path.name} not found",
            f"源文件 {path.name} 不存在",
            path=str(path),
        )
    if path.stat().st_size == 0:
        raise SourceError(
            "source_empty",
            f"source file {path.name} is empty (0 bytes); nothing was loaded or changed",
            f"源文件 {path.name} 为空(0 字节),未汇聚也未改动已有数据",
            path=str(path),
        )
    return path


def file_fingerprint(path: Path) -> str:
    """SHA-256 of the file's bytes (hashlib releases the GIL on large buffers)."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(CHUNK_BYTES):
            digest.update(chunk)
    return "sha256:" + digest.hexdigest()


def detect_encoding(path: Path, declared: str | None = None) -> str:
    """The encoding that decodes the file's first megabyte strictly (``text_encoding.sniff``:
    a byte-order mark, the declared encoding, UTF-8, GB18030)."""
    encoding = text_encoding.sniff(path, declared)
    if encoding is not None:
        return encoding
    candidates = text_encoding.candidates(declared)
    raise SourceError(
        "encoding_unknown",
        f"cannot tell the text encoding of {path.name}: it is not valid "
        f"{', '.join(candidates)}; declare the encoding in the catalog entry",
        f"无法识别 {path.name} 的字符编码(既非 {'、'.join(candidates)}),"
        "请在目录条目中声明编码",
        path=str(path),
    )


@dataclass
class CsvLayout:
    path: Path  # the UTF-8 copy kept in the lake's raw files (DuckDB reads it)
    encoding: str  # encoding as delivered
    delimiter: str
    header: bool
    columns: list[str]
    fingerprint: str  # sha256 of the delivered bytes (before any transcoding)


def receive_csv(path: Path, options: dict[str, Any], declared: list[str], dest: Path) -> CsvLayout:
    """Take a CSV delivery in ONE pass over its bytes: hash them (the fingerprint) and write the
    copy the raw zone keeps (UTF-8 as is, GBK/GB18030 transcoded in large chunks), then sniff
    delimiter and header on the copy. The copy is removed again if the delivery is refused."""
    require_file(path)
    encoding = detect_encoding(path, options.get("encoding"))
    dest.parent.mkdir(parents=True, exist_ok=True)
    try:
        fingerprint = _copy_hashing(path, encoding, dest)
        with dest.open(encoding="utf-8-sig", errors="replace", newline="") as f:
            sample = f.read(64 * 1024)
        if not sample.strip():
            raise SourceError(
                "source_empty",
                f"source file {path.name} holds no data",
                f"源文件 {path.name} 没有数据",
            )
        delimiter = options.get("delimiter") or _sniff_delimiter(sample)
        first = next(csv.reader(io.StringIO(sample), delimiter=delimiter), [])
        header = options.get("header")
        if header is None:
            header = _looks_like_header(first, declared, sample, delimiter)
        if header:
            columns = [c.strip() for c in first]
        elif declared and len(declared) == len(first):
            columns = list(declared)
        else:
            columns = [f"column{i + 1}" for i in range(len(first))]
    except BaseException:
        dest.unlink(missing_ok=True)
        raise
    return CsvLayout(dest, encoding, delimiter, bool(header), columns, fingerprint)


def _copy_hashing(path: Path, encoding: str, dest: Path) -> str:
    """SHA-256 of ``path`` while copying it to ``dest`` as UTF-8 (strict, with byte offset).

    UTF-8 is copied by the kernel in a thread while this one hashes (both release the GIL);
    a file that changes meanwhile is refused rather than kept inconsistent with its hash."""
    if encoding in ("utf-8", "utf-8-sig"):
        before = path.stat()
        copier = threading.Thread(target=shutil.copyfile, args=(path, dest))
        copier.start()
        try:
            with path.open("rb") as f:
                digest = hashlib.file_digest(f, "sha256")
        finally:
            copier.join()
        after = path.stat()
        if (before.st_size, before.st_mtime_ns) != (after.st_size, after.st_mtime_ns) or (
            dest.stat().st_size != after.st_size
        ):
            raise SourceError(
                "source_changing",
                f"{path.name} changed while it was being read; run the load again once the "
                "delivery is complete",
                f"{path.name} 在读取过程中发生变化,请在交付完成后重新汇聚",
                path=str(path),
            )
        return "sha256:" + digest.hexdigest()
    digest = hashlib.sha256()
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    offset = 0
    with path.open("rb") as src, dest.open("wb") as dst:
        while True:
            chunk = src.read(CHUNK_BYTES)
            digest.update(chunk)
            try:
                text = decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as e:
                raise SourceError(
                    "encoding_invalid",
                    f"{path.name} is not valid {encoding} at byte {offset + e.start}",
                    f"{path.name} 在第 {offset + e.start} 字节处不是合法的 {encoding} 编码",
                    path=str(path),
                ) from e
            dst.write(text.encode("utf-8"))
            if not chunk:
                break
            offset += len(chunk)
    return "sha256:" + digest.hexdigest()


def sample_rows(layout: CsvLayout, limit: int = 2000) -> list[list[str]]:
    """The first data rows of the copy, parsed by Python's csv (for type sniffing)."""
    with layout.path.open(encoding="utf-8-sig", errors="replace", newline="") as f:
        sample = f.read(64 * 1024)
    lines = sample.splitlines(keepends=True)
    if len(sample) == 64 * 1024 and len(lines) > 1:
        lines = lines[:-1]  # the last line may be cut
    rows = list(csv.reader(io.StringIO("".join(lines)), delimiter=layout.delimiter))
    return rows[1 if layout.header else 0 :][:limit]


def parse_line(text: str, delimiter: str) -> list[str] | None:
    """One delivered CSV record (as DuckDB's rejects table keeps it) split into fields."""
    rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    return rows[0] if len(rows) == 1 else None


def _sniff_delimiter(sample: str) -> str:
    try:
        return csv.Sniffer().sniff(sample[:16384], delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


def _looks_like_header(first: list[str], declared: list[str], sample: str, delim: str) -> bool:
    if declared:
        return len(set(first) & set(declared)) * 2 >= max(1, len(first))
    try:
        return csv.Sniffer().has_header(sample[:16384])
    except csv.Error:
        return True


# --------------------------------------------------------------------------- batches


def _text(value: Any) -> str | None:
    """A delivered value as text: what a person would read in the source."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, int | Decimal):
        return str(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0) and value.tzinfo is None:
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def records_to_table(columns: list[str], rows: list[list[Any]], first_row: int) -> pa.Table:
    data: dict[str, pa.Array] = {ROW: pa.array(range(first_row, first_row + len(rows)), pa.int64())}
    for i, name in enumerate(columns):
        data[name] = pa.array([_text(r[i]) if i < len(r) else None for r in rows], pa.string())
    return pa.table(data)


class Connector:
    """A batch source. ``fingerprint`` is known up front for files, ``None`` otherwise."""

    fingerprint: str | None = None

    def batches(self, skip: int = 0) -> Iterator[Batch]:
        """Batches in delivery order; the first ``skip`` are read but not yielded (resume)."""
        raise NotImplementedError


def _dict_batches(
    records: Iterator[tuple[int, Any, str | None]], batch_rows: int, skip: int
) -> Iterator[Batch]:
    """Batches from ``(row, record, raw_text)``; non-object records become bad rows."""
    columns: list[str] = []
    rows: list[list[Any]] = []
    numbers: list[int] = []
    bad: list[BadRow] = []
    index = 0

    def flush() -> Batch:
        table = records_to_table(columns, rows, 0)
        table = table.set_column(0, ROW, pa.array(numbers, pa.int64()))
        return Batch(table, list(bad))

    for row, record, raw in records:
        if isinstance(record, dict):
            for key in record:
                if key not in columns:
                    columns.append(key)
            rows.append([record.get(c) for c in columns])
            numbers.append(row)
        elif isinstance(record, BadRow):
            bad.append(record)
        else:
            bad.append(
                BadRow(
                    row,
                    "not_an_object",
                    "record is not a JSON object",
                    "记录不是 JSON 对象",
                    raw or _text(record) or "",
                )
            )
        if len(rows) + len(bad) >= batch_rows:
            if index >= skip:
                yield flush()
            index += 1
            rows, numbers, bad = [], [], []
    if rows or bad or index == 0:
        if index >= skip:
            yield flush()


class NdjsonConnector(Connector):
    def __init__(self, path: Path, options: dict[str, Any]) -> None:
        self.path = require_file(path)
        self.encoding = detect_encoding(path, options.get("encoding"))
        self.batch_rows = int(options.get("batch_rows", BATCH_ROWS))
        self.fingerprint = file_fingerprint(path)

    def _records(self) -> Iterator[tuple[int, Any, str | None]]:
        row = 0
        with self.path.open(encoding=self.encoding) as f:
            for line_no, line in enumerate(f, start=1):
                if not line.strip():
                    continue
                try:
                    yield row, orjson.loads(line), line
                except orjson.JSONDecodeError as e:
                    yield (
                        row,
                        BadRow(
                            row,
                            "json_invalid",
                            f"not valid JSON: {e}",
                            "不是合法的 JSON",
                            line.rstrip("\n"),
                            line_no,
                        ),
                        line,
                    )
                row += 1

    def batches(self, skip: int = 0) -> Iterator[Batch]:
        return _dict_batches(self._records(), self.batch_rows, skip)


class JsonConnector(Connector):
    """A JSON document: a list of records, or an envelope such as ``{"data": [...]}``."""

    def __init__(self, path: Path, options: dict[str, Any]) -> None:
        self.path = require_file(path)
        self.record_path = options.get("record_path")
        self.batch_rows = int(options.get("batch_rows", BATCH_ROWS))
        self.fingerprint = file_fingerprint(path)

    def batches(self, skip: int = 0) -> Iterator[Batch]:
        encoding = detect_encoding(self.path)
        try:
            doc = orjson.loads(self.path.read_text(encoding=encoding))
        except orjson.JSONDecodeError as e:
            raise SourceError(
                "json_invalid",
                f"{self.path.name} is not valid JSON: {e}",
                f"{self.path.name} 不是合法的 JSON",
                path=str(self.path),
            ) from e
        records = find_records(doc, self.record_path, self.path.name)
        return _dict_batches(((i, r, None) for i, r in enumerate(records)), self.batch_rows, skip)


def find_records(doc: Any, record_path: str | None, name: str) -> list[Any]:
    """The record list of a JSON document: at ``record_path`` (dotted), or found by shape."""
    if record_path:
        node = doc
        for part in record_path.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        if isinstance(node, list):
            return node
    elif isinstance(doc, list):
        return doc
    elif isinstance(doc, dict):
        for key in ("data", "records", "items", "rows", "result", "list"):
            if isinstance(doc.get(key), list):
                return doc[key]
            if isinstance(doc.get(key), dict):
                inner = find_records(doc[key], None, name)
                if inner:
                    return inner
        for value in doc.values():
            if isinstance(value, list) and value and isinstance(value[0], dict):
                return value
        return []
    raise SourceError(
        "json_no_records",
        f"{name}: no list of records found" + (f" at {record_path}" if record_path else ""),
        f"{name}:未找到记录列表" + (f"(路径 {record_path})" if record_path else ""),
    )


class ExcelConnector(Connector):
    def __init__(self, path: Path, options: dict[str, Any]) -> None:
        self.path = require_file(path)
        self.sheet = options.get("sheet")
        self.batch_rows = int(options.get("batch_rows", BATCH_ROWS))
        self.fingerprint = file_fingerprint(path)

    def batches(self, skip: int = 0) -> Iterator[Batch]:
        from openpyxl import load_workbook

        try:
            book = load_workbook(self.path, read_only=True, data_only=True)
        except Exception as e:  # openpyxl raises several types for a broken workbook
            raise SourceError(
                "excel_invalid",
                f"{self.path.name} is not a readable Excel workbook: {e}",
                f"{self.path.name} 不是可读取的 Excel 工作簿",
                path=str(self.path),
            ) from e
        try:
            sheet = book[self.sheet] if self.sheet else book.worksheets[0]
            rows = sheet.iter_rows(values_only=True)
            header = next(rows, None)
            if header is None:
                return
            columns = [
                str(h).strip() if h is not None else f"column{i + 1}" for i, h in enumerate(header)
            ]
            chunk: list[list[Any]] = []
            first, index = 0, 0
            for row in rows:
                if all(v is None for v in row):
                    continue
                chunk.append(list(row))
                if len(chunk) >= self.batch_rows:
                    if index >= skip:
                        yield Batch(records_to_table(columns, chunk, first))
                    first, index, chunk = first + len(chunk), index + 1, []
            if chunk or index == 0:
                if index >= skip:
                    yield Batch(records_to_table(columns, chunk, first))
        finally:
            book.close()


class ParquetConnector(Connector):
    def __init__(self, path: Path, options: dict[str, Any]) -> None:
        self.path = require_file(path)
        self.batch_rows = int(options.get("batch_rows", BATCH_ROWS))
        self.fingerprint = file_fingerprint(path)

    def batches(self, skip: int = 0) -> Iterator[Batch]:
        import pyarrow.compute as pc
        import pyarrow.parquet as pq

        try:
            pf = pq.ParquetFile(self.path)
        except pa.ArrowInvalid as e:
            raise SourceError(
                "parquet_invalid",
                f"{self.path.name} is not a readable Parquet file: {e}",
                f"{self.path.name} 不是可读取的 Parquet 文件",
                path=str(self.path),
            ) from e
        first = 0
        for index, batch in enumerate(pf.iter_batches(batch_size=self.batch_rows)):
            if index >= skip:
                data: dict[str, pa.Array] = {
                    ROW: pa.array(range(first, first + batch.num_rows), pa.int64())
                }
                for name, column in zip(batch.schema.names, batch.columns, strict=True):
                    try:
                        data[name] = pc.cast(column, pa.string())
                    except (pa.ArrowNotImplementedError, pa.ArrowInvalid):
                        data[name] = pa.array([_text(v) for v in column.to_pylist()], pa.string())
                yield Batch(pa.table(data))
            first += batch.num_rows


class SqlConnector(Connector):
    """Any SQLAlchemy URL: a table (optionally filtered by watermark) or a query."""

    def __init__(self, url: str, options: dict[str, Any], watermark: tuple[str, str] | None):
        self.url = url
        self.table = options.get("table")
        self.query = options.get("query")
        self.batch_rows = int(options.get("batch_rows", BATCH_ROWS))
        self.watermark = watermark
        if not self.table and not self.query:
            raise SourceError(
                "sql_no_table",
                "a SQL source needs a table or a query",
                "数据库数据源需指定表名或查询语句",
            )

    def _statement(self, engine: Any) -> Any:
        from sqlalchemy import column, select, table, text

        if self.table:
            source = table(self.table).alias("src")
            stmt = select(text("*")).select_from(source)
        else:
            source = text(self.query).columns().subquery("src")  # type: ignore[arg-type]
            stmt = select(text("*")).select_from(source)
        if self.watermark:
            col, value = self.watermark
            stmt = stmt.where(column(col, _selectable=source) > value)
        return stmt

    def batches(self, skip: int = 0) -> Iterator[Batch]:
        from sqlalchemy import create_engine, exc

        engine = create_engine(self.url, pool_pre_ping=False)
        backend = engine.url.get_backend_name()
        try:
            with engine.connect() as conn:
                result = conn.execution_options(stream_results=True).execute(
                    self._statement(engine)
                )
                columns = list(result.keys())
                first, index = 0, 0
                while True:
                    rows = result.fetchmany(self.batch_rows)
                    if not rows and index > 0:
                        break
                    if index >= skip:
                        yield Batch(records_to_table(columns, [list(r) for r in rows], first))
                    first, index = first + len(rows), index + 1
                    if not rows:
                        break
        except exc.OperationalError as e:
            raise SourceUnreachable(
                f"source database ({backend}) is unreachable or refused the read: "
                f"{_first_line(e.orig or e)}",
                f"源数据库({backend})无法连接或拒绝读取",
                backend=backend,
            ) from e
        except exc.SQLAlchemyError as e:
            raise SourceError(
                "sql_error",
                f"source database ({backend}) query failed: {_first_line(e)}",
                f"源数据库({backend})查询失败",
                backend=backend,
            ) from e
        finally:
            engine.dispose()


class HttpConnector(Connector):
    """A paged JSON API: ``?page=N&size=M``, records at ``record_path`` (default: found)."""

    def __init__(self, url: str, options: dict[str, Any], watermark: tuple[str, str] | None):
        self.url = url
        self.page_param = options.get("page_param", "page")
        self.size_param = options.get("size_param", "size")
        self.page_size = int(options.get("page_size", 500))
        self.start_page = int(options.get("start_page", 1))
        self.record_path = options.get("record_path")
        self.since_param = options.get("since_param")
        self.headers = options.get("headers") or {}
        self.max_pages = int(options.get("max_pages", 100_000))
        self.watermark = watermark

    def batches(self, skip: int = 0) -> Iterator[Batch]:
        import httpx

        first = skip * self.page_size  # pages are fixed-size, so rows before page N are known
        columns: list[str] = []
        with httpx.Client(timeout=30, headers=self.headers) as client:
            for index in range(skip, self.max_pages):
                params: dict[str, Any] = {
                    self.page_param: self.start_page + index,
                    self.size_param: self.page_size,
                }
                if self.since_param and self.watermark:
                    params[self.since_param] = self.watermark[1]
                try:
                    response = client.get(self.url, params=params)
                except httpx.HTTPError as e:
                    raise SourceUnreachable(
                        f"source API is unreachable: {type(e).__name__}",
                        "源接口无法访问",
                        url=self.url.split("?")[0],
                    ) from e
                if response.status_code >= 400:
                    raise SourceError(
                        "http_status",
                        f"source API answered HTTP {response.status_code}",
                        f"源接口返回 HTTP {response.status_code}",
                        status=response.status_code,
                    )
                try:
                    doc = response.json()
                except ValueError as e:
                    raise SourceError(
                        "json_invalid", "source API did not answer JSON", "源接口返回的不是 JSON"
                    ) from e
                records = find_records(doc, self.record_path, "API")
                rows, bad = [], []
                for offset, record in enumerate(records):
                    if isinstance(record, dict):
                        for key in record:
                            if key not in columns:
                                columns.append(key)
                        rows.append(record)
                    else:
                        bad.append(
                            BadRow(
                                first + offset,
                                "not_an_object",
                                "record is not a JSON object",
                                "记录不是 JSON 对象",
                                _text(record) or "",
                            )
                        )
                table = records_to_table(columns, [[r.get(c) for c in columns] for r in rows], 0)
                numbers = [first + i for i, r in enumerate(records) if isinstance(r, dict)]
                table = table.set_column(0, ROW, pa.array(numbers, pa.int64()))
                if records or index == skip:
                    yield Batch(table, bad)
                first += len(records)
                if len(records) < self.page_size:
                    break


def _first_line(e: BaseException) -> str:
    return (str(e).strip().splitlines() or [type(e).__name__])[0][:200]
