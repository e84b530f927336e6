"""Which text encoding a department's file is in: one sniffer for every reader of such files.

Government exports are UTF-8 (often with a BOM) or GB 18030 (a superset of GBK and GB 2312,
what spreadsheets on Chinese Windows save); the first megabyte decides.
"""

from __future__ import annotations

import codecs
from pathlib import Path

SAMPLE_BYTES = 1 << 20
ALIASES = {"gbk": "gb18030", "gb2312": "gb18030", "cp936": "gb18030", "utf8": "utf-8"}


def candidates(declared: str | None = None) -> list[str]:
    """The encodings tried, in order: the declared one first, then UTF-8, then GB 18030."""
    tried = [ALIASES.get(declared.lower(), declared.lower())] if declared else []
    return list(dict.fromkeys([*tried, "utf-8", "gb18030"]))


def sniff(path: Path, declared: str | None = None) -> str | None:
    """The encoding that decodes the file's first megabyte strictly: a byte-order mark, then
    :func:`candidates`; ``None`` when none does."""
    with path.open("rb") as f:
        sample = f.read(SAMPLE_BYTES)
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    for encoding in candidates(declared):
        try:
            decoder = codecs.getincrementaldecoder(encoding)("strict")
        except LookupError:
            continue
        try:
            decoder.decode(sample, final=len(sample) < SAMPLE_BYTES)
            return encoding
        except UnicodeDecodeError:
            continue
    return None
