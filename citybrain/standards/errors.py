"""Errors of the standards domain."""

from __future__ import annotations

from citybrain.errors import InvalidInput, NotFound


class UnknownElement(NotFound):
    code = "unknown_element"

    def __init__(self, element: str, known: list[str]) -> None:
        super().__init__(
            f"unknown data element {element!r}; known: {', '.join(known)}",
            f"未知数据元 {element!r};可用:{'、'.join(known)}",
            element=element,
        )


class StandardsInputError(InvalidInput):
    code = "standards_input_invalid"
