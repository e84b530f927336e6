"""Data elements as DuckDB SQL macros: the vectorised, set-wise form of every standard.

The quality scan calls these macros inside one aggregate query over a lake table, so every
check here is a plain SQL expression (no per-row Python). Checksums use small look-up lists
over three-digit chunks (ISO 7064 MOD 11-2) or over character codes (GB 32100, GB 11714):
measured on 10M IDs that is ~2.5x faster than digit-by-digit arithmetic. Region codes are an
ENUM type (a hash look-up) whose ordinal indexes a constant list of last-valid years.

Each element ``E`` has ``std_E_reason(v)`` (NULL when valid, else a stable reason code) and
``std_E_norm(v)`` (the standard form, NULL when it cannot be repaired). Validity is strict:
a value that is right only after normalising (full-width digits, spaces) fails with reason
``not_normalized`` and its normalised form tells the department how to fix it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from functools import lru_cache

import duckdb

from citybrain.standards import regions

#: Bump when any macro changes; the lake reinstalls when its marker differs.
VERSION = 35

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
ID_CHUNK = 2
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))
ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
#: GB/T 2261.1 sex codes (1 male, 2 female) by the lower-cased, trimmed text departments write
SEX_CODES = {"男": 1, "1": 1, "m": 1, "male": 1, "女": 2, "2": 2, "f": 2, "female": 2}
#: GB 11714 check character by ``sum % 11`` (11 - sum % 11, written 11 → 0 and 10 → X)
ORG_CHECK = "0X987654321"

FULL_WIDTH = "".join(chr(c) for c in range(0xFF01, 0xFF5F)) + "\u3000"
HALF_WIDTH = "".join(chr(c) for c in range(0x21, 0x7F)) + " "
#: Years covered by the retirement thresholds (a birth year outside is clamped).
FIRST_YEAR, LAST_YEAR = 1980, 2100


def _sql_str(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _id_sum_expr() -> str:
    """Weighted digit sum of a 17-digit BIGINT ``b``, two digits at a time via look-ups.

    Two-digit chunks (nine 100-entry lists) scan 10M IDs ~2x faster than digit-by-digit
    arithmetic and bind ~5x faster than three-digit chunks, which matters for single values.
    """
    parts, i = [], 0
    while i < 17:
        k = min(ID_CHUNK, 17 - i)
        ws = ID_WEIGHTS[i : i + k]
        lut = [
            sum(int(d) * w for d, w in zip(str(c).zfill(k), ws, strict=True)) % 11
            for c in range(10**k)
        ]
        div = 10 ** (17 - i - k)
        parts.append(f"{lut}[((b // {div}) % {10**k})::INTEGER + 1]")
        i += k
    return " + ".join(parts)


def _char_sum_expr(arg: str, alphabet: str, weights: Iterable[int], first: int) -> str:
    """Sum of ``weight * value(char)`` over positions ``first..``, a character's value being
    its place in ``alphabet``: ``strpos`` is a third of the cost of a look-up in a constant
    list. Only for text that matched the code's format (a character outside ``alphabet``
    would count as -1)."""
    ws = list(weights)
    terms = [
        f"{w} * strpos({_sql_str(alphabet)}, substr({arg}, {pos}, 1))"
        for pos, w in enumerate(ws, start=first)
    ]
    return f"({' + '.join(terms)} - {sum(ws)})"


@lru_cache(maxsize=1)
def _traditional_chars() -> str:
    """Characters OpenCC turns into a different simplified character (繁体字)."""
    import opencc

    conv = opencc.OpenCC("t2s")
    chars = [chr(c) for c in range(0x4E00, 0xA000)]
    converted = conv.convert("".join(chars))
    return "".join(c for c, s in zip(chars, converted, strict=True) if c != s)


def _gbk_chars(lead: tuple[int, int], trail: tuple[int, int]) -> str:
    out = []
    for c in range(0x4E00, 0xA000):
        try:
            b = chr(c).encode("gbk")
        except UnicodeEncodeError:
            continue
        if len(b) == 2 and lead[0] <= b[0] <= lead[1] and trail[0] <= b[1] <= trail[1]:
            out.append(chr(c))
    return "".join(out)


@lru_cache(maxsize=1)
def _mojibake_pattern() -> str:
    """Regex of the first three characters of UTF-8 Chinese read as GBK (the usual 乱码).

    UTF-8 Chinese is bytes ``L C C L C C`` (L = 0xE4-0xE9, C = 0x80-0xBF); read as GBK the
    pairs are ``(L, C)``, ``(C, L)``, ``(C, C)``: every run of two or more Chinese characters
    garbles into that triple (a lone one leaves an odd byte, U+FFFD). Each character alone
    can be a real name character (婧 is E6 BA), and so can the first two together: 瑾峰,
    璐翠 and 娴峰 are (E8 AA)(B7 E5)…, 0.04 % of the names a city's common surnames and given
    characters make, which the pair flagged as garbled; the triple flags none of them and
    still finds every garbled name and address (checked on 200,000 garbled names and 675,000
    garbled addresses).
    """
    second = _gbk_chars((0x80, 0xBF), (0xE4, 0xE9))
    third = _gbk_chars((0x80, 0xBF), (0x80, 0xBF))
    return f"\ufffd|[{_mojibake_first()}][{second}][{third}]"


@lru_cache(maxsize=1)
def _mojibake_first() -> str:
    """Characters that can start a garbled run (see ``_mojibake_pattern``)."""
    return _gbk_chars((0xE4, 0xE9), (0x80, 0xBF))


#: CJK ideographs as a regex class body: the unified block, extension A and the
#: supplementary planes' extensions B-G. A name is written in 规范汉字 (通用规范汉字表, 8,105
#: characters), which GB 2312's 6,763 do not cover: 玥 喆 堃 祎 珺 芃 赟 镕 are in every
#: city's young population, and ~200 of the table's characters (𬌗, 𬱖 …) lie outside the BMP.
NAME_HANZI = "\u3400-\u4dbf\u4e00-\u9fff\U00020000-\U0003134f"
#: The rest of a name's characters, as a regex class body: the middle dot of minority names,
#: Latin letters, digits, brackets (企业名称), hyphen and space.
NAME_OTHER = "·A-Za-z0-9()（）\\- "
#: What may stand before 号 in a house number, as a regex class body.
HOUSE_NUMERALS = "0-9一二三四五六七八九十零〇"


def _region_enum() -> tuple[str, str]:
    """(ENUM member list ordered by last-valid year, retirement thresholds per year).

    Members are sorted by the year they were last in force (still valid last), so "retired
    before year Y" is ``enum_code < thresholds[Y - 1980]``: a list of ~50 numbers instead of
    a 6,771-entry look-up that would be re-bound with every use of the macro.
    """
    t = regions.region_history().to_pydict()
    pairs = sorted(
        zip(t["code"], [9999 if y is None else y for y in t["last_year"]], strict=True),
        key=lambda p: (p[1], p[0]),
    )
    lasts = [y for _, y in pairs]
    thresholds = [sum(1 for y in lasts if y < year) for year in range(FIRST_YEAR, LAST_YEAR + 1)]
    return ", ".join(_sql_str(c) for c, _ in pairs), "[" + ", ".join(map(str, thresholds)) + "]"


def _any_of(*patterns: str) -> str:
    """One regex matching wherever any of ``patterns`` matches."""
    return "|".join(f"(?:{p})" for p in patterns)


def macro_statements() -> list[str]:
    """Every ``CREATE OR REPLACE`` statement of the standards library, in dependency order."""
    members, thresholds = _region_enum()
    fw, hw = _sql_str(FULL_WIDTH), _sql_str(HALF_WIDTH)
    # GB 32100 values are places in its 31-character alphabet; GB 11714 (the organisation
    # code inside) gives digits 0-9 and letters A-Z 10-35
    uscc_sum = _char_sum_expr("n", USCC_ALPHABET, USCC_WEIGHTS, 1)
    org_sum = _char_sum_expr("n", "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", ORG_WEIGHTS, 9)
    traditional = _traditional_chars()
    # personal and organisation names: CJK ideographs, the middle dot of minority names,
    # Latin letters, digits and brackets (企业名称); a traditional form is its own finding,
    # anything else (bopomofo, symbols, U+FFFD) is garbling (乱码), and so is the character
    # triple UTF-8 Chinese read as GBK opens with, even when a traditional form is among it
    trad_re = "[" + traditional + "]"
    name_bad_re = "[^" + NAME_HANZI + NAME_OTHER + "]"
    garbled_re, full_width_re = _mojibake_pattern(), "[\uff01-\uff5e\u3000]"
    house_re = f"[{HOUSE_NUMERALS}]+号"
    trad, name_bad, garbled, full_width, house = map(
        _sql_str, (trad_re, name_bad_re, garbled_re, full_width_re, house_re)
    )
    spaced = _sql_str("[\\s\uff01-\uff5e\u3000]")  # whitespace or a full-width character
    name_any = _sql_str(_any_of(garbled_re, name_bad_re, trad_re))
    address_any = _sql_str(_any_of(garbled_re, trad_re, full_width_re))
    # A clean address in one full match: a house number and no character that could start
    # a finding (a traditional or full-width character, U+FFFD, or the first character of
    # a garbled run, so a real character such as 婧 only takes the longer path)
    suspect = "\ufffd" + traditional + _mojibake_first() + "\uff01-\uff5e\u3000"
    address_ok = _sql_str(f"[^{suspect}]*{house_re}[^{suspect}]*")
    m = "CREATE OR REPLACE MACRO"
    return [
        "DROP TYPE IF EXISTS std_region",
        f"CREATE TYPE std_region AS ENUM ({members})",
        # -- shared cleaning: full-width to half-width, whitespace removed
        # translate() costs ~3-8 us a value; pure-ASCII text (bytes = characters) and Chinese
        # text without a full-width character (one regex scan) skip it
        f"{m} std_half(v) AS CASE WHEN strlen(CAST(v AS VARCHAR)) = length(CAST(v AS VARCHAR)) "
        f"OR NOT regexp_matches(CAST(v AS VARCHAR), {full_width}) "
        f"THEN CAST(v AS VARCHAR) ELSE translate(CAST(v AS VARCHAR), {fw}, {hw}) END",
        # the common value, with neither whitespace nor a full-width character, as it is
        # (a Chinese address paid three translations here: 3.5 us a row)
        f"{m} std_squash(v) AS CASE WHEN NOT regexp_matches(CAST(v AS VARCHAR), {spaced}) "
        "THEN CAST(v AS VARCHAR) WHEN regexp_matches(std_half(v), '\\s') "
        "THEN regexp_replace(std_half(v), '\\s+', '', 'g') ELSE std_half(v) END",
        # trim() copies every value; only a value that is empty or starts with a space
        # (ASCII, or a Unicode space separator: U+00A0 … U+3000, the ones trim removes) can
        # be blank, and a string comparison on the first bytes finds those (3-5x cheaper)
        f"{m} std_blank(v) AS (v IS NULL OR CASE WHEN CAST(v AS VARCHAR) < '!' "
        "OR (CAST(v AS VARCHAR) >= chr(160) AND CAST(v AS VARCHAR) < chr(12289)) "
        "THEN trim(CAST(v AS VARCHAR)) = '' ELSE false END)",
        # -- GB/T 2260 region codes, with the last year each was in force
        # ``e`` = the code's place in the ENUM (NULL: unknown)
        f"{m} std_region_retired_e(e, y) AS e < {thresholds}"
        f"[least(greatest(y, {FIRST_YEAR}), {LAST_YEAR}) - {FIRST_YEAR - 1}]",
        f"{m} std_region_retired_before(c, y) AS "
        "std_region_retired_e(enum_code(TRY_CAST(c AS std_region)), y)",
        f"{m} std_region_known(c) AS (TRY_CAST(c AS std_region) IS NOT NULL)",
        # -- GB 11643 citizen ID. Every check has a fast path for the common, valid value
        # (integer arithmetic on the 17-digit body, no regex, no strptime) and diagnoses a
        # failing value only in the CASE branch that the few failing rows reach.
        f"{m} std_leap(y) AS ((y % 4 = 0 AND y % 100 <> 0) OR y % 400 = 0)",
        # x = yyyymmdd as a number: a real calendar day from 1890 on
        f"{m} std_ymd_ok(x) AS coalesce(x // 10000 >= 1890 "
        "AND (x // 100) % 100 BETWEEN 1 AND 12 AND x % 100 >= 1 AND x % 100 <= "
        "[31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][((x // 100) % 100)::INTEGER] "
        "+ CASE WHEN (x // 100) % 100 = 2 AND std_leap(x // 10000) THEN 1 ELSE 0 END, false)",
        f"{m} std_id_sum(b) AS ({_id_sum_expr()})",
        f"{m} std_id_check17(s) AS substr({_sql_str(ID_CHECK)}, "
        "(std_id_sum(TRY_CAST(s AS BIGINT)) % 11)::INTEGER + 1, 1)",
        f"{m} std_id_b(n) AS CASE WHEN length(n) = 18 "
        "THEN TRY_CAST(substr(n, 1, 17) AS BIGINT) END",
        f"{m} std_id_r18(n, b) AS CASE "
        "WHEN b IS NULL OR CAST(b AS VARCHAR) <> substr(n, 1, 17) "
        "  OR strpos('0123456789X', substr(n, 18, 1)) = 0 THEN 'bad_format' "
        f"WHEN substr({_sql_str(ID_CHECK)}, (std_id_sum(b) % 11)::INTEGER + 1, 1) "
        "  <> substr(n, 18, 1) THEN 'bad_checksum' "
        "WHEN NOT std_ymd_ok((b // 1000) % 100000000) THEN 'bad_birth_date' "
        "WHEN (b // 1000) % 100000000 > CAST(strftime(current_date, '%Y%m%d') AS BIGINT) "
        "  THEN 'future_birth_date' END",
        f"{m} std_id_r15(n) AS CASE "
        "WHEN NOT regexp_full_match(n, '[0-9]{15}') THEN 'bad_format' "
        "WHEN NOT std_ymd_ok(19000000 + CAST(substr(n, 7, 6) AS BIGINT)) THEN 'bad_birth_date' "
        "END",
        f"{m} std_id_year(n) AS CASE WHEN length(n) = 15 "
        "THEN 1900 + TRY_CAST(substr(n, 7, 2) AS INTEGER) "
        "ELSE TRY_CAST(substr(n, 7, 4) AS INTEGER) END",
        # Binding a cast to the 6,771-member region ENUM costs ~40 ms, so the region checks
        # are written once for both lengths (two casts per use of the macro, not four).
        # The 18-digit body ``b`` is bound once through a one-element lambda: inside a CASE
        # branch DuckDB does not share repeated subexpressions, and the macro repeats ``b``
        # a dozen times (2.4x faster; the parameter name cannot clash with a column).
        f"{m} std_id_e(n) AS enum_code(TRY_CAST(substr(n, 1, 6) AS std_region))",
        f"{m} std_id_region_re(n, e) AS CASE WHEN e IS NULL THEN 'unknown_region' "
        "WHEN std_region_retired_e(e, std_id_year(n)) THEN 'region_retired_before_birth' "
        "WHEN length(n) = 15 THEN 'legacy_15' END",
        f"{m} std_id_region_r(n) AS std_id_region_re(n, std_id_e(n))",
        f"{m} std_id_r0(n) AS coalesce("
        "CASE WHEN length(n) = 15 THEN std_id_r15(n) "
        "ELSE list_transform([std_id_b(n)], lambda _std_b: std_id_r18(n, _std_b))[1] END, "
        "std_id_region_r(n))",
        # The check given the body ``b = std_id_b(n)`` computed beforehand: a lake scan binds
        # it as a column of an inner projection (40 % faster than the lambda). Called as
        # std_id_r0_b(n, std_id_b(n)) it is also the form for the few values a CASE branch
        # reaches: a lambda is evaluated over the whole vector even inside a branch that
        # selects 1 % of it, so there the repeated body is the cheaper form.
        # With the region's ENUM place ``e = std_id_e(n)`` as a column too, the region is
        # cast once per row instead of twice.
        f"{m} std_id_r0_be(n, b, e) AS coalesce("
        "CASE WHEN length(n) = 15 THEN std_id_r15(n) ELSE std_id_r18(n, b) END, "
        "std_id_region_re(n, e))",
        f"{m} std_id_r0_b(n, b) AS std_id_r0_be(n, b, std_id_e(n))",
        # cleaning is skipped (one regex) for the common, already clean value
        # one translate and one regex: this text is repeated wherever the checker uses it
        f"{m} std_id_clean(v) AS upper(regexp_replace(translate(CAST(v AS VARCHAR), {fw}, {hw}), "
        "'\\s+', '', 'g'))",
        # ``r`` = std_id_r0 of the value as delivered (a scan computes it once per row and
        # shares it between the validity and the cross-field rules). Cleaning is tried only
        # when that check fails, and checked again only when it changes the value: most
        # failing IDs are already clean (a wrong check character, a 15-digit number), and
        # inside a CASE branch the cleaning repeats wherever std_id_r0 uses its argument
        f"{m} std_id_reason_r(v, r) AS CASE WHEN r IS NULL THEN NULL "
        "WHEN std_blank(v) THEN 'empty' "
        "WHEN std_id_clean(v) = CAST(v AS VARCHAR) THEN r "
        "ELSE coalesce(std_id_r0_b(std_id_clean(v), std_id_b(std_id_clean(v))), "
        "  'not_normalized') END",
        f"{m} std_id_reason(v) AS std_id_reason_r(v, std_id_r0(CAST(v AS VARCHAR)))",
        f"{m} std_id_upgrade(n) AS substr(n, 1, 6) || '19' || substr(n, 7, 9) || "
        "std_id_check17(substr(n, 1, 6) || '19' || substr(n, 7, 9))",
        # the normal form follows from the reason: NULL ⇔ valid as delivered, not_normalized
        # ⇔ valid once cleaned, legacy_15 ⇔ a valid 15-digit number (a column check passes
        # the reason it has already computed)
        f"{m} std_id_norm_from_reason(v, r) AS CASE WHEN r IS NULL THEN CAST(v AS VARCHAR) "
        "WHEN r = 'not_normalized' THEN std_id_clean(v) "
        "WHEN r = 'legacy_15' THEN std_id_upgrade(std_id_clean(v)) END",
        f"{m} std_id_norm(v) AS list_transform([std_id_reason(v)], "
        "lambda _std_r: std_id_norm_from_reason(v, _std_r))[1]",
        # Facts of an ID *as delivered* (valid, or a valid legacy 15-digit number), for
        # cross-field and cross-dataset rules: compact enough to repeat in a scan query.
        f"{m} std_id_usable_r(r) AS coalesce(r, 'ok') IN ('ok', 'legacy_15')",
        f"{m} std_id_usable(n) AS std_id_usable_r(std_id_r0(n))",
        # the key given the check ``r = std_id_r0(n)``: a scan that checks the ID anyway
        # joins a reference on it without checking the ID a second time
        f"{m} std_id_key_r(n, r) AS CASE coalesce(r, 'ok') WHEN 'ok' THEN n "
        "WHEN 'legacy_15' THEN std_id_upgrade(n) END",
        f"{m} std_id_key(n) AS std_id_key_r(n, std_id_r0(n))",
        f"{m} std_id_birth_raw(n) AS CASE WHEN length(n) = 15 "
        "THEN 19000000 + TRY_CAST(substr(n, 7, 6) AS INTEGER) "
        "ELSE TRY_CAST(substr(n, 7, 8) AS INTEGER) END",
        f"{m} std_id_sex_raw(n) AS 2 - TRY_CAST(CASE WHEN length(n) = 15 THEN substr(n, 15, 1) "
        "ELSE substr(n, 17, 1) END AS INTEGER) % 2",
        # birth date as the number yyyymmdd (cheap to compare with std_date_ymd of a column)
        f"{m} std_id_birth_ymd(v) AS TRY_CAST(substr(std_id_norm(v), 7, 8) AS INTEGER)",
        f"{m} std_id_birth(v) AS TRY_STRPTIME(substr(std_id_norm(v), 7, 8), '%Y%m%d')::DATE",
        # 1 = male, 2 = female (GB/T 2261.1), from the 17th digit's parity
        f"{m} std_id_sex(v) AS 2 - (TRY_CAST(substr(std_id_norm(v), 17, 1) AS INTEGER) % 2)",
        f"{m} std_sex_code(v) AS CASE lower(trim(CAST(v AS VARCHAR))) "
        + "".join(f"WHEN {_sql_str(t)} THEN {c} " for t, c in SEX_CODES.items())
        + "ELSE NULL END",
        # -- GB 32100 unified social credit code with its GB 11714 organisation code
        f"{m} std_uscc_clean(v) AS upper(std_squash(v))",
        # check = 11 - sum % 11, written 11 → '0' and 10 → 'X': one look-up by ``sum % 11``
        f"{m} std_org_check(n) AS substr({_sql_str(ORG_CHECK)}, (({org_sum}) % 11)::INTEGER "
        "+ 1, 1)",
        f"{m} std_uscc_r0(n) AS CASE "
        "WHEN NOT regexp_full_match(n, '[1-9A-HJ-NPQRTUWXY][0-9A-HJ-NPQRTUWXY]{17}') "
        "  THEN 'bad_format' "
        f"WHEN substr({_sql_str(USCC_ALPHABET)}, ((31 - ({uscc_sum}) % 31) % 31)::INTEGER + 1, 1)"
        "  <> substr(n, 18, 1) THEN 'bad_checksum' "
        "WHEN std_org_check(n) <> substr(n, 17, 1) THEN 'bad_org_code' "
        "WHEN NOT std_region_known(substr(n, 3, 6)) THEN 'unknown_region' "
        "ELSE NULL END",
        # A code valid as delivered is already clean (its format admits no space, no lower
        # case, nothing full-width): the common value costs one check. Only a failing one is
        # cleaned and checked again, in a branch without a lambda (see std_id_r0_b).
        f"{m} std_uscc_reason(v) AS CASE WHEN std_blank(v) THEN 'empty' "
        "WHEN std_uscc_r0(CAST(v AS VARCHAR)) IS NULL THEN NULL "
        "ELSE coalesce(std_uscc_r0(std_uscc_clean(v)), CASE WHEN CAST(v AS VARCHAR) = "
        "  std_uscc_clean(v) THEN NULL ELSE 'not_normalized' END) END",
        # the cleaned code is bound once (lambda): std_uscc_r0 reads it at 27 positions
        f"{m} std_uscc_norm(v) AS list_transform([std_uscc_clean(v)], lambda _std_n: "
        "CASE WHEN std_uscc_r0(_std_n) IS NULL THEN _std_n END)[1]",
        # -- phones: mainland mobile (11 digits, 13x-19x) and landline (0 + area code + 7-8)
        f"{m} std_phone_clean(v) AS regexp_replace(regexp_replace(std_squash(v), "
        "'[-()（）]', '', 'g'), '^(\\+?86)(1[3-9][0-9]{9})$', '\\2')",
        f"{m} std_mobile_r0(n) AS CASE WHEN regexp_full_match(n, '1[3-9][0-9]{{9}}') THEN NULL "
        "WHEN regexp_full_match(n, '[0-9]+') THEN 'bad_length_or_prefix' ELSE 'bad_format' END",
        f"{m} std_mobile_reason(v) AS CASE WHEN std_blank(v) THEN 'empty' "
        "WHEN std_mobile_r0(CAST(v AS VARCHAR)) IS NULL THEN NULL "
        "WHEN std_mobile_r0(std_phone_clean(v)) IS NULL THEN 'not_normalized' "
        "ELSE std_mobile_r0(std_phone_clean(v)) END",
        f"{m} std_mobile_norm(v) AS CASE WHEN std_mobile_r0(std_phone_clean(v)) IS NULL "
        "THEN std_phone_clean(v) ELSE NULL END",
        f"{m} std_landline_r0(n) AS CASE "
        "WHEN regexp_full_match(n, '0(10|2[0-9]|[3-9][0-9]{2})-[2-9][0-9]{6,7}(-[0-9]{1,6})?') "
        "THEN NULL ELSE 'bad_format' END",
        f"{m} std_landline_fmt(n) AS regexp_replace(n, "
        "'^(0(10|2[0-9]|[3-9][0-9]{2}))([2-9][0-9]{6,7})$', '\\1-\\3')",
        f"{m} std_landline_reason(v) AS CASE WHEN std_blank(v) THEN 'empty' "
        "WHEN std_landline_r0(std_half(trim(CAST(v AS VARCHAR)))) IS NULL "
        "  AND std_half(trim(CAST(v AS VARCHAR))) = CAST(v AS VARCHAR) THEN NULL "
        "WHEN std_landline_r0(std_landline_fmt(std_phone_clean(v))) IS NULL "
        "  THEN 'not_normalized' ELSE 'bad_format' END",
        # a valid number keeps its form (an extension, 0532-88886666-123, has no other)
        f"{m} std_landline_norm(v) AS CASE "
        "WHEN std_landline_r0(std_half(trim(CAST(v AS VARCHAR)))) IS NULL "
        "THEN std_half(trim(CAST(v AS VARCHAR))) "
        "WHEN std_landline_r0(std_landline_fmt(std_phone_clean(v))) IS NULL "
        "THEN std_landline_fmt(std_phone_clean(v)) ELSE NULL END",
        f"{m} std_phone_reason(v) AS CASE WHEN std_mobile_reason(v) IS NULL THEN NULL "
        "WHEN std_landline_reason(v) IS NULL THEN NULL "
        "WHEN std_blank(v) THEN 'empty' "
        "WHEN std_mobile_norm(v) IS NOT NULL OR std_landline_norm(v) IS NOT NULL "
        "  THEN 'not_normalized' "
        "ELSE std_mobile_reason(v) END",
        f"{m} std_phone_norm(v) AS coalesce(std_mobile_norm(v), std_landline_norm(v))",
        # -- dates in the formats departments use; ISO 8601 (GB/T 7408) is the standard form
        f"{m} std_date_text(v) AS regexp_replace(regexp_replace(std_squash(v), "
        "'[T ]?[0-9]{1,2}:[0-9]{2}(:[0-9]{2}(\\.[0-9]+)?)?(Z|[+-][0-9]{2}:?[0-9]{2})?$', ''), "
        "'日$', '')",
        # fast path: ISO 8601 and yyyymmdd by cast; the format list only for the rest
        f"{m} std_date_slow(v) AS TRY_STRPTIME(std_date_text(v), "
        "['%Y-%m-%d', '%Y%m%d', '%Y/%m/%d', '%Y.%m.%d', '%Y年%m月%d'])::DATE",
        # yyyymmdd by one strptime format: 2.3x cheaper than re-assembling ISO text to cast
        f"{m} std_date_fast(s) AS CASE WHEN length(s) = 10 AND substr(s, 5, 1) = '-' "
        "THEN TRY_CAST(s AS DATE) WHEN length(s) = 8 THEN TRY_STRPTIME(s, '%Y%m%d')::DATE END",
        # six digits are a month (202401, a contribution period), never a date in these formats:
        # the slow path (two regex replacements, five formats) is skipped for them
        f"{m} std_date_parse(v) AS coalesce(std_date_fast(CAST(v AS VARCHAR)), CASE WHEN NOT "
        "(length(CAST(v AS VARCHAR)) = 6 AND TRY_CAST(CAST(v AS VARCHAR) AS INTEGER) IS NOT NULL) "
        "THEN std_date_slow(v) END)",
        # ``p`` = std_date_parse(v): a scan parses each date column once (a shared column)
        # and its validity, freshness and ID ↔ birth date rules read the parsed value
        f"{m} std_date_ymd_p(p) AS (year(p) * 10000 + month(p) * 100 + day(p))",
        f"{m} std_date_ymd(v) AS std_date_ymd_p(std_date_parse(v))",
        # yyyymm and yyyy-mm by one format each; the format list only for the rest
        f"{m} std_month_fast(s) AS CASE WHEN length(s) = 6 THEN TRY_STRPTIME(s, '%Y%m')::DATE "
        "WHEN length(s) = 7 AND substr(s, 5, 1) = '-' THEN TRY_STRPTIME(s, '%Y-%m')::DATE END",
        f"{m} std_month_parse_p(v, p) AS CASE WHEN p IS NULL THEN "
        "coalesce(std_month_fast(CAST(v AS VARCHAR)), "
        "TRY_STRPTIME(regexp_replace(std_date_text(v), '月$', ''), "
        "['%Y-%m', '%Y%m', '%Y/%m', '%Y.%m', '%Y年%m'])::DATE) END",
        f"{m} std_month_parse(v) AS std_month_parse_p(v, std_date_parse(v))",
        # a valid date, then a valid month (a month column: the common value), each by a fast
        # path; the diagnosis (which repeats the month parse per branch) only for the rest
        f"{m} std_date_reason_p(v, p, allow_future) AS CASE "
        "WHEN p BETWEEN DATE '1890-01-01' AND "
        "  CASE WHEN allow_future THEN DATE '2200-12-31' ELSE current_date END THEN NULL "
        "WHEN p IS NULL AND std_month_fast(CAST(v AS VARCHAR)) BETWEEN DATE '1890-01-01' AND "
        "  CASE WHEN allow_future THEN DATE '2200-12-31' ELSE current_date END THEN NULL "
        "WHEN std_blank(v) THEN 'empty' "
        "WHEN coalesce(p, std_month_parse_p(v, p)) IS NULL THEN 'bad_format' "
        "WHEN year(coalesce(p, std_month_parse_p(v, p))) < 1890 THEN 'implausible_date' "
        "WHEN year(coalesce(p, std_month_parse_p(v, p))) > 2200 THEN 'implausible_date' "
        "WHEN NOT allow_future AND coalesce(p, std_month_parse_p(v, p)) > current_date"
        "  THEN 'future_date' "
        "ELSE NULL END",
        f"{m} std_date_reason(v, allow_future) AS "
        "std_date_reason_p(v, std_date_parse(v), allow_future)",
        f"{m} std_date_norm(v) AS CASE WHEN std_date_parse(v) IS NOT NULL "
        "THEN strftime(std_date_parse(v), '%Y-%m-%d') "
        "WHEN std_month_parse(v) IS NOT NULL THEN strftime(std_month_parse(v), '%Y-%m') END",
        # -- admin division codes (any code in force since 1980)
        f"{m} std_admin_reason(v) AS CASE WHEN std_blank(v) THEN 'empty' "
        "WHEN NOT regexp_full_match(std_squash(v), '[0-9]{6}') THEN 'bad_format' "
        "WHEN NOT std_region_known(std_squash(v)) THEN 'unknown_region' "
        "WHEN std_squash(v) <> CAST(v AS VARCHAR) THEN 'not_normalized' ELSE NULL END",
        f"{m} std_admin_norm(v) AS CASE WHEN std_region_known(std_squash(v)) "
        "THEN std_squash(v) END",
        # -- amounts (元, two decimals); money is stored in fen elsewhere
        f"{m} std_amount_text(v) AS regexp_replace(std_squash(v), '^[¥￥]|[,，]|元$', '', 'g')",
        # a plain number casts as it is; the clean-up (a regex replacement) only for the rest
        f"{m} std_amount_parse(v) AS coalesce(TRY_CAST(CAST(v AS VARCHAR) AS DECIMAL(18, 2)), "
        "TRY_CAST(std_amount_text(v) AS DECIMAL(18, 2)))",
        f"{m} std_amount_reason(v) AS CASE WHEN std_blank(v) THEN 'empty' "
        "WHEN std_amount_parse(v) IS NULL THEN 'bad_format' "
        "WHEN std_amount_parse(v) < 0 THEN 'negative' "
        "WHEN TRY_CAST(CAST(v AS VARCHAR) AS DECIMAL(18, 2)) IS NULL THEN 'not_normalized' "
        "ELSE NULL END",
        f"{m} std_amount_norm(v) AS CASE WHEN std_amount_parse(v) >= 0 "
        "THEN CAST(std_amount_parse(v) AS VARCHAR) END",
        # -- personal names: simplified hanzi of GB 2312 (and the middle dot of minority names)
        # Each text check has a fast path: one regex for "anything wrong" (RE2 runs the
        # alternation in one pass; three separate patterns cost 2.6x), the chain that says
        # which only for the few values it matches.
        f"{m} std_name_reason(v) AS CASE WHEN std_blank(v) THEN 'empty' "
        f"WHEN NOT regexp_matches(CAST(v AS VARCHAR), {name_any}) THEN NULL "
        f"WHEN regexp_matches(CAST(v AS VARCHAR), {garbled}) THEN 'bad_chars' "
        f"WHEN regexp_matches(CAST(v AS VARCHAR), {name_bad}) THEN 'bad_chars' "
        f"WHEN regexp_matches(CAST(v AS VARCHAR), {trad}) THEN 'traditional_chars' "
        "ELSE NULL END",
        f"{m} std_name_norm(v) AS CASE WHEN std_name_reason(v) IS NULL THEN CAST(v AS VARCHAR) END",
        # -- addresses: the set-wise pre-check; parsing and matching are in address.py
        f"{m} std_address_reason(v) AS CASE "
        f"WHEN regexp_full_match(CAST(v AS VARCHAR), {address_ok}) THEN NULL "
        "WHEN std_blank(v) THEN 'empty' "
        f"WHEN NOT regexp_matches(CAST(v AS VARCHAR), {address_any}) "
        f"  AND regexp_matches(CAST(v AS VARCHAR), {house}) THEN NULL "
        f"WHEN regexp_matches(CAST(v AS VARCHAR), {garbled}) THEN 'bad_chars' "
        f"WHEN regexp_matches(CAST(v AS VARCHAR), {trad}) THEN 'traditional_chars' "
        f"WHEN regexp_matches(CAST(v AS VARCHAR), {full_width}) "
        "  THEN 'not_normalized' "
        f"WHEN NOT regexp_matches(CAST(v AS VARCHAR), {house}) "
        "  THEN 'no_house_number' "
        "ELSE NULL END",
        f"{m} std_address_norm(v) AS CASE WHEN NOT std_blank(v) THEN std_squash(v) END",
        # comparison key: two departments write the same home with or without the province
        # and prefecture (山东省青岛市莱西市… = 莱西市…); a county may itself end in 市 and a
        # district start with it (市南区), so the prefecture goes only before a county's name
        # (``_r``: given the reason ``r = std_address_reason(v)``, which a scan's validity
        # rule computes anyway)
        f"{m} std_address_key_r(v, r) AS CASE WHEN r IS NULL THEN "
        "regexp_replace(regexp_replace(std_squash(v), "
        "'^(中国)?([^省市区县]{2,7}省|[^省市区县]{2,5}自治区)?', ''), "
        "'^[^省市区县]{2,7}市([^0-9路街道号]{1,6}?[区县市])', '\\1') END",
        f"{m} std_address_key(v) AS std_address_key_r(v, std_address_reason(v))",
        # -- generic codes: present, no whitespace
        f"{m} std_code_reason(v) AS CASE WHEN std_blank(v) THEN 'empty' "
        "WHEN regexp_matches(CAST(v AS VARCHAR), '\\s') THEN 'not_normalized' ELSE NULL END",
        f"{m} std_code_norm(v) AS CASE WHEN NOT std_blank(v) THEN std_squash(v) END",
        f"{m} std_library_version() AS {VERSION}",
    ]


_install_lock = threading.Lock()


def installed_version(con: duckdb.DuckDBPyConnection) -> int | None:
    # asked directly: listing duckdb_functions() costs ~17 ms, and every scan asks
    try:
        return int(con.execute("SELECT std_library_version()").fetchall()[0][0])
    except duckdb.CatalogException:
        return None


def install(con: duckdb.DuckDBPyConnection, *, force: bool = False) -> bool:
    """Create the standards macros on ``con`` (persistently when it is a lake file).

    Idempotent: returns False when the current version is already there.
    """
    with _install_lock:
        if not force and installed_version(con) == VERSION:
            return False
        for statement in macro_statements():
            con.execute(statement)
        return True


_local = threading.local()


def scratch() -> duckdb.DuckDBPyConnection:
    """A per-thread in-memory connection with the macros, for checking single values."""
    con = getattr(_local, "con", None)
    if con is None:
        con = duckdb.connect()
        install(con)
        _local.con = con
    return con
