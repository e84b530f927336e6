"""The FastAPI app factory: stores, migrations, domain routers, problem+json, the console."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from citybrain import __version__, problems
from citybrain.config import Settings, get_settings
from citybrain.deps import StoresDep
from citybrain.domains import DOMAINS, domain_module
from citybrain.errors import CityBrainError, StoreUnavailable
from citybrain.logs import configure_logging, request_id_var
from citybrain.store.ops import ping
from citybrain.store.runtime import Stores
from citybrain.web import console

log = logging.getLogger("citybrain.api")


def create_app(settings: Settings | None = None, *, run_migrations: bool = True) -> FastAPI:
    """Build the app. Migrations run on start so a fresh data dir just works."""
    settings = settings or get_settings()
    configure_logging(settings.log_level)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        stores = Stores.from_settings(settings)
        if run_migrations:
            stores.migrate()
        app.state.stores = stores
        try:
            yield
        finally:
            stores.close()

    app = FastAPI(
        title="CityBrain API",
        version=__version__,
        description="城市大脑: pool, check, fuse and share a city's data; let it drive the city.",
        docs_url="/api/docs",
        openapi_url="/api/openapi.json",
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.settings = settings
    problems.install(app)
    app.middleware("http")(_request_context)

    app.add_api_route("/api/v1/health", health, methods=["GET"], tags=["system"])
    for domain in DOMAINS:
        module = domain_module(domain, "api")
        if module is not None:
            app.include_router(module.router, prefix=f"/api/v1/{domain}")
            if hasattr(module, "open311_router"):  # standard paths outside /api/v1 (events)
                app.include_router(module.open311_router)
    console.mount(app, settings)
    return app


async def _request_context(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    """Request id in, request id out, one access line per request (path only, no query)."""
    incoming = request.headers.get("x-request-id", "")
    request_id = incoming if 0 < len(incoming) <= 64 and incoming.isascii() else uuid.uuid4().hex
    token = request_id_var.set(request_id)
    started = time.perf_counter()
    try:
        response = await call_next(request)
        response.headers["X-Request-ID"] = request_id
        log.info(
            "%s %s %d %.1fms",
            request.method,
            request.url.path,
            response.status_code,
            (time.perf_counter() - started) * 1000,
        )
        return response
    finally:
        request_id_var.reset(token)


def health(stores: StoresDep) -> JSONResponse:
    """Liveness of the stores: 200 when the ops DB and the lake both answer, else 503."""
    checks: dict[str, str] = {}
    for name, probe in (("ops_db", lambda: ping(stores.engine)), ("lake", stores.lake.ping)):
        try:
            probe()
            checks[name] = "ok"
        except (CityBrainError, Exception) as e:  # report, never raise: this is the probe
            checks[name] = "unavailable"
            log.warning("health check %s failed: %s", name, type(e).__name__)
    healthy = all(v == "ok" for v in checks.values())
    body = {"status": "ok" if healthy else "degraded", "version": __version__, "checks": checks}
    if not healthy:
        raise StoreUnavailable(
            "one or more stores are unavailable: "
            + ", ".join(k for k, v in checks.items() if v != "ok"),
            "部分存储不可用",
            checks=checks,
        )
    return JSONResponse(body)
