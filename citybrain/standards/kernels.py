"""Compiled pre-screens of the data elements over Arrow text columns (numba, no Python per row).

The SQL macros (``standards.sql``) are the definition of every element; these kernels only
*certify* the common case fast. Each one reads an Arrow column's offsets and bytes and gives
every value a verdict:

* ``OK``: valid as the SQL check would find it (same code lists, same character sets);
* ``BLANK``: NULL or empty (``std_blank`` is true);
* ``BAD``: certainly fails, where that is as exact as ``OK`` (a wrong check character, a code
  outside its list, a name with a traditional character);
* ``UNSURE``: anything else, the invalid values included: the quality scan sends those rows
  to the SQL check, which says whether and why they fail.

A kernel may answer ``UNSURE`` too often (that costs time, never a wrong count), never ``OK``
where the SQL check would fail: ``tests/standards/test_kernels.py`` holds them to that on
generated values. On a 10M-row register the ID check takes ~0.2 s of one core here against
~5 s of CPU in SQL, which is what brings a scan near the cost of reading the table
(docs/quality.md).
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache

import numba as nb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from citybrain.standards import regions, sql

OK, BLANK, BAD, UNSURE = 0, 1, 2, 3

# classes of a BMP character (bits of ``char_classes()``)
NAME_OK = 1  # may stand in a name (规范汉字, ·, Latin letters, digits, brackets) and is simplified
MOJI_1, MOJI_2, MOJI_3 = 2, 4, 8  # first, second and third character of a garbled triple
ADDRESS_BAD = 16  # traditional, full-width or U+FFFD: an address holding one needs a look
NUMERAL = 32  # may stand before 号 in a house number
HOUSE = 64  # 号
NAME_BAD = 128  # not NAME_OK

_EMPTY_U8 = np.empty(0, np.uint8)
THREADS = max(1, os.cpu_count() or 1)


class UnsupportedColumn(TypeError):
    """The column is not Arrow text: the SQL check handles it."""


# --------------------------------------------------------------------------- look-up tables


def _supplementary_names() -> tuple[int, int]:
    """The one range of ``sql.NAME_HANZI`` beyond the BMP (CJK extensions B-G)."""
    (lo, hi), = [(ord(a), ord(b)) for a, b in re.findall("(.)-(.)", sql.NAME_HANZI)
                 if ord(a) > 0xFFFF]
    return lo, hi


NAME_SUPPLEMENTARY_FIRST, NAME_SUPPLEMENTARY_LAST = _supplementary_names()


@lru_cache(maxsize=1)
def char_classes() -> np.ndarray:
    """Class bits of every BMP character, from the very sets and regex classes the SQL
    macros are built from."""
    table = np.zeros(0x10000, np.uint8)
    name_char = re.compile(f"[{sql.NAME_HANZI}{sql.NAME_OTHER}]")
    numeral = re.compile(f"[{sql.HOUSE_NUMERALS}]")
    for cp in range(0x10000):
        if name_char.fullmatch(chr(cp)):
            table[cp] |= NAME_OK
        if numeral.fullmatch(chr(cp)):
            table[cp] |= NUMERAL
    for c in sql._traditional_chars():
        table[ord(c)] = (int(table[ord(c)]) & ~NAME_OK) | ADDRESS_BAD
    for c in sql._mojibake_first():
        table[ord(c)] |= MOJI_1
    for c in sql._gbk_chars((0x80, 0xBF), (0xE4, 0xE9)):
        table[ord(c)] |= MOJI_2
    for c in sql._gbk_chars((0x80, 0xBF), (0x80, 0xBF)):
        table[ord(c)] |= MOJI_3
    for c in sql.FULL_WIDTH:  # the full-width forms and the ideographic space
        table[ord(c)] |= ADDRESS_BAD
    table[0xFFFD] = (int(table[0xFFFD]) & ~NAME_OK) | ADDRESS_BAD
    table[ord("号")] |= HOUSE
    table[(table & NAME_OK) == 0] |= NAME_BAD
    return table


@lru_cache(maxsize=1)
def region_last_years() -> np.ndarray:
    """``last[code]`` for every six-digit GB/T 2260 code: -1 unknown, 9999 still in force,
    else the last year it was (the history the ``std_region`` ENUM is built from)."""
    last = np.full(1_000_000, -1, np.int16)
    t = regions.region_history().to_pydict()
    for code, year in zip(t["code"], t["last_year"], strict=True):
        last[int(code)] = 9999 if year is None else year
    return last


# --------------------------------------------------------------------------- shared pieces


@nb.njit(nogil=True, cache=True, inline="always")
def _is_null(valid: np.ndarray, boff: int, i: int) -> bool:
    if valid.shape[0] == 0:
        return False
    j = boff + i
    return (valid[j >> 3] >> (j & 7)) & 1 == 0


@nb.njit(nogil=True, cache=True, inline="always")
def _blank_state(valid: np.ndarray, boff: int, offs: np.ndarray, data: np.ndarray,
                 i: int) -> int:
    """``std_blank``: NULL or empty is BLANK; a value opening with a byte below ``!`` or a
    character from U+0080 to U+3FFF may be spaces only (UNSURE); anything else is not."""
    if _is_null(valid, boff, i):
        return BLANK
    s, e = offs[i], offs[i + 1]
    if e == s:
        return BLANK
    b = data[s]
    if b < 0x21 or (0xC2 <= b <= 0xE3):
        return UNSURE
    return OK


@nb.njit(nogil=True, cache=True)
def _char(data: np.ndarray, j: int, e: int) -> tuple[int, int]:
    """(code point, next byte) of the UTF-8 character at ``j``; (-1, e) when malformed."""
    b = data[j]
    if b < 0x80:
        return b, j + 1
    if b < 0xC2:
        return -1, e
    if b < 0xE0:
        if j + 1 >= e:
            return -1, e
        return ((b & 0x1F) << 6) | (data[j + 1] & 0x3F), j + 2
    if b < 0xF0:
        if j + 2 >= e:
            return -1, e
        return ((b & 0x0F) << 12) | ((data[j + 1] & 0x3F) << 6) | (data[j + 2] & 0x3F), j + 3
    if j + 3 >= e:
        return -1, e
    cp = ((b & 0x07) << 18) | ((data[j + 1] & 0x3F) << 12) | ((data[j + 2] & 0x3F) << 6)
    return cp | (data[j + 3] & 0x3F), j + 4


@nb.njit(nogil=True, cache=True)
def _ymd_ok(y: int, m: int, d: int) -> bool:
    if y < 1890 or m < 1 or m > 12 or d < 1:
        return False
    if m == 2:
        leap = (y % 4 == 0 and y % 100 != 0) or y % 400 == 0
        return d <= (29 if leap else 28)
    if m == 4 or m == 6 or m == 9 or m == 11:
        return d <= 30
    return d <= 31


#: days from 1970-01-01 to 1 January of each year from 1890 to 2200, and before each month
_YEAR_DAYS = np.array([(dt.date(y, 1, 1) - dt.date(1970, 1, 1)).days for y in range(1890, 2201)],
                      np.int64)
_MONTH_DAYS = np.array([0, 0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334], np.int64)


@nb.njit(nogil=True, cache=True)
def _days(y: int, m: int, d: int) -> int:
    """Days since 1970-01-01 of a real date from 1890 to 2200 (two look-ups)."""
    leap = (y % 4 == 0 and y % 100 != 0) or y % 400 == 0
    return _YEAR_DAYS[y - 1890] + _MONTH_DAYS[m] + d - 1 + (1 if leap and m > 2 else 0)


@nb.njit(nogil=True, cache=True, inline="always")
def _d(b: int) -> int:
    """An ASCII digit's value; -100000 for any other byte, so that a number summed from
    digits goes negative when one of them is not a digit (scalar: helpers that take the
    byte array are not inlined and cost ~5x, each call counting references to it)."""
    c = np.int64(b) - 48
    return c if 0 <= c <= 9 else -100000


# --------------------------------------------------------------------------- the kernels


@nb.njit(nogil=True, cache=True)
def _blank_kernel(valid, boff, offs, data, out):  # type: ignore[no-untyped-def]
    for i in range(offs.shape[0] - 1):
        out[i] = _blank_state(valid, boff, offs, data, i)


@nb.njit(nogil=True, cache=True)
def _code_kernel(valid, boff, offs, data, out):  # type: ignore[no-untyped-def]
    """``std_code_reason``: present and no whitespace (RE2's ``\\s``: tab, LF, FF, CR, space;
    a vertical tab is left to SQL)."""
    for i in range(offs.shape[0] - 1):
        st = _blank_state(valid, boff, offs, data, i)
        if st == OK:
            for j in range(offs[i], offs[i + 1]):
                b = data[j]
                if b == 32 or 9 <= b <= 13:
                    st = UNSURE if b == 11 else BAD
                    break
        out[i] = st


@nb.njit(nogil=True, cache=True)
def _class(cp: int, classes: np.ndarray) -> int:
    """Class bits of a code point (the supplementary planes: CJK extensions B-G only)."""
    if cp < 0x10000:
        return classes[cp]
    return NAME_OK if NAME_SUPPLEMENTARY_FIRST <= cp <= NAME_SUPPLEMENTARY_LAST else NAME_BAD


@nb.njit(nogil=True, cache=True)
def _text_kernel(valid, boff, offs, data, classes, bad, house_needed, out):  # type: ignore[no-untyped-def]
    """``std_name_reason`` / ``std_address_reason`` is NULL: no character of a ``bad`` class
    (NAME_BAD: outside a name's characters or traditional; ADDRESS_BAD: traditional,
    full-width or U+FFFD), no three in a row that open UTF-8 Chinese read as GBK (MOJI_1,
    _2, _3), and with ``house_needed`` a house number (numerals before 号). UTF-8 is decoded
    in the loop itself: a helper taking the byte array, called per character, counts
    references to it on every call and ran five times slower."""
    for i in range(offs.shape[0] - 1):
        st = _blank_state(valid, boff, offs, data, i)
        if st != OK:
            out[i] = st
            continue
        j, e = np.int64(offs[i]), np.int64(offs[i + 1])
        c1 = 0  # classes of the two characters before
        c2 = 0
        house = False
        while j < e:
            b = data[j]
            if b < 0x80:
                if b < 0x20:  # a control character the regexes may treat apart
                    st = UNSURE
                    break
                k = classes[b]
                j += 1
            elif 0xE0 <= b < 0xF0 and j + 2 < e:
                k = classes[((b & 0x0F) << 12) | ((data[j + 1] & 0x3F) << 6)
                            | (data[j + 2] & 0x3F)]
                j += 3
            else:
                cp, j = _char(data, j, e)
                if cp < 0:
                    st = UNSURE
                    break
                k = _class(cp, classes)
            if (k & bad) != 0 or (((c1 << 2) & (c2 << 1) & k) & MOJI_3) != 0:
                st = BAD
                break
            if (k & HOUSE) != 0 and (c2 & NUMERAL) != 0:
                house = True
            c1 = c2
            c2 = k
        out[i] = BAD if st == OK and house_needed and not house else st


_ID_WEIGHTS = np.array(sql.ID_WEIGHTS, np.int64)
_ID_CHECK = np.frombuffer(sql.ID_CHECK.encode(), np.uint8).copy()


@nb.njit(nogil=True, cache=True)
def _id_kernel(valid, boff, offs, data, last, today, out, sex, birth):  # type: ignore[no-untyped-def]
    """GB 11643 (``std_id_r0`` is NULL): an 18-character ID whose 17-digit body does not
    open with 0, check character right, birth date real and not after ``today``, region code
    known and in force in the birth year. Gives the sex (1/2) and birth date (yyyymmdd)."""
    for i in range(offs.shape[0] - 1):  # sex and birth are written only where OK
        st = _blank_state(valid, boff, offs, data, i)
        if st != OK:
            out[i] = st
            continue
        s = offs[i]
        n = offs[i + 1] - s
        out[i] = BAD  # every value but a valid one fails, and is not usable for cross-checks
        if n == 15:  # unless it is a legacy 15-digit number (usable, SQL says so)
            legacy = True
            for k in range(15):
                legacy &= 48 <= data[s + k] <= 57
            if legacy:
                out[i] = UNSURE
            continue
        if n != 18 or data[s] == 48:
            continue
        total = 0
        good = True
        for k in range(17):
            c = np.int64(data[s + k]) - 48
            if c < 0 or c > 9:
                good = False
                break
            total += c * _ID_WEIGHTS[k]
        if not good or _ID_CHECK[total % 11] != data[s + 17]:
            continue
        # the parts as sums of independent products (one running number would be a chain
        # of 17 multiply-adds, each waiting for the last: half the kernel's time)
        y = (data[s + 6] - 48) * 1000 + (data[s + 7] - 48) * 100 + (data[s + 8] - 48) * 10 + (
            data[s + 9] - 48)
        m = (data[s + 10] - 48) * 10 + (data[s + 11] - 48)
        d = (data[s + 12] - 48) * 10 + (data[s + 13] - 48)
        ymd = y * 10000 + m * 100 + d
        if not _ymd_ok(y, m, d) or ymd > today:
            continue
        region = ((data[s] - 48) * 100000 + (data[s + 1] - 48) * 10000
                  + (data[s + 2] - 48) * 1000 + (data[s + 3] - 48) * 100
                  + (data[s + 4] - 48) * 10 + (data[s + 5] - 48))
        year_last = last[region]
        if year_last < 0 or year_last < min(max(y, 1980), 2100):
            continue
        out[i] = OK
        sex[i] = 2 - (data[s + 16] - 48) % 2
        birth[i] = ymd


@nb.njit(nogil=True, cache=True)
def _date_kernel(valid, boff, offs, data, latest, with_days, out, ymd, days):  # type: ignore[no-untyped-def]
    """``std_date_reason_p`` is NULL: ``yyyy-mm-dd``, ``yyyymmdd``, ``yyyy/mm/dd`` or
    ``yyyy.mm.dd``, a real day from 1890-01-01 to ``latest``. Gives it as yyyymmdd and as
    days since 1970-01-01 (where OK; the outputs are left unwritten elsewhere)."""
    for i in range(offs.shape[0] - 1):
        st = _blank_state(valid, boff, offs, data, i)
        if st != OK:
            out[i] = st
            continue
        out[i] = UNSURE
        s = offs[i]
        n = offs[i + 1] - s
        if n == 8:
            p, q = s + 4, s + 6
        elif n == 10 and data[s + 4] == data[s + 7] and (
            data[s + 4] == 45 or data[s + 4] == 47 or data[s + 4] == 46  # - / .
        ):
            p, q = s + 5, s + 8
        else:
            continue
        c0, c1 = np.int64(data[s]) - 48, np.int64(data[s + 1]) - 48
        c2, c3 = np.int64(data[s + 2]) - 48, np.int64(data[s + 3]) - 48
        c4, c5 = np.int64(data[p]) - 48, np.int64(data[p + 1]) - 48
        c6, c7 = np.int64(data[q]) - 48, np.int64(data[q + 1]) - 48
        # all digits: c and 9 - c both non-negative for each, so no sign bit in their OR
        if (c0 | c1 | c2 | c3 | c4 | c5 | c6 | c7
                | (9 - c0) | (9 - c1) | (9 - c2) | (9 - c3)
                | (9 - c4) | (9 - c5) | (9 - c6) | (9 - c7)) < 0:
            continue
        y, m, d = c0 * 1000 + c1 * 100 + c2 * 10 + c3, c4 * 10 + c5, c6 * 10 + c7
        if not _ymd_ok(y, m, d):
            continue
        v = y * 10000 + m * 100 + d
        if v > latest:
            continue
        out[i] = OK
        ymd[i] = v
        if with_days:
            days[i] = _days(y, m, d)


@nb.njit(nogil=True, cache=True)
def _month_kernel(valid, boff, offs, data, latest, out):  # type: ignore[no-untyped-def]
    """A month the date check accepts (``std_month_fast``): six ASCII digits ``yyyymm``,
    from 1890-01 to the month ``latest`` (yyyymm). False for anything else, which is left
    to the SQL check: ``2024 1`` passes there too."""
    for i in range(offs.shape[0] - 1):
        out[i] = False
        s = offs[i]
        if offs[i + 1] - s != 6 or _is_null(valid, boff, i):
            continue
        v = np.int64(0)
        for j in range(s, s + 6):
            c = np.int64(data[j]) - 48
            if c < 0 or c > 9:
                v = -1
                break
            v = v * 10 + c
        if v >= 0 and 1 <= v % 100 <= 12 and 189001 <= v <= latest:
            out[i] = True


@nb.njit(nogil=True, cache=True)
def _amount_kernel(valid, boff, offs, data, out, cents):  # type: ignore[no-untyped-def]
    """``std_amount_reason``: a plain amount (``-?[0-9]{1,16}(\\.[0-9]{1,2})?``) casts to
    DECIMAL(18, 2) as delivered: OK, or BAD (``negative``) below zero. Its value in fen
    where OK or BAD; signs, separators, currency marks and spaces are the SQL check's."""
    for i in range(offs.shape[0] - 1):
        st = _blank_state(valid, boff, offs, data, i)
        if st != OK:
            out[i] = st
            continue
        out[i] = UNSURE
        s, e = offs[i], offs[i + 1]
        neg = data[s] == 45  # -
        j = s + 1 if neg else s
        whole = np.int64(0)
        digits = 0
        while j < e and 48 <= data[j] <= 57:
            whole = whole * 10 + (np.int64(data[j]) - 48)
            digits += 1
            j += 1
        if digits == 0 or digits > 16:
            continue
        frac = np.int64(0)
        if j < e:
            if data[j] != 46 or e - j - 1 < 1 or e - j - 1 > 2:  # .
                continue
            for k in range(j + 1, e):
                c = np.int64(data[k]) - 48
                if c < 0 or c > 9:
                    frac = -1
                    break
                frac = frac * 10 + c
            if frac < 0:
                continue
            if e - j - 1 == 1:
                frac *= 10
        v = whole * 100 + frac
        out[i] = BAD if neg and v > 0 else OK
        cents[i] = -v if neg else v


