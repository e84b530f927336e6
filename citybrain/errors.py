"""Errors that carry their meaning: a status, a stable code, and text in Chinese and English.

Every domain subclasses :class:`CityBrainError`; the API turns them into RFC 9457
problem+json, the CLI into one clear line.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


class CityBrainError(Exception):
    """Base of every expected error. ``detail`` holds structured, PII-free context."""

    http_status: int = 500
    code: str = "citybrain_error"
    title_en: str = "CityBrain error"
    title_zh: str = "系统错误"

    def __init__(self, message_en: str, message_zh: str, **detail: Any) -> None:
        super().__init__(message_en)
        self.message_en = message_en
        self.message_zh = message_zh
        self.detail = detail

    def __str__(self) -> str:
        return f"{self.message_en} / {self.message_zh}"


class InvalidInput(CityBrainError):
    http_status = 400
    code = "invalid_input"
    title_en = "Invalid input"
    title_zh = "输入无效"


class UnknownChoice(InvalidInput):
    """A filter names a value outside its closed list. Said, with the list, because a filter
    that matches nothing reads as "there is nothing to do"."""

    code = "unknown_choice"

    def __init__(self, what: str, what_zh: str, value: str, known: Iterable[str]) -> None:
        known = list(known)
        super().__init__(
            f"unknown {what} {value!r}; known: {', '.join(known)}",
            f"未知{what_zh} {value!r};可用:{'、'.join(known)}",
            value=value,
            known=known,
        )


class NotFound(CityBrainError):
    http_status = 404
    code = "not_found"
    title_en = "Not found"
    title_zh = "未找到"


class Conflict(CityBrainError):
    http_status = 409
    code = "conflict"
    title_en = "Conflict"
    title_zh = "冲突"


class StoreUnavailable(CityBrainError):
    http_status = 503
    code = "store_unavailable"
    title_en = "Store unavailable"
    title_zh = "存储不可用"
