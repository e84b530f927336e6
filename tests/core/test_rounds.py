"""Benchmark rounds: the two sides take turns going first; the median round is reported."""

from __future__ import annotations

from citybrain.testing.rounds import alternating, median_round


def test_rounds_alternate_which_side_goes_first() -> None:
    calls: list[str] = []
    rounds = alternating(lambda i: calls.append(f"a{i}") or i,
                         lambda i: calls.append(f"b{i}") or -i, 3)
    assert calls == ["a0", "b0", "b1", "a1", "a2", "b2"]
    assert rounds == [(0, 0), (1, -1), (2, -2)]


def test_median_round_is_the_round_that_has_the_median() -> None:
    assert median_round([0.5, 0.9, 0.6]) == (0.6, 2)
    assert median_round([0.5, 0.7]) == (0.6, 1)