@nb.njit(nogil=True, cache=True)
def _phone_kernel(valid, boff, offs, data, out):  # type: ignore[no-untyped-def]
    """``std_phone_reason`` is NULL: a mobile number ``1[3-9]`` and nine digits, or a
    landline ``0`` + area code, ``-``, seven or eight digits from 2-9 on, an optional
    ``-`` extension of one to six digits, written exactly so."""
    for i in range(offs.shape[0] - 1):
        st = _blank_state(valid, boff, offs, data, i)
        if st != OK:
            out[i] = st
            continue
        out[i] = BAD  # as delivered it is a mobile or a landline number, or it fails
        s, e = offs[i], offs[i + 1]
        n = e - s
        if n == 11 and data[s] == 49 and 51 <= data[s + 1] <= 57 and (
            _d(data[s + 2]) + _d(data[s + 3]) + _d(data[s + 4]) + _d(data[s + 5])
            + _d(data[s + 6]) + _d(data[s + 7]) + _d(data[s + 8]) + _d(data[s + 9])
            + _d(data[s + 10]) >= 0
        ):
            out[i] = OK
            continue
        if n < 11 or data[s] != 48:
            continue
        j = s + 1
        if data[j] == 49:
            if data[j + 1] != 48:
                continue
            j += 2
        elif data[j] == 50:
            if _d(data[j + 1]) < 0:
                continue
            j += 2
        elif 51 <= data[j] <= 57:
            if _d(data[j + 1]) + _d(data[j + 2]) < 0:
                continue
            j += 3
        else:
            continue
        if j >= e or data[j] != 45 or j + 1 >= e or not (50 <= data[j + 1] <= 57):
            continue
        end = _digits_end(data, j + 1, e)  # the local number: 7 or 8 digits
        if end - (j + 1) != 7 and end - (j + 1) != 8:
            continue
        if end == e:
            out[i] = OK
        elif data[end] == 45:  # and an extension of 1 to 6 digits
            ext = _digits_end(data, end + 1, e)
            if ext == e and 1 <= ext - (end + 1) <= 6:
                out[i] = OK


