"""Citizen reports (12345 hotline, mini-program, grid workers) and video-AI detections.

Reports are written from templates around a true issue at a true place; some issues get
several reports (duplicates to merge), hotline calls carry only an address. Detections
mix true events with false positives whose confidence overlaps the true ones.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from citybrain.simulate.config import PERIOD_START
from citybrain.simulate.geo import Geography
from citybrain.simulate.people import DAYS

CATEGORIES = {
    "road_damage": ("道路破损", ["{place}附近路面塌陷了一个大坑，车辆经过很危险，请尽快修复。",
                               "{place}门口人行道砖松动破损，老人差点摔倒。"]),
    "manhole_missing": ("井盖缺失", ["{place}有个井盖不见了，晚上看不清，太危险了！",
                                  "{place}路口的井盖破损下陷，请派人处理。"]),
    "garbage": ("垃圾堆放", ["{place}楼下垃圾堆了好几天没人清运，味道很大。",
                          "{place}旁边有人乱倒建筑垃圾。"]),
    "illegal_parking": ("违章停车", ["{place}门口车辆乱停堵住消防通道。",
                                  "{place}人行道上长期停放车辆，行人没法走。"]),
    "noise": ("噪音扰民", ["{place}附近工地夜间施工，噪音很大影响休息。",
                        "{place}楼下广场舞音响声音太大，晚上十点还没停。"]),
    "street_light": ("路灯故障", ["{place}这一段路灯不亮好几天了。",
                               "{place}附近路灯白天一直亮着，浪费电。"]),
    "street_vending": ("占道经营", ["{place}门口有摊贩占道经营，影响通行。"]),
    "waterlogging": ("积水内涝", ["{place}下雨后积水很深，车都过不去。",
                               "{place}小区门口排水不畅，积水到脚踝。"]),
    "fallen_tree": ("树木倒伏", ["{place}有棵树被风刮倒了，压在路上。"]),
    "sewage": ("污水外溢", ["{place}下水道往外冒污水，很臭。"]),
}
CHANNELS = np.array(["12345热线", "爱山东小程序", "网格员上报", "随手拍"])
ALGORITHMS = {  # algorithm code: (name, event type, category it maps to)
    "ALG-001": ("占道经营识别", "street_vending", "street_vending"),
    "ALG-002": ("垃圾满溢识别", "garbage_overflow", "garbage"),
    "ALG-003": ("机动车违停识别", "illegal_parking", "illegal_parking"),
    "ALG-004": ("烟火识别", "smoke_fire", "fire"),
    "ALG-005": ("道路积水识别", "road_waterlogging", "waterlogging"),
    "ALG-006": ("人员聚集识别", "crowd_gathering", "crowd"),
}


def _iso(seconds: np.ndarray) -> np.ndarray:
    base = np.datetime64(PERIOD_START.isoformat(), "s")
    s = np.datetime_as_string(base + seconds.astype("timedelta64[s]"), unit="s")
    return np.char.add(s, "Z")


def build_citizen_reports(rng: np.random.Generator, n: int, geo: Geography, people: dict
                          ) -> tuple[pa.Table, pa.Table]:
    """(reports, truth). ~20% of issues are reported more than once."""
    cats = list(CATEGORIES)
    n_issues = max(1, int(n * 0.8))
    issue_b = rng.integers(0, len(geo.buildings["building_id"]), n_issues)
    issue_cat = rng.integers(0, len(cats), n_issues)
    issue_t = rng.integers(0, DAYS * 86400, n_issues)
    issue = np.sort(np.r_[np.arange(n_issues), rng.integers(0, n_issues, n - n_issues)])
    b = issue_b[issue]
    t = issue_t[issue] + rng.integers(0, 6 * 3600, n)
    order = np.lexsort((np.arange(n), t))
    issue, b, t = issue[order], b[order], t[order]
    channel = CHANNELS[rng.choice(4, p=[0.45, 0.3, 0.15, 0.1], size=n)]
    gps = channel != "12345热线"
    lon = geo.buildings["lon"][b] + rng.normal(0, 0.0003, n)
    lat = geo.buildings["lat"][b] + rng.normal(0, 0.0003, n)
    reporter = rng.integers(0, len(people["person_id"]), n)
    texts, cat_zh, photos = [], [], []
    pick = rng.integers(0, 10, n)
    for i in range(n):
        c = cats[issue_cat[issue[i]]]
        zh, tpl = CATEGORIES[c]
        place = str(geo.buildings["address"][b[i]])
        texts.append(tpl[pick[i] % len(tpl)].format(place=place))
        cat_zh.append(zh)
        photos.append([f"photo://reports/R{i + 1:08d}/1.jpg"] if gps[i] and pick[i] < 7 else [])
    rid = np.char.add("R", np.char.zfill(np.arange(1, n + 1).astype(str), 8))
    reports = pa.table({
        "id": rid, "channel": channel, "text": texts,
        "category": [c if ch != "12345热线" else None for c, ch in zip(cat_zh, channel,
                                                                       strict=True)],
        "lon": pa.array(np.where(gps, np.round(lon, 6), np.nan), from_pandas=True),
        "lat": pa.array(np.where(gps, np.round(lat, 6), np.nan), from_pandas=True),
        "address": geo.buildings["address"][b], "photos": photos,
        "contact_phone": [p or None for p in people["phone"][reporter].tolist()],
        "reported_at": _iso(t),
    })
    truth = pa.table({
        "id": rid, "issue_id": np.char.add("I", np.char.zfill((issue + 1).astype(str), 7)),
        "true_category": np.array(cats)[issue_cat[issue]],
        "grid_code": geo.grids["code"][geo.buildings["grid_idx"][b]],
        "building_id": geo.buildings["building_id"][b],
        "reporter_person_id": people["person_id"][reporter],
    })
    return reports, truth


def build_cameras(rng: np.random.Generator, n: int, geo: Geography) -> pa.Table:
    b = rng.integers(0, len(geo.buildings["building_id"]), n)
    return pa.table({
        "camera_id": np.char.add("CAM-", np.char.zfill(np.arange(1, n + 1).astype(str), 6)),
        "lon": np.round(geo.buildings["lon"][b] + rng.normal(0, 0.0003, n), 7),
        "lat": np.round(geo.buildings["lat"][b] + rng.normal(0, 0.0003, n), 7),
        "grid_code": geo.grids["code"][geo.buildings["grid_idx"][b]],
        "road": geo.roads["name"][geo.buildings["road_idx"][b]],
    })


def build_detections(rng: np.random.Generator, n: int, cameras: pa.Table, false_share: float
                     ) -> tuple[pa.Table, pa.Table]:
    """(detections, truth): false positives have lower but overlapping confidence."""
    algs = list(ALGORITHMS)
    cam = rng.integers(0, cameras.num_rows, n)
    alg = rng.integers(0, len(algs), n)
    false = rng.random(n) < false_share
    conf = np.where(false, rng.beta(5, 3, n), rng.beta(9, 2, n))
    t = np.sort(rng.integers(0, DAYS * 86400, n))
    did = np.char.add("DET-", np.char.zfill(np.arange(1, n + 1).astype(str), 8))
    lon = cameras["lon"].to_numpy()[cam]
    lat = cameras["lat"].to_numpy()[cam]
    det = pa.table({
        "id": did, "camera_id": cameras["camera_id"].to_numpy(zero_copy_only=False)[cam],
        "algorithm": np.array(algs)[alg],
        "algorithm_name": np.array([ALGORITHMS[a][0] for a in algs])[alg],
        "event_type": np.array([ALGORITHMS[a][1] for a in algs])[alg],
        "confidence": np.round(conf, 3), "detected_at": _iso(t),
        "lon": lon, "lat": lat,
        "image": np.char.add(np.char.add("photo://detections/", did), ".jpg"),
    })
    truth = pa.table({
        "id": did, "is_true": ~false,
        "true_category": np.where(false, "none",
                                  np.array([ALGORITHMS[a][2] for a in algs])[alg]),
        "grid_code": cameras["grid_code"].to_numpy(zero_copy_only=False)[cam],
    })
    return det, truth
