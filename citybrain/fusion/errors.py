"""Errors of the fusion domain."""

from __future__ import annotations

from citybrain.errors import Conflict, InvalidInput, NotFound


class FusionInputError(InvalidInput):
    code = "fusion_input_invalid"


class FusionConfigError(InvalidInput):
    code = "fusion_config_invalid"


class EntityNotFound(NotFound):
    code = "fusion_entity_not_found"

    def __init__(self, kind: str, entity_id: str) -> None:
        zh = {"person": "人员", "company": "法人"}.get(kind, kind)
        super().__init__(
            f"{kind} {entity_id} not found in the registry",
            f"基础库中未找到{zh} {entity_id}",
            kind=kind,
            entity_id=entity_id,
        )


class RegistryMissing(NotFound):
    code = "fusion_registry_missing"

    def __init__(self) -> None:
        super().__init__(
            "the base registries have not been built yet; run `citybrain fusion build`",
            "基础库尚未建立,请先运行 `citybrain fusion build`",
        )


class FusionBusy(Conflict):
    code = "fusion_busy"
