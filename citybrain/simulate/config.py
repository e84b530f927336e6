"""Scales, knobs and per-stage random streams.

Every number that shapes the city lives here so that ``overrides`` can change it and the
manifest can record it. Randomness comes from one PCG64 stream per stage, derived from the
seed and the stage name, so adding a stage never shifts the numbers of another.
"""

from __future__ import annotations

import copy
import datetime as dt
import zlib
from dataclasses import dataclass, field, fields, replace
from typing import Any

import numpy as np

from citybrain.simulate.errors import SimulateError

PERIOD_START = dt.date(2024, 1, 1)
PERIOD_END = dt.date(2024, 12, 31)
#: Telemetry export window (UTC); short so a city-scale export stays bounded.
TELEMETRY_START = dt.datetime(2024, 6, 1, tzinfo=dt.UTC)
FIXED_TIMESTAMP = dt.datetime(2024, 12, 31, 0, 0, 0)


@dataclass(frozen=True)
class Scale:
    """Size knobs of one city. ``people`` drives most other counts."""

    name: str
    people: int
    streets_per_district: int
    communities_per_street: int
    grids_per_community: int
    people_per_building: int
    roads_per_district: int
    people_per_company: int
    devices: int
    telemetry_days: int
    telemetry_interval_min: int
    incidents: int
    cameras: int
    citizen_reports: int
    detections: int


SCALES: dict[str, Scale] = {
    "tiny": Scale("tiny", 2_000, 2, 2, 2, 40, 4, 12, 60, 2, 30, 4, 20, 100, 150),
    "demo": Scale("demo", 20_000, 3, 3, 3, 60, 8, 12, 300, 7, 15, 10, 80, 1_000, 1_500),
    "district": Scale("district", 200_000, 6, 4, 4, 70, 20, 10, 2_000, 7, 15, 30, 400,
                      10_000, 15_000),
    "city": Scale("city", 1_000_000, 9, 6, 5, 80, 40, 10, 8_000, 7, 15, 60, 1_500,
                  50_000, 80_000),
}

#: Default defect rates per dataset: {field: {defect_type: rate}}; "_row" holds row-level
#: defects (duplicate, late_update). Rates are fractions of the dataset's clean rows.
DEFAULT_DEFECTS: dict[str, dict[str, dict[str, float]]] = {
    "gongan.hukou": {
        "姓名": {"typo": 0.005, "homophone": 0.01, "traditional": 0.005, "mojibake": 0.002},
        "公民身份号码": {"legacy_15": 0.01, "wrong_checksum": 0.005, "missing": 0.003},
        "出生日期": {"swapped_day_month": 0.005, "impossible": 0.001},
        "户籍地址": {"stale_address": 0.5},
        "_row": {"duplicate": 0.005},
    },
    "gongan.residence_permit": {
        "姓名": {"homophone": 0.01, "traditional": 0.01},
        "证件号码": {"wrong_checksum": 0.01, "missing": 0.005},
        "居住地址": {"stale_address": 0.3, "missing": 0.01},
        "联系电话": {"missing": 0.05, "typo": 0.01},
        "_row": {"duplicate": 0.01, "late_update": 0.02},
    },
    "weijian.births": {
        "mother_name": {"typo": 0.01, "traditional": 0.01},
        "mother_id_card": {"wrong_checksum": 0.01, "missing": 0.01},
        "birth_date": {"future_date": 0.005},
        "_row": {"late_update": 0.05},
    },
    "weijian.deaths": {
        "xm": {"homophone": 0.02, "mojibake": 0.01},
        "sfzh": {"legacy_15": 0.03, "wrong_checksum": 0.01},
        "csrq": {"swapped_day_month": 0.01},
        "_row": {"duplicate": 0.01, "late_update": 0.1},
    },
    "weijian.vaccinations": {
        "child_name": {"typo": 0.005, "homophone": 0.005},
        "child_id": {"missing": 0.02, "wrong_checksum": 0.005},
        "birth_date": {"swapped_day_month": 0.003},
        "_row": {"duplicate": 0.003},
    },
    "minzheng.marriages": {
        "男方姓名": {"traditional": 0.02},
        "女方公民身份号码": {"wrong_checksum": 0.02},
        "_row": {"late_update": 0.05},
    },
    "minzheng.subsidies": {
        "name": {"homophone": 0.02},
        "id_card": {"legacy_15": 0.02, "missing": 0.01},
        "address": {"stale_address": 0.5},
        "amount": {"impossible": 0.005},
        "_row": {"duplicate": 0.01},
    },
    "renshe.si_insured": {
        "aac003": {"typo": 0.005, "traditional": 0.005},
        "aac002": {"wrong_checksum": 0.005, "legacy_15": 0.005},
        "aae005": {"missing": 0.05, "typo": 0.01},
        "_row": {"duplicate": 0.003},
    },
    "renshe.si_contribution": {
        "aac002": {"missing": 0.002},
        "amount": {"impossible": 0.0005},
    },
    "scjg.company_register": {
        "统一社会信用代码": {"wrong_checksum": 0.005, "missing": 0.002},
        "企业名称": {"traditional": 0.005, "typo": 0.005},
        "法定代表人": {"homophone": 0.01},
        "成立日期": {"future_date": 0.001},
        "_row": {"duplicate": 0.005},
    },
    "scjg.annual_reports": {
        "uscc": {"wrong_checksum": 0.01},
        "phone": {"missing": 0.05},
        "_row": {"late_update": 0.05},
    },
    "jiaoyu.enrolment": {
        "xsxm": {"typo": 0.005, "homophone": 0.01},
        "sfzjh": {"missing": 0.01, "wrong_checksum": 0.005},
        "csrq": {"swapped_day_month": 0.005},
        "jtzz": {"stale_address": 0.5, "mojibake": 0.002},
        "_row": {"duplicate": 0.005},
    },
    "ziranziyuan.property_register": {
        "权利人": {"traditional": 0.01, "homophone": 0.005},
        "证件号码": {"legacy_15": 0.02, "wrong_checksum": 0.005},
        "坐落": {"missing": 0.005},
        "_row": {"duplicate": 0.005},
    },
}