@nb.njit(nogil=True, cache=True)
def _digits_end(data: np.ndarray, j: int, e: int) -> int:
    """Where the run of ASCII digits from ``j`` ends (``e`` at most)."""
    while j < e and 48 <= data[j] <= 57:
        j += 1
    return j


def _uscc_values() -> np.ndarray:
    """A byte's place in GB 32100's alphabet (``0-9A-HJ-NPQRTUWXY``), -1 outside it."""
    table = np.full(256, -1, np.int8)
    for k, c in enumerate(sql.USCC_ALPHABET):
        table[ord(c)] = k
    return table


_USCC_VALUE = _uscc_values()
_USCC_CHECK = np.frombuffer(sql.USCC_ALPHABET.encode(), np.uint8).copy()
_USCC_WEIGHTS = np.array(sql.USCC_WEIGHTS, np.int64)
_ORG_CHECK = np.frombuffer(sql.ORG_CHECK.encode(), np.uint8).copy()
_ORG_WEIGHTS = np.array(sql.ORG_WEIGHTS, np.int64)


@nb.njit(nogil=True, cache=True)
def _uscc_kernel(valid, boff, offs, data, last, out):  # type: ignore[no-untyped-def]
    """``std_uscc_r0`` is NULL: 18 characters of the alphabet (the first not 0), the GB 32100
    check character, the GB 11714 organisation code check, a known region code."""
    for i in range(offs.shape[0] - 1):
        st = _blank_state(valid, boff, offs, data, i)
        if st != OK:
            out[i] = st
            continue
        out[i] = BAD  # valid as delivered, or it fails
        s = offs[i]
        if offs[i + 1] - s != 18 or data[s] == 48:
            continue
        total = 0
        good = True
        for k in range(17):
            v = _USCC_VALUE[data[s + k]]
            if v < 0:
                good = False
                break
            total += _USCC_WEIGHTS[k] * v
        if not good or _USCC_CHECK[(31 - total % 31) % 31] != data[s + 17]:
            continue
        org = 0
        for k in range(8):
            b = data[s + 8 + k]
            org += _ORG_WEIGHTS[k] * (b - 48 if b <= 57 else b - 55)  # 0-9, A-Z = 10-35
        if _ORG_CHECK[org % 11] != data[s + 16]:
            continue
        code = (_d(data[s + 2]) * 100000 + _d(data[s + 3]) * 10000 + _d(data[s + 4]) * 1000
                + _d(data[s + 5]) * 100 + _d(data[s + 6]) * 10 + _d(data[s + 7]))
        if code < 0 or last[code] < 0:
            continue
        out[i] = OK


