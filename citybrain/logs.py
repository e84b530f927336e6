"""Logging with request ids and no personal data.

A filter masks ID-card numbers, mobile phones and unified social credit codes in every log
record, so a stray ``log.info(row)`` cannot leak personal data into log files.
"""

from __future__ import annotations

import contextvars
import logging
import re

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")

_PII_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # 18-digit ID card (last char may be X) and 15-digit legacy ID.
    (re.compile(r"(?<![0-9A-Za-z])(\d{6})\d{8}(\d{3}[0-9Xx])(?![0-9A-Za-z])"), r"\1********\2"),
    (re.compile(r"(?<![0-9A-Za-z])(\d{6})\d{6}(\d{3})(?![0-9A-Za-z])"), r"\1******\2"),
    # Mainland mobile numbers, optionally +86.
    (re.compile(r"(?<!\d)((?:\+?86)?1[3-9]\d)\d{4}(\d{4})(?!\d)"), r"\1****\2"),
)


def mask_pii(text: str) -> str:
    """Mask personal identifiers in free text (used by the log filter and error paths)."""
    for pattern, replacement in _PII_PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class ContextFilter(logging.Filter):
    """Adds the request id and masks personal data in the rendered message."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        message = record.getMessage()
        masked = mask_pii(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


def configure_logging(level: str = "INFO") -> None:
    root = logging.getLogger()
    if any(isinstance(f, ContextFilter) for h in root.handlers for f in h.filters):
        root.setLevel(level)
        return
    handler = logging.StreamHandler()
    handler.addFilter(ContextFilter())
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s")
    )
    root.addHandler(handler)
    root.setLevel(level)
