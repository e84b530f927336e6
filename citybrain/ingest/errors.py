"""Errors of the ingest domain. A failed load stores the same bilingual text in its run."""

from citybrain.errors import CityBrainError, Conflict, InvalidInput, NotFound


class JobNotFound(NotFound):
    code = "ingest_job_not_found"

    def __init__(self, job_id: str) -> None:
        super().__init__(f"load job {job_id} not found", f"未找到汇聚任务 {job_id}", job=job_id)


class DatasetNotLoaded(NotFound):
    code = "ingest_dataset_not_loaded"

    def __init__(self, dataset_id: str) -> None:
        super().__init__(
            f"dataset {dataset_id} has not been loaded: run `citybrain ingest run`",
            f"数据集 {dataset_id} 尚未汇聚:请先运行 `citybrain ingest run`",
            dataset=dataset_id,
        )


class RunNotFound(NotFound):
    code = "ingest_run_not_found"

    def __init__(self, run_id: str) -> None:
        super().__init__(f"load run {run_id} not found", f"未找到汇聚运行记录 {run_id}", run=run_id)


class LoadBusy(Conflict):
    code = "ingest_load_busy"


class SourceError(CityBrainError):
    """The source could not be read as declared; the run fails, the lake is left as it was."""

    http_status = 422
    code = "source_error"
    title_en = "Source cannot be loaded"
    title_zh = "数据源无法汇聚"

    def __init__(self, code: str, message_en: str, message_zh: str, **detail: object) -> None:
        super().__init__(message_en, message_zh, **detail)
        self.code = code


class SourceUnreachable(SourceError):
    http_status = 503

    def __init__(self, message_en: str, message_zh: str, **detail: object) -> None:
        super().__init__("source_unreachable", message_en, message_zh, **detail)


class JobInvalid(InvalidInput):
    code = "ingest_job_invalid"
