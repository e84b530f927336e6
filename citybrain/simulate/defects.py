"""Defect injection: the realistic mistakes department data carries, each one recorded.

A rate is the fraction of the rows a defect *can* apply to (a homophone needs a character
that has one, a stale address needs a person who moved, a 15-digit ID needs someone born
before 2000). The exact count ``round(rate * eligible)`` is drawn without replacement, so
the truth can be checked exactly; one field of one row carries at most one defect.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from citybrain.simulate import identifiers, pools

TYPO_CHARS = np.array(pools.MALE_CHARS + pools.FEMALE_CHARS)
_HOMO_RE = "[" + "".join(pools.HOMOPHONES) + "]"
_TRAD_RE = "[" + "".join(k for k, v in pools.TRADITIONAL.items() if k != v) + "]"
_TRAD = str.maketrans(pools.TRADITIONAL)


@dataclass
class DefectLog:
    """Injected defects of one dataset plus how many rows each rate applied to."""

    rows: list[int] = field(default_factory=list)
    fields: list[str] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    originals: list[str | None] = field(default_factory=list)
    summary: list[tuple[str, str, float, int, int]] = field(default_factory=list)

    def add(self, rows: np.ndarray, fld: str, kind: str, originals: list) -> None:
        self.rows.extend(int(r) for r in rows)
        self.fields.extend([fld] * len(rows))
        self.kinds.extend([kind] * len(rows))
        self.originals.extend(None if o is None else str(o) for o in originals)


def _date_parts(s: str) -> tuple[str, str, str, str] | None:
    """(year, month, day, separator) of YYYY-MM-DD, YYYY/MM/DD or YYYYMMDD."""
    m = re.fullmatch(r"(\d{4})([-/]?)(\d{2})\2(\d{2})", s)
    return (m.group(1), m.group(3), m.group(4), m.group(2)) if m else None


def _swap_dm(s: str) -> str:
    y, m, d, sep = _date_parts(s)  # type: ignore[misc]
    return f"{y}{sep}{d}{sep}{m}"


def _set_year(s: str, year: int) -> str:
    y, m, d, sep = _date_parts(s)  # type: ignore[misc]
    if m == "02" and d == "29":
        d = "28"
    return f"{year:04d}{sep}{m}{sep}{d}"


def _mojibake(s: str) -> str:
    """UTF-8 bytes read back as GBK: the classic garbled Chinese (乱码)."""
    return s.encode("utf-8").decode("gbk", errors="replace")


def _typo(s: str, rng: np.random.Generator, element: str) -> str:
    if element in ("phone",):
        i = int(rng.integers(0, len(s)))
        return s[:i] + s[i + 1:]  # a dropped digit
    i = int(rng.integers(1 if len(s) > 1 else 0, len(s)))
    c = str(TYPO_CHARS[int(rng.integers(0, len(TYPO_CHARS)))])
    if c == s[i]:
        c = "〇" if element != "name" else "口"
    return s[:i] + c + s[i + 1:]


def _homophone(s: str) -> str:
    for i, c in enumerate(s):
        if c in pools.HOMOPHONES:
            return s[:i] + pools.HOMOPHONES[c] + s[i + 1:]
    return s  # pragma: no cover - eligibility guarantees a match


def eligible_mask(kind: str, values: np.ndarray, element: str, extra: np.ndarray | None
                  ) -> np.ndarray:
    """Rows of ``values`` the defect ``kind`` can apply to (vectorised via Arrow)."""
    numeric = element == "amount" or values.dtype != object
    arr = pa.array(values, type=pa.float64() if numeric else pa.string(), from_pandas=True)
    if pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type):
        present = pc.fill_null(pc.greater(pc.utf8_length(arr), 0), False).to_numpy(
            zero_copy_only=False)
    else:
        present = ~pc.is_null(arr).to_numpy(zero_copy_only=False)
    m = present.copy()
    if kind == "homophone":
        m &= pc.fill_null(pc.match_substring_regex(arr, _HOMO_RE), False).to_numpy(
            zero_copy_only=False)
    elif kind == "traditional":
        m &= pc.fill_null(pc.match_substring_regex(arr, _TRAD_RE), False).to_numpy(
            zero_copy_only=False)
    elif kind in ("wrong_checksum", "legacy_15"):
        m &= pc.fill_null(pc.equal(pc.utf8_length(arr), 18), False).to_numpy(zero_copy_only=False)
    elif kind == "swapped_day_month" and element == "date":
        parts = pc.extract_regex(arr.cast(pa.string()),
                                 r"^(?P<y>\d{4})[-/]?(?P<m>\d{2})[-/]?(?P<d>\d{2})$")
        month = pc.fill_null(pc.struct_field(parts, "m").cast(pa.int32()), 0)
        day = pc.fill_null(pc.struct_field(parts, "d").cast(pa.int32()), 0)
        m &= pc.and_(pc.less_equal(day, 12), pc.not_equal(day, month)).to_numpy(
            zero_copy_only=False) & (month.to_numpy(zero_copy_only=False) > 0)
    if extra is not None:
        m &= extra
    return m


def apply_defects(
    rng: np.random.Generator,
    cols: dict[str, np.ndarray],
    elements: dict[str, str],
    rates: dict[str, dict[str, float]],
    conditions: dict[tuple[str, str], np.ndarray],
    stale: dict[str, np.ndarray],
    record_field: str | None,
    late_values: np.ndarray | None,
    stale_with: dict[str, dict[str, np.ndarray]] | None = None,
) -> tuple[DefectLog, np.ndarray]:
    """Inject field and row defects into ``cols`` in place.

    ``stale_with``: per stale-able field, other fields and the values a row left stale
    keeps in them (the dates of a move nobody registered), where no defect of their own
    was injected. Returns the log and ``dup_src``: source row of every appended duplicate
    row (caller appends those rows and their identity truth).
    """
    log = DefectLog()
    n = len(next(iter(cols.values())))
    defected: dict[str, np.ndarray] = {}
    for fld, kinds in rates.items():
        if fld == "_row":
            continue
        values = cols[fld]
        if isinstance(values, pa.Array):
            values = np.asarray(values.to_numpy(zero_copy_only=False), dtype=object)
            cols[fld] = values
        elif values.dtype != object:
            values = values.astype(object)
            cols[fld] = values
        element = elements[fld]
        taken = np.zeros(n, dtype=bool)
        for kind, rate in kinds.items():
            extra = conditions.get((fld, kind))
            if kind == "stale_address":
                prev = stale[fld]
                if isinstance(prev, pa.Array):
                    prev = np.asarray(prev.to_numpy(zero_copy_only=False), dtype=object)
                    stale[fld] = prev
                extra = (prev != "") if extra is None else extra & (prev != "")
            elig = eligible_mask(kind, values, element, extra)
            count = round(rate * int(elig.sum()))
            avail = np.flatnonzero(elig & ~taken)
            count = min(count, len(avail))
            log.summary.append((fld, kind, rate, int(elig.sum()), count))
            if count == 0:
                continue
            rows = np.sort(rng.choice(avail, size=count, replace=False))
            taken[rows] = True
            orig = values[rows].tolist()
            values[rows] = _mutate(kind, orig, element, rng, stale.get(fld), rows)
            log.add(rows, fld, kind, orig)
            if kind == "stale_address":
                for other, kept in (stale_with or {}).get(fld, {}).items():
                    free = rows[~defected.get(other, np.zeros(n, dtype=bool))[rows]]
                    col = cols[other]
                    if not isinstance(col, np.ndarray) or col.dtype != object:
                        col = np.asarray(col, dtype=object)
                        cols[other] = col
                    col[free] = kept[free]
        defected[fld] = taken
    row_rates = rates.get("_row", {})
    late = row_rates.get("late_update", 0.0)
    if late and record_field is not None and late_values is not None:
        count = round(late * n)
        log.summary.append((record_field, "late_update", late, n, count))
        rows = np.sort(rng.choice(n, size=count, replace=False))
        col = cols[record_field]
        col = (np.asarray(col.to_numpy(zero_copy_only=False), dtype=object)
               if isinstance(col, pa.Array) else col.astype(object))
        orig = col[rows].tolist()
        col[rows] = late_values[rows]
        cols[record_field] = col
        log.add(rows, record_field, "late_update", orig)
    dup = row_rates.get("duplicate", 0.0)
    dup_src = np.zeros(0, dtype=np.int64)
    if dup:
        count = round(dup * n)
        log.summary.append(("_row", "duplicate", dup, n, count))
        dup_src = np.sort(rng.choice(n, size=count, replace=False))
    return log, dup_src


def _mutate(kind: str, orig: list, element: str, rng: np.random.Generator,
            prev: np.ndarray | None, rows: np.ndarray) -> list:
    if kind == "missing":
        return [None] * len(orig)
    if kind == "typo":
        return [_typo(str(s), rng, element) for s in orig]
    if kind == "homophone":
        return [_homophone(s) for s in orig]
    if kind == "traditional":
        return [s.translate(_TRAD) for s in orig]
    if kind == "mojibake":
        return [_mojibake(s) for s in orig]
    if kind == "legacy_15":
        return [identifiers.to_legacy_15(s) for s in orig]
    if kind == "wrong_checksum":
        fn = identifiers.break_uscc_checksum if element == "uscc" else identifiers.break_id_checksum
        return [fn(s) for s in orig]
    if kind == "swapped_day_month":
        return [_swap_dm(s) for s in orig]
    if kind == "impossible":
        if element == "amount":
            return [round(float(v) * 1000, 2) if i % 2 else -abs(float(v))
                    for i, v in enumerate(orig)]
        return [_set_year(s, 1870 + int(rng.integers(0, 6))) for s in orig]
    if kind == "future_date":
        return [_set_year(s, 2030 + int(rng.integers(0, 10))) for s in orig]
    if kind == "stale_address":
        assert prev is not None
        return prev[rows].tolist()
    raise ValueError(f"unknown defect kind {kind}")
