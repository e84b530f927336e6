"""The screened scan: compiled kernels decide the plain rows, the one-scan SQL the rest.

On a large dataset most rows pass every rule, and the SQL scan spends its time proving it:
each check is a few regex or string calls per value (~120 ns), 21 rules over 10M rows about
28 s of CPU. Here the dataset is read once into Arrow; the data elements' kernels
(``standards.kernels``, numba) certify each rule row by row as the rule's ``Screen`` states
it; and a row is *certain* when every rule is decided for it: passes, does not apply, or
fails where the kernel is exact (a blank required field, a code outside its list, an ID
whose sex digit contradicts the sex column). The certain rows are counted by outcome
(which rules apply, which fail) in one small GROUP BY over the masks. Everything else goes
through the unchanged SQL scan, over only those rows:

* the rows a kernel is unsure of (every invalid value among them: the SQL says why);
* every row whose key may repeat (a uniqueness window sees all the copies of a key);
* for each rule, the first failing certain rows in delivery order, as many as a sample
  holds: the samples are then the ones the SQL scan alone would have kept.

Rules without a screen (a reference joined by citizen ID, a household's home, a custom rule)
are decided by SQL on every row read, reading the ID and address checks the kernels made
instead of making them again (``_sql_rules``); their failing rows are sample candidates like
any other. Counts and samples are the SQL scan's own (``tests/quality/test_screen.py``
compares the two on data full of defects); the dataset is read once. Datasets of at least
``SCREEN_ROWS`` rows take this path when some rule has a screen and every other one is
decided row by row (``row_local``); the others, and any rule that fails to bind, the SQL
scan alone.
"""

from __future__ import annotations

import datetime as dt
import decimal
import os
import re
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from citybrain.quality import rules as r
from citybrain.quality.engine import MASK_BITS, reads, row_masks_sql
from citybrain.quality.rules import DatasetInfo, Rule, district_sql
from citybrain.standards import service as standards
from citybrain.store.lake import qualified, quote_ident, table_rows

#: Below this many rows a dataset is scanned by SQL alone (the kernels' fixed cost, loading
#: them and reading the table into Arrow, is more than they save there).
SCREEN_ROWS = 100_000
#: The screen holds the columns it reads in memory (the SQL scan streams): it is used only
#: while rows × columns × this many bytes (text, verdicts, masks) fit in a quarter of RAM.
BYTES_PER_VALUE = 40
THREADS = max(1, os.cpu_count() or 1)
FOLD_BLOCK = 1 << 18  # rows folded by every rule before the next block

# a rule's state in a row
SKIP, PASS, FAIL, UNSURE = 0, 1, 2, 3
# a kernel's verdict on a value (``standards.kernels``, not imported here: numba loads slowly)
OK, BLANK, BAD = 0, 1, 2  # and UNSURE, 3, as above
#: a kernel's verdict (OK, BLANK, BAD, UNSURE) → the state of a rule on the value's validity,
#: and of a completeness rule (from the blank check: OK is "not blank")
_VERDICT_STATE = np.array([PASS, SKIP, FAIL, UNSURE], np.uint8)
_BLANK_STATE = np.array([PASS, FAIL, PASS, UNSURE], np.uint8)
_AS_BLANK = np.array([0, 1, 0, 3], np.uint8)  # element verdict → blank check's (BAD: not)


@dataclass
class Screened:
    """The outcome of the screen: what the SQL scan still has to see, and the rest counted."""

    rest: pa.Table  # rows for the SQL scan, the dataset's columns
    certain: pa.Table  # outcome groups of the certain rows, shaped as the SQL scan's result
    read_sql: str  # the one read of the dataset
    rows: int
    seconds: dict[str, float]  # where the time went: read, kernels, fold, split, groups
    rules: list[Rule]  # the rules for the SQL scan over the rest


_WINDOW = re.compile(r"\bover\s*\(", re.IGNORECASE)


def row_local(rule: Rule) -> bool:
    """Whether SQL decides ``rule`` row by row, from the row and joined references alone:
    no uniqueness window, no dataset-wide threshold, no window in its SQL (over the rows a
    kernel is unsure of it would see only those)."""
    text = " ".join([rule.applies, rule.fails, *(e for _, e in rule.columns)])
    return not (rule.unique_by or rule.newest_before or _WINDOW.search(text))


