"""Writers for the department formats, each producing byte-identical files for a seed.

Wall-clock time never reaches a file: Excel core properties and zip entry dates are fixed,
SQLite is written in one deterministic order without a journal.
"""

from __future__ import annotations

import io
import re
import sqlite3
import zipfile
from pathlib import Path

import orjson
import pyarrow as pa
import pyarrow.csv as pacsv
from openpyxl import Workbook

from citybrain.simulate.config import FIXED_TIMESTAMP

ZIP_DATE = (2024, 12, 31, 0, 0, 0)
FIXED_ISO = FIXED_TIMESTAMP.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
CHUNK = 200_000


def write_csv(table: pa.Table, path: Path, encoding: str = "utf-8") -> None:
    """CSV with a header; non-UTF-8 encodings are produced by transcoding the UTF-8 text."""
    opts = pacsv.WriteOptions(include_header=True, quoting_style="needed")
    if encoding.lower() in ("utf-8", "utf8"):
        pacsv.write_csv(table, str(path), write_options=opts)
        return
    with path.open("wb") as f:
        for i, start in enumerate(range(0, max(table.num_rows, 1), CHUNK)):
            buf = io.BytesIO()
            part = table.slice(start, CHUNK)
            pacsv.write_csv(part, buf, write_options=pacsv.WriteOptions(
                include_header=i == 0, quoting_style="needed"))
            f.write(buf.getvalue().decode("utf-8").encode(encoding, errors="replace"))


def write_ndjson(table: pa.Table, path: Path) -> None:
    """One JSON object per line; nulls kept as JSON null."""
    with path.open("wb") as f:
        for batch in table.to_batches(CHUNK):
            f.write(b"".join(orjson.dumps(r) + b"\n" for r in batch.to_pylist()))


def write_json_document(table: pa.Table, path: Path) -> None:
    """A paged-API style dump: {"code": 0, "msg": "success", "total": n, "data": [...]}."""
    doc = {"code": 0, "msg": "success", "total": table.num_rows, "data": table.to_pylist()}
    path.write_bytes(orjson.dumps(doc, option=orjson.OPT_INDENT_2))


def write_xlsx(table: pa.Table, path: Path, sheet: str) -> None:
    """A write-only workbook with fixed properties, then re-zipped with fixed entry dates."""
    wb = Workbook(write_only=True)
    wb.properties.created = FIXED_TIMESTAMP
    wb.properties.modified = FIXED_TIMESTAMP
    wb.properties.creator = "citybrain-simulate"
    ws = wb.create_sheet(sheet)
    ws.append(table.column_names)
    for batch in table.to_batches(CHUNK):
        for row in zip(*(c.to_pylist() for c in batch.columns), strict=True):
            ws.append(list(row))
    buf = io.BytesIO()
    wb.save(buf)
    _fix_zip(buf.getvalue(), path)


def _fix_zip(data: bytes, path: Path) -> None:
    src = zipfile.ZipFile(io.BytesIO(data))
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=ZIP_DATE)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":  # openpyxl stamps "modified" on save
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                              rb"\g<1>" + FIXED_ISO + rb"\g<2>", data)
            dst.writestr(fixed, data)


def write_sqlite(tables: dict[str, tuple[pa.Table, dict[str, str]]], path: Path) -> None:
    """One department database; ``tables`` maps name → (rows, {column: SQL type})."""
    if path.exists():
        path.unlink()
    con = sqlite3.connect(path)
    try:
        con.execute("PRAGMA journal_mode=OFF")
        con.execute("PRAGMA synchronous=OFF")
        con.execute("PRAGMA page_size=4096")
        for name, (table, types) in tables.items():
            cols = ", ".join(f'"{c}" {types.get(c, "TEXT")}' for c in table.column_names)
            con.execute(f'CREATE TABLE "{name}" ({cols})')
            marks = ", ".join("?" * table.num_columns)
            for batch in table.to_batches(CHUNK):
                con.executemany(f'INSERT INTO "{name}" VALUES ({marks})',
                                zip(*(c.to_pylist() for c in batch.columns), strict=True))
            con.commit()
    finally:
        con.close()
