"""Quality rules in six dimensions, derived from a dataset's fields and data elements.

A rule is two SQL predicates over one row: ``applies`` (is this row checked) and ``fails``
(does it break the rule). The engine folds every rule of a dataset into one aggregate query,
so the builders here are pure functions: they return SQL text and touch no database.
"""

from __future__ import annotations

import datetime as dt
import re
import zlib
from dataclasses import dataclass, field, replace

from citybrain.standards import service as standards
from citybrain.store.lake import quote_ident

DIMENSIONS: dict[str, tuple[str, str]] = {
    "completeness": ("完整性", "completeness"),
    "validity": ("有效性", "validity"),
    "uniqueness": ("唯一性", "uniqueness"),
    "consistency": ("一致性", "consistency"),
    "timeliness": ("及时性", "timeliness"),
    "referential": ("关联性", "referential integrity"),
    "custom": ("自定义", "custom"),
}

#: Days a dataset may lag behind its update cycle before it is stale.
CYCLE_DAYS = {
    "realtime": 1,
    "hourly": 1,
    "daily": 2,
    "weekly": 8,
    "monthly": 35,
    "quarterly": 100,
    "yearly": 370,
    "annual": 370,
}

_SEX_FIELD = re.compile(r"^(性别|sex|xb|gender|aac004)$", re.IGNORECASE)
_BIRTH_FIELD = re.compile(r"(出生日期|birth_date|^csrq$|aac006)", re.IGNORECASE)
_FUTURE_OK = re.compile(r"(有效期|到期|截止|expir|valid_until|end_date)", re.IGNORECASE)
#: Elements a record is incomplete without (an empty optional code or amount is no defect).
_REQUIRED_ELEMENTS = {"id_card", "name", "phone", "address"}


@dataclass(frozen=True)
class FieldInfo:
    name: str
    element: str = "none"
    type: str = "string"
    label: str = ""
    required: bool | None = None


@dataclass(frozen=True)
class DatasetInfo:
    """What quality needs to know of a dataset: its lake table, owner and fields."""

    id: str
    department: str
    schema: str
    table: str
    fields: tuple[FieldInfo, ...]
    primary_key: tuple[str, ...] = ()
    update_cycle: str = ""
    record_field: str | None = None
    title: str = ""
    #: Column giving delivery order (``_cb_row`` in the lake): the first copy of a duplicate
    #: is the original, later copies fail.
    row_order: str | None = None
    #: An address field whose leading district name (市南区…) attributes rows to districts.
    district_field: str | None = None

    @property
    def lake_table(self) -> str:
        return f"{self.schema}.{self.table}"

    def field(self, name: str) -> FieldInfo | None:
        return next((f for f in self.fields if f.name == name), None)


@dataclass(frozen=True)
class Screen:
    """The same check as a rule's SQL, stated for the compiled pre-screen (``quality.screen``):
    which data-element kernels decide it row by row. Set only by the builders here, whose SQL
    it restates; a rule built or changed by hand has none and is checked by SQL alone.

    ``kind``: ``complete`` (not blank), ``valid`` (``element`` of the field), ``in_set``
    (one of ``codes``), ``id_sex`` / ``id_birth`` (ID field, then the other field), ``fresh``
    (the record field parses as a date), ``unique`` (the key columns) or ``outlier`` (an
    amount above ``factor`` times the median of the positive ones).
    """

    kind: str
    fields: tuple[str, ...]
    element: str = ""
    codes: tuple[str, ...] = ()
    factor: float = 0.0


