"""Open311 GeoReport v2 (JSON) at /open311/v2, so existing Open311 clients report and follow
cases. Services are the active categories; a request is a case (``service_request_id`` is the
case id); statuses map to ``open``/``closed``. Errors use the spec's shape:
``[{"code": <http status>, "description": "..."}]``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from citybrain.errors import CityBrainError
from citybrain.events import catalogue, workflow
from citybrain.events.intake import as_utc, intake
from citybrain.events.models import Case, Category
from citybrain.events.schemas import ReportIn

open311_router = APIRouter(prefix="/open311/v2", tags=["open311"])

MAX_REQUESTS = 1000
DEFAULT_DAYS = 90


def _error(status: int, description: str) -> JSONResponse:
    return JSONResponse([{"code": status, "description": description}], status_code=status)


def _from_error(e: CityBrainError) -> JSONResponse:
    status = e.http_status if 400 <= e.http_status < 500 else 400
    return _error(status, f"{e.message_en} / {e.message_zh}")


def _iso(value: datetime | None) -> str | None:
    value = as_utc(value)
    return value.isoformat(timespec="seconds").replace("+00:00", "Z") if value else None


def _service(c: Category) -> dict:
    return {
        "service_code": c.code, "service_name": c.name, "description": c.filing_criteria,
        "metadata": False, "type": "realtime", "keywords": ",".join(c.keywords or []),
        "group": c.major_name,
    }  # fmt: skip


def _request(case: Case, names: dict[str, str]) -> dict:
    closed = case.state in workflow.TERMINAL
    notes = {"closed": "结案 closed", "rejected": "不予立案 not accepted",
             "cancelled": "注销 cancelled", "voided": "作废 voided"}  # fmt: skip
    return {
        "service_request_id": str(case.id), "status": "closed" if closed else "open",
        "status_notes": notes.get(case.state, case.state),
        "service_name": names.get(case.category_code, case.category_code),
        "service_code": case.category_code, "description": case.description,
        "agency_responsible": case.department_code, "service_notice": "",
        "requested_datetime": _iso(case.reported_at), "updated_datetime": _iso(case.updated_at),
        "expected_datetime": _iso(case.due_handle_at), "address": case.address,
        "address_id": "", "zipcode": "", "lat": case.lat, "long": case.lon, "media_url": "",
    }  # fmt: skip


@open311_router.get("/discovery.json")
def discovery(request: Request) -> JSONResponse:
    base = str(request.base_url).rstrip("/") + "/open311/v2/"
    return JSONResponse({
        "changeset": "2024-01-01T00:00:00Z", "contact": "city operations centre 城市运行中心",
        "key_service": "", "endpoints": [{
            "specification": "http://wiki.open311.org/GeoReport_v2", "url": base,
            "changeset": "2024-01-01T00:00:00Z", "type": "production",
            "formats": ["application/json"],
        }],
    })  # fmt: skip


@open311_router.get("/services.json")
def services(request: Request) -> JSONResponse:
    with request.app.state.stores.sessions() as session:
        catalogue.ensure_categories(session)
        session.commit()
        rows = catalogue.list_categories(session, active_only=True)
        return JSONResponse([_service(c) for c in rows])


@open311_router.get("/services/{service_code}.json")
def service_definition(service_code: str, request: Request) -> JSONResponse:
    with request.app.state.stores.sessions() as session:
        category = session.get(Category, service_code)
        if category is None or not category.active:
            return _error(404, f"service_code {service_code} not found / 未找到该服务类别")
        return JSONResponse({"service_code": category.code, "attributes": []})


async def _form(request: Request) -> dict[str, str]:
    body = await request.body()
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind in ("", "application/x-www-form-urlencoded"):
        parsed = parse_qs(body.decode("utf-8", errors="strict"), keep_blank_values=True)
        return {k: v[0] for k, v in parsed.items()}
    if kind == "application/json":
        data = orjson.loads(body)
        if not isinstance(data, dict):
            raise ValueError("a JSON object is required")
        return {str(k): "" if v is None else str(v) for k, v in data.items()}
    raise TypeError(kind)


@open311_router.post("/requests.json")
async def post_request(request: Request) -> JSONResponse:
    """Create a service request (form-encoded as the spec says; JSON also accepted)."""
    try:
        form = await _form(request)
    except TypeError:
        return _error(415, "use application/x-www-form-urlencoded / 请使用表单编码提交")
    except (ValueError, UnicodeDecodeError, orjson.JSONDecodeError):
        return _error(400, "the request body cannot be read / 请求体无法解析")
    if not form.get("service_code"):
        return _error(400, "service_code is required / 缺少 service_code")
    has_point = form.get("lat") and form.get("long")
    if not (has_point or form.get("address_string") or form.get("address_id")):
        return _error(400, "a location is required: lat & long, address_string or address_id "
                           "/ 需要位置:经纬度、地址或地址编号")  # fmt: skip
    name = " ".join(p for p in (form.get("first_name"), form.get("last_name")) if p)
    try:
        report = ReportIn(
            source="open311", source_ref=None, channel="open311",
            category=form["service_code"], description=form.get("description", ""),
            lat=float(form["lat"]) if has_point else None,
            lon=float(form["long"]) if has_point else None,
            address=form.get("address_string", ""), building_id=form.get("address_id") or None,
            media=[form["media_url"]] if form.get("media_url") else [],
            reporter=name[:64], contact=(form.get("email") or form.get("phone") or "")[:128],
        )  # fmt: skip
    except (ValidationError, ValueError) as e:
        fields = sorted({str(err["loc"][0]) for err in getattr(e, "errors", lambda: [])()})
        return _error(400, f"invalid fields: {', '.join(fields) or 'lat/long'} / 字段无效")
    with request.app.state.stores.sessions() as session:
        try:
            item = intake(session, [report], quarantine=False, raise_on_reject=True).items[0]
            session.commit()
        except CityBrainError as e:
            session.rollback()
            return _from_error(e)
    notice = "merged with an existing request / 已合并到已有诉求" if item.status == "merged" else ""
    return JSONResponse([{"service_request_id": str(item.case_id), "service_notice": notice,
                          "account_id": None}])  # fmt: skip


def _parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    return as_utc(datetime.fromisoformat(value.replace("Z", "+00:00")))


@open311_router.get("/requests.json")
def get_requests(request: Request) -> JSONResponse:
    """Service requests: by ``service_request_id`` (comma list), or filtered by
    ``service_code``, ``status`` and ``start_date``/``end_date`` (default: last 90 days)."""
    from citybrain.events.service import list_cases

    params = request.query_params
    try:
        start, end = _parse_time(params.get("start_date")), _parse_time(params.get("end_date"))
        ids = [int(x) for x in params["service_request_id"].split(",")] if params.get(
            "service_request_id") else None  # fmt: skip
    except ValueError:
        return _error(400, "bad date or id: use ISO 8601 with a timezone / 日期或编号格式有误")
    status = params.get("status")
    if status and not set(status.split(",")) <= {"open", "closed"}:
        return _error(400, "status must be open or closed / 状态只能是 open 或 closed")
    if ids is None and start is None and end is None:
        start = datetime.now(UTC) - timedelta(days=DEFAULT_DAYS)
    open_only = status == "open"
    with request.app.state.stores.sessions() as session:
        _, rows = list_cases(
            session, category=params.get("service_code") or None, since=start, until=end,
            ids=ids, open_only=open_only, limit=MAX_REQUESTS,
        )  # fmt: skip
        if status == "closed":
            rows = [c for c in rows if c.state in workflow.TERMINAL]
        names = {c.code: c.name for c in catalogue.list_categories(session)}
        return JSONResponse([_request(c, names) for c in rows])


@open311_router.get("/requests/{request_id}.json")
def get_request(request_id: str, request: Request) -> JSONResponse:
    if not request_id.isdigit():
        return _error(404, f"request {request_id} not found / 未找到该诉求")
    with request.app.state.stores.sessions() as session:
        case = session.get(Case, int(request_id))
        if case is None:
            return _error(404, f"request {request_id} not found / 未找到该诉求")
        names = {c.code: c.name for c in catalogue.list_categories(session)}
        return JSONResponse([_request(case, names)])
