"""Live telemetry: publish readings to MQTT or POST them to HTTP at a chosen rate.

Uses the same signal model as the file export, with the wall clock as time, because a live
feed is meant to exercise ingest as a real device fleet would.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import numpy as np
import orjson

from citybrain.simulate import geo, perception
from citybrain.simulate.config import make_knobs, stage_rng
from citybrain.simulate.errors import PublishError, SimulateError


def _devices(city: Path | None, scale: str, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(device_id, type) from a generated city's devices.csv, or regenerated from the seed."""
    if city is not None and (Path(city) / "perception/devices.csv").exists():
        import pyarrow.csv as pacsv

        t = pacsv.read_csv(Path(city) / "perception/devices.csv")
        return (np.array(t["device_id"].to_pylist()), np.array(t["type"].to_pylist()))
    knobs = make_knobs(scale)
    g = geo.build_geography(stage_rng(seed, "geography"), knobs.scale)
    d = perception.build_devices(stage_rng(seed, "perception"), knobs.scale, g)
    return d["device_id"], d["type"]


def readings(ids: np.ndarray, types: np.ndarray, count: int, seed: int):
    """Yield ``count`` reading dicts stamped with the wall clock, cycling through devices."""
    rng = np.random.default_rng(seed)
    tidx = np.array([perception.TYPES.index(t) for t in types])
    for i in range(count):
        d = i % len(ids)
        now = time.time()
        v = float(perception.signal(tidx[d:d + 1], np.array([d]), np.array([now]),
                                    rng.standard_normal(1))[0])
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now))
        stamp += f".{int(now % 1 * 1000):03d}Z"
        yield {"device_id": str(ids[d]), "type": str(types[d]), "seq": i, "ts": stamp,
               "value": round(v, 4), "unit": perception.DEVICE_TYPES[str(types[d])][0]}


def publish_telemetry(url: str, rate: float = 100.0, count: int | None = 1000,
                      duration: float | None = None, city: Path | None = None,
                      scale: str = "demo", seed: int = 42, batch: int = 100) -> dict[str, Any]:
    """Publish readings to ``mqtt://host:port`` or POST batches to ``http(s)://…``.

    Bounded by ``count`` readings and/or ``duration`` seconds (at least one must be given).
    Returns {"sent", "seconds", "rate"}.
    """
    if rate <= 0:
        raise SimulateError("rate must be positive", "发送速率必须为正数", rate=rate)
    if count is None and duration is None:
        raise SimulateError("give --count or --duration", "请指定 --count 或 --duration")
    total = count if count is not None else int(rate * float(duration or 0))
    if duration is not None:
        total = min(total, int(rate * duration))
    ids, types = _devices(city, scale, seed)
    u = urlparse(url)
    gen = readings(ids, types, total, seed)
    t0 = time.monotonic()
    if u.scheme == "mqtt":
        sent = asyncio.run(_mqtt(u.hostname or "127.0.0.1", u.port or 1883, gen, rate))
    elif u.scheme in ("http", "https"):
        sent = _http(url, gen, rate, batch)
    else:
        raise SimulateError(f"unsupported publish URL {url!r}",
                            f"不支持的发布地址 {url!r}（应为 mqtt:// 或 http(s)://）", url=url)
    secs = time.monotonic() - t0
    return {"sent": sent, "seconds": round(secs, 3), "rate": round(sent / secs, 1) if secs else 0}


async def _mqtt(host: str, port: int, gen, rate: float) -> int:
    from gmqtt import Client

    client = Client(f"citybrain-sim-{int(time.time() * 1000) % 10**9}")
    try:
        await client.connect(host, port, keepalive=30)
    except Exception as e:  # noqa: BLE001 - any connect failure means the same to the user
        raise PublishError(f"cannot connect to MQTT broker {host}:{port}: {e}",
                           f"无法连接 MQTT 服务 {host}:{port}", host=host, port=port) from e
    sent = 0
    t0 = time.monotonic()
    try:
        for r in gen:
            client.publish(f"citybrain/telemetry/{r['type']}/{r['device_id']}",
                           orjson.dumps(r), qos=1)
            sent += 1
            ahead = sent / rate - (time.monotonic() - t0)
            if ahead > 0:
                await asyncio.sleep(ahead)
            elif sent % 200 == 0:
                await asyncio.sleep(0)
        await asyncio.sleep(0.2)
    finally:
        await client.disconnect()
    return sent


def _http(url: str, gen, rate: float, batch: int) -> int:
    import httpx

    sent = 0
    t0 = time.monotonic()
    buf: list[dict] = []
    with httpx.Client(timeout=10) as client:
        for r in gen:
            buf.append(r)
            if len(buf) >= batch:
                sent += _post(client, url, buf)
                buf = []
                ahead = sent / rate - (time.monotonic() - t0)
                if ahead > 0:
                    time.sleep(ahead)
        if buf:
            sent += _post(client, url, buf)
    return sent


def _post(client, url: str, buf: list[dict]) -> int:
    import httpx

    try:
        resp = client.post(url, content=orjson.dumps({"readings": buf}),
                           headers={"content-type": "application/json"})
    except httpx.HTTPError as e:
        raise PublishError(f"cannot POST telemetry to {url}: {e}",
                           f"无法向 {url} 发送遥测数据", url=url) from e
    if resp.status_code >= 300:
        raise PublishError(f"{url} answered {resp.status_code}",
                           f"{url} 返回状态码 {resp.status_code}", status=resp.status_code)
    return len(buf)
