"""Quality reports (数据质量报告): one standalone Chinese HTML page per dataset or per
department, with its scores, the failing rules with masked sample rows, the trend over loads
and the rectification tickets.

Charts are inline SVG (``citybrain.web.charts``), so a report sent to a department opens
offline and prints as it shows. The console, the CLI (``citybrain quality report``) and the
API (``/api/v1/quality/reports/…``) serve the same page.
"""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy.orm import Session

from citybrain.quality import service
from citybrain.quality.errors import NotScanned
from citybrain.quality.rules import DIMENSIONS
from citybrain.web.charts import bars, floor_below, trend

TEMPLATES = Path(__file__).resolve().parents[1] / "web" / "templates"
_env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]))
#: the worst rules a department report lists
TOP_RULES = 15
STATE_ZH = {state: zh for state, (zh, _) in service.STATE_NAMES.items()}


def colour(score: float | None) -> str:
    """Green from 95, amber from 80, red below: a register at 90 still holds a tenth wrong."""
    if score is None:
        return "#9aa5b1"
    return "#2e9d5b" if score >= 95 else "#e3a21a" if score >= 80 else "#d64545"


def _dimension_zh(dimension: str) -> str:
    return DIMENSIONS.get(dimension, (dimension,))[0]


def _dimension_chart(dims: dict[str, float]) -> dict[str, Any]:
    return bars([(_dimension_zh(d), v, colour(v)) for d, v in dims.items()])


def _ticket(t: Any) -> dict[str, Any]:
    return {
        "id": t.id, "dataset": t.dataset, "rule": t.description, "field": t.field,
        "state": STATE_ZH.get(t.state, t.state), "failed": t.failed, "checked": t.checked,
        "due": t.due_at.date().isoformat(), "overdue": service.is_overdue(t),
        "opened": t.opened_at.date().isoformat(),
    }


def _rule(r: Any, **extra: Any) -> dict[str, Any]:
    """One rule's line of a report, from its stored result."""
    return {
        "dimension": _dimension_zh(r.dimension), "field": r.field,
        "rule": r.description, "checked": r.checked, "failed": r.failed, "score": r.score,
        "error": r.error, "colour": colour(r.score), **extra,
    }


def _worst_first(r: Any) -> tuple[bool, int]:
    """Rules that could not run first, then by failing rows."""
    return r.error is None, -(r.failed or 0)


def load_label(point: dict[str, Any]) -> str:
    """A trend point's place on the axis: its load label, or else its scan minute."""
    return point["load_ref"] or point["scanned_at"][:16].replace("T", " ")


def dataset_body(session: Session, dataset: str) -> dict[str, Any]:
    """What the report of one dataset shows, from its latest scan."""
    scan = next((s for s in service.latest_scans(session) if s.dataset == dataset), None)
    if scan is None:
        raise NotScanned("dataset", dataset)
    results = service.scan_results(session, scan.id)
    rules = [_rule(r, samples=r.samples[:3]) for r in sorted(results, key=_worst_first)]
    points = service.trend(session, dataset=dataset)
    return {
        "kind": "dataset",
        "id": dataset,
        "title": _named(dataset, dataset_titles(session)),
        "department": scan.department,
        "score": scan.score,
        "rows": scan.rows,
        "scanned_at": scan.scanned_at.strftime("%Y-%m-%d %H:%M"),
        "load_ref": scan.load_ref,
        "seconds": scan.seconds,
        "dimension_chart": _dimension_chart(scan.dimension_scores or {}),
        "trend_chart": _trend_chart([(load_label(p), p["score"]) for p in points]),
        "rules": rules,
        "failing": sum(1 for r in results if r.failed),
        "tickets": [_ticket(t) for t in service.list_tickets(session, dataset=dataset)],
    }


def _trend_chart(points: list[tuple[str, float | None]]) -> dict[str, Any]:
    return trend(points, floor=floor_below([v for _, v in points]))


def department_trends(session: Session) -> dict[str, list[tuple[str, float | None]]]:
    """Per department, its row-weighted score per load, oldest first (the console's chart
    of every department over the loads)."""
    by_department: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for p in service.trend(session):
        by_department[p["department"]].append(p)
    return {d: _department_trend(points) for d, points in by_department.items()}


