"""Perception: IoT devices, their telemetry (file export and live publish), faults, incidents.

One signal model serves the export and the live mode: a daily cycle in local time (UTC+8)
plus noise; incidents push the affected devices past their normal range for a known window,
faults (flatline, dropout) hit only devices outside incidents so both stay scoreable.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from citybrain.simulate.config import TELEMETRY_START, Scale
from citybrain.simulate.geo import Geography

# type: (unit, normal_min, normal_max, base, daily amplitude, noise sd, incident value, share)
DEVICE_TYPES: dict[str, tuple[str, float, float, float, float, float, float, float]] = {
    "gas": ("%LEL", 0.0, 5.0, 0.6, 0.2, 0.1, 35.0, 0.22),
    "water_pressure": ("MPa", 0.2, 0.5, 0.36, -0.05, 0.01, 0.06, 0.15),
    "water_flow": ("m3/h", 0.0, 150.0, 60.0, 30.0, 4.0, 320.0, 0.10),
    "bridge_strain": ("με", 0.0, 400.0, 150.0, 60.0, 12.0, 720.0, 0.06),
    "smoke": ("%obs/m", 0.0, 2.0, 0.12, 0.03, 0.03, 12.0, 0.20),
    "air_quality": ("μg/m3", 0.0, 75.0, 34.0, 10.0, 4.0, 210.0, 0.10),
    "manhole_tilt": ("°", 0.0, 5.0, 0.6, 0.0, 0.15, 35.0, 0.10),
    "water_level": ("m", 0.0, 1.5, 0.4, 0.05, 0.03, 2.6, 0.07),
}
INCIDENT_OF = {"gas": "gas_leak", "water_pressure": "pipe_burst", "water_flow": "pipe_burst",
               "bridge_strain": "bridge_overload", "smoke": "fire",
               "air_quality": "pollution_episode", "manhole_tilt": "manhole_displaced",
               "water_level": "waterlogging"}
TYPES = list(DEVICE_TYPES)
TYPE_CODES = {"gas": "GAS", "water_pressure": "WP", "water_flow": "WF", "bridge_strain": "BS",
              "smoke": "SMK", "air_quality": "AQ", "manhole_tilt": "MH", "water_level": "WL"}


def build_devices(rng: np.random.Generator, scale: Scale, geo: Geography) -> dict[str, np.ndarray]:
    """Devices placed at buildings (gas, smoke, water) or on roads (bridges, manholes)."""
    n = scale.devices
    share = np.array([v[7] for v in DEVICE_TYPES.values()])
    t = np.sort(rng.choice(len(TYPES), p=share / share.sum(), size=n))
    t[: len(TYPES)] = np.arange(len(TYPES))  # every type present even in a tiny city
    b = rng.integers(0, len(geo.buildings["building_id"]), n)
    jitter = rng.normal(0, 0.0004, (n, 2))
    on_building = np.isin(t, [TYPES.index(x) for x in ("gas", "smoke", "water_flow")])
    lon = np.where(on_building, geo.buildings["lon"][b], geo.buildings["lon"][b] + jitter[:, 0])
    lat = np.where(on_building, geo.buildings["lat"][b], geo.buildings["lat"][b] + jitter[:, 1])
    grid_idx = geo.buildings["grid_idx"][b]
    road = geo.roads["name"][geo.buildings["road_idx"][b]]
    tname = np.array(TYPES)[t]
    install = np.datetime64("2019-01-01") + rng.integers(0, 1900, n).astype("timedelta64[D]")
    return {
        "device_id": np.char.add(np.char.add("D-", np.array(list(TYPE_CODES.values()))[t]),
                                 np.char.zfill(np.arange(1, n + 1).astype(str), 6)),
        "type": tname, "type_idx": t, "lon": np.round(lon, 7), "lat": np.round(lat, 7),
        "grid_idx": grid_idx, "district_idx": geo.grids["district_idx"][grid_idx],
        "building_id": np.where(on_building, geo.buildings["building_id"][b], ""),
        "road": np.where(on_building, "", road), "install_date": install,
    }


def devices_table(dev: dict, geo: Geography) -> pa.Table:
    spec = [DEVICE_TYPES[t] for t in dev["type"]]
    return pa.table({
        "device_id": dev["device_id"], "type": dev["type"],
        "lon": dev["lon"], "lat": dev["lat"], "grid_code": geo.grids["code"][dev["grid_idx"]],
        "building_id": dev["building_id"], "road": dev["road"],
        "install_date": np.datetime_as_string(dev["install_date"], unit="D"),
        "unit": [s[0] for s in spec], "normal_min": [s[1] for s in spec],
        "normal_max": [s[2] for s in spec],
    })


def signal(type_idx: np.ndarray, device_num: np.ndarray, t_seconds: np.ndarray,
           noise: np.ndarray) -> np.ndarray:
    """Clean reading of devices at UTC epoch seconds: base + daily cycle + noise."""
    p = np.array([DEVICE_TYPES[t][3:6] for t in TYPES])[type_idx]
    local_hour = ((t_seconds / 3600.0) + 8.0) % 24.0
    phase = (device_num % 7) * 0.3
    cycle = np.sin(2 * np.pi * (local_hour - 8.0 - phase) / 24.0)
    return np.maximum(p[:, 0] + p[:, 1] * cycle + p[:, 2] * noise, 0.0)


def plan_incidents(rng: np.random.Generator, scale: Scale, dev: dict, geo: Geography
                   ) -> list[dict]:
    """Incidents with windows and the devices that must show them."""
    horizon = scale.telemetry_days * 86400
    step = scale.telemetry_interval_min * 60
    out: list[dict] = []
    used: set[int] = set()
    kinds = sorted(set(INCIDENT_OF.values()))
    for i in range(scale.incidents):
        kind = kinds[i % len(kinds)]
        types = [TYPES.index(t) for t, k in INCIDENT_OF.items() if k == kind]
        cand = np.flatnonzero(np.isin(dev["type_idx"], types))
        cand = np.array([c for c in cand.tolist() if c not in used], dtype=np.int64)
        if not len(cand):
            continue
        primary = int(cand[rng.integers(0, len(cand))])
        devices = [primary]
        if kind == "pollution_episode":  # district-wide: every air station there
            devices = np.flatnonzero((dev["type_idx"] == dev["type_idx"][primary])
                                     & (dev["district_idx"] == dev["district_idx"][primary]))
            devices = [int(d) for d in devices if int(d) not in used]
        elif kind == "pipe_burst":  # pressure drops and nearby flow surges together
            other = np.flatnonzero(np.isin(dev["type_idx"], types)
                                   & (dev["type_idx"] != dev["type_idx"][primary]))
            other = np.array([o for o in other.tolist() if o not in used], dtype=np.int64)
            if len(other):
                d2 = (dev["lon"][other] - dev["lon"][primary]) ** 2 + (
                    dev["lat"][other] - dev["lat"][primary]) ** 2
                devices.append(int(other[np.argmin(d2)]))
        used.update(devices)
        dur = int(rng.integers(3, 25)) * step
        start = int(rng.integers(step, horizon - dur - step)) // step * step
        t0 = TELEMETRY_START + dt.timedelta(seconds=start)
        out.append({
            "incident_id": f"INC-{i + 1:04d}", "type": kind,
            "start": t0.isoformat().replace("+00:00", "Z"),
            "end": (t0 + dt.timedelta(seconds=dur)).isoformat().replace("+00:00", "Z"),
            "start_s": start, "end_s": start + dur,
            "grid_code": str(geo.grids["code"][dev["grid_idx"][primary]]),
            "lon": float(dev["lon"][primary]), "lat": float(dev["lat"][primary]),
            "device_idx": devices,
            "device_ids": ";".join(str(dev["device_id"][d]) for d in devices),
            "expect": ";".join("below normal_min" if TYPES[dev["type_idx"][d]] ==
                               "water_pressure" else "above normal_max" for d in devices),
        })
    return out


def plan_faults(rng: np.random.Generator, scale: Scale, dev: dict, incidents: list[dict]
                ) -> list[dict]:
    """Flatline and dropout windows on devices no incident touches."""
    busy = {d for inc in incidents for d in inc["device_idx"]}
    free = [i for i in range(len(dev["device_id"])) if i not in busy]
    k = max(2, len(free) // 25)
    picks = rng.choice(free, size=min(k, len(free)), replace=False)
    horizon = scale.telemetry_days * 86400
    step = scale.telemetry_interval_min * 60
    out = []
    for j, d in enumerate(sorted(int(x) for x in picks)):
        dur = int(rng.integers(4, 40)) * step
        start = int(rng.integers(0, horizon - dur)) // step * step
        out.append({"device_id": str(dev["device_id"][d]), "device_idx": d,
                    "fault": "flatline" if j % 2 == 0 else "dropout",
                    "start_s": start, "end_s": start + dur})
    return out


def write_telemetry(rng: np.random.Generator, scale: Scale, dev: dict, incidents: list[dict],
                    faults: list[dict], out: Path) -> int:
    """Export readings as Parquet, one file per UTC day; returns the number of readings."""
    step = scale.telemetry_interval_min * 60
    per_day = 86400 // step
    n_dev = len(dev["device_id"])
    dev_num = np.arange(n_dev)
    out.mkdir(parents=True, exist_ok=True)
    base_epoch = int(TELEMETRY_START.timestamp())
    total = 0
    for day in range(scale.telemetry_days):
        t_rel = day * 86400 + np.arange(per_day) * step
        di = np.repeat(dev_num, per_day)
        tr = np.tile(t_rel, n_dev)
        noise = rng.standard_normal(len(di))
        val = signal(dev["type_idx"][di], di, base_epoch + tr, noise)
        keep = np.ones(len(di), dtype=bool)
        for inc in incidents:
            for d in inc["device_idx"]:
                m = (di == d) & (tr >= inc["start_s"]) & (tr < inc["end_s"])
                target = DEVICE_TYPES[TYPES[dev["type_idx"][d]]][6]
                val[m] = target * (1 + 0.05 * noise[m])
        for f in faults:
            m = (di == f["device_idx"]) & (tr >= f["start_s"]) & (tr < f["end_s"])
            if f["fault"] == "dropout":
                keep &= ~m
            elif m.any():
                val[m] = val[np.flatnonzero(m)[0]]
        ts = (np.datetime64(TELEMETRY_START.replace(tzinfo=None), "s")
              + tr.astype("timedelta64[s]"))
        table = pa.table({
            "device_id": pa.array(dev["device_id"][di[keep]]).dictionary_encode(),
            "type": pa.array(dev["type"][di[keep]]).dictionary_encode(),
            "ts": pa.array(ts[keep], pa.timestamp("s", tz="UTC")),
            "value": np.round(val[keep], 4),
        })
        date = (TELEMETRY_START + dt.timedelta(days=day)).date().isoformat()
        pq.write_table(table, out / f"date={date}.parquet", compression="zstd")
        total += table.num_rows
    return total
