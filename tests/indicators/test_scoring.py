"""Scores and roll-ups on a small hand-computed indicator set."""

from __future__ import annotations

from datetime import date

import pytest

from citybrain.indicators import scoring
from citybrain.indicators.definitions import IndicatorDef, Library, default_library
from citybrain.indicators.models import IndicatorValue
from citybrain.indicators.service import assess


def make(
    code: str,
    family: str,
    direction: str,
    bad: float | None = None,
    good: float | None = None,
    weight: float = 1.0,
) -> IndicatorDef:  # noqa: E501
    return IndicatorDef.model_validate(
        {
            "code": code,
            "name_zh": code,
            "name_en": code,
            "family": family,
            "iso37120": "Governance",
            "direction": direction,
            "thresholds": None if bad is None else {"bad": bad, "good": good},
            "dimensions": ["city", "district"],
            "weight": weight,
            "source": {"kind": "lake", "table": "raw.t", "value": "count(*)"},
        }
    )


UP = make("UP_ONE", "创新活力", "up", 60, 100)
DOWN = make("DOWN_ONE", "创新活力", "down", 20, 0, weight=3)
NEUTRAL = make("NEUTRAL_ONE", "多元包容", "neutral")
SAFE = make("SAFE_ONE", "安全韧性", "up", 0, 10)


@pytest.mark.parametrize(
    ("definition", "value", "expected"),
    [
        (UP, 80, 50.0),
        (UP, 100, 100.0),
        (UP, 120, 100.0),
        (UP, 60, 0.0),
        (UP, 10, 0.0),
        (DOWN, 5, 75.0),
        (DOWN, 0, 100.0),
        (DOWN, 25, 0.0),
        (NEUTRAL, 5, None),
        (UP, None, None),
    ],
)
def test_score(definition: IndicatorDef, value: float | None, expected: float | None) -> None:
    assert scoring.score(definition, value) == expected


def test_ratings() -> None:
    assert [scoring.rating(v) for v in (95, 80, 79.9, 60, 59.9, None)] == [
        "good", "good", "fair", "fair", "poor", "n/a",
    ]  # fmt: skip


def row(code: str, dim: str, dim_value: str, value: float | None) -> IndicatorValue:
    return IndicatorValue(
        code=code,
        period=date(2024, 12, 31),
        dim=dim,
        dim_value=dim_value,
        value=value,
        status="ok",
        note="",
    )  # noqa: E501


def test_assess_hand_computed() -> None:
    library = Library(indicators=[UP, DOWN, NEUTRAL, SAFE])
    values = [
        row("UP_ONE", "city", "", 80),  # 50
        row("UP_ONE", "district", "370202", 90),  # 75
        row("UP_ONE", "district", "370203", 70),  # 25
        row("DOWN_ONE", "city", "", 5),  # 75
        row("DOWN_ONE", "district", "370202", 0),  # 100
        row("DOWN_ONE", "district", "370203", 10),  # 50
        row("NEUTRAL_ONE", "city", "", 1234),
        row("SAFE_ONE", "city", "", 9),  # 90
    ]
    body = assess(library, values, {"370202": "市南区", "370203": "市北区"})
    families = {f["family"]: f for f in body["families"]}
    # 创新活力: (50×1 + 75×3) / 4 = 68.75; 安全韧性: 90; 多元包容 has no scored indicator.
    assert families["创新活力"]["score"] == 68.75
    assert families["安全韧性"]["score"] == 90.0
    assert families["多元包容"]["score"] is None
    # Overall: mean of scored families = (68.75 + 90) / 2 = 79.375 → 79.38 (rounded to 2 places)
    assert body["overall"]["score"] == pytest.approx(79.38, abs=0.005)
    assert body["overall"]["rating"] == "fair"
    districts = {d["code"]: d for d in body["districts"]}
    assert districts["370202"]["score"] == pytest.approx((75 + 100 * 3) / 4)
    assert districts["370203"]["score"] == pytest.approx((25 + 50 * 3) / 4)
    problems = [(p["code"], p["area_code"]) for p in body["problems"]]
    # Both score 50; ties sort by code. UP_ONE's weak district is evidence of its city problem.
    assert problems == [("DOWN_ONE", "370203"), ("UP_ONE", "")]
    assert body["problems"][1]["evidence"]["worst_districts"][0]["name"] == "市北区"
    assert body["problems"][0]["evidence"]["city_value"] == 5


def test_assess_compares_with_previous() -> None:
    library = Library(indicators=[UP])
    first = assess(library, [row("UP_ONE", "city", "", 80)], {})
    second = assess(library, [row("UP_ONE", "city", "", 90)], {}, previous=first)
    assert second["indicators"][0]["delta_score"] == 25.0
    assert second["indicators"][0]["delta_value"] == 10.0
    assert second["overall"]["delta"] == 25.0


def test_default_library_is_valid_and_large_enough() -> None:
    library = default_library()
    assert len(library.indicators) >= 40
    assert all(i.iso37120 for i in library.indicators)
    assert len({i.family for i in library.indicators}) >= 6


@pytest.mark.parametrize(
    "patch",
    [
        {"direction": "up", "thresholds": None},
        {"direction": "up", "thresholds": {"bad": 10, "good": 5}},
        {"family": "不存在"},
        {"code": "lower_case"},
        {"source": {"kind": "sql", "sql": "select 1"}},
    ],
)
def test_invalid_definitions_are_refused(patch: dict) -> None:
    base = UP.model_dump()
    base.update(patch)
    with pytest.raises(ValueError):
        IndicatorDef.model_validate(base)
