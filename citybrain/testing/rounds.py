"""Benchmark rounds on a shared machine: two sides timed in turns, the median round reported.

One run on this kind of machine swings by a fifth with whatever else runs, so a benchmark
times its baseline and CityBrain in several rounds, alternating which goes first (neither
always meets a warm, or a busy, machine), and reports the median ratio.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from typing import TypeVar

A = TypeVar("A")
B = TypeVar("B")


def alternating(
    first: Callable[[int], A], second: Callable[[int], B], repeat: int
) -> list[tuple[A, B]]:
    """``repeat`` rounds of ``(first(i), second(i))``; odd rounds run ``second`` first."""
    rounds = []
    for i in range(repeat):
        if i % 2 == 0:
            a = first(i)
            b = second(i)
        else:
            b = second(i)
            a = first(i)
        rounds.append((a, b))
    return rounds


def median_round(ratios: list[float]) -> tuple[float, int]:
    """(median ratio, index of the round that has it; the last round for an even count)."""
    median = statistics.median(ratios)
    return median, ratios.index(median) if len(ratios) % 2 else len(ratios) - 1