@dataclass(frozen=True)
class Rule:
    """One check. ``fails`` and ``applies`` are SQL predicates; ``unique_by`` asks the engine
    for a duplicate rank over those columns (``_dup_{i}``, a window in the same scan): the
    rank within the key in delivery order, or with ``unique_all`` the key's size, so that
    every copy fails."""

    key: str
    dimension: str
    field: str
    description: str
    fails: str
    applies: str = "TRUE"
    unique_by: tuple[str, ...] = ()
    unique_all: bool = False
    weight: float = 1.0
    sample_columns: tuple[str, ...] = field(default=())
    #: (alias, expression) pairs computed once per row in the scan and read by name: a
    #: window, or a costly check several rules share (rules naming the same alias share the
    #: column). An expression may read a column listed before it (an inner projection).
    columns: tuple[tuple[str, str], ...] = ()
    #: (alias, SQL of a derived table with a ``_k`` key column, SQL key expression over the
    #: dataset row): the engine LEFT JOINs it once, so a cross-dataset rule is one hash join.
    join: tuple[str, str, str] | None = None
    #: SQL expression telling why a failing row fails (an element's reason code), for samples.
    reason: str = ""
    #: Dataset-level rule (freshness): SQL threshold; every row the rule applies to fails
    #: when no row's value of its last column reaches it. The scan counts the rows that reach it,
    #: so no window has to hold every row to find the newest; ``fails`` is not used.
    newest_before: str | None = None
    #: How the compiled pre-screen decides this rule (None: SQL only).
    screen: Screen | None = None


def _q(name: str) -> str:
    return quote_ident(name)


#: The district (区/县/县级市) at the front of an address, after optional province and city.
DISTRICT_PATTERN = "^(?:山东省)?(?:青岛市)?(.{1,6}?[区县市])"


def district_sql(address_field: str) -> str:
    return (
        f"nullif(regexp_extract(CAST({_q(address_field)} AS VARCHAR), '{DISTRICT_PATTERN}', 1), '')"
    )


def _blank(col: str) -> str:
    return f"std_blank({col})"


def completeness(f: FieldInfo) -> Rule:
    col = _q(f.name)
    return Rule(
        f"completeness:{f.name}",
        "completeness",
        f.name,
        f"{f.label or f.name} 不能为空 / must not be empty",
        _blank(col),
        screen=Screen("complete", (f.name,)),
    )


def id_check(id_field: str) -> tuple[tuple[str, str], ...]:
    """Columns of the ID check of ``id_field`` as delivered, the last one its reason: read
    by the validity rule and every cross-field rule on that ID (the check is the costliest
    expression of a register's scan; computed once, not once per rule). The 17-digit body
    and the region's place in the code list are columns of their own, so the check reads
    them without re-deriving them."""
    n = f"CAST({_q(id_field)} AS VARCHAR)"
    body, region = f"_idb_{_slug(id_field)}", f"_ide_{_slug(id_field)}"
    return (
        (body, f"std_id_b({n})"),
        (region, f"std_id_e({n})"),
        (f"_idr_{_slug(id_field)}", f"std_id_r0_be({n}, {body}, {region})"),
    )


def join_key(macro: str, fld: str) -> tuple[tuple[tuple[str, str], ...], str]:
    """(shared columns, key expression) a reference is joined on by ``fld`` normalised with
    ``macro``: a citizen-ID key reads the ID check (:func:`id_check`) that the validity and
    cross-field rules compute anyway, instead of checking the ID again for the join."""
    n = f"CAST({_q(fld)} AS VARCHAR)"
    if macro == "std_id_key":
        checked = id_check(fld)
        return checked, f"std_id_key_r({n}, {checked[-1][0]})"
    return (), f"{macro}({n})"


def address_check(fld: str) -> tuple[str, str]:
    """The address check of ``fld``, one shared column: the validity rule reports it and the
    household-home rule's address key reads it instead of checking the address again."""
    return f"_adr_{_slug(fld)}", f"std_address_reason({_q(fld)})"


def date_parse(fld: str) -> tuple[str, str]:
    """``fld`` parsed as a date, one shared column: validity, freshness, date order and
    ID ↔ birth date all read the parsed value instead of parsing the text again."""
    return f"_dtp_{_slug(fld)}", f"std_date_parse({_q(fld)})"


def date_check(fld: str, allow_future: bool = False) -> tuple[tuple[str, str], ...]:
    """Columns of the date check of ``fld``, the last one its reason (shared by the validity
    rule and the ID ↔ birth date rule)."""
    parsed = date_parse(fld)
    flag = "true" if allow_future else "false"
    return parsed, (
        f"_dtr{int(allow_future)}_{_slug(fld)}",
        f"std_date_reason_p({_q(fld)}, {parsed[0]}, {flag})",
    )


