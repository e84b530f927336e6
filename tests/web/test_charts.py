"""Geometry of the reports' inline SVG charts."""

from __future__ import annotations

from citybrain.web.charts import floor_below, trend


def test_a_score_trend_starts_just_below_its_lowest_score() -> None:
    points = [("load-1", 97.4), ("load-2", None), ("load-3", 99.9)]
    floor = floor_below([v for _, v in points])
    assert floor == 96.0
    chart = trend(points, height=160, floor=floor)  # plot area: y 10 (100) … 136 (the floor)
    assert [g["value"] for g in chart["grid"]] == ["96", "98", "100"]
    assert [g["y"] for g in chart["grid"]] == [136.0, 73.0, 10.0]
    low, high = chart["dots"]  # the load without a score breaks the line
    assert (low["value"], high["value"]) == ("97.4", "99.9")
    assert 73.0 < low["y"] < 136.0 and 10.0 < high["y"] < 14.0
    # on 0–100 the same two loads sit 3 px apart
    flat = trend(points, height=160)
    assert [g["value"] for g in flat["grid"]] == ["0", "50", "100"]
    assert flat["dots"][0]["y"] - flat["dots"][1]["y"] < 4


def test_scores_far_apart_or_missing_keep_the_axis_from_zero() -> None:
    assert floor_below([0.5, 99.0]) == 0.0
    assert floor_below([None, None]) == 0.0
    assert floor_below([]) == 0.0
