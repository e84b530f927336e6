"""The one-scan engine: every rule of a dataset folded into one aggregate query.

Each row gets two bit masks, which rules apply to it and which it fails, and the single pass
over the lake table groups by them (and by district): one ``count(*)`` and one bounded
``min_by`` sample per distinct outcome, folded into per-rule counts afterwards. Uniqueness
rules add a rank within their key (a window) in the same pass, over the rows narrowed to
their masks once the other rules are folded in. The reasons of the few
sampled rows are computed after the scan. A rule that does not bind (invalid SQL, missing
column) is reported on its own and left out of the scan, so the other rules still run.
Failing rows are sampled with a bound, never read whole.
"""

from __future__ import annotations

import logging
import re
import time
import warnings
from dataclasses import dataclass, field, replace
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa

from citybrain.quality.rules import DatasetInfo, Rule, district_sql
from citybrain.store.lake import (
    QUERY_ERRORS,
    DuckDBLake,
    qualified,
    query_error_text,
    quote_ident,
    table_rows,
)

SAMPLE_LIMIT = 5
log = logging.getLogger(__name__)


@dataclass
class RuleOutcome:
    rule: Rule
    checked: int = 0
    failed: int = 0
    error: str | None = None
    samples: list[dict[str, Any]] = field(default_factory=list)

    @property
    def score(self) -> float | None:
        if self.error or self.checked == 0:
            return None
        return 1.0 - self.failed / self.checked


@dataclass
class ScanOutcome:
    dataset: DatasetInfo
    rows: int
    outcomes: list[RuleOutcome]
    seconds: float
    sql: str = ""
    districts: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: where a screened scan's time went (read, kernels, fold, split, groups, sql); empty
    #: for a scan by SQL alone
    phases: dict[str, float] = field(default_factory=dict)


def _target(ds: DatasetInfo) -> str:
    return qualified(ds.schema, ds.table)


def reads(sql: str, alias: str) -> bool:
    """Whether ``sql`` reads the scan column ``alias``."""
    return re.search(rf"\b{re.escape(alias)}\b", sql) is not None


def _stages(extra: dict[str, str]) -> list[dict[str, str]]:
    """The shared columns in projections: a column that reads another comes one level above
    it (a value bound once in an inner projection instead of re-derived where it is read)."""
    level: dict[str, int] = {}
    for alias, expr in extra.items():  # a column may read only columns listed before it
        below = [level[a] for a in level if reads(expr, a)]
        level[alias] = 1 + max(below) if below else 0
    stages: list[dict[str, str]] = [{} for _ in range(1 + max(level.values(), default=0))]
    for alias, expr in extra.items():
        stages[level[alias]][alias] = expr
    return stages


#: A uniqueness window's identity: its key columns and whether every copy fails.
WindowKey = tuple[tuple[str, ...], bool]


def _window_keys(rules: list[Rule]) -> dict[WindowKey, int]:
    keys: dict[WindowKey, int] = {}
    for r in rules:
        if r.unique_by:
            keys.setdefault((r.unique_by, r.unique_all), len(keys))
    return keys


def _windows(ds: DatasetInfo, keys: dict[WindowKey, int], prefix: str = "") -> list[str]:
    """``_dup_<i>`` per key: the rank within the key in delivery order (the first copy is the
    original), or for ``unique_all`` a row and its neighbours in the key's partition (more
    than one ⇔ the key repeats; a whole-partition ``count(*)`` would be rewritten by DuckDB
    into a GROUP BY joined back to the table, a second read of the key)."""
    out = []
    for (cols, every), i in keys.items():
        part = ", ".join(prefix + quote_ident(c) for c in cols)
        if every:
            out.append(
                f"count(*) OVER (PARTITION BY {part} ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING)"
                f" AS _dup_{i}"
            )
        else:
            order = f" ORDER BY {prefix}{quote_ident(ds.row_order)}" if ds.row_order else ""
            out.append(f"row_number() OVER (PARTITION BY {part}{order}) AS _dup_{i}")
    return out