def validity(f: FieldInfo, element: str | None = None) -> Rule:
    col = _q(f.name)
    element = element or f.element
    if element == "date" and _FUTURE_OK.search(f"{f.name} {f.label}"):
        element = "date_any"
    reason, _ = standards.element_sql(element, col)
    fails, shared = f"{reason} IS NOT NULL", ()
    if element == "id_card":
        shared = id_check(f.name)
        reason = f"std_id_reason_r({col}, {shared[-1][0]})"
        fails = f"{shared[-1][0]} IS NOT NULL"  # blank values are not checked (applies)
    elif element == "address":
        shared = (address_check(f.name),)
        reason = shared[-1][0]
        fails = f"{reason} IS NOT NULL"
    elif element in ("date", "date_any"):
        shared = date_check(f.name, element == "date_any")
        reason = shared[-1][0]
        fails = f"{reason} IS NOT NULL"
    return Rule(
        f"validity:{f.name}",
        "validity",
        f.name,
        f"{f.label or f.name} 符合数据元 {element} / conforms to element {element}",
        fails,
        applies=f"NOT {_blank(col)}",
        reason=reason,
        columns=shared,
        screen=Screen("valid", (f.name,), element)
        if element in standards.screened_elements() else None,
    )


def uniqueness(columns: tuple[str, ...]) -> Rule:
    name = "+".join(columns)
    applies = " AND ".join(f"NOT {_blank(_q(c))}" for c in columns)
    return Rule(
        f"uniqueness:{name}",
        "uniqueness",
        name,
        f"{name} 不得重复(首条之后的重复记录) / must be unique (copies after the first)",
        "_dup_{i} > 1",
        applies=applies,
        unique_by=columns,
        screen=Screen("unique", columns),
    )


def id_birth_consistency(id_field: str, birth_field: str) -> Rule:
    i = _q(id_field)
    checked, birth = id_check(id_field), date_check(birth_field)
    return Rule(
        f"consistency:{id_field}~{birth_field}",
        "consistency",
        birth_field,
        f"{birth_field} 与身份证号中的出生日期一致 / matches the birth date in {id_field}",
        f"std_id_birth_raw(CAST({i} AS VARCHAR)) <> std_date_ymd_p({birth[0][0]})",
        # only values valid on their own: an impossible date is a validity failure, not this
        applies=f"std_id_usable_r({checked[-1][0]}) AND {birth[-1][0]} IS NULL",
        columns=(*checked, *birth),
        screen=Screen("id_birth", (id_field, birth_field)),
    )


def id_sex_consistency(id_field: str, sex_field: str) -> Rule:
    i, s = _q(id_field), _q(sex_field)
    checked = id_check(id_field)
    return Rule(
        f"consistency:{id_field}~{sex_field}",
        "consistency",
        sex_field,
        f"{sex_field} 与身份证号性别位一致 / matches the sex digit of {id_field}",
        f"std_id_sex_raw(CAST({i} AS VARCHAR)) <> std_sex_code({s})",
        applies=f"std_id_usable_r({checked[-1][0]}) AND std_sex_code({s}) IS NOT NULL",
        columns=checked,
        screen=Screen("id_sex", (id_field, sex_field)),
    )


def date_order(earlier: str, later: str, max_days: int | None = None) -> Rule:
    """``later`` is not before ``earlier`` (and, with ``max_days``, not too long after).

    The earlier date is an event that has happened (a birth, a death, a filing): dated in
    the future it is the validity rule's finding (``future_date``), not a lag here.
    """
    pe, pl = date_parse(earlier), date_parse(later)
    e, la = pe[0], pl[0]
    fails = f"{la} < {e}"
    text = f"{later} 不早于 {earlier}"
    if max_days is not None:
        fails = f"({fails} OR date_diff('day', {e}, {la}) > {int(max_days)})"
        text += f" 且不晚于 {max_days} 天"
    return Rule(
        f"timeliness:{earlier}->{later}",
        "timeliness",
        later,
        f"{text} / {later} follows {earlier} in time",
        fails,
        applies=f"{e} IS NOT NULL AND {la} IS NOT NULL AND {e} <= current_date",
        columns=(pe, pl),
    )


