"""Console plumbing: templates, language choice, navigation registry, static and vendor assets.

Front-end libraries (ECharts …) are installed from npm into ``citybrain/web/node_modules`` by
``make assets`` and served from there under ``/static/vendor``; nothing is fetched from a CDN
at run time and no minified copy is committed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from citybrain import __version__
from citybrain.config import Settings
from citybrain.domains import DOMAINS, domain_module

WEB_DIR = Path(__file__).parent
LANGS = ("zh", "en")
LANG_COOKIE = "citybrain_lang"

# Vendor files the console serves, relative to the npm install dir.
VENDOR_FILES = {"echarts.min.js": "echarts/dist/echarts.min.js"}


@dataclass(frozen=True)
class NavItem:
    path: str
    label_zh: str
    label_en: str
    order: int = 100


templates = Jinja2Templates(directory=str(WEB_DIR / "templates"))


def pick_lang(request: Request) -> str:
    """``?lang=`` wins, then the cookie, then Chinese."""
    lang = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE) or "zh"
    return lang if lang in LANGS else "zh"


def nav_items() -> list[NavItem]:
    items = [NavItem("/", "首页", "Home", 0)]
    for domain in DOMAINS:
        module = domain_module(domain, "web")
        if module is not None:
            items.extend(getattr(module, "NAV_ITEMS", ()))
    return sorted(items, key=lambda item: (item.order, item.path))


def render(request: Request, template: str, context: dict[str, Any]) -> HTMLResponse:
    """Render a console page inside the shared layout, in the request's language."""
    lang = pick_lang(request)

    def t(zh: str, en: str) -> str:
        """The text in the page's language; Chinese where no English was given (a catalog
        entry or category without ``title_en`` / ``name_en``)."""
        return (en or zh) if lang == "en" else zh

    settings: Settings = request.app.state.settings
    response = templates.TemplateResponse(
        request,
        template,
        {
            "lang": lang,
            "t": t,
            "nav": nav_items(),
            "version": __version__,
            "assets_ok": (settings.effective_assets_dir / VENDOR_FILES["echarts.min.js"]).exists(),
            **context,
        },
    )
    if request.query_params.get("lang") in LANGS:
        response.set_cookie(LANG_COOKIE, lang, samesite="lax")
    return response


def mount(app: FastAPI, settings: Settings) -> None:
    """Attach static assets, vendor assets, the home page and every domain's pages."""
    app.mount("/static/app", StaticFiles(directory=str(WEB_DIR / "static")), name="static")
    app.add_api_route("/static/vendor/{name}", _vendor_file(settings), include_in_schema=False)
    app.include_router(_home_router())
    for domain in DOMAINS:
        module = domain_module(domain, "web")
        if module is not None and hasattr(module, "router"):
            app.include_router(module.router)


def _vendor_file(settings: Settings):  # type: ignore[no-untyped-def]
    from fastapi.responses import FileResponse

    from citybrain.errors import NotFound

    root = settings.effective_assets_dir

    def serve(name: str) -> Response:
        relative = VENDOR_FILES.get(name)
        path = root / relative if relative else None
        if path is None or not path.exists():
            raise NotFound(
                f"front-end asset {name} is not installed; run `make assets`",
                f"前端资源 {name} 未安装,请运行 `make assets`",
            )
        return FileResponse(
            path, media_type="text/javascript", headers={"Cache-Control": "max-age=3600"}
        )

    return serve


def _home_router() -> APIRouter:
    from citybrain.org import service as org_service

    router = APIRouter(include_in_schema=False)

    @router.get("/", response_class=HTMLResponse)
    def home(request: Request) -> Response:
        stores = request.app.state.stores
        with stores.sessions() as session:
            org_counts = org_service.counts(session)
        lake_tables = stores.lake.tables()
        zones: dict[str, int] = {}
        for schema, _ in lake_tables:
            zones[schema] = zones.get(schema, 0) + 1
        return render(
            request,
            "home.html",
            {"org_counts": org_counts, "lake_zones": zones, "lake_table_count": len(lake_tables)},
        )

    @router.get("/console")
    def console_root() -> RedirectResponse:
        return RedirectResponse("/")

    return router