def _source(ds: DatasetInfo, rules: list[Rule], windows: bool = True) -> str:
    """FROM clause: the table (read once) with the rules' shared columns, one LEFT JOIN per
    distinct reference and, with ``windows``, the uniqueness windows (the scan adds those
    later, over the few columns left once the other rules are folded into masks).

    Each distinct join key is a shared column too, so a key two references use is computed
    once and a key may read another shared column (a citizen-ID key reads the ID check the
    validity rule computes anyway); the joins come after the last projection."""
    extra: dict[str, str] = {}
    joins: dict[str, tuple[str, str]] = {}
    for r in rules:
        extra.update(r.columns)
        if r.join:
            joins[r.join[0]] = (r.join[1], r.join[2])
    if ds.district_field:
        extra["_district"] = district_sql(ds.district_field)
    key_column: dict[str, str] = {}
    for _, key in joins.values():
        key_column.setdefault(key, f"_jk{len(key_column)}")
    extra.update({alias: key for key, alias in key_column.items()})
    ranks = _windows(ds, _window_keys(rules), "_d.") if windows else []
    if not ranks and not extra:
        return _target(ds)
    first, *later = _stages(extra)
    columns = ["_d.*", *ranks, *(f"{expr} AS {alias}" for alias, expr in first.items())]
    source = f"(SELECT {', '.join(columns)} FROM {_target(ds)} AS _d) AS _t"
    for k, stage in enumerate(later):
        added = ", ".join(f"{expr} AS {alias}" for alias, expr in stage.items())
        source = f"(SELECT *, {added} FROM {source}) AS _t{k}"
    if not joins:
        return source
    # rules read the reference as plain columns <alias>__k, <alias>__v
    columns = ["_j.*"] + [f"{a}._k AS {a}__k, {a}._v AS {a}__v" for a in joins]
    joined = "".join(
        f" LEFT JOIN ({sub}) AS {alias} ON {alias}._k = _j.{key_column[key]}"
        for alias, (sub, key) in joins.items()
    )
    return f"(SELECT {', '.join(columns)} FROM (SELECT * FROM {source}) AS _j{joined}) AS _tj"


def _fails(rule: Rule, keys: dict[WindowKey, int]) -> str:
    if rule.unique_by:
        return rule.fails.replace("{i}", str(keys[(rule.unique_by, rule.unique_all)]))
    return rule.fails


def sample_columns(ds: DatasetInfo, rule: Rule) -> list[str]:
    """What a failing row is shown with: the primary key, the columns the rule names for its
    samples and the fields it judges."""
    return list(
        dict.fromkeys(
            [
                *ds.primary_key,
                *rule.sample_columns,
                *(c for c in rule.field.split("+") if ds.field(c)),
            ]
        )
    )


#: Rules per bit-mask column of the scan (bits 0..62 of a BIGINT).
MASK_BITS = 63


def _bits(rules: list[Rule], keys: dict[WindowKey, int], which: str, chunk: int) -> list[str]:
    """One ``CASE … THEN <bit>`` term per rule of mask ``chunk``: ``which`` is "applies",
    "fails" (the rules that need no window) or "late" (the uniqueness rules)."""
    out = []
    for i in range(chunk * MASK_BITS, min((chunk + 1) * MASK_BITS, len(rules))):
        bit = f"{1 << (i % MASK_BITS)}::BIGINT"
        late = bool(rules[i].unique_by)
        if which == "applies":
            out.append(f"CASE WHEN _a{i} THEN {bit} ELSE 0 END")
        elif late == (which == "late"):
            out.append(f"CASE WHEN _a{i} AND ({_fails(rules[i], keys)}) THEN {bit} ELSE 0 END")
    return out


def _mask(terms: list[str], alias: str) -> str:
    return f"CAST({' + '.join(terms) or '0'} AS BIGINT) AS {alias}"


def _scan_columns(rules: list[Rule]) -> list[str]:
    """Columns the scan adds to the table (shared checks, joined reference values)."""
    out = [alias for r in rules for alias, _ in r.columns]
    out += [f"{r.join[0]}__{part}" for r in rules if r.join for part in ("k", "v")]
    return list(dict.fromkeys(out))