@nb.njit(nogil=True, cache=True)
def _sex_kernel(valid, boff, offs, data, values, voffs, codes, out):  # type: ignore[no-untyped-def]
    """``std_sex_code``: the code of the text ``values[k]`` the value is, ASCII compared
    without case, or 0 (none); 3 (UNSURE) where trimming (a space or control byte) or
    Unicode case (a non-ASCII value that is none of them) could change the answer."""
    for i in range(offs.shape[0] - 1):
        out[i] = 0
        if _is_null(valid, boff, i):
            continue
        s, e = offs[i], offs[i + 1]
        for k in range(codes.shape[0]):  # the codes hold no space: a match is exact
            vs = voffs[k]
            if voffs[k + 1] - vs != e - s:
                continue
            same = True
            for j in range(e - s):
                b = data[s + j]
                if 65 <= b <= 90:
                    b += 32
                if b != values[vs + j]:
                    same = False
                    break
            if same:
                out[i] = codes[k]
                break
        if out[i] == 0:
            for j in range(s, e):
                if data[j] <= 32 or data[j] >= 0x80:
                    out[i] = 3
                    break


@nb.njit(nogil=True, cache=True)
def _set_kernel(valid, boff, offs, data, values, voffs, out):  # type: ignore[no-untyped-def]
    """``list_contains(codes, v)``: OK when the value is one of the codes byte for byte,
    BAD when it is not (and is not blank)."""
    for i in range(offs.shape[0] - 1):
        st = _blank_state(valid, boff, offs, data, i)
        if st != OK:
            out[i] = st
            continue
        s, e = offs[i], offs[i + 1]
        st = BAD
        for k in range(voffs.shape[0] - 1):
            vs, ve = voffs[k], voffs[k + 1]
            if ve - vs != e - s:
                continue
            same = True
            for j in range(e - s):
                if data[s + j] != values[vs + j]:
                    same = False
                    break
            if same:
                st = OK
                break
        out[i] = st


