"""Errors of the indicators domain."""

from citybrain.errors import CityBrainError, InvalidInput, NotFound


class LibraryInvalid(InvalidInput):
    code = "indicator_library_invalid"


class IndicatorNotFound(NotFound):
    code = "indicator_not_found"

    def __init__(self, code: str) -> None:
        super().__init__(f"indicator {code} not found", f"未找到指标 {code}", indicator=code)


class CheckupNotFound(NotFound):
    code = "checkup_not_found"

    def __init__(self, checkup_id: int) -> None:
        super().__init__(
            f"checkup {checkup_id} not found", f"未找到体检 {checkup_id}", checkup=checkup_id
        )


class SourceUnavailable(CityBrainError):
    """An indicator's source data is not there yet (dataset not loaded, domain absent)."""

    http_status = 409
    code = "indicator_source_unavailable"


class ReportRenderError(CityBrainError):
    http_status = 500
    code = "report_render_failed"