def _reason_inputs(ds: DatasetInfo, rules: list[Rule]) -> list[str]:
    """What a sample row carries so the rules' reasons can be computed from it afterwards:
    the sample columns and the scan columns a reason reads."""
    columns = [c for r in rules for c in sample_columns(ds, r)]
    reasons = " ".join(r.reason for r in rules if r.reason)
    columns += [c for c in _scan_columns(rules) if reads(reasons, c)]
    return list(dict.fromkeys(columns))


def _order(ds: DatasetInfo) -> str:
    """The delivery-order column a sample is kept by (a constant when there is none)."""
    return quote_ident(ds.row_order) if ds.row_order else "0"


def _row_struct(columns: list[str], order: str) -> str:
    fields = [f"'{c.replace(chr(39), chr(39) * 2)}': {quote_ident(c)}" for c in columns]
    return "{" + ", ".join([*fields, f"'_row': {order}"]) + "}"


def _sample_struct(ds: DatasetInfo, rules: list[Rule]) -> str:
    """The sample row of a failing row: what the rules that need no window report of it."""
    return _row_struct(_reason_inputs(ds, [r for r in rules if not r.unique_by]), _order(ds))


def _dataset_level(rules: list[Rule]) -> list[tuple[int, str]]:
    """(rule index, the column its threshold is compared with) of the dataset-level rules."""
    return [(i, r.columns[-1][0]) for i, r in enumerate(rules) if r.newest_before and r.columns]