@nb.njit(nogil=True, cache=True)
def _hash_kernel(valid, boff, offs, data, out):  # type: ignore[no-untyped-def]
    """FNV-1a of each value's bytes, folded into ``out`` (several key columns combine)."""
    for i in range(offs.shape[0] - 1):
        h = np.uint64(0x9E3779B97F4A7C15) if _is_null(valid, boff, i) else np.uint64(
            0xCBF29CE484222325)
        if not _is_null(valid, boff, i):
            for j in range(offs[i], offs[i + 1]):
                h = (h ^ np.uint64(data[j])) * np.uint64(0x100000001B3)
        out[i] = (out[i] * np.uint64(0x100000001B3)) ^ h


# --------------------------------------------------------------------------- drivers


def _buffers(chunk: pa.Array) -> tuple[np.ndarray, int, np.ndarray, np.ndarray]:
    valid_buf, offs_buf, data_buf = chunk.buffers()
    n, off = len(chunk), chunk.offset
    width = np.int64 if pa.types.is_large_string(chunk.type) else np.int32
    valid = np.frombuffer(valid_buf, np.uint8) if valid_buf is not None else _EMPTY_U8
    if offs_buf is None:  # an empty array may come without one
        offs = np.zeros(1, width)
    else:
        offs = np.frombuffer(offs_buf, width)[off : off + n + 1]
    data = np.frombuffer(data_buf, np.uint8) if data_buf is not None else _EMPTY_U8
    return valid, off, offs, data


