"""Masking of personal identifiers (脱敏) wherever data leaves the lake without a grant: logs,
error messages, quality samples and reports, console pages.

Citizen ID numbers keep their region and the last four characters (370202********123X),
mobile numbers the first three and last four (138****5678): enough for an officer to find
the record in the department's own system, not enough to identify a person.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

_PII_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # 18-digit ID card (last char may be X) and 15-digit legacy ID, also behind a letter:
    # the national student number (全国学籍号) is G + the pupil's ID number.
    (re.compile(r"(?<![0-9])(\d{6})\d{8}(\d{3}[0-9Xx])(?![0-9A-Za-z])"), r"\1********\2"),
    (re.compile(r"(?<![0-9])(\d{6})\d{6}(\d{3})(?![0-9A-Za-z])"), r"\1******\2"),
    # Mainland mobile numbers, optionally +86.
    (re.compile(r"(?<!\d)((?:\+?86)?1[3-9]\d)\d{4}(\d{4})(?!\d)"), r"\1****\2"),
)


def mask_pii(text: str) -> str:
    """Mask the ID numbers and mobile numbers found anywhere in free text."""
    for pattern, replacement in _PII_PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def mask_identifier(value: object) -> str:
    """Mask a value held in an ID-number or phone field, whatever its shape: a damaged
    number (17 digits, a wrong check character) is masked too, which the text patterns of
    :func:`mask_pii` would not recognise."""
    s = "" if value is None else str(value)
    if len(s) >= 11 and s[:-1].isdigit():
        return s[:6] + "*" * (len(s) - 10) + s[-4:] if len(s) > 11 else s[:3] + "****" + s[-4:]
    return mask_pii(s)


def mask_row(row: dict[str, Any], identifier_fields: Iterable[str]) -> dict[str, Any]:
    """``row`` with its identifier fields masked and ID/mobile numbers masked in any other
    text (a reason that quotes a value); numbers, dates and other values are kept."""
    fields = set(identifier_fields)
    out: dict[str, Any] = {}
    for k, v in row.items():
        if v is not None and k in fields:
            out[k] = mask_identifier(v)
        elif isinstance(v, str):
            out[k] = mask_pii(v)
        else:
            out[k] = v
    return out


def mask_tree(value: Any, identifier_fields: Iterable[str]) -> Any:
    """``value`` (a JSON-like tree of dicts and lists, as an API returns it) with every
    identifier field masked wherever it sits and ID/mobile numbers masked in any other
    text: a golden record, its provenance and its source rows in one pass."""
    fields = frozenset(identifier_fields)

    def walk(v: Any) -> Any:
        if isinstance(v, dict):
            return {
                k: mask_identifier(x) if k in fields and x is not None else walk(x)
                for k, x in v.items()
            }
        if isinstance(v, list | tuple):
            return [walk(x) for x in v]
        return mask_pii(v) if isinstance(v, str) else v

    return walk(value)