def _department_trend(points: list[dict[str, Any]]) -> list[tuple[str, float | None]]:
    """Row-weighted score of the department per load (scans sharing a load label, or else a
    scan minute), oldest first."""
    loads: dict[str, list[tuple[float, int]]] = defaultdict(list)
    for p in points:
        if p["score"] is not None:
            loads[load_label(p)].append((p["score"], max(p["rows"], 1)))
    return [
        (label, round(sum(s * w for s, w in v) / sum(w for _, w in v), 2))
        for label, v in loads.items()
    ]


def dataset_titles(session: Session) -> dict[str, tuple[str, str]]:
    """Catalog titles of the datasets, (Chinese, English; empty where the catalog has none)."""
    from citybrain.catalog import service as catalog

    return {d.id: (d.title, d.title_en)
            for d in catalog.list_datasets(session, include_withdrawn=True)}


def _named(dataset: str, titles: dict[str, tuple[str, str]]) -> str:
    title = titles.get(dataset, ("",))[0]
    return f"{title}({dataset})" if title else dataset


def department_names(session: Session) -> dict[str, tuple[str, str]]:
    """Department code → (Chinese, English) name from the organisation list."""
    from citybrain.org import service as org

    return {d.code: (d.name_zh, d.name_en or d.code) for d in org.list_departments(session)}


def department_body(session: Session, department: str) -> dict[str, Any]:
    """What the report of one department shows: its datasets' latest scans, its worst rules,
    its tickets."""
    card = next((c for c in service.scorecards(session) if c["department"] == department), None)
    scans = [s for s in service.latest_scans(session) if s.department == department]
    if card is None or not scans:
        raise NotScanned("department", department)
    failing = [(s, r) for s in scans for r in service.scan_results(session, s.id)
               if r.failed or r.error]
    failing.sort(key=lambda sr: _worst_first(sr[1]))
    worst = [_rule(r, dataset=s.dataset) for s, r in failing]
    tickets = service.list_tickets(session, department=department, active_only=True)
    # a catalog entry may name a department the org list lacks
    name = department_names(session).get(department, ("", ""))[0]
    titles = dataset_titles(session)
    return {
        "kind": "department",
        "title": f"{name}({department})" if name else department,
        "department": department,
        "score": card["score"],
        "rows": card["rows"],
        "datasets": [
            {"id": s.dataset, "title": _named(s.dataset, titles), "rows": s.rows,
             "score": s.score, "colour": colour(s.score),
             "scanned_at": s.scanned_at.strftime("%Y-%m-%d %H:%M")}
            for s in scans
        ],
        "dataset_chart": bars([(titles.get(s.dataset, (s.dataset,))[0], s.score, colour(s.score))
                               for s in scans]),
        "dimension_chart": _dimension_chart(card["dimensions"]),
        "trend_chart": _trend_chart(
            _department_trend(service.trend(session, department=department))),
        "rules": worst[:TOP_RULES],
        "failing": sum(1 for _, r in failing if r.failed),  # as a dataset counts them
        "open_tickets": card["open_tickets"],
        "overdue_tickets": card["overdue_tickets"],
        "tickets": [_ticket(t) for t in sorted(tickets, key=lambda t: t.due_at)],
    }


def render_html(body: dict[str, Any]) -> str:
    return _env.get_template("quality_report.html").render(body=body)


def write(body: dict[str, Any], out_dir: Path) -> Path:
    """Write ``quality-<dataset or department>.html`` into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    name = body["department"] if body["kind"] == "department" else body["id"]
    path = out_dir / f"quality-{re.sub(r'[^0-9A-Za-z_.-]', '_', name)}.html"
    path.write_text(render_html(body), encoding="utf-8")
    return path


#: headers of the fix list's own columns (the dataset's columns keep their names)
FIX_LIST_HEADERS = {"_cb_row": "行号(row)", "_reason": "原因(reason)"}


def fix_list_csv(rows: list[dict[str, Any]]) -> str:
    """A ticket's fix list as CSV text with a byte-order mark, so that the spreadsheet a
    department opens it in reads the Chinese right."""
    out = io.StringIO()
    out.write("\ufeff")
    columns = list(dict.fromkeys(c for row in rows for c in row)) or ["_cb_row"]
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([FIX_LIST_HEADERS.get(c, c) for c in columns])
    writer.writerows([["" if row.get(c) is None else row[c] for c in columns] for row in rows])
    return out.getvalue()