def _text(column: pa.Array | pa.ChunkedArray) -> list[pa.Array]:
    if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
        pass
    elif pa.types.is_string_view(column.type):
        column = column.cast(pa.string())
    else:
        raise UnsupportedColumn(str(column.type))
    return list(column.chunks) if isinstance(column, pa.ChunkedArray) else [column]


def _run(kernel: Callable[..., None], column: pa.Array | pa.ChunkedArray,
         dtypes: Sequence[type], *args: object, outs: list[np.ndarray] | None = None
         ) -> list[np.ndarray]:
    """Run ``kernel(valid, offset, offsets, bytes, *args, *outputs)`` over each Arrow chunk of
    ``column``, the chunks spread over the cores (the kernels release the GIL)."""
    chunks = _text(column)
    n = sum(len(c) for c in chunks)
    outs = outs if outs is not None else [np.empty(n, dt) for dt in dtypes]
    starts = np.concatenate([[0], np.cumsum([len(c) for c in chunks])]).tolist()

    def one(k: int) -> None:
        a, b = starts[k], starts[k + 1]
        kernel(*_buffers(chunks[k]), *args, *[o[a:b] for o in outs])

    if len(chunks) == 1 or THREADS == 1:
        for k in range(len(chunks)):
            one(k)
    else:
        with ThreadPoolExecutor(THREADS) as pool:
            list(pool.map(one, range(len(chunks))))
    return outs


