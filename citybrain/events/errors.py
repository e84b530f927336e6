"""Errors of the events domain, each with a stable code and Chinese and English text."""

from __future__ import annotations

from citybrain.errors import Conflict, InvalidInput, NotFound

STATE_ZH = {
    "reported": "已上报",
    "filed": "已立案",
    "rejected": "不予立案",
    "cancelled": "已注销",
    "dispatched": "已派遣",
    "handling": "处置中",
    "feedback": "已反馈",
    "verified": "已核查",
    "closed": "已结案",
    "suspended": "缓办",
    "voided": "已作废",
}


class CaseNotFound(NotFound):
    code = "case_not_found"

    def __init__(self, case_id: int) -> None:
        super().__init__(f"case {case_id} not found", f"未找到案件 {case_id}", case_id=case_id)


class AreaNotFound(NotFound):
    code = "area_not_found"

    def __init__(self, code: str) -> None:
        super().__init__(f"area {code} not found", f"未找到区域 {code}", area=code)


class CategoryNotFound(NotFound):
    code = "category_not_found"

    def __init__(self, code: str) -> None:
        super().__init__(f"category {code} not found", f"未找到事项类别 {code}", category=code)


class UnknownCategory(InvalidInput):
    """A report names a category that is neither a code nor an alias in the catalogue."""

    code = "unknown_category"
    http_status = 422

    def __init__(self, category: str) -> None:
        super().__init__(
            f"unknown category {category!r}: not a code or alias of the case catalogue",
            f"未知的事项类别 {category!r}:不是事项清单中的编码或别名",
        )


class OutsideCity(InvalidInput):
    code = "outside_city"
    http_status = 422

    def __init__(self) -> None:
        super().__init__(
            "the location lies outside every grid of the city",
            "位置不在本市任何网格内",
        )


class NoLocation(InvalidInput):
    code = "no_location"
    http_status = 422

    def __init__(self) -> None:
        super().__init__(
            "the report has no usable location: give lon/lat, a known address or building",
            "上报缺少可用位置:请提供经纬度、可识别的地址或建筑",
        )


class NoGrids(Conflict):
    code = "grids_not_loaded"

    def __init__(self) -> None:
        super().__init__(
            "no grid cells are loaded; run `citybrain events load-grids CITY_DIR` first",
            "尚未导入网格:请先运行 `citybrain events load-grids CITY_DIR`",
        )


class TransitionForbidden(Conflict):
    """An action that the workflow does not allow from the case's current state."""

    code = "transition_forbidden"

    def __init__(self, action: str, state: str, allowed: list[str]) -> None:
        super().__init__(
            f"action {action!r} is not allowed while the case is {state!r}; "
            f"allowed now: {', '.join(allowed) or 'none'}",
            f"案件当前状态为「{STATE_ZH.get(state, state)}」,不能执行 {action!r};"
            f"当前可执行:{'、'.join(allowed) or '无'}",
            action=action,
            state=state,
            allowed=allowed,
        )


class MissingApproval(InvalidInput):
    code = "reason_and_approver_required"
    http_status = 422

    def __init__(self, action: str) -> None:
        super().__init__(
            f"action {action!r} needs a reason and an approver",
            f"操作 {action!r} 需要填写原因和审批人",
            action=action,
        )


class StaleVersion(Conflict):
    """Optimistic locking: someone changed the case since the client read it."""

    code = "stale_version"

    def __init__(self, case_id: int, expected: int, current: int) -> None:
        super().__init__(
            f"case {case_id} changed meanwhile (you had version {expected}, it is now "
            f"{current}); reload it and try again",
            f"案件 {case_id} 已被他人修改(您的版本 {expected},当前版本 {current}),请刷新后重试",
            case_id=case_id,
            expected=expected,
            current=current,
        )


class DuplicateSourceRef(Conflict):
    code = "duplicate_source_ref"

    def __init__(self) -> None:
        super().__init__(
            "another request stored the same report at the same moment; retry",
            "同一上报正在被另一请求写入,请重试",
        )


class BadCatalogue(InvalidInput):
    code = "bad_catalogue"


class CategoryConflict(Conflict):
    code = "category_conflict"


class UnknownGrid(InvalidInput):
    code = "unknown_grid"
    http_status = 422

    def __init__(self, grid_code: str) -> None:
        super().__init__(
            f"grid {grid_code!r} is not a grid cell of this city",
            f"网格 {grid_code!r} 不是本市的网格",
        )
