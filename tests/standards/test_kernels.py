"""The compiled pre-screens (``standards.kernels``) against the SQL macros they stand in for.

A kernel may leave a value UNSURE (the SQL then decides), but where it says OK the SQL check
must pass it, where it says BLANK ``std_blank`` must hold, and where it says BAD the SQL
check must fail it. Values: the valid forms, each with one character changed, dropped or
added (hypothesis picks which and where), known traps, and free text over an alphabet of the
characters the checks treat apart. The valid forms must also come out OK: a kernel that
left everything UNSURE would be right and useless.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from citybrain.simulate import identifiers as sim
from citybrain.standards import elements, kernels, service, sql

TODAY = dt.date.today()
ALPHABET = (
    "0123456789Xx -/.:年月日号一二十〇零·()（）\u3000\u00a0\t\n０１２Ｘ张王李張瑾峰璐翠娴"
    "婧市南区路单元室\ufffd𬌗A锟斤拷男女mfMF¥,+e_元"
)


def _ids() -> list[str]:
    rng = np.random.default_rng(7)
    births = np.array(["1950-01-01", "1985-06-30", "2000-02-29", "2012-12-31"],
                      dtype="datetime64[D]")
    regions = np.array([370202, 370203, 110105, 440305])
    out = sim.id_card_numbers(regions, births, rng.integers(0, 999, 4))
    return [str(x) for x in out]


def _usccs() -> list[str]:
    rng = np.random.default_rng(3)
    codes = sim.uscc_codes(rng, np.array([370202, 370211, 110105, 440305]),
                           np.array([True, True, False, True]), np.array([1, 2, 3, 1]))
    return [str(x) for x in codes]


VALID = {
    "id_card": _ids(),
    "uscc": _usccs(),
    "date": ["2024-06-05", "20240605", "2024/06/05", "2024.06.05", "1890-01-01", "2000-02-29",
             "202406", "189001"],  # a month (a contribution period) is valid too
    "date_any": ["2030-01-01", "21001231", "2024/06/05", "220012"],
    "amount": ["123.45", "0", "007", "12.5", "9999999999999999.99", "0.01"],
    "phone": ["13812345678", "19900001111", "0532-88886666", "010-22345678",
              "0532-88886666-123", "021-2345678"],
    "name": ["王伟", "欧阳娜娜", "阿依古丽·买买提", "John Smith", "王玥", "李瑾峰", "张𬌗"],
    "address": ["市南区香港中路10号", "即墨区深圳路十号3单元502室", "山东省青岛市崂山区松岭路1号"],
    "code": ["H0001", "P0000000001", "户号-12", "370202"],
}
TRAPS = {
    "id_card": ["370205201501010011", "37020219850630123x", "070202198506301231",
                "370202185006301231", "370202209906301231", "370202850630123", " ", "\u3000",
                "３７0202198506301231", "37020219850631123X"],
    "uscc": ["91370202MA3C4L5X0E", "01370202MA3C4L5X0E", "9137020 MA3C4L5X0E", "\u00a0"],
    "date": ["2019-02-29", "1889-12-31", "2024-6-5", "2024年6月5日", "2024-06",
             "2024-06-05 10:00:00", "2024-06-05T10:00Z", "2024/06-05", "3024-01-01", "二〇二四",
             "202413", "188912", "2024 6", "209901", "000001"],
    "date_any": ["2201-01-01", "2024-13-01", "220101"],
    "amount": ["-5", "-0.00", "1.005", "¥5", " 5", "5 ", "1,000", "12.", ".5", "1e3", "1_000",
               "99999999999999999", "５", "-", "+5", "5元", "-12.30"],
    "phone": ["+8613812345678", "138 1234 5678", "０５３２-88886666", "12345678901",
              "0532-18886666", "0532-888866661", "0532-88886666-1234567", "0532 88886666"],
    "name": ["張三", "王\ufffd", "王\t伟", "王伟!", "鐜嬩紵", " 王伟", "王伟 "],
    "address": ["市南区香港中路号", "市南区香港中路３号", "廣州路3号", "路3号\ufffd", "鐜嬩紵3号"],
    "code": ["H 0001", "\tH", "Ｈ0001", "H0001\n", "  "],
}


def _sql(expressions: dict[str, str], values: list[str | None]) -> dict[str, list]:
    con = sql.scratch()
    name = f"_kv_{abs(hash(tuple(expressions)))}"
    con.register(name, pa.table({"v": pa.array(values, pa.string())}))
    try:
        select = ", ".join(f"{e} AS {k}" for k, e in expressions.items())
        return con.sql(f"SELECT {select} FROM {name}").to_arrow_table().to_pydict()
    finally:
        con.unregister(name)


def _mutations(base: str) -> st.SearchStrategy[str]:
    edit = st.sampled_from(["replace", "insert", "delete"])
    return st.tuples(edit, st.integers(0, len(base)), st.sampled_from(ALPHABET)).map(
        lambda e: _edit(base, *e))


def _edit(base: str, how: str, at: int, char: str) -> str:
    if how == "replace":
        return base[:at] + char + base[at + 1:]
    if how == "insert":
        return base[:at] + char + base[at:]
    return base[:at] + base[at + 1:]


def values_of(element: str) -> st.SearchStrategy[list[str | None]]:
    near = st.sampled_from(VALID[element] + TRAPS[element]).flatmap(_mutations)
    free = st.text(alphabet=ALPHABET, max_size=20)
    return st.lists(st.one_of(near, free, st.none(), st.sampled_from(TRAPS[element])),
                    min_size=1, max_size=60)


def check_element(element: str, values: list[str | None]) -> np.ndarray:
    verdict = kernels.element(element, pa.array(values, pa.string()), TODAY)
    reason = elements.get(element).reason_sql("v")
    got = _sql({"blank": "std_blank(v)", "reason": reason}, values)
    for v, k, blank, why in zip(values, verdict, got["blank"], got["reason"], strict=True):
        if k == kernels.OK:
            assert not blank and why is None, (element, v, why)
        elif k == kernels.BAD:
            assert not blank and why is not None, (element, v)
        elif k == kernels.BLANK:
            assert blank, (element, v)
        else:
            assert k == kernels.UNSURE, (element, v, k)
    return verdict


@pytest.mark.parametrize("element", sorted(VALID))
def test_a_kernel_passes_the_valid_forms_and_leaves_the_traps_to_sql(element: str) -> None:
    assert element in service.screened_elements()
    assert (check_element(element, VALID[element]) == kernels.OK).all()
    traps = check_element(element, TRAPS[element] + [None, ""])
    assert (traps[-2:] == kernels.BLANK).all()


@pytest.mark.parametrize("element", sorted(VALID))
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_a_kernel_never_certifies_what_sql_fails(element: str, data: st.DataObject) -> None:
    check_element(element, data.draw(values_of(element)))


@settings(max_examples=25, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(VALID["id_card"] + TRAPS["id_card"]).flatmap(
    _mutations), st.none()), min_size=1, max_size=60))
def test_the_id_kernel_gives_the_sex_and_birth_date_sql_reads(values: list[str | None]) -> None:
    verdict, sex, birth = kernels.id_card(pa.array(values, pa.string()), TODAY)
    got = _sql({"sex": "std_id_sex_raw(v)", "birth": "std_id_birth_raw(v)"}, values)
    ok = verdict == kernels.OK
    assert sex[ok].tolist() == [s for s, k in zip(got["sex"], ok, strict=True) if k]
    assert birth[ok].tolist() == [b for b, k in zip(got["birth"], ok, strict=True) if k]


@settings(max_examples=25, deadline=None)
@given(values_of("date"))
def test_the_date_kernel_gives_the_date_sql_parses(values: list[str | None]) -> None:
    verdict, ymd, days = kernels.date(pa.array(values, pa.string()), TODAY)
    got = _sql({"ymd": "std_date_ymd(v)",
                "days": "date_diff('day', DATE '1970-01-01', std_date_parse(v))"}, values)
    for k, y, d, gy, gd in zip(verdict, ymd, days, got["ymd"], got["days"], strict=True):
        if k == kernels.OK:
            assert (y, d) == (gy, gd)


@settings(max_examples=25, deadline=None)
@given(values_of("amount"))
@example(["9999999999999999.99", "-9999999999999999.99", "¥9,999,999,999,999,999.99"])
def test_the_amount_kernel_gives_the_value_sql_parses(values: list[str | None]) -> None:
    verdict, cents = kernels.amount(pa.array(values, pa.string()))
    got = _sql({"fen": "CAST(CAST(std_amount_parse(v) AS DECIMAL(38, 2)) * 100 AS BIGINT)"},
               values)
    for k, c, g in zip(verdict, cents, got["fen"], strict=True):
        if k in (kernels.OK, kernels.BAD):
            assert c == g


def test_a_month_is_a_valid_date_element_yet_no_date_for_the_rules_reading_one() -> None:
    """202406 passes the date element (a contribution period), but ``date`` leaves it UNSURE:
    the SQL parses no date from it, so freshness and ID ↔ birth date rules skip it."""
    months = pa.array(["202406", "20240605"], pa.string())
    assert kernels.element("date", months, TODAY).tolist() == [kernels.OK, kernels.OK]
    assert kernels.date(months, TODAY)[0].tolist() == [kernels.UNSURE, kernels.OK]
    assert _sql({"p": "std_date_parse(v)"}, ["202406"])["p"] == [None]


SEXES = ["男", "女", "1", "2", "m", "f", "M", "F", "male", "Female", "FEMALE", "男 ", " 女",
         "Ｍ", "x", "", "男性", "ma le", "\u3000男"]


@settings(max_examples=25, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(SEXES), st.text(alphabet=ALPHABET, max_size=4),
                          st.none()), min_size=1, max_size=60))
def test_the_sex_kernel_reads_codes_as_sql_does(values: list[str | None]) -> None:
    codes = kernels.sex_code(pa.array(values, pa.string()))
    got = _sql({"code": "std_sex_code(v)"}, values)["code"]
    for v, c, g in zip(values, codes, got, strict=True):
        if c != 3:
            assert c == (g or 0), (v, c, g)
    plain = kernels.sex_code(pa.array(["男", "女", "m", "FEMALE", None, "x"]))
    assert plain.tolist() == [1, 2, 1, 2, 0, 0]


CODES = ["正常", "迁出", "死亡", "注销", "A"]


@settings(max_examples=25, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(CODES).flatmap(_mutations), st.sampled_from(CODES),
                          st.none()), min_size=1, max_size=60))
def test_the_code_list_kernel_agrees_with_list_contains(values: list[str | None]) -> None:
    verdict = kernels.in_set(pa.array(values, pa.string()), CODES)
    listed = ", ".join("'" + c + "'" for c in CODES)
    got = _sql({"blank": "std_blank(v)", "hit": f"list_contains([{listed}], v)"}, values)
    for v, k, blank, hit in zip(values, verdict, got["blank"], got["hit"], strict=True):
        if k == kernels.OK:
            assert hit and not blank, v
        elif k == kernels.BAD:
            assert not hit and not blank, v
        elif k == kernels.BLANK:
            assert blank, v


def test_repeated_keys_are_found_across_chunks_and_columns() -> None:
    a = pa.chunked_array([["p1", "p2", None], ["p1", "", None, "p3"]])
    b = pa.chunked_array([["x", "x", "x"], ["y", "x", "x", "x"]])
    assert kernels.repeated(kernels.key_hash([a])).tolist() == [
        True, False, True, True, False, True, False]
    # (p1, x) and (p1, y) differ; (None, x) repeats; '' is not NULL
    assert kernels.repeated(kernels.key_hash([a, b])).tolist() == [
        False, False, True, False, False, True, False]


def test_a_sliced_column_is_read_from_its_offset() -> None:
    values = pa.array(["x", None, "13812345678", "bad", None, "0532-88886666"])
    whole = kernels.element("phone", values, TODAY)
    assert kernels.element("phone", values.slice(2), TODAY).tolist() == whole[2:].tolist()
    assert whole.tolist() == [2, 1, 0, 2, 1, 0]


def test_a_column_that_is_not_text_is_left_to_sql() -> None:
    with pytest.raises(kernels.UnsupportedColumn):
        kernels.blank(pa.array([1, 2, 3]))


@pytest.mark.parametrize("element", sorted(VALID))
def test_a_kernel_never_certifies_what_sql_fails_on_many_edits(element: str) -> None:
    """Thousands of values one to three edits from the valid forms, in one batch each."""
    rng = np.random.default_rng(11)
    bases = VALID[element] + TRAPS[element]
    values = []
    for _ in range(4000):
        v = bases[rng.integers(len(bases))]
        for _ in range(rng.integers(1, 4)):
            how = ("replace", "insert", "delete")[rng.integers(3)]
            v = _edit(v, how, int(rng.integers(len(v) + 1)), ALPHABET[rng.integers(len(ALPHABET))])
        values.append(v)
    verdict = check_element(element, values)
    assert (verdict == kernels.OK).any()  # some edits keep a value valid (a digit for a digit)


def test_empty_and_all_null_columns() -> None:
    assert kernels.element("name", pa.array([], pa.string()), TODAY).tolist() == []
    nulls = pa.chunked_array([pa.array([None, None], pa.string()), pa.array([], pa.string())])
    assert kernels.element("id_card", nulls, TODAY).tolist() == [kernels.BLANK] * 2
    assert kernels.in_set(nulls, ["a"]).tolist() == [kernels.BLANK] * 2
    big = pa.array(["13812345678"] * 5, pa.large_string())  # 64-bit offsets
    assert kernels.element("phone", big, TODAY).tolist() == [kernels.OK] * 5