def freshness(record_field: str, cycle: str, as_of_sql: str = "current_date") -> Rule:
    """Dataset-level: the newest record is within the update cycle (plus tolerance)."""
    days = CYCLE_DAYS.get(cycle, 35)
    alias, parsed = date_parse(record_field)
    return Rule(
        f"timeliness:freshness:{record_field}",
        "timeliness",
        record_field,
        f"最新记录距今不超过更新周期 {cycle}({days} 天) / newest record within the {cycle} "
        "update cycle",
        "FALSE",
        applies=f"{alias} IS NOT NULL",
        columns=((alias, parsed),),
        newest_before=f"{as_of_sql} - INTERVAL {days} DAY",
        screen=Screen("fresh", (record_field,)),
    )


def _slug(name: str) -> str:
    return "".join(c if c.isalnum() and c.isascii() else "_" for c in name) + str(
        zlib.crc32(name.encode()) % 100000
    )


def referential(fld: str, ref_table: str, ref_column: str) -> Rule:
    """Each value exists in ``ref_table.ref_column`` (a registry or another dataset)."""
    schema, _, table = ref_table.partition(".")
    target = f"{_q(schema)}.{_q(table)}" if table else _q(schema)
    col = _q(fld)
    alias = f"_ref_{_slug(ref_table + '.' + ref_column)}"
    return Rule(
        f"referential:{fld}->{ref_table}.{ref_column}",
        "referential",
        fld,
        f"{fld} 存在于 {ref_table}.{ref_column} / exists in {ref_table}.{ref_column}",
        f"{alias}__k IS NULL",
        applies=f"NOT {_blank(col)}",
        join=(
            alias,
            f"SELECT DISTINCT CAST({_q(ref_column)} AS VARCHAR) AS _k, TRUE AS _v FROM {target}",
            f"CAST({col} AS VARCHAR)",
        ),
    )


def matches_reference(
    fld: str,
    key_field: str,
    ref_table: str,
    ref_key: str,
    ref_field: str,
    key_element: str = "id_card",
    label: str = "",
) -> Rule:
    """Cross-dataset consistency: where the row's key (normalised by its data element) is in
    the reference dataset, ``fld`` equals the reference's ``ref_field`` (e.g. the name held
    by the household register for that citizen ID). Keys the reference holds more than one
    value for are left out: the reference itself is unsure there."""
    schema, _, table = ref_table.partition(".")
    target = f"{_q(schema)}.{_q(table)}" if table else _q(schema)

    def key_norm(expr: str) -> str:
        if key_element == "id_card":  # the compact as-delivered form (valid or legacy 15)
            return f"std_id_key(CAST({expr} AS VARCHAR))"
        return standards.element_sql(key_element, expr)[1]

    key_columns, row_key = (
        join_key("std_id_key", key_field) if key_element == "id_card"
        else ((), key_norm(_q(key_field)))
    )
    alias = f"_ref_{_slug(key_field + '>' + ref_table + '.' + ref_field + '.' + ref_key)}"
    col = _q(fld)
    return Rule(
        f"consistency:{fld}=={ref_table}.{ref_field}",
        "consistency",
        fld,
        f"{label or fld} 与 {ref_table}.{ref_field} 一致 / matches {ref_table}.{ref_field}",
        f"trim(CAST({col} AS VARCHAR)) <> {alias}__v",
        applies=f"{alias}__v IS NOT NULL AND NOT {_blank(col)}",
        join=(
            alias,
            f"SELECT {key_norm(_q(ref_key))} AS _k, min(trim(CAST({_q(ref_field)} AS "
            f"VARCHAR))) AS _v FROM {target} WHERE {key_norm(_q(ref_key))} IS NOT NULL "
            f"GROUP BY 1 HAVING count(DISTINCT trim(CAST({_q(ref_field)} AS VARCHAR))) = 1",
            row_key,
        ),
        columns=key_columns,
        sample_columns=(key_field,),
        reason=f"{alias}__v",
    )


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def value_set(fld: str, allowed: list[str], label: str = "") -> Rule:
    """The value is one of ``allowed`` (a code list the steward configures, e.g. 人员状态).

    The codes are configuration written into the rule's SQL as quoted literals, like the
    text of a custom SQL rule; data values never are."""
    col = _q(fld)
    codes = ", ".join(_literal(v) for v in allowed)
    return Rule(
        f"validity:set:{fld}",
        "validity",
        fld,
        f"{label or fld} 取值在代码表内 / value in the code list ({len(allowed)} codes)",
        f"NOT list_contains([{codes}], CAST({col} AS VARCHAR))",
        applies=f"NOT {_blank(col)}",
        screen=Screen("in_set", (fld,), codes=tuple(allowed)),
    )