@dataclass(frozen=True)
class Knobs:
    """Everything that shapes one run: a scale plus the defect table and behaviour rates."""

    scale: Scale
    defects: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)
    defect_scale: float = 1.0
    twin_rate: float = 0.08
    birth_rate: float = 0.0065
    move_rate: float = 0.05
    death_rate: float = 0.007
    marriage_rate: float = 0.02
    local_birth_share: float = 0.72
    detection_false_share: float = 0.25

    def defect_rates(self, dataset: str) -> dict[str, dict[str, float]]:
        """Rates for one dataset after the global ``defect_scale`` multiplier."""
        table = self.defects.get(dataset, {})
        return {
            f: {d: min(1.0, r * self.defect_scale) for d, r in kinds.items()}
            for f, kinds in table.items()
        }


def make_knobs(scale: str, overrides: dict[str, Any] | None = None) -> Knobs:
    """Build the knobs for a scale name, applying ``overrides``.

    Overrides: any ``Scale`` field (e.g. ``{"people": 500}``), any ``Knobs`` rate, a
    ``defect_scale`` multiplier, and ``defects`` merged per dataset/field/type
    (``{"defects": {"gongan.hukou": {"姓名": {"typo": 0.1}}}}``).
    """
    if scale not in SCALES:
        raise SimulateError(
            f"unknown scale {scale!r}; choose one of {', '.join(SCALES)}",
            f"未知规模 {scale!r}，可选：{'、'.join(SCALES)}",
            scale=scale,
        )
    overrides = dict(overrides or {})
    scale_fields = {f.name for f in fields(Scale)} - {"name"}
    knob_fields = {f.name for f in fields(Knobs)} - {"scale", "defects"}
    sc = SCALES[scale]
    sc_over = {k: overrides.pop(k) for k in list(overrides) if k in scale_fields}
    for k, v in sc_over.items():
        if not isinstance(v, int) or v < 1:
            raise SimulateError(
                f"override {k} must be a positive integer",
                f"参数 {k} 必须是正整数",
                field=k,
            )
    sc = replace(sc, **sc_over)
    defects = copy.deepcopy(DEFAULT_DEFECTS)
    for ds, table in (overrides.pop("defects", None) or {}).items():
        if ds not in defects:
            raise SimulateError(
                f"unknown dataset {ds!r} in defect overrides",
                f"缺陷配置中的数据集 {ds!r} 不存在",
                dataset=ds,
            )
        for fld, kinds in table.items():
            for kind, rate in kinds.items():
                if not 0.0 <= float(rate) <= 1.0:
                    raise SimulateError(
                        f"defect rate {ds}/{fld}/{kind} must be within 0..1",
                        f"缺陷比例 {ds}/{fld}/{kind} 必须在 0 到 1 之间",
                    )
                defects[ds].setdefault(fld, {})[kind] = float(rate)
    knob_over = {k: overrides.pop(k) for k in list(overrides) if k in knob_fields}
    if overrides:
        bad = ", ".join(sorted(overrides))
        raise SimulateError(f"unknown overrides: {bad}", f"未知的参数：{bad}", keys=bad)
    return Knobs(scale=sc, defects=defects, **knob_over)


def stage_rng(seed: int, stage: str) -> np.random.Generator:
    """An independent PCG64 stream for one named stage of one seed."""
    key = zlib.crc32(stage.encode("utf-8"))
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, key])))