def blank(column: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """BLANK, OK (not blank) or UNSURE per value."""
    return _run(_blank_kernel, column, [np.uint8])[0]


def today_ymd(today: dt.date) -> int:
    return today.year * 10000 + today.month * 100 + today.day


def element(name: str, column: pa.Array | pa.ChunkedArray, today: dt.date) -> np.ndarray:
    """The verdict of data element ``name`` on each value (see the module docstring).
    Raises KeyError for an element without a kernel."""
    if name == "code":
        return _run(_code_kernel, column, [np.uint8])[0]
    if name in ("name", "address"):
        bad, house = (NAME_BAD, False) if name == "name" else (ADDRESS_BAD, True)
        return _run(_text_kernel, column, [np.uint8], char_classes(), bad,
                    house)[0]
    if name == "id_card":
        return id_card(column, today)[0]
    if name in ("date", "date_any"):
        future = name == "date_any"
        return with_months(date(column, today, future)[0], column, today, future)
    if name == "amount":
        return amount(column)[0]
    if name == "phone":
        return _run(_phone_kernel, column, [np.uint8])[0]
    if name == "uscc":
        return _run(_uscc_kernel, column, [np.uint8], region_last_years())[0]
    raise KeyError(name)


def id_card(column: pa.Array | pa.ChunkedArray, today: dt.date
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(verdict, sex 1/2, birth date yyyymmdd) per value; sex and birth only where OK
    (undefined elsewhere)."""
    verdict, sex, birth = _run(_id_kernel, column,
                               [np.uint8, np.int8, np.int32],
                               region_last_years(), today_ymd(today))
    return verdict, sex, birth


def date(column: pa.Array | pa.ChunkedArray, today: dt.date, allow_future: bool = False,
         with_days: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(verdict, yyyymmdd, days since 1970-01-01) per value; the dates only where OK, the
    days only ``with_days`` (undefined elsewhere)."""
    latest = 22001231 if allow_future else today_ymd(today)
    verdict, ymd, days = _run(_date_kernel, column,
                              [np.uint8, np.int32, np.int32], latest, with_days)
    return verdict, ymd, days


def with_months(verdict: np.ndarray, column: pa.Array | pa.ChunkedArray, today: dt.date,
                allow_future: bool = False) -> np.ndarray:
    """The date check's verdict ``verdict`` with the months it accepts (a contribution
    period, 202401) as OK: valid for the element, though no date (``date`` leaves them
    UNSURE, as the rules reading a parsed date skip them). Only where ``verdict`` is UNSURE."""
    if not (verdict == UNSURE).any():
        return verdict
    latest = 220012 if allow_future else today.year * 100 + today.month
    month = _run(_month_kernel, column, [np.bool_], latest)[0]
    return np.where((verdict == UNSURE) & month, np.uint8(OK), verdict)


def amount(column: pa.Array | pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    """(verdict, value in fen) per value; the value only where OK or BAD (undefined
    elsewhere)."""
    verdict, cents = _run(_amount_kernel, column, [np.uint8, np.int64])
    return verdict, cents


def sex_code(column: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """``std_sex_code`` per value: 0 none, 1 male, 2 female, 3 UNSURE."""
    values, voffs = _encoded(list(sql.SEX_CODES))
    codes = np.array(list(sql.SEX_CODES.values()), np.int8)
    return _run(_sex_kernel, column, [np.int8], values, voffs, codes)[0]


def in_set(column: pa.Array | pa.ChunkedArray, codes: Sequence[str]) -> np.ndarray:
    """OK (one of ``codes``), BAD (not), BLANK or UNSURE per value."""
    values, voffs = _encoded(codes)
    return _run(_set_kernel, column, [np.uint8], values, voffs)[0]


def _encoded(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """``texts`` as one UTF-8 byte array and the offsets of each."""
    encoded = [t.encode() for t in texts]
    values = np.frombuffer(b"".join(encoded), np.uint8) if any(encoded) else _EMPTY_U8
    return values, np.concatenate([[0], np.cumsum([len(t) for t in encoded])]).astype(np.int64)


def key_hash(columns: Sequence[pa.Array | pa.ChunkedArray]) -> np.ndarray:
    """A 64-bit hash of each row's key (the values of ``columns``), NULL distinct from ''."""
    n = len(columns[0])
    out = np.zeros(n, np.uint64)
    for column in columns:
        _run(_hash_kernel, column, [], outs=[out])
    return out


@nb.njit(nogil=True, cache=True)
def _maybe_twice(hashes, bits):  # type: ignore[no-untyped-def]
    """Rows whose hash's top ``bits`` bits (a slot) are shared with another row: every
    repeated key, and the few keys that merely share a slot. Two bitmaps of 2**bits bits
    (seen, seen twice) instead of a sort of every hash."""
    shift = np.uint64(64 - bits)
    seen = np.zeros(1 << (bits - 3), np.uint8)
    twice = np.zeros(1 << (bits - 3), np.uint8)
    for i in range(hashes.shape[0]):
        slot = hashes[i] >> shift
        byte, bit = slot >> np.uint64(3), np.uint8(1 << (slot & np.uint64(7)))
        if seen[byte] & bit:
            twice[byte] |= bit
        else:
            seen[byte] |= bit
    out = np.zeros(hashes.shape[0], np.bool_)
    for i in range(hashes.shape[0]):
        slot = hashes[i] >> shift
        if twice[slot >> np.uint64(3)] & np.uint8(1 << (slot & np.uint64(7))):
            out[i] = True
    return out


def repeated(hashes: np.ndarray) -> np.ndarray:
    """Whether each row's hash occurs more than once (a repeated key, or rarely a collision
    of two keys: the caller sends those rows to the exact check). A bitmap of slots narrows
    10M hashes to the ~7 % that share a slot; only those are sorted."""
    bits = int(min(30, max(16, np.ceil(np.log2(max(len(hashes), 1))) + 4)))
    maybe = np.flatnonzero(_maybe_twice(hashes, bits))
    out = np.zeros(len(hashes), bool)
    if len(maybe):
        candidates = hashes[maybe]
        ordered = np.sort(candidates)
        twice = np.unique(ordered[1:][ordered[1:] == ordered[:-1]])
        if len(twice):
            hit = pc.is_in(pa.array(candidates), value_set=pa.array(twice))
            out[maybe[hit.to_numpy(zero_copy_only=False)]] = True
    return out
