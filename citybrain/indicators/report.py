"""The checkup report: a standalone Chinese HTML page with SVG charts, and its PDF.

Charts are drawn as inline SVG on the server, so the HTML opens offline anywhere and the PDF
(printed by headless Chromium) shows exactly what the page shows.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from citybrain.indicators.scoring import RATING_ZH
from citybrain.web.charts import GREY, bars

log = logging.getLogger(__name__)

TEMPLATES = Path(__file__).resolve().parents[1] / "web" / "templates"
_env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]))
RATING_COLOURS = {"good": "#2e9d5b", "fair": "#e3a21a", "poor": "#d64545", "n/a": GREY}


def _colour(scored: dict[str, Any]) -> str:
    return RATING_COLOURS.get(scored["rating"], GREY)


def render_html(checkup_id: int, body: dict[str, Any]) -> str:
    template = _env.get_template("indicators_report.html")
    return template.render(
        checkup_id=checkup_id,
        body=body,
        rating_zh=RATING_ZH,
        colours=RATING_COLOURS,
        family_chart=bars([(f["family"], f["score"], _colour(f)) for f in body["families"]]),
        district_chart=bars([(d["name"], d["score"], _colour(d)) for d in body["districts"]]),
    )


def write_pdf(html_path: Path, pdf_path: Path) -> None:
    """Print the HTML to A4 PDF with Debian's Chromium through Playwright."""
    from citybrain.testing.browser import chromium

    with chromium() as browser:
        page = browser.new_page()  # type: ignore[attr-defined]
        page.goto(html_path.resolve().as_uri())
        page.pdf(path=str(pdf_path), format="A4", print_background=True)


def write(
    checkup_id: int, body: dict[str, Any], out_dir: Path, *, pdf: bool = True
) -> tuple[Path, Path | None, str]:
    """Write ``checkup-<id>.html`` (and ``.pdf``); returns paths and a note on the PDF."""
    out_dir.mkdir(parents=True, exist_ok=True)
    html_path = out_dir / f"checkup-{checkup_id}.html"
    html_path.write_text(render_html(checkup_id, body), encoding="utf-8")
    if not pdf:
        return html_path, None, "PDF not requested"
    pdf_path = out_dir / f"checkup-{checkup_id}.pdf"
    try:
        write_pdf(html_path, pdf_path)
    except FileNotFoundError as e:
        log.warning("checkup PDF skipped: %s", e)
        return html_path, None, str(e)
    return html_path, pdf_path, "ok"
