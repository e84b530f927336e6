"""Console pages of the quality domain: department scorecards, open tickets, dataset reports."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from citybrain.quality import report, service
from citybrain.quality.errors import NotScanned
from citybrain.quality.rules import DIMENSIONS
from citybrain.web.console import NavItem, render

NAV_ITEMS = (NavItem("/quality", "数据质量", "Data quality", 40),)

router = APIRouter(include_in_schema=False)


@router.get("/quality", response_class=HTMLResponse)
def quality_page(request: Request) -> Response:
    with request.app.state.stores.sessions() as session:
        cards = service.scorecards(session)
        tickets = service.list_tickets(session, active_only=True)
        scans = service.latest_scans(session)
        overdue = {t.id for t in tickets if service.is_overdue(t)}
        names = report.department_names(session)
        titles = report.dataset_titles(session)
        trends = report.department_trends(session)
    loads = list(dict.fromkeys(label for points in trends.values() for label, _ in points))
    lines = [  # one line per department over every load (a gap where it was not scanned)
        {"zh": names.get(d, (d, d))[0], "en": names.get(d, (d, d))[1],
         "scores": [dict(points).get(label) for label in loads]}
        for d, points in sorted(trends.items())
    ]
    for c in cards:  # what the chart draws: the department's name, its score's colour
        c["name_zh"], c["name_en"] = names.get(c["department"], (c["department"],) * 2)
        c["colour"] = report.colour(c["score"])
    return render(
        request,
        "quality_overview.html",
        {
            "cards": cards,
            "tickets": tickets,
            "scans": scans,
            "overdue": overdue,
            "names": names,
            "titles": titles,
            "loads": loads,
            "lines": lines,
            "states": service.STATE_NAMES,
            "dimensions": DIMENSIONS,
        },
    )


@router.get("/quality/datasets/{dataset}", response_class=HTMLResponse)
def dataset_report(dataset: str, request: Request) -> Response:
    with request.app.state.stores.sessions() as session:
        scans = [s for s in service.latest_scans(session) if s.dataset == dataset]
        scan = scans[0] if scans else None
        results = service.scan_results(session, scan.id) if scan else []
        trend = [{"label": report.load_label(p), "score": p["score"]}
                 for p in service.trend(session, dataset=dataset)]
        tickets = service.list_tickets(session, dataset=dataset)
        title = report.dataset_titles(session).get(dataset)
    if scan is None and not tickets and title is None:  # neither catalogued nor ever scanned
        raise NotScanned("dataset", dataset)
    dims = [  # the dimension chart's bars, named in both languages
        {"dimension": d, "zh": DIMENSIONS.get(d, (d, d))[0], "en": DIMENSIONS.get(d, (d, d))[1],
         "score": v, "colour": report.colour(v)}
        for d, v in ((scan.dimension_scores or {}) if scan else {}).items()
    ]
    return render(
        request,
        "quality_dataset.html",
        {
            "dataset": dataset,
            "title": title,
            "scan": scan,
            "results": results,
            "dims": dims,
            "trend": trend,
            "tickets": tickets,
            "states": service.STATE_NAMES,
            "dimensions": DIMENSIONS,
        },
    )