def usable(rules: list[Rule]) -> bool:
    """Whether the screen can take the scan: some rule has a screen, and every rule without
    one is decided row by row (``row_local``), which the SQL then does on every row read."""
    return any(x.screen for x in rules) and all(x.screen is not None or row_local(x)
                                                 for x in rules)


def _columns(con: duckdb.DuckDBPyConnection, target: str) -> dict[str, str]:
    rel = con.execute(f"SELECT * FROM {target} LIMIT 0")
    return {d[0]: str(d[1]) for d in rel.description or []}


def _needed(ds: DatasetInfo, rules: list[Rule], table_columns: dict[str, str]) -> list[str]:
    """The table's columns the rules, their samples and the districts read."""
    text = " ".join(
        " ".join([r.applies, r.fails, r.reason, *(e for _, e in r.columns),
                  r.join[2] if r.join else ""]) for r in rules
    )
    named = {c for r in rules for c in (*r.sample_columns, *(r.screen.fields if r.screen else ()))}
    named |= set(ds.primary_key) | {c for c in (ds.row_order, ds.district_field) if c}
    # a custom rule may name a column unquoted
    return [c for c in table_columns if c in named or quote_ident(c) in text or reads(text, c)]


class _Facts:
    """Each field's kernel verdicts, computed once however many rules read them."""

    def __init__(self, con: duckdb.DuckDBPyConnection, table: pa.Table, today: dt.date,
                 days: set[str]) -> None:
        self.con, self.table, self.today = con, table, today
        self.days = days  # date fields whose days since 1970 a rule reads
        self._memo: dict[tuple[Any, ...], Any] = {}

    def _get(self, key: tuple[Any, ...], make: Callable[[], Any]) -> Any:
        if key not in self._memo:
            self._memo[key] = make()
        return self._memo[key]

    def blank(self, f: str) -> np.ndarray:
        return self._get(("blank", f), lambda: standards.screen_blank(self.table.column(f)))

    def element(self, f: str, element: str) -> np.ndarray:
        if element == "id_card":
            return self.id_card(f)[0]
        if element in ("date", "date_any"):  # a month (202401) is valid, though no date
            future = element == "date_any"
            return self._get(("valid_date", f, future), lambda: standards.screen_date_months(
                self.date(f, future)[0], self.table.column(f), self.today, future))
        if element == "amount":
            return self.amount(f)[0]
        return self._get(("element", f, element), lambda: standards.screen_element(
            element, self.table.column(f), self.today))

    def amount(self, f: str) -> tuple[np.ndarray, np.ndarray]:
        """(verdict, value in fen where OK or BAD)."""
        return self._get(("amount", f), lambda: standards.screen_amount(self.table.column(f)))

    def bound(self, f: str, factor: float) -> tuple[int, str]:
        """The outlier bound of amount field ``f``, as the SQL computes it over every row:
        (the largest amount in fen that passes, the median as a SQL literal of its type).
        The amounts the kernel is unsure of are parsed by the SQL macro; the median and the
        bound are DuckDB's own, over the same decimals."""
        return self._get(("bound", f, factor), lambda: self._bound(f, factor))

    def _bound(self, f: str, factor: float) -> tuple[int, str]:
        verdict, fen = self.amount(f)
        known = fen[((verdict == OK) | (verdict == BAD)) & (fen > 0)]
        unsure = np.flatnonzero(verdict == UNSURE)
        if len(unsure):
            parsed = _over(
                self.con, self.table.column(f).take(unsure),
                # widened first: DECIMAL(18, 2) × 100 overflows near its largest values
                "CAST(CAST(std_amount_parse(v) AS DECIMAL(38, 2)) * 100 AS BIGINT)",
                "std_amount_parse(v) > 0")
            known = np.concatenate([known, parsed.to_numpy().astype(np.int64)])
        # the median is interpolated from the middle one or two amounts only: DuckDB is
        # given those (found by a partition, not a sort of 6M decimals: 0.75 → 0.05 s)
        k = len(known)
        middle = sorted({k // 2, (k - 1) // 2}) if k else []
        known = np.partition(known, middle)[middle] if k else known
        words = np.empty((len(known), 2), np.int64)  # decimal128: low word, then sign
        words[:, 0], words[:, 1] = known, known >> 63
        amounts = pa.Array.from_buffers(pa.decimal128(18, 2), len(known),
                                        [None, pa.py_buffer(words)])
        name = f"_cb_positive_{id(self)}"
        self.con.register(name, pa.table({"x": amounts}))
        try:
            median, kind, limit = self.con.execute(
                f"SELECT m, typeof(m), m * {factor} FROM (SELECT median(x) AS m FROM {name})"
            ).fetchall()[0]
        finally:
            self.con.unregister(name)
        if median is None:
            return np.iinfo(np.int64).max, f"CAST(NULL AS {kind})"
        if not isinstance(limit, decimal.Decimal):
            raise TypeError(f"outlier bound is {type(limit).__name__}, not a decimal")
        return int((limit * 100).to_integral_value(decimal.ROUND_FLOOR)), (
            f"CAST('{median}' AS {kind})")

    def id_card(self, f: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return self._get(("id", f), lambda: standards.screen_id_card(
            self.table.column(f), self.today))

    def date(self, f: str, allow_future: bool = False
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(verdict, yyyymmdd, days: only for the fields in ``self.days``)."""
        return self._get(("date", f, allow_future), lambda: standards.screen_date(
            self.table.column(f), self.today, allow_future, f in self.days))

    def sex(self, f: str) -> np.ndarray:
        return self._get(("sex", f), lambda: standards.screen_sex_code(self.table.column(f)))

    def repeated(self, key: tuple[str, ...]) -> np.ndarray:
        """Rows whose ``key`` may repeat; started early by ``start_repeated``."""
        found = self._get(("repeated", key), lambda: self._repeated(key))
        return found.result() if isinstance(found, Future) else found

    def start_repeated(self, key: tuple[str, ...], pool: ThreadPoolExecutor) -> None:
        """Look for repeated keys in the background: the slot bitmap runs on one core, so it
        overlaps the element kernels instead of following them."""
        self._memo.setdefault(("repeated", key), pool.submit(self._repeated, key))

    def _repeated(self, key: tuple[str, ...]) -> np.ndarray:
        return standards.screen_repeated([self.table.column(c) for c in key])

    def in_set(self, f: str, codes: tuple[str, ...]) -> np.ndarray:
        return self._get(("set", f, codes), lambda: standards.screen_in_set(
            self.table.column(f), codes))


def _over(con: duckdb.DuckDBPyConnection, values: pa.Array | pa.ChunkedArray, expr: str,
          where: str = "") -> pa.Array:
    """``expr`` of each of ``values`` (as ``v``), in order, where ``where`` holds: a
    standards macro over the few values a kernel left to the SQL."""
    name = f"_cb_values_{id(values)}"
    con.register(name, pa.table({"v": values}))
    try:
        found = con.sql(f"SELECT {expr} AS x FROM {name}" + (f" WHERE {where}" if where else ""))
        return found.to_arrow_table().column("x").combine_chunks()
    finally:
        con.unregister(name)


def _inputs(rule: Rule, facts: _Facts, element_of: dict[str, str]
            ) -> tuple[str, tuple[np.ndarray, ...], tuple[np.ndarray, ...]]:
    """The fold (``quality.masks``) that decides ``rule``, the kernel outputs it reads (one
    value per row) and its constant arguments."""
    s = rule.screen
    assert s is not None
    f = s.fields
    if s.kind == "complete":  # a field's element verdict says blank or not where it is sure
        if f[0] in element_of:
            return "fold_verdict", (facts.element(f[0], element_of[f[0]]),), (_BLANK_STATE,)
        return "fold_verdict", (facts.blank(f[0]),), (_BLANK_STATE,)
    if s.kind == "valid":
        return "fold_verdict", (facts.element(f[0], s.element),), (_VERDICT_STATE,)
    if s.kind == "in_set":
        return "fold_verdict", (facts.in_set(f[0], s.codes),), (_VERDICT_STATE,)
    if s.kind == "fresh":  # applies where the value parses: a valid date (else unsure)
        return "fold_verdict", (facts.date(f[0])[0],), (_VERDICT_STATE,)
    if s.kind == "id_sex":
        verdict, sex, _ = facts.id_card(f[0])
        return "fold_sex", (verdict, sex, facts.sex(f[1])), ()
    if s.kind == "id_birth":
        verdict, _, birth = facts.id_card(f[0])
        dverdict, ymd, _ = facts.date(f[1])
        return "fold_birth", (verdict, birth, dverdict, ymd), ()
    if s.kind == "outlier":
        verdict, fen = facts.amount(f[0])
        limit, _ = facts.bound(f[0], s.factor)
        return "fold_above", (verdict, fen), (np.int64(limit),)
    if s.kind == "unique":  # a repeated key is the SQL window's to judge
        blanks = [_AS_BLANK[facts.element(c, element_of[c])] if c in element_of
                  else facts.blank(c) for c in f]  # an element's UNSURE stays so
        key = np.maximum.reduce(blanks)  # BLANK (1) in any column skips, UNSURE (3) wins
        repeated = facts.repeated(f)
        key[repeated & (key == 0)] = 3
        return "fold_verdict", (key,), (_VERDICT_STATE,)
    raise ValueError(f"unknown screen kind {s.kind!r}")


def _masks(rules: list[Rule], facts: _Facts, clock: _Clock
           ) -> tuple[list[np.ndarray], list[np.ndarray], np.ndarray]:
    """(applies masks, fails masks, unsure) of every row, 63 rules per mask. The folds run
    over the rows in as many slices as there are cores (each slice's masks are its own),
    every rule over one block of rows before the next block, so the block's masks stay in
    the cache (21 passes over 10M rows' masks took twice as long)."""
    from citybrain.quality import masks

    n = facts.table.num_rows
    element_of = {r.screen.fields[0]: r.screen.element for r in rules
                  if r.screen and r.screen.kind == "valid"}
    unsure = np.zeros(n, bool)
    applies, fails = [], []
    with ThreadPoolExecutor(1) as background:
        for rule in rules:
            if rule.screen and rule.screen.kind == "unique":
                facts.start_repeated(rule.screen.fields, background)
        inputs = [_inputs(rule, facts, element_of) if rule.screen else None for rule in rules]
    clock.lap("kernels")
    for k in range(0, len(rules), MASK_BITS):
        folds = inputs[k : k + MASK_BITS]
        # 31 rules or fewer fit an int32 mask: half the memory to touch (and page in)
        width = np.int32 if len(folds) <= 31 else np.int64
        am, fm = np.zeros(n, width), np.zeros(n, width)

        def run(a: int, z: int, folds=folds, am=am, fm=fm) -> None:
            for lo in range(a, z, FOLD_BLOCK):
                hi = min(z, lo + FOLD_BLOCK)
                for b, fold in enumerate(folds):
                    if fold is None:  # a rule without a screen: the SQL sets its bits
                        continue
                    name, per_row, consts = fold
                    getattr(masks, name)(*(x[lo:hi] for x in per_row), *consts, 1 << b,
                                         am[lo:hi], fm[lo:hi], unsure[lo:hi])

        edges = np.linspace(0, n, THREADS + 1).astype(int).tolist()
        with ThreadPoolExecutor(THREADS) as pool:
            list(pool.map(run, edges[:-1], edges[1:]))
        clock.lap("fold")
        applies.append(am)
        fails.append(fm)
    return applies, fails, unsure


def _sql_rules(con: duckdb.DuckDBPyConnection, ds: DatasetInfo, rules: list[Rule],
               facts: _Facts, types: dict[str, str], applies: list[np.ndarray],
               fails: list[np.ndarray]) -> None:
    """Set the mask bits of the rules without a screen (a reference joined by citizen ID, a
    household's home, a custom rule) on every row read, by SQL over the rows in memory. The
    checks they share with the screened rules are not made again where a kernel is sure:
    an ID's check reason is NULL where its kernel says OK, and SQL runs only on the rest."""
    decide = [i for i, x in enumerate(rules) if x.screen is None]
    if not decide:
        return
    known = _known_checks(con, [rules[i] for i in decide], facts, types)
    picked = _reading(rules, decide, known)
    n = facts.table.num_rows
    cols = {c: facts.table.column(c) for c in facts.table.column_names}
    cols.update(known)
    cols["_cb_ri"] = pa.array(np.arange(n, dtype=np.int64))
    name = f"_cb_rows_{id(cols)}"
    con.register(name, pa.table(cols))
    try:
        rows = replace(ds, schema="temp", table=name, district_field=None)
        result = con.sql(row_masks_sql(rows, picked, decide, "_cb_ri")).to_arrow_table()
    finally:
        con.unregister(name)
    at = result.column("_cb_ri").to_numpy()
    if len(at) != n:  # a reference holding a key twice repeats rows: the SQL scan's to count
        raise ValueError(f"{len(at)} rows joined from {n}: a reference repeats a key")
    for k, (am, fm) in enumerate(zip(applies, fails, strict=True)):
        am[at] |= result.column(f"_qa{k}").to_numpy().astype(am.dtype)
        fm[at] |= result.column(f"_qf{k}").to_numpy().astype(fm.dtype)


#: shared check columns a kernel decides: (the column, its element, the SQL of its reason)
_CHECKS = (
    (lambda f: r.id_check(f)[-1][0], "id_card", "std_id_r0(CAST(v AS VARCHAR))"),
    (lambda f: r.address_check(f)[0], "address", "std_address_reason(v)"),
)


def _known_checks(con: duckdb.DuckDBPyConnection, decide: list[Rule], facts: _Facts,
                  types: dict[str, str]) -> dict[str, pa.Array]:
    """The shared check columns the rules ``decide`` read that a kernel decides, per row:
    NULL (valid) where the kernel says OK, the SQL's reason elsewhere (a few percent)."""
    wanted = {alias for x in decide for alias, _ in x.columns}
    out: dict[str, pa.Array] = {}
    for f in facts.table.column_names:
        if types.get(f) != "VARCHAR":
            continue
        for column_of, element, reason_sql in _CHECKS:
            alias = column_of(f)
            if alias not in wanted:
                continue
            unsure = facts.element(f, element) != OK
            reasons = pa.nulls(len(unsure), pa.string())
            if unsure.any():
                found = _over(con, facts.table.column(f).filter(unsure), reason_sql)
                reasons = pc.replace_with_mask(reasons, pa.array(unsure), found)
            out[alias] = reasons
    return out


def _reading(rules: list[Rule], decide: list[int], known: dict[str, pa.Array]) -> list[Rule]:
    """``rules`` with the rules ``decide`` computing only the shared columns they still need:
    not the known checks (columns of the table now), nor what only those read (an ID
    check's parts)."""
    picked = [rules[i] for i in decide]
    texts = [t for x in picked for t in (x.applies, x.fails, x.join[2] if x.join else "")]
    columns = {a: e for x in picked for a, e in x.columns if a not in known}
    needed: set[str] = set()
    grew = True
    while grew:
        text = " ".join(texts)
        new = [a for a in columns if a not in needed and reads(text, a)]
        needed.update(new)
        texts += [columns[a] for a in new]
        grew = bool(new)
    out = list(rules)
    for i in decide:
        out[i] = replace(rules[i], columns=tuple(c for c in rules[i].columns if c[0] in needed))
    return out


def _sample_rows(fails: list[np.ndarray], certain: np.ndarray, order: np.ndarray,
                 n_rules: int, limit: int) -> np.ndarray:
    """For each rule, its first ``limit`` failing certain rows in delivery order: the rows
    the SQL scan must see for its samples to be the ones it would keep alone."""
    from citybrain.quality import masks

    keep = np.zeros(len(certain), bool)
    if limit:
        for k, fm in enumerate(fails):
            masks.first_failing(fm, certain, order, min(MASK_BITS, n_rules - k * MASK_BITS),
                                int(limit), keep)
    return keep


def _certain_groups(con: duckdb.DuckDBPyConnection, ds: DatasetInfo, rules: list[Rule],
                    table: pa.Table, applies: list[np.ndarray], fails: list[np.ndarray],
                    certain: np.ndarray, facts: _Facts) -> pa.Table:
    """The certain rows' outcome groups (district, masks, count, the freshness parts), in
    the columns of the SQL scan's result."""
    cols: dict[str, Any] = {"_c": certain}
    for k, (am, fm) in enumerate(zip(applies, fails, strict=True)):
        cols[f"_ma{k}"], cols[f"_mf{k}"] = am, fm
    parts = []
    groups = ["_district"] if ds.district_field else []
    select = [f"{district_sql(ds.district_field)} AS _district"] if ds.district_field else []
    if ds.district_field:
        cols[ds.district_field] = table.column(ds.district_field)
    for i, rule in enumerate(rules):
        if rule.newest_before and rule.screen and rule.screen.kind == "fresh":
            verdict, _, days = facts.date(rule.screen.fields[0])
            cols[f"_fv{i}"] = pa.array(days, pa.int32(), mask=verdict != OK).cast(pa.date32())
            parts += [
                f"CAST(count_if(_fv{i} IS NOT NULL AND _fv{i} >= ({rule.newest_before}))"
                f" AS BIGINT) AS _nr{i}",
                f"max(_fv{i}) AS _nv{i}",
            ]
    masks = [f"_ma{k}" for k in range(len(applies))] + [f"_mf{k}" for k in range(len(fails))]
    select += [f"CAST({m} AS BIGINT) AS {m}" for m in masks]  # the SQL scan's type
    name = f"_cb_certain_{id(cols)}"
    con.register(name, pa.table(cols))
    try:
        sql = (f"SELECT {', '.join([*select, 'count(*) AS _rows', *parts])} "
               f"FROM {name} WHERE _c GROUP BY {', '.join([*groups, *masks])}")
        return con.sql(sql).to_arrow_table()
    finally:
        con.unregister(name)


def screen(con: duckdb.DuckDBPyConnection, ds: DatasetInfo, rules: list[Rule], limit: int,
           min_rows: int | None = None) -> Screened | None:
    """Read ``ds`` once and split it into certain rows (counted here) and the rest (for the
    SQL scan); None when the screen does not fit (too few rows, a rule without a screen, a
    field missing or not text, a delivery order that is not an integer)."""
    if not usable(rules):
        return None
    rows = table_rows(con, ds.schema, ds.table)
    if rows < (SCREEN_ROWS if min_rows is None else min_rows):
        return None
    target = qualified(ds.schema, ds.table)
    types = _columns(con, target)
    fields = {f for r in rules if r.screen for f in r.screen.fields}
    if any(types.get(f) != "VARCHAR" for f in fields):
        return None
    if ds.row_order and not any(
        t in types.get(ds.row_order, "") for t in ("BIGINT", "INTEGER", "HUGEINT")
    ) or ds.district_field and ds.district_field not in types:
        return None
    columns = _needed(ds, rules, types)
    if rows * len(columns) * BYTES_PER_VALUE > _memory() // 4:
        return None
    read_sql = f"SELECT {', '.join(map(quote_ident, columns))} FROM {target}"
    clock = _Clock()
    table = con.sql(read_sql).to_arrow_table()
    clock.lap("read")
    if ds.row_order:
        order_col = table.column(ds.row_order)
        if order_col.null_count:
            return None
        order = order_col.to_numpy().astype(np.int64)
    else:
        order = np.arange(table.num_rows, dtype=np.int64)
    today = con.execute("SELECT current_date").fetchall()[0][0]
    facts = _Facts(con, table, today,
                   {r.screen.fields[0] for r in rules if r.screen and r.screen.kind == "fresh"})
    applies, fails, unsure = _masks(rules, facts, clock)
    _sql_rules(con, ds, rules, facts, types, applies, fails)
    clock.lap("sql rules")
    certain = ~unsure
    to_sql = unsure | _sample_rows(fails, certain, order, len(rules), limit)
    certain &= ~to_sql
    rest = table.filter(pa.array(to_sql))
    clock.lap("split")
    groups = _certain_groups(con, ds, rules, table, applies, fails, certain, facts)
    clock.lap("groups")
    return Screened(rest, groups, read_sql, table.num_rows, clock.seconds,
                    _rules_for_rest(rules, facts))


def _rules_for_rest(rules: list[Rule], facts: _Facts) -> list[Rule]:
    """The rules as the SQL scan over the rest runs them: an outlier bound is the median of
    every row, so it goes in as the constant computed here, not as a window over the rest."""
    out = []
    for rule in rules:
        if rule.screen and rule.screen.kind == "outlier":
            _, median = facts.bound(rule.screen.fields[0], rule.screen.factor)
            (alias, _), = rule.columns
            rule = replace(rule, columns=((alias, median),))
        out.append(rule)
    return out


def _memory() -> int:
    """This machine's memory in bytes (8 GiB where it cannot be asked)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 8 << 30


class _Clock:
    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, what: str) -> None:
        now = time.perf_counter()
        self.seconds[what] = self.seconds.get(what, 0.0) + now - self._last
        self._last = now
