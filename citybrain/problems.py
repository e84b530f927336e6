"""RFC 9457 problem details: every API error, expected or not, leaves in this one shape.

Each problem carries English ``title``/``detail`` plus ``title_zh``/``detail_zh``, a stable
``code`` and the request id, so an operator can find the matching log line. Validation errors
list the offending locations but never echo the submitted values (they may be personal data).
A browser opening a console page (not ``/api/``) gets the same problem as an HTML page in the
console's layout and language, not a JSON document.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from citybrain.errors import CityBrainError
from citybrain.logs import request_id_var

log = logging.getLogger("citybrain.api")

PROBLEM_JSON = "application/problem+json"

_HTTP_TITLES: dict[int, tuple[str, str]] = {
    400: ("Bad request", "请求有误"),
    401: ("Unauthorized", "未认证"),
    403: ("Forbidden", "无权访问"),
    404: ("Not found", "未找到"),
    405: ("Method not allowed", "不支持该请求方法"),
    409: ("Conflict", "冲突"),
    413: ("Payload too large", "请求内容过大"),
    415: ("Unsupported media type", "不支持的内容类型"),
    422: ("Unprocessable content", "请求内容无法处理"),
    500: ("Internal server error", "服务器内部错误"),
    503: ("Service unavailable", "服务不可用"),
}


def problem(
    status: int,
    *,
    code: str,
    title: str,
    title_zh: str,
    detail: str,
    detail_zh: str,
    instance: str,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The problem document (RFC 9457 members plus the Chinese texts and the request id)."""
    body: dict[str, Any] = {
        "type": f"https://citybrain.dev/problems/{code}",
        "title": title,
        "title_zh": title_zh,
        "status": status,
        "detail": detail,
        "detail_zh": detail_zh,
        "code": code,
        "instance": instance,
        "request_id": request_id_var.get(),
    }
    if extra:
        body.update(extra)
    return body


def _wants_page(request: Request) -> bool:
    """A browser navigating the console, as opposed to an API client."""
    return not request.url.path.startswith("/api/") and "text/html" in request.headers.get(
        "accept", ""
    )


def _answer(request: Request, status: int, **fields: Any) -> Response:
    """The problem as JSON, or as a console page for a browser on a console route."""
    body = problem(status, instance=request.url.path, **fields)
    if _wants_page(request):
        from citybrain.web.console import render

        try:
            page = render(request, "error.html", {"problem": body})
        except Exception:  # the layout itself failed: the JSON problem still tells what
            log.exception("error page could not be rendered for %s", request.url.path)
        else:
            page.status_code = status
            return page
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)


async def _citybrain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, CityBrainError)
    if exc.http_status >= 500:
        log.error("%s: %s", exc.code, exc.message_en)
    return _answer(
        request,
        exc.http_status,
        code=exc.code,
        title=exc.title_en,
        title_zh=exc.title_zh,
        detail=exc.message_en,
        detail_zh=exc.message_zh,
        extra={"context": exc.detail} if exc.detail else None,
    )


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"loc": list(e.get("loc", ())), "type": e.get("type", ""), "msg": e.get("msg", "")}
        for e in exc.errors()
    ]
    malformed = any(e["type"] == "json_invalid" for e in errors)
    status = 400 if malformed else 422
    if malformed:
        detail, detail_zh = "request body is not valid JSON", "请求体不是合法的 JSON"
    else:
        fields = ", ".join(".".join(str(p) for p in e["loc"]) for e in errors)
        detail = f"invalid fields: {fields}"
        detail_zh = f"字段校验未通过:{fields}"
    return _answer(
        request,
        status,
        code="malformed_json" if malformed else "validation_failed",
        title=_HTTP_TITLES[status][0],
        title_zh=_HTTP_TITLES[status][1],
        detail=detail,
        detail_zh=detail_zh,
        extra={"errors": errors},
    )


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    title, title_zh = _HTTP_TITLES.get(exc.status_code, ("Error", "错误"))
    detail = exc.detail if isinstance(exc.detail, str) else title
    return _answer(
        request,
        exc.status_code,
        code=f"http_{exc.status_code}",
        title=title,
        title_zh=title_zh,
        detail=detail,
        detail_zh=title_zh,
    )


async def _unexpected_error(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return _answer(
        request,
        500,
        code="internal_error",
        title="Internal server error",
        title_zh="服务器内部错误",
        detail="an unexpected error occurred; quote the request id when reporting it",
        detail_zh="发生意外错误,报告问题时请提供请求编号",
    )


def install(app: FastAPI) -> None:
    app.add_exception_handler(CityBrainError, _citybrain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected_error)
