"""Compiled folding of the screen's verdicts into the scan's outcome masks (numba).

One pass per rule over the rows, setting the rule's bit in the row's ``applies`` and ``fails``
masks or marking the row unsure: numpy's ``where`` chains took 4 s on 10M rows and 21 rules,
these take ~0.2 s. Imported by ``quality.screen`` on first use (numba loads slowly).
"""

from __future__ import annotations

import numba as nb
import numpy as np

from citybrain.quality.screen import BAD, FAIL, OK, PASS, UNSURE


@nb.njit(nogil=True, cache=True)
def fold_verdict(verdict, states, bit, am, fm, unsure):  # type: ignore[no-untyped-def]
    """``states[verdict]`` per row: a kernel's verdict (OK, BLANK, BAD, UNSURE) read as
    the rule's state."""
    b = np.int64(bit)
    for i in range(verdict.shape[0]):
        s = states[verdict[i]]
        if s == PASS:
            am[i] |= b
        elif s == FAIL:
            am[i] |= b
            fm[i] |= b
        elif s == UNSURE:
            unsure[i] = True


@nb.njit(nogil=True, cache=True)
def fold_sex(verdict, sex, code, bit, am, fm, unsure):  # type: ignore[no-untyped-def]
    """ID ↔ sex: applies where the ID is valid and the sex column holds a code (1, 2),
    fails where the ID's sex digit says otherwise; unsure where either kernel is."""
    b = np.int64(bit)
    for i in range(verdict.shape[0]):
        if verdict[i] == UNSURE or code[i] == UNSURE:
            unsure[i] = True
        elif verdict[i] == OK and (code[i] == 1 or code[i] == 2):
            am[i] |= b
            if sex[i] != code[i]:
                fm[i] |= b


@nb.njit(nogil=True, cache=True)
def fold_birth(verdict, birth, dverdict, ymd, bit, am, fm, unsure):  # type: ignore[no-untyped-def]
    """ID ↔ birth date: applies where both are valid, fails where the dates differ."""
    b = np.int64(bit)
    for i in range(verdict.shape[0]):
        if verdict[i] == UNSURE or dverdict[i] == UNSURE:
            unsure[i] = True
        elif verdict[i] == OK and dverdict[i] == OK:
            am[i] |= b
            if birth[i] != ymd[i]:
                fm[i] |= b


@nb.njit(nogil=True, cache=True)
def fold_above(verdict, fen, limit, bit, am, fm, unsure):  # type: ignore[no-untyped-def]
    """An amount above the learned bound: applies where the amount is above zero, fails
    where it is above ``limit`` (both in fen); unsure where the amount kernel is."""
    b = np.int64(bit)
    for i in range(verdict.shape[0]):
        if verdict[i] == UNSURE:
            unsure[i] = True
        elif (verdict[i] == OK or verdict[i] == BAD) and fen[i] > 0:
            am[i] |= b
            if fen[i] > limit:
                fm[i] |= b


@nb.njit(nogil=True, cache=True)
def first_failing(fm, certain, order, nbits, limit, keep):  # type: ignore[no-untyped-def]
    """Mark in ``keep``, for each of the ``nbits`` rules of mask ``fm``, its first ``limit``
    failing certain rows by ``order``."""
    best = np.full((nbits, limit), np.iinfo(np.int64).max, np.int64)
    rows = np.full((nbits, limit), -1, np.int64)
    for i in range(fm.shape[0]):
        m = fm[i]
        if m == 0 or not certain[i]:
            continue
        o = order[i]
        for r in range(nbits):
            if (m >> r) & 1 == 0 or o >= best[r, limit - 1]:
                continue
            k = limit - 1
            while k > 0 and best[r, k - 1] > o:
                best[r, k] = best[r, k - 1]
                rows[r, k] = rows[r, k - 1]
                k -= 1
            best[r, k] = o
            rows[r, k] = i
    for r in range(nbits):
        for k in range(limit):
            if rows[r, k] >= 0:
                keep[rows[r, k]] = True
