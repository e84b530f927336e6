"""Each connector on real files and servers, including GBK and broken input."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from openpyxl import Workbook

from citybrain.ingest import service
from citybrain.store.runtime import Stores
from tests.ingest.conftest import declare, rows

PEOPLE = [("姓名", "string"), ("出生日期", "date"), ("人数", "integer")]


def test_gbk_csv_is_detected_and_typed(stores: Stores, tmp_path: Path) -> None:
    path = tmp_path / "hukou.csv"
    text = '姓名,出生日期,人数\n张三,20010713,3\n李四,2004/04/13,1\n"王,五",2004-04-13,\n'
    path.write_bytes(text.encode("gbk"))
    declare(stores, "gongan.hukou", "csv", path, PEOPLE)  # no encoding declared
    run = service.run_job(stores, "gongan.hukou")
    assert run.status == "succeeded", run.error_en
    assert (run.rows_read, run.rows_loaded, run.rows_quarantined) == (3, 3, 0)
    assert run.source_fingerprint.startswith("sha256:")
    cur = rows(stores, "curated", "gongan.hukou")
    assert [r["姓名"] for r in cur] == ["张三", "李四", "王,五"]
    assert cur[0]["出生日期"] == dt.date(2001, 7, 13) and cur[1]["出生日期"] == dt.date(2004, 4, 13)
    assert cur[0]["人数"] == 3 and cur[2]["人数"] is None
    raw = rows(stores, "raw", "gongan.hukou")
    assert raw[0]["出生日期"] == "20010713" and [r["_cb_row"] for r in raw] == [0, 1, 2]


def test_headerless_semicolon_csv_takes_declared_names(stores: Stores, tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("赵六;1990-01-02;2\n钱七;1991-02-03;4\n", encoding="utf-8")
    declare(stores, "a.semi", "csv", path, PEOPLE)
    assert service.run_job(stores, "a.semi").status == "succeeded"
    assert [r["人数"] for r in rows(stores, "curated", "a.semi")] == [2, 4]


def test_excel(stores: Stores, tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["姓名", "出生日期", "人数"])
    sheet.append(["张三", dt.datetime(2001, 7, 13), 3])
    sheet.append(["李四", "not a date", 1.0])
    book.save(tmp_path / "m.xlsx")
    declare(stores, "minzheng.m", "xlsx", tmp_path / "m.xlsx", PEOPLE)
    run = service.run_job(stores, "minzheng.m")
    assert (run.status, run.rows_loaded, run.rows_quarantined) == ("succeeded", 1, 1)
    assert rows(stores, "curated", "minzheng.m")[0]["出生日期"] == dt.date(2001, 7, 13)
    bad, total = service.quarantine(stores.lake, "minzheng.m")
    assert total == 1 and bad[0]["row_number"] == 1 and bad[0]["column_name"] == "出生日期"


def test_json_envelope_and_broken_ndjson(stores: Stores, tmp_path: Path) -> None:
    doc = {"code": 0, "total": 2, "data": [{"id": "a", "n": 1, "tags": ["x"]}, {"id": "b", "n": 2}]}
    (tmp_path / "s.json").write_text(json.dumps(doc), encoding="utf-8")
    declare(
        stores,
        "m.json",
        "json",
        tmp_path / "s.json",
        [("id", "string"), ("n", "integer"), ("tags", "string")],
    )
    assert service.run_job(stores, "m.json").rows_loaded == 2
    assert rows(stores, "curated", "m.json")[0]["tags"] == '["x"]'

    lines = ['{"id": "a", "n": 1}', '{"id": "b", "n": ', "[1, 2]", '{"id": "d", "n": 4}']
    (tmp_path / "r.ndjson").write_text("\n".join(lines) + "\n", encoding="utf-8")
    declare(stores, "m.nd", "ndjson", tmp_path / "r.ndjson", [("id", "string"), ("n", "integer")])
    run = service.run_job(stores, "m.nd")
    assert (run.rows_read, run.rows_loaded, run.rows_quarantined) == (4, 2, 2)
    bad, _ = service.quarantine(stores.lake, "m.nd")
    assert [(b["row_number"], b["reason_code"]) for b in bad] == [
        (1, "json_invalid"),
        (2, "not_an_object"),
    ]
    assert bad[0]["line"] == 2
    assert [r["_cb_row"] for r in rows(stores, "curated", "m.nd")] == [0, 3]


def test_parquet(stores: Stores, tmp_path: Path) -> None:
    table = pa.table({"id": [1, 2, 3], "v": [1.5, None, 2.25], "d": [dt.date(2024, 1, 1)] * 3})
    pq.write_table(table, tmp_path / "t.parquet")
    declare(
        stores,
        "p.t",
        "parquet",
        tmp_path / "t.parquet",
        [("id", "integer"), ("v", "float"), ("d", "date")],
    )
    assert service.run_job(stores, "p.t").rows_loaded == 3
    assert [r["v"] for r in rows(stores, "curated", "p.t")] == [1.5, None, 2.25]


def test_sqlalchemy_table_and_query(stores: Stores, tmp_path: Path) -> None:
    db = tmp_path / "renshe.db"
    con = sqlite3.connect(db)
    con.execute("CREATE TABLE si (aac001 TEXT, aae030 TEXT, amount REAL)")
    con.executemany(
        "INSERT INTO si VALUES (?, ?, ?)",
        [(f"P{i}", f"2024-01-{i + 1:02d}", i * 1.5) for i in range(10)],
    )
    con.commit()
    con.close()
    url = f"sqlite:///{db}"
    fields = [("aac001", "string"), ("aae030", "date"), ("amount", "decimal")]
    declare(stores, "renshe.si", "sql", url, fields, options={"table": "si", "batch_rows": 4})
    run = service.run_job(stores, "renshe.si")
    assert (run.status, run.rows_loaded) == ("succeeded", 10)
    assert run.source_fingerprint.startswith("rows:10:")
    declare(
        stores,
        "renshe.q",
        "sql",
        url,
        fields,
        options={"query": "SELECT * FROM si WHERE amount > 6"},
    )
    assert service.run_job(stores, "renshe.q").rows_loaded == 5


class _Api(BaseHTTPRequestHandler):
    records = [{"id": i, "name": f"事件{i}"} for i in range(23)]

    def do_GET(self) -> None:  # noqa: N802
        q = parse_qs(urlparse(self.path).query)
        page, size = int(q["page"][0]), int(q["size"][0])
        body = {"code": 0, "data": {"list": self.records[(page - 1) * size : page * size]}}
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def api_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Api)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/events"
    server.shutdown()


def test_paged_http_api(stores: Stores, api_url: str) -> None:
    declare(
        stores,
        "api.events",
        "http",
        api_url,
        [("id", "integer"), ("name", "string")],
        options={"page_size": 5},
    )
    run = service.run_job(stores, "api.events")
    assert (run.status, run.rows_loaded) == ("succeeded", 23)
    assert [r["id"] for r in rows(stores, "curated", "api.events")] == list(range(23))
