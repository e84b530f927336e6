"""The data-element registry (数据元): what each standard is called and how SQL checks it.

Every element maps to two SQL macros (see :mod:`citybrain.standards.sql`): a reason
expression (NULL = valid) and a normalised form. The same macros serve one value (the API,
the CLI), a column of millions of values (Arrow in, Arrow out) and the quality scan, so a
value can never be judged differently in two places.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

from citybrain.standards import sql
from citybrain.standards.errors import UnknownElement


@dataclass(frozen=True)
class Element:
    """One data element: its code, names, governing standard and its SQL macros."""

    code: str
    name_zh: str
    name_en: str
    standard: str
    reason_macro: str
    norm_macro: str
    reason_args: tuple[str, ...] = ()
    #: optional macro ``(value, reason)`` giving the normalised form from a computed reason:
    #: a column check then runs the expensive validation once instead of twice
    norm_from_reason_macro: str | None = None

    def reason_sql(self, expr: str) -> str:
        """SQL expression: NULL when ``expr`` is valid, else a reason code."""
        return f"{self.reason_macro}({', '.join((expr, *self.reason_args))})"

    def norm_sql(self, expr: str) -> str:
        return f"{self.norm_macro}({expr})"


ELEMENTS: dict[str, Element] = {
    e.code: e
    for e in (
        Element(
            "id_card",
            "公民身份号码",
            "Citizen ID number",
            "GB 11643-1999",
            "std_id_reason",
            "std_id_norm",
            norm_from_reason_macro="std_id_norm_from_reason",
        ),
        Element(
            "uscc",
            "统一社会信用代码",
            "Unified social credit code",
            "GB 32100-2015",
            "std_uscc_reason",
            "std_uscc_norm",
        ),
        Element(
            "mobile",
            "移动电话号码",
            "Mobile phone number",
            "YD/T 2740",
            "std_mobile_reason",
            "std_mobile_norm",
        ),
        Element(
            "landline",
            "固定电话号码",
            "Landline number",
            "GB/T 12476",
            "std_landline_reason",
            "std_landline_norm",
        ),
        Element(
            "phone",
            "联系电话",
            "Phone number (mobile or landline)",
            "-",
            "std_phone_reason",
            "std_phone_norm",
        ),
        Element(
            "date",
            "日期",
            "Date (not in the future)",
            "GB/T 7408",
            "std_date_reason",
            "std_date_norm",
            ("false",),
        ),
        Element(
            "date_any",
            "日期(可为将来)",
            "Date (future allowed)",
            "GB/T 7408",
            "std_date_reason",
            "std_date_norm",
            ("true",),
        ),
        Element(
            "admin_code",
            "行政区划代码",
            "Administrative division code",
            "GB/T 2260",
            "std_admin_reason",
            "std_admin_norm",
        ),
        Element("amount", "金额", "Amount (yuan)", "-", "std_amount_reason", "std_amount_norm"),
        Element(
            "name", "姓名", "Personal name", "GB/T 2312 hanzi", "std_name_reason", "std_name_norm"
        ),
        Element(
            "address",
            "标准地址",
            "Standard address",
            "GB/T 23705 (simplified)",
            "std_address_reason",
            "std_address_norm",
        ),
        Element("code", "编码", "Identifier code", "-", "std_code_reason", "std_code_norm"),
    )
}

#: Reason codes with their Chinese and English text (shown to department officers).
REASONS: dict[str, tuple[str, str]] = {
    "empty": ("为空", "empty"),
    "bad_format": ("格式错误", "wrong format"),
    "bad_checksum": ("校验码错误", "wrong check character"),
    "bad_org_code": ("组织机构代码校验错误", "wrong organisation-code check"),
    "bad_birth_date": ("出生日期无效", "invalid birth date"),
    "future_birth_date": ("出生日期在将来", "birth date in the future"),
    "unknown_region": ("行政区划代码不存在", "unknown region code"),
    "region_retired_before_birth": (
        "区划代码在出生前已撤销",
        "region code retired before the birth year",
    ),
    "legacy_15": ("15位旧号码,应升级为18位", "legacy 15-digit number; upgrade to 18"),
    "not_normalized": ("未规范化(全角/空格/格式)", "not normalised (full-width, spaces, format)"),
    "bad_length_or_prefix": ("位数或号段错误", "wrong length or prefix"),
    "implausible_date": ("日期不合理", "implausible date"),
    "future_date": ("日期在将来", "date in the future"),
    "negative": ("金额为负", "negative amount"),
    "traditional_chars": ("含繁体字", "contains traditional characters"),
    "bad_chars": ("含乱码或非常用字", "garbled or unusual characters"),
    "no_house_number": ("缺少门牌号", "no house number"),
}


def get(code: str) -> Element:
    try:
        return ELEMENTS[code]
    except KeyError:
        raise UnknownElement(code, sorted(ELEMENTS)) from None


def check_array(code: str, values: pa.Array | pa.ChunkedArray | list) -> pa.Table:
    """Validate and normalise many values at once: ``value, valid, normalized, reason``."""
    element = get(code)
    if element.norm_from_reason_macro:  # the reason is computed once and reused
        inner, normalized = "", f"{element.norm_from_reason_macro}(value, reason)"
    else:
        inner, normalized = f", {element.norm_sql('value')} AS normalized", "normalized"
    query = (
        f"SELECT value, reason IS NULL AS valid, {normalized} AS normalized, reason FROM ("
        f"SELECT value, {element.reason_sql('value')} AS reason{inner} FROM {{source}})"
    )
    if isinstance(values, pa.Array | pa.ChunkedArray):
        con = sql.scratch().cursor()
        try:
            con.register("_values", pa.table({"value": values}))
            return con.sql(query.format(source="_values")).to_arrow_table()
        finally:
            con.close()
    # a short list goes in as one bound LIST parameter: no Arrow registration round trip
    texts = [None if v is None else str(v) for v in values]
    con = sql.scratch().cursor()
    try:
        rows = con.execute(
            query.format(source="(SELECT unnest(?::VARCHAR[]) AS value)"), [texts]
        ).fetchall()
    finally:
        con.close()
    names = ("value", "valid", "normalized", "reason")
    types = (pa.string(), pa.bool_(), pa.string(), pa.string())
    return pa.table(
        {
            n: pa.array([r[i] for r in rows], t)
            for i, (n, t) in enumerate(zip(names, types, strict=True))
        }
    )


@dataclass(frozen=True)
class Check:
    value: str | None
    valid: bool
    normalized: str | None
    reason: str | None

    def as_dict(self) -> dict[str, object]:
        return {
            "value": self.value,
            "valid": self.valid,
            "normalized": self.normalized,
            "reason": self.reason,
        }


def check(code: str, value: str | None) -> Check:
    """Validate and normalise one value (same macros as the lake scan)."""
    row = check_array(code, [value]).to_pylist()[0]
    return Check(row["value"], bool(row["valid"]), row["normalized"], row["reason"])


def id_card_facts(value: str) -> dict[str, object]:
    """Birth date, sex (1 male, 2 female) and region of an ID, for cross-field checks."""
    con = sql.scratch().cursor()
    try:
        row = con.execute(
            "SELECT std_id_norm(?), std_id_birth(?), std_id_sex(?)", [value, value, value]
        ).fetchone()
    finally:
        con.close()
    norm, birth, sex = row if row else (None, None, None)
    from citybrain.standards.regions import region_name

    return {
        "normalized": norm,
        "birth_date": birth.isoformat() if birth else None,
        "sex": sex,
        "region_code": norm[:6] if norm else None,
        "region_name": region_name(norm[:6]) if norm else None,
    }
