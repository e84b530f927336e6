"""Scores: how good a value is against its thresholds, and roll-ups by family and district.

Linear between ``bad`` (0) and ``good`` (100), clamped; ratings 优 ≥ 80, 中 ≥ 60, else 差. Pure
functions so a checkup can be recomputed by hand.
"""

from __future__ import annotations

from collections.abc import Iterable

from citybrain.indicators.definitions import IndicatorDef


def score(definition: IndicatorDef, value: float | None) -> float | None:
    """0–100 for a scored indicator; None for neutral ones or missing values."""
    if value is None or not definition.scored or definition.thresholds is None:
        return None
    bad, good = definition.thresholds.bad, definition.thresholds.good
    fraction = (value - bad) / (good - bad)  # works for both directions: good-bad carries the sign
    return round(max(0.0, min(1.0, fraction)) * 100.0, 2)


def rating(value: float | None) -> str:
    if value is None:
        return "n/a"
    if value >= 80:
        return "good"
    if value >= 60:
        return "fair"
    return "poor"


RATING_ZH = {"good": "优", "fair": "中", "poor": "差", "n/a": "无"}


def weighted_mean(pairs: Iterable[tuple[float | None, float]]) -> float | None:
    """Mean of scores weighted; None scores are left out, None when nothing is scored."""
    total = weight_sum = 0.0
    for value, weight in pairs:
        if value is not None:
            total += value * weight
            weight_sum += weight
    return round(total / weight_sum, 2) if weight_sum else None
