"""Chart geometry for standalone reports: drawn as inline SVG by the templates, so a report
opens offline anywhere and prints to PDF exactly as it shows (no JavaScript)."""

from __future__ import annotations

import math
from typing import Any

GREY = "#9aa5b1"


def _text_width(text: str, size: int = 13) -> int:
    """Rough width in pixels: a CJK character is square, a Latin one about half of it."""
    return sum(size if ord(ch) > 0x2E80 else size * 6 // 10 for ch in text)


def bars(rows: list[tuple[str, float | None, str]], width: int = 640) -> dict[str, Any]:
    """A horizontal 0–100 bar chart: (label, score, colour) per row; the label column is as
    wide as the longest label (at least 150 px, at most half the chart)."""
    row_h = 26
    label_w = min(width // 2, max([150, *(_text_width(r[0]) + 12 for r in rows)]))
    scale = (width - label_w - 60) / 100.0
    items = [
        {
            "label": label,
            "y": i * row_h,
            "w": round((value or 0.0) * scale, 1),
            "value": "—" if value is None else f"{value:.1f}",
            "colour": colour,
        }
        for i, (label, value, colour) in enumerate(rows)
    ]
    return {
        "items": items,
        "height": max(row_h, len(rows) * row_h),
        "width": width,
        "label_w": label_w,
    }


def floor_below(values: list[float | None]) -> float:
    """Where a score axis starts: one point below the lowest score (0 at the least). Quality
    scores sit between 95 and 100, where a 0–100 axis draws one flat line."""
    known = [v for v in values if v is not None]
    return max(0.0, float(math.floor(min(known) - 1))) if known else 0.0


def trend(points: list[tuple[str, float | None]], width: int = 640, height: int = 160,
          floor: float = 0.0) -> dict[str, Any]:
    """A line from ``floor`` to 100 over loads, oldest first: (label, score) per load; a
    load without a score breaks the line."""
    left, right, top, bottom = 36, 16, 10, 24
    step = (width - left - right) / max(len(points) - 1, 1)
    span = height - top - bottom

    def y(v: float) -> float:
        return round(top + span * (1 - (v - floor) / (100.0 - floor)), 1)

    dots = [
        {"x": round(left + i * step, 1), "y": y(v), "label": label, "value": f"{v:.1f}"}
        for i, (label, v) in enumerate(points)
        if v is not None
    ]
    return {
        "width": width,
        "height": height,
        "path": " ".join(f"{d['x']},{d['y']}" for d in dots),
        "dots": dots,
        "grid": [{"y": y(v), "value": f"{v:g}"} for v in (floor, (floor + 100) / 2, 100)],
        "left": left,
        "first": points[0][0] if points else "",
        "last": points[-1][0] if points else "",
    }