def unique_rows(columns: tuple[str, ...]) -> Rule:
    """Every row whose key occurs more than once fails (all copies, as Great Expectations'
    ``expect_column_values_to_be_unique`` counts them; :func:`uniqueness` counts only the
    copies after the first, which is what a department has to delete)."""
    rule = uniqueness(columns)
    return replace(
        rule,
        key=f"uniqueness:all:{rule.field}",
        description=f"{rule.field} 不得重复(含首条) / must be unique (every copy)",
        unique_all=True,
    )


def outlier(fld: str, factor: float = 500.0) -> Rule:
    """An amount far outside what the dataset itself holds: above ``factor`` times the median
    of its positive values (a learned bound, computed in the same scan)."""
    col = f"std_amount_parse({_q(fld)})"
    alias = f"_median_{_slug(fld)}"
    return Rule(
        f"validity:range:{fld}",
        "validity",
        fld,
        f"{fld} 不超过中位数的 {factor:g} 倍 / at most {factor:g} times the median",
        f"{col} > {alias} * {float(factor)}",
        applies=f"{col} > 0",
        columns=((alias, f"median({col}) FILTER (WHERE {col} > 0) OVER ()"),),
        # the screen compares in exact decimals, as the SQL does with a factor written as a
        # decimal literal (500.0); one in exponent form would be a DOUBLE there
        screen=Screen("outlier", (fld,), factor=float(factor))
        if re.fullmatch(r"[0-9]+\.[0-9]+", repr(float(factor))) else None,
    )


def custom(
    key: str, fails_sql: str, description: str = "", field: str = "", dimension: str = "custom"
) -> Rule:
    """A rule written by a data steward: ``fails_sql`` is true for a bad row."""
    return Rule(f"{dimension}:sql:{key}", dimension, field, description or key, f"({fails_sql})")


def derive_rules(ds: DatasetInfo, as_of: dt.date | None = None) -> list[Rule]:
    """The rules CityBrain derives for a dataset from its catalog entry."""
    rules: list[Rule] = []
    known = set(standards.element_codes())
    for f in ds.fields:
        required = (
            f.required
            if f.required is not None
            else (f.name in ds.primary_key or f.element in _REQUIRED_ELEMENTS)
        )
        if required:
            rules.append(completeness(f))
        if f.element in known and f.element not in ("none",):
            rules.append(validity(f))
    for f in ds.fields:
        if f.element == "amount":
            rules.append(outlier(f.name))
    if ds.primary_key:
        rules.append(uniqueness(tuple(ds.primary_key)))
    id_fields = [f for f in ds.fields if f.element == "id_card"]
    if len(id_fields) == 1:
        idf = id_fields[0].name
        for f in ds.fields:
            if f.element == "date" and _BIRTH_FIELD.search(f"{f.name} {f.label}"):
                rules.append(id_birth_consistency(idf, f.name))
            if _SEX_FIELD.match(f.name) or f.label == "性别":
                rules.append(id_sex_consistency(idf, f.name))
    if ds.record_field and ds.update_cycle and ds.field(ds.record_field):
        as_of_sql = f"DATE '{as_of.isoformat()}'" if as_of else "current_date"
        rules.append(freshness(ds.record_field, ds.update_cycle, as_of_sql))
    return rules
