"""Errors of the catalog domain."""

from citybrain.errors import Conflict, InvalidInput, NotFound


class DatasetNotFound(NotFound):
    code = "dataset_not_found"

    def __init__(self, dataset_id: str) -> None:
        super().__init__(
            f"dataset {dataset_id} is not in the catalog",
            f"数据资源目录中没有 {dataset_id}",
            dataset=dataset_id,
        )


class VersionNotFound(NotFound):
    code = "catalog_version_not_found"

    def __init__(self, dataset_id: str, version: int) -> None:
        super().__init__(
            f"dataset {dataset_id} has no version {version}",
            f"数据资源 {dataset_id} 没有第 {version} 版",
            dataset=dataset_id,
            version=version,
        )


class CatalogConflict(Conflict):
    code = "catalog_conflict"


class ManifestInvalid(InvalidInput):
    code = "manifest_invalid"