def _mask_count(rules: list[Rule]) -> int:
    return max(1, -(-len(rules) // MASK_BITS))


def build_scan_sql(
    ds: DatasetInfo,
    rules: list[Rule],
    sample_limit: int = SAMPLE_LIMIT,
    row_type: str | None = None,
) -> str:
    """The single aggregate query over ``ds`` (a pure function of the rules): one row per
    district and outcome (which rules apply, which fail) with its row count and a bounded
    sample of its rows; ``run_scan`` folds them into per-rule counts and samples.

    Each row gets two bit masks, per 63 rules: which rules apply (``_ma<k>``) and which it
    fails (``_mf<k>``). Grouping by them turns two counts and a sample per rule into one
    ``count(*)`` and one sample list per distinct outcome: a register's rows share a few
    hundred outcomes, so the aggregate does a fraction of the work. Predicates are evaluated
    once per row, in projections under the aggregate. Once the rules that need no window
    are folded into masks, the rows are narrowed to the masks, a sample row for those that
    fail (values, not reasons: ``_add_reasons``) and the uniqueness keys; the uniqueness
    windows then sort a few narrow columns instead of the whole table. The sample row goes
    through the window as JSON text when ``row_type`` (its struct type, ``_row_type``) is
    given: a window copies a struct's every field even where the struct is NULL, text costs
    a fraction of that, and only the rows the aggregate keeps are cast back. (A 2M-row
    register, one thread: the window took 1.3 s under the whole table, 1.9 s over the
    narrowed rows carrying the struct, 0.56 s carrying JSON text.)
    """
    source = _source(ds, rules, windows=False)
    groups = ["_district"] if ds.district_field else []
    if not rules:
        group_by = " GROUP BY _district" if groups else ""
        return f"SELECT {', '.join([*groups, 'count(*) AS _rows'])} FROM {source}{group_by}"
    keys = _window_keys(rules)
    masks = range(_mask_count(rules))
    late = [i for i, r in enumerate(rules) if r.unique_by]
    order = _order(ds)

    applies = ", ".join(f"({r.applies}) AS _a{i}" for i, r in enumerate(rules))
    flagged = [_mask(_bits(rules, keys, "applies", k), f"_ma{k}") for k in masks]
    flagged += [_mask(_bits(rules, keys, "fails", k), f"_mp{k}") for k in masks]
    source = (
        f"(SELECT *, {', '.join(flagged)} FROM (SELECT *, {applies} FROM {source}) AS _ta) AS _tx"
    )

    kept = [*groups, *(f"_ma{k}" for k in masks), *(f"_mp{k}" for k in masks)]
    for i, value in _dataset_level(rules):
        kept += [f"_a{i}", value]
    kept += [f"_a{i}" for i in late]
    kept += [quote_ident(c) for i in late for c in sample_columns(ds, rules[i])]
    kept += [quote_ident(c) for cols, _ in keys for c in cols]
    if ds.row_order:
        kept.append(order)
    failing = " OR ".join(f"_mp{k} <> 0" for k in masks)
    as_json = bool(late and row_type)
    if sample_limit:
        row = _sample_struct(ds, rules)
        row = f"to_json({row})" if as_json else row
        kept.append(f"CASE WHEN {failing} THEN {row} END AS {'_sj' if as_json else '_s'}")
    source = f"(SELECT {', '.join(dict.fromkeys(kept))} FROM {source}) AS _tn"

    final = [_mask([f"_mp{k}", *_bits(rules, keys, "late", k)], f"_mf{k}") for k in masks]
    if late:
        source = f"(SELECT *, {', '.join(_windows(ds, keys))} FROM {source}) AS _tw"
        if sample_limit:
            dup = " OR ".join(f"(_a{i} AND ({_fails(rules[i], keys)}))" for i in late)
            cols = [c for i in late for c in sample_columns(ds, rules[i])]
            final.append(f"CASE WHEN {dup} THEN {_row_struct(list(dict.fromkeys(cols)), order)}"
                         " END AS _su")
    source = f"(SELECT *, {', '.join(final)} FROM {source}) AS _tf"

    groups += [f"_ma{k}" for k in masks] + [f"_mf{k}" for k in masks]
    parts = [*groups, "count(*) AS _rows"]
    for i, value in _dataset_level(rules):  # rows reaching the threshold, the newest value
        parts.append(
            f"CAST(count_if(_a{i} AND {value} >= ({rules[i].newest_before})) AS BIGINT) AS _nr{i}"
        )
        parts.append(f"max(CASE WHEN _a{i} THEN {value} END) AS _nv{i}")
    # A bounded list of failing rows per outcome group, kept by the aggregate itself
    # (min_by(row, order, n)), so sampling costs no second pass.
    limit = int(sample_limit)
    if sample_limit:
        if as_json:  # cast back the few rows kept, not every row
            parts.append(f"CAST(min_by(_sj, {order}, {limit}) FILTER (WHERE _sj IS NOT NULL) "
                         f"AS {row_type}[]) AS _s")
        else:
            parts.append(f"min_by(_s, {order}, {limit}) FILTER (WHERE _s IS NOT NULL) AS _s")
        if late:
            parts.append(f"min_by(_su, {order}, {limit}) FILTER (WHERE _su IS NOT NULL) AS _su")
    return f"SELECT {', '.join(parts)} FROM {source} GROUP BY {', '.join(groups)}"


@dataclass
class _Folded:
    """Per-rule counts of a scan result (whole dataset and per district) and samples."""

    rows: int
    checked: np.ndarray
    failed: np.ndarray
    samples: list[list[dict[str, Any]]]
    districts: dict[str, tuple[int, np.ndarray, np.ndarray]]
    sql: str = ""
    phases: dict[str, float] = field(default_factory=dict)


def row_masks_sql(ds: DatasetInfo, rules: list[Rule], decide: list[int], row_id: str) -> str:
    """Per row of ``ds``: its ``row_id`` and the bits of the rules ``decide`` (indexes into
    ``rules``; rules without a window) in the scan's masks, ``_qa<k>`` where they apply and
    ``_qf<k>`` where they fail (bit ``i % 63`` of mask ``i // 63``). The screened scan asks
    this of the rules it has no kernel for, over the rows it has read."""
    picked = [rules[i] for i in decide]
    applies = ", ".join(f"({rules[i].applies}) AS _a{i}" for i in decide)
    masks = []
    for k in range(_mask_count(rules)):
        mine = [i for i in decide if i // MASK_BITS == k]
        bit = {i: f"{1 << (i % MASK_BITS)}::BIGINT" for i in mine}
        masks.append(_mask([f"CASE WHEN _a{i} THEN {bit[i]} ELSE 0 END" for i in mine],
                           f"_qa{k}"))
        masks.append(_mask([f"CASE WHEN _a{i} AND ({rules[i].fails}) THEN {bit[i]} ELSE 0 END"
                            for i in mine], f"_qf{k}"))
    source = _source(ds, picked, windows=False)
    return (f"SELECT {quote_ident(row_id)}, {', '.join(masks)} "
            f"FROM (SELECT *, {applies} FROM {source}) AS _ta")


def _fold(result: pa.Table, ds: DatasetInfo, rules: list[Rule], limit: int) -> _Folded:
    """Per-rule counts and samples from the outcome groups of ``build_scan_sql``."""
    n = len(rules)
    counts = np.asarray(result.column("_rows").to_numpy(zero_copy_only=False), dtype=np.int64)
    bits = np.arange(n)

    def unpack(prefix: str) -> np.ndarray:  # groups × rules, 0/1
        if not n or not result.num_rows:
            return np.zeros((result.num_rows, n), dtype=np.int64)
        masks = np.stack(
            [result.column(f"{prefix}{k}").to_numpy(zero_copy_only=False).astype(np.int64)
             for k in range(_mask_count(rules))],
            axis=1,
        )
        return (masks[:, bits // MASK_BITS] >> (bits % MASK_BITS)) & 1

    applies, fails = unpack("_ma"), unpack("_mf")
    districts: dict[str, tuple[int, np.ndarray, np.ndarray]] = {}
    if ds.district_field and result.num_rows:
        names = result.column("_district").to_pylist()
        for name in {d for d in names if d}:
            sel = np.array([d == name for d in names])
            districts[name] = (int(counts[sel].sum()), counts[sel] @ applies[sel],
                               counts[sel] @ fails[sel])
    failed = counts @ fails
    samples: list[list[dict[str, Any]]] = [[] for _ in rules]
    for i, rule in enumerate(rules):
        if rule.newest_before and f"_nr{i}" in result.column_names:
            # every row it applies to fails when none reaches the threshold
            newest = [v for v in result.column(f"_nv{i}").to_pylist() if v is not None]
            if sum(result.column(f"_nr{i}").to_pylist()) == 0 and newest:
                failed[i] = counts @ applies[:, i]
                for _, checked, district_failed in districts.values():
                    district_failed[i] = checked[i]
                samples[i] = [{rule.field: str(max(newest)), "_reason": "newest_record_too_old"}]
    lists = {c: result.column(c).to_pylist() for c in ("_s", "_su") if c in result.column_names}
    if lists:
        for i in (i for i, rule in enumerate(rules) if not rule.newest_before):
            rows = lists.get("_su" if rules[i].unique_by else "_s") or []
            found = [row for g in np.flatnonzero(fails[:, i]) for row in rows[g] or []]
            found.sort(key=lambda row: (row["_row"] is None, row["_row"]))
            samples[i] = [dict(row) for row in found[:limit]]  # a row may fail several rules
    return _Folded(int(counts.sum()), counts @ applies, failed, samples, districts)


def _add_reasons(
    con: duckdb.DuckDBPyConnection, rules: list[Rule], folded: _Folded, row_type: pa.DataType
) -> None:
    """Each sampled row's reason, by one small query over the kept rows (at most
    ``limit`` per rule) instead of inside the scan, where it cost as much as the rest of
    the sampling: DuckDB evaluates some standards macros over whole vectors even in a
    CASE branch that selects a handful of rows."""
    keyed = [(i, row) for i, rule in enumerate(rules) if rule.reason for row in folded.samples[i]]
    if not keyed:
        return
    kept = pa.Table.from_pylist([row for _, row in keyed], schema=pa.schema(list(row_type)))
    kept = kept.append_column("_rule", pa.array([i for i, _ in keyed], pa.int32()))
    kept = kept.append_column("_k", pa.array(range(len(keyed)), pa.int32()))
    # only the rules with samples: binding a standards macro is the cost of this query
    sampled = sorted({i for i, _ in keyed})
    cases = " ".join(f"WHEN {i} THEN {rules[i].reason}" for i in sampled)
    name = f"_cb_samples_{id(kept)}"
    con.register(name, kept)
    try:
        reasons = con.execute(f"SELECT CASE _rule {cases} END FROM {name} ORDER BY _k").fetchall()
    finally:
        con.unregister(name)
    for (_, row), (reason,) in zip(keyed, reasons, strict=True):
        row["_reason"] = reason


def _sample_row(ds: DatasetInfo, rule: Rule, row: dict[str, Any]) -> dict[str, Any]:
    out = {c: row[c] for c in sample_columns(ds, rule)}
    if rule.reason:
        out["_reason"] = row["_reason"]
    if ds.row_order or not out:
        out["_row"] = row["_row"]
    return {k: (None if v is None else str(v)) for k, v in out.items()}


#: Below this many rows the sample row passes the uniqueness window as a struct: the JSON
#: detour saves ~0.6 µs a row and costs a bind of the scan's source (10-25 ms).
JSON_WINDOW_ROWS = 50_000


def _small_result(con: duckdb.DuckDBPyConnection, sql: str) -> pa.Table:
    """The scan's result (one row per outcome group: a few hundred at most) as Arrow.

    ``con.sql(q)`` binds the query to build a relation and binds it again to run it; for a
    scan's macro-heavy SQL the second bind and optimisation cost more than the run itself
    on a small dataset (a 129-row dataset: 0.53 vs 0.40 s). ``execute`` binds once; the
    extra copy DuckDB warns about is of the few result rows.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Arrow output on a DB-API result", UserWarning)
        return con.execute(sql).to_arrow_table()


def _row_type(con: duckdb.DuckDBPyConnection, ds: DatasetInfo, rules: list[Rule]) -> str | None:
    """The struct type of a scan's sample row (bound, not run), for scans with a uniqueness
    window: the row then passes the window as JSON text and is cast back after it."""
    if not any(r.unique_by for r in rules):
        return None
    if table_rows(con, ds.schema, ds.table) < JSON_WINDOW_ROWS:
        return None  # a small table's window is cheap; binding the row type is not
    row = _sample_struct(ds, rules)
    kind = str(con.sql(f"SELECT {row} FROM {_source(ds, rules, windows=False)}").types[0])
    # JSON cannot carry these back (DuckDB cannot read BIT from JSON): keep the struct
    return None if re.search(r"\bBIT\b|\bUNION\(", kind) else kind


def _groups(con: duckdb.DuckDBPyConnection, ds: DatasetInfo, rules: list[Rule], limit: int,
            screened: bool) -> tuple[pa.Table, str, dict[str, float]]:
    """The scan's outcome groups and the SQL that produced them: the compiled screen's
    certain rows counted apart and the SQL scan over the rest (``quality.screen``), or the
    SQL scan over every row."""
    from citybrain.quality import screen  # it builds on this module's masks

    split = None
    if screened:
        try:
            split = screen.screen(con, ds, rules, limit)
        except QUERY_ERRORS:
            raise  # a rule that does not bind: run_scan runs each rule alone
        except Exception as e:  # noqa: BLE001 - the screen is only a faster path
            log.warning("screened scan of %s failed, scanning by SQL alone / 预筛失败, 改用 SQL "
                        "扫描: %r", ds.lake_table, e)
    if split is None:
        sql = build_scan_sql(ds, rules, limit, _row_type(con, ds, rules) if limit else None)
        return _small_result(con, sql), sql, {}
    started = time.perf_counter()
    name = f"_cb_rest_{id(split)}"
    con.register(name, split.rest)
    try:
        # the rest is a few percent of the rows: its window carries the sample row as a
        # struct (the JSON detour pays off only on large tables and costs a second bind)
        rest = replace(ds, schema="temp", table=name)
        sql = build_scan_sql(rest, split.rules, limit)
        result = _small_result(con, sql)
    finally:
        con.unregister(name)
    merged = pa.concat_tables([result, split.certain], promote_options="default")
    phases = {**split.seconds, "sql": time.perf_counter() - started}
    return merged, f"{split.read_sql};\n{sql}", phases


def _scan(con: duckdb.DuckDBPyConnection, ds: DatasetInfo, rules: list[Rule], limit: int,
          screened: bool = True) -> _Folded:
    result, sql, phases = _groups(con, ds, rules, limit, screened)
    folded = _fold(result, ds, rules, limit)
    folded.phases = phases
    folded.sql = sql
    if "_s" in result.column_names:
        _add_reasons(con, rules, folded, result.schema.field("_s").type.value_type)
        folded.samples = [
            rows if rule.newest_before else [_sample_row(ds, rule, row) for row in rows]
            for rule, rows in zip(rules, folded.samples, strict=True)
        ]
    return folded


def _fill(o: RuleOutcome, folded: _Folded, i: int) -> None:
    o.checked, o.failed = int(folded.checked[i]), int(folded.failed[i])
    o.samples = folded.samples[i]


def run_scan(
    lake: DuckDBLake, ds: DatasetInfo, rules: list[Rule], sample_limit: int = SAMPLE_LIMIT
) -> ScanOutcome:
    """Run all ``rules`` over ``ds`` in one aggregate pass (counts and bounded samples).

    When that query fails (a rule with invalid SQL or a missing column), each rule is run
    alone so the failure lands on the rule that caused it and the others still report.
    """
    started = time.perf_counter()
    outcomes = [RuleOutcome(r) for r in rules]
    sql = ""
    rows = 0
    districts: dict[str, dict[str, Any]] = {}
    phases: dict[str, float] = {}
    with lake.reader() as con:
        exists = con.execute(
            "SELECT count(*) FROM information_schema.tables "
            "WHERE table_schema = ? AND table_name = ?",
            [ds.schema, ds.table],
        ).fetchall()
        if not exists or not exists[0][0]:
            for o in outcomes:
                o.error = f"table {ds.lake_table} not found / 数据表 {ds.lake_table} 不存在"
            return ScanOutcome(ds, 0, outcomes, time.perf_counter() - started)
        try:
            folded = _scan(con, ds, rules, sample_limit)
            rows, sql, phases = folded.rows, folded.sql, folded.phases
            for i, o in enumerate(outcomes):
                _fill(o, folded, i)
            districts = _district_scores(folded.districts)
        except QUERY_ERRORS:
            for o in outcomes:
                try:
                    one = _scan(con, ds, [o.rule], sample_limit, screened=False)
                    rows = one.rows
                    _fill(o, one, 0)
                except QUERY_ERRORS as e:
                    o.error = query_error_text(e)
            good = [o.rule for o in outcomes if o.error is None]
            sql = build_scan_sql(ds, good, sample_limit) if good else ""
    if rows == 0:
        for o in outcomes:
            if o.error is None:
                o.error = "dataset has no rows / 数据集为空"
    return ScanOutcome(ds, rows, outcomes, time.perf_counter() - started, sql, districts,
                       phases)


def _district_scores(
    by_district: dict[str, tuple[int, np.ndarray, np.ndarray]],
) -> dict[str, dict[str, Any]]:
    """Per district: its rows and the mean pass rate of the rules that checked any of them."""
    out = {}
    for name, (rows, checked, failed) in by_district.items():
        rates = [1 - f / c for c, f in zip(checked.tolist(), failed.tolist(), strict=True) if c]
        out[name] = {
            "rows": rows,
            "score": round(100 * sum(rates) / len(rates), 2) if rates else None,
        }
    return out


def failing_rows(
    lake: DuckDBLake, ds: DatasetInfo, rule: Rule, columns: list[str]
) -> list[dict[str, Any]]:
    """Every failing row of one rule (only ``columns``, plus ``_reason`` when the rule says
    why): for exports, for a department's full fix list and for scoring against truth."""
    source, keys = _source(ds, [rule]), _window_keys([rule])
    select = ", ".join(quote_ident(c) for c in columns)
    if rule.reason:
        select += f", {rule.reason} AS _reason"
    with lake.reader() as con:
        return (
            con.sql(
                f"SELECT {select} FROM {source} WHERE ({rule.applies}) AND ({_fails(rule, keys)})"
            )
            .to_arrow_table()
            .to_pylist()
        )
