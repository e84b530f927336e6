"""Live telemetry: HTTP batches to a local server, MQTT to a throwaway Mosquitto."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from citybrain.simulate import service
from citybrain.simulate.errors import PublishError, SimulateError


class _Recorder(BaseHTTPRequestHandler):
    posts: list[dict] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server naming
        body = self.rfile.read(int(self.headers["content-length"]))
        type(self).posts.append(json.loads(body))
        self.send_response(202)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def test_http_publish_sends_batches_at_the_rate(city: Path) -> None:
    _Recorder.posts = []
    srv = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{srv.server_port}/ingest"
        stats = service.publish_telemetry(url, rate=400, count=200, city=city, batch=50)
    finally:
        srv.shutdown()
    readings = [r for p in _Recorder.posts for r in p["readings"]]
    assert stats["sent"] == 200 and len(readings) == 200 and len(_Recorder.posts) == 4
    assert stats["seconds"] >= 0.3  # 200 readings at 400/s cannot take much less than 0.5 s
    devices = (city / "perception/devices.csv").read_text().splitlines()[1:]
    known = {line.split(",")[0].strip('"') for line in devices}
    assert {r["device_id"] for r in readings} <= known
    assert [r["seq"] for r in readings] == list(range(200))
    assert all(isinstance(r["value"], float) and r["ts"].endswith("Z") for r in readings)


def test_publish_rejects_bad_targets() -> None:
    with pytest.raises(SimulateError):
        service.publish_telemetry("ftp://example", count=1, scale="tiny")
    with pytest.raises(PublishError):
        service.publish_telemetry("http://127.0.0.1:9/x", count=1, scale="tiny")


@pytest.mark.mqtt
def test_mqtt_publish_reaches_subscribers(mosquitto_url: str, city: Path) -> None:
    from urllib.parse import urlparse

    from gmqtt import Client

    u = urlparse(mosquitto_url)
    got: list[tuple[str, dict]] = []

    async def run() -> dict:
        sub = Client("test-sub")
        sub.on_message = lambda c, topic, payload, qos, props: got.append(
            (topic, json.loads(payload))) or 0
        await sub.connect(u.hostname, u.port)
        sub.subscribe("citybrain/telemetry/#", qos=1)
        await asyncio.sleep(0.3)
        stats = await asyncio.to_thread(service.publish_telemetry, mosquitto_url, 500, 300,
                                        None, city)
        deadline = time.monotonic() + 5
        while len(got) < 300 and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        await sub.disconnect()
        return stats

    stats = asyncio.run(run())
    assert stats["sent"] == 300
    assert len(got) == 300
    topic, msg = got[0]
    assert topic == f"citybrain/telemetry/{msg['type']}/{msg['device_id']}"
