"""Each data element with known-good and known-bad values; checksums as properties.

Values are checked in batches (one query per table of cases): a query binds the element's
macros once, so a batch of 40 costs what one value does.
"""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from citybrain.simulate import identifiers as sim
from citybrain.standards import address, elements, service, sql
from citybrain.standards.errors import StandardsInputError, UnknownElement

W = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def ref_check(first17: str) -> str:
    """Reference ISO 7064 MOD 11-2, written independently of the SQL macros."""
    return "10X98765432"[sum(int(c) * w for c, w in zip(first17, W, strict=True)) % 11]


def ref_uscc_check(first17: str) -> str:
    """Reference GB 32100 check character, written independently of the SQL macros."""
    total = sum(USCC_CHARS.index(c) * pow(3, i, 31) for i, c in enumerate(first17))
    return USCC_CHARS[(31 - total % 31) % 31]


def reasons(code: str, values: list[str | None]) -> list[str | None]:
    return elements.check_array(code, values).column("reason").to_pylist()


def assert_cases(code: str, cases: dict[str | None, str | None]) -> None:
    """``{value: expected reason}`` (None = valid), checked in one batch."""
    got = dict(zip(cases, reasons(code, list(cases)), strict=True))
    assert got == cases


ids = st.tuples(
    st.dates(min_value=dt.date(1950, 1, 1), max_value=dt.date(2011, 12, 31)),
    st.integers(0, 999),
    st.sampled_from(["370202", "370205", "110105", "370284", "440305"]),
)


@settings(max_examples=15, deadline=None)
@given(st.lists(ids, min_size=1, max_size=40), st.data())
def test_id_checksum_property(people, data) -> None:
    """Every right check character passes; every single-digit change and every swap of two
    different adjacent digits of the 17-digit body is caught (ISO 7064 MOD 11-2)."""
    good, broken, mutated = [], [], []
    for d, seq, region in people:
        body = f"{region}{d:%Y%m%d}{seq:03d}"
        value = body + ref_check(body)
        good.append(value)
        broken.append(body + next(c for c in "10X98765432" if c != ref_check(body)))
        i = data.draw(st.integers(0, 16))
        if data.draw(st.booleans()) and i < 16 and value[i] != value[i + 1]:
            mutated.append(value[:i] + value[i + 1] + value[i] + value[i + 2 :])
        else:
            digit = data.draw(st.sampled_from([c for c in "0123456789" if c != value[i]]))
            mutated.append(value[:i] + digit + value[i + 1 :])
    got = reasons("id_card", good + broken + mutated)  # one query per example
    n = len(good)
    assert got[:n] == [None] * n
    assert got[n : 2 * n] == ["bad_checksum"] * n
    assert None not in got[2 * n :]


@settings(max_examples=6, deadline=None)
@given(st.lists(ids, min_size=1, max_size=40))
def test_legacy_15_upgrades_to_the_18_digit_number(people) -> None:
    full = []
    for d, seq, region in people:
        body = f"{region}{d:%Y%m%d}{seq:03d}"
        full.append(body + ref_check(body))
    legacy = [v[:6] + v[8:17] for v in full if v[6:8] == "19"]
    table = elements.check_array("id_card", legacy).to_pylist()
    assert [r["reason"] for r in table] == ["legacy_15"] * len(legacy)
    assert [r["normalized"] for r in table] == [v for v in full if v[6:8] == "19"]


@settings(max_examples=12, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 40), st.data())
def test_uscc_checksum_property(seed, n, data) -> None:
    """Codes made by the simulator's independent implementation pass; a broken check
    character or any single changed character of the body fails."""
    rng = np.random.default_rng(seed)
    codes = [
        str(c)
        for c in sim.uscc_codes(
            rng,
            rng.choice(np.array([370202, 370203, 370211, 110105]), n),
            rng.random(n) < 0.7,
            rng.integers(1, 4, n),
        )
    ]
    assert all(sim.valid_uscc(c) for c in codes)
    mutated = []
    for c in codes:
        i = data.draw(st.integers(0, 16))
        other = data.draw(st.sampled_from(USCC_CHARS.replace(c[i], "")))
        mutated.append(c[:i] + other + c[i + 1 :])
    # a wrong organisation-code check character under a correct USCC check character
    org_broken = []
    for c in codes:
        other = data.draw(st.sampled_from(USCC_CHARS.replace(c[16], "")))
        org_broken.append(c[:16] + other + ref_uscc_check(c[:16] + other))
    got = reasons(
        "uscc", codes + [sim.break_uscc_checksum(c) for c in codes] + org_broken + mutated
    )
    assert got[:n] == [None] * n
    assert got[n : 2 * n] == ["bad_checksum"] * n
    assert got[2 * n : 3 * n] == ["bad_org_code"] * n
    assert None not in got[3 * n :]


def test_single_value_path_matches_the_batch_path() -> None:
    values = ["11010519491231002X", "110105491231002", " 11010519491231002x", "bad", None]
    batch = elements.check_array("id_card", values).to_pylist()
    singles = [elements.check("id_card", v).as_dict() for v in values]
    assert singles == batch


def test_id_card_cases() -> None:
    body_future = "11010520990101001"
    body_region = "99999919800101001"
    body_1980 = "37020519800101001"  # 四方区, merged into 市北区 in 2012
    body_2015 = "37020520150101001"
    body_feb30 = "11010519490230002"
    assert_cases(
        "id_card",
        {
            "11010519491231002X": None,
            "110105491231002": "legacy_15",
            "11010519491231002x": "not_normalized",
            "１１０１０５１９４９１２３１００２Ｘ": "not_normalized",
            body_future + ref_check(body_future): "future_birth_date",
            body_region + ref_check(body_region): "unknown_region",
            body_1980 + ref_check(body_1980): None,
            body_2015 + ref_check(body_2015): "region_retired_before_birth",
            body_feb30 + ref_check(body_feb30): "bad_birth_date",
            "1101051949123100": "bad_format",
            None: "empty",
            "  ": "empty",
        },
    )
    norm = elements.check_array("id_card", ["１１０１０５１９４９１２３１００２Ｘ"]).to_pylist()[0]
    assert norm["normalized"] == "11010519491231002X"
    facts = service.id_card_facts("11010519491231002X")
    assert (facts["birth_date"], facts["sex"], facts["region_code"]) == (
        "1949-12-31",
        2,
        "110105",
    )


def test_simulated_truth_ids_all_valid() -> None:
    rng = np.random.default_rng(7)
    n = 3000
    regions = rng.choice(np.array([370202, 370203, 370211, 370212, 110105, 440305]), n)
    births = (np.datetime64("1940-01-01") + rng.integers(0, 30000, n)).astype("datetime64[D]")
    births = np.minimum(births, np.datetime64("2024-12-31"))
    ids_ = sim.id_card_numbers(regions, births, rng.integers(0, 1000, n))
    table = elements.check_array("id_card", ids_.tolist())
    assert all(table.column("valid").to_pylist())


def test_uscc_cases() -> None:
    assert_cases(
        "uscc",
        {
            "91370202MAKH20TP97": None,
            "91370202MAKH20TP98": "bad_checksum",
            "91370202makh20tp97": "not_normalized",
            "91370202MAKH2OTP97": "bad_format",  # letter O is not in the alphabet
            "": "empty",
        },
    )


def test_phone_cases() -> None:
    assert_cases(
        "mobile",
        {
            "13800138000": None,
            "1380013800": "bad_length_or_prefix",
            "12800138000": "bad_length_or_prefix",
            "+86 138 0013 8000": "not_normalized",
            "138-0013-8000": "not_normalized",
            "abc": "bad_format",
        },
    )
    assert_cases(
        "landline",
        {"0532-88886666": None, "053288886666": "not_normalized", "88886666": "bad_format"},
    )
    assert_cases(
        "phone", {"0532-88886666": None, "13800138000": None, "138001": "bad_length_or_prefix"}
    )
    norm = elements.check_array("mobile", ["+86 138 0013 8000"]).column("normalized").to_pylist()
    assert norm == ["13800138000"]
    norm = elements.check_array("landline", ["053288886666"]).column("normalized").to_pylist()
    assert norm == ["0532-88886666"]
    # a valid number is its own normal form, an extension included
    checked = elements.check_array("phone", ["0532-88886666-123"]).to_pylist()[0]
    assert checked["valid"] and checked["normalized"] == "0532-88886666-123"


def test_date_cases() -> None:
    assert_cases(
        "date",
        {
            "2024-01-31": None,
            "20240131": None,
            "2024/01/31": None,
            "2024.01.31": None,
            "2024年3月5日": None,
            "2024-01-31 08:30:00": None,
            "2024-03": None,
            "202403": None,  # a month (费款所属期), by the fast path
            "2024年3月": None,
            "202413": "bad_format",
            "187205": "implausible_date",
            "203505": "future_date",
            " 2024 ": "bad_format",
            "2024/02/30": "bad_format",
            "31/01/2024": "bad_format",
            "1872-05-01": "implausible_date",
            "2035-05-01": "future_date",
        },
    )
    assert_cases("date_any", {"2035-05-01": None, "2024/02/30": "bad_format"})
    norm = elements.check_array("date", ["20240131", "2024年3月5日", "2024-03", "202403"])
    assert [r["normalized"] for r in norm.to_pylist()] == [
        "2024-01-31", "2024-03-05", "2024-03", "2024-03"]


def test_amount_admin_name_address_code() -> None:
    assert_cases(
        "amount",
        {"1200.50": None, "-3": "negative", "¥1,200.50": "not_normalized", "x": "bad_format"},
    )
    assert elements.check_array("amount", ["¥1,200.50"]).column("normalized").to_pylist() == [
        "1200.50"
    ]
    assert_cases(
        "admin_code",
        {"370205": None, "370212": None, "379999": "unknown_region", "37021": "bad_format"},
    )
    assert_cases(
        "name",
        {
            "张三": None,
            "阿依古丽·买买提": None,
            "張三": "traditional_chars",
            "张三".encode().decode("gbk", "replace"): "bad_chars",
            # 周军伟 garbled, '?' for the broken byte: 啗 is a traditional form, but the
            # bopomofo and the '?' are no name characters at all, so it is garbling
            "鍛ㄥ啗浼?": "bad_chars",
            # real names whose first two characters read like the start of garbling
            # (瑾 E8 AA, 峰 B7 E5): the third character of a garbled run is missing
            "王瑾峰": None,
            "李璐翠": None,
            # 规范汉字 outside GB 2312, common in young people's names, and one outside the BMP
            "王玥": None,
            "张喆": None,
            "李堃": None,
            "刘祎": None,
            "赵𬌗": None,
            "王ㄥ": "bad_chars",
            "": "empty",
        },
    )
    assert_cases(
        "address",
        {
            "崂山区松岭路12号3号楼": None,
            "崂山区松岭路": "no_house_number",
            "嶗山區松嶺路12號": "traditional_chars",
            "崂山区松岭路１２号": "not_normalized",
            "崂山区瑾峰路3号": None,
            "崂山区松岭路12号".encode().decode("gbk", "replace"): "bad_chars",
        },
    )
    assert_cases("code", {"A-001": None, "A 001": "not_normalized", None: "empty"})
    with pytest.raises(UnknownElement):
        elements.check("nope", "x")


# names and addresses from pieces: plain hanzi, a house number, a middle dot, traditional
# forms, a full-width digit and space, GBK-read UTF-8 (鍛ㄥ啗: 周军 garbled; its first two
# characters alone, and 瑾峰, a real pair that starts like it), the replacement character
PIECES = "松岭路 12号 张三 · A 嶗 區 １ 鍛ㄥ啗 鍛ㄥ 瑾峰 鍛 \ufffd ?".split() + [" ", "\u3000"]
TEXT = st.lists(st.sampled_from(PIECES), max_size=5).map("".join)


def ref_text_reason(code: str, v: str) -> str | None:
    """Name and address reasons in plain Python ``re``, checked in the documented order."""
    if not v.strip():
        return "empty"
    trad = "[" + sql._traditional_chars() + "]"
    if re.search(sql._mojibake_pattern(), v):
        return "bad_chars"
    if code == "name":
        allowed = sql.NAME_HANZI + "·A-Za-z0-9()（）\\- "
        if re.search(f"[^{allowed}]", v):
            return "bad_chars"
        return "traditional_chars" if re.search(trad, v) else None
    if re.search(trad, v):
        return "traditional_chars"
    if re.search("[\uff01-\uff5e\u3000]", v):
        return "not_normalized"
    return None if re.search("[0-9一二三四五六七八九十零〇]+号", v) else "no_house_number"


@settings(max_examples=25, deadline=None)
@given(st.lists(TEXT, min_size=1, max_size=30))
def test_text_checks_fast_path_gives_the_full_checks_reason(texts) -> None:
    """The one-regex fast path of the name and address checks never hides a finding."""
    for code in ("name", "address"):
        assert reasons(code, texts) == [ref_text_reason(code, v) for v in texts]


def test_address_parse_normalise_match() -> None:
    p = address.parse("青島市嶗山區松嶺路１２號三号楼二单元五〇二室")
    assert (p.district, p.district_code, p.road, p.number, p.building, p.unit, p.room) == (
        "崂山区",
        "370212",
        "松岭路",
        "12",
        "3",
        "2",
        "502",
    )
    assert address.normalize("香港中路十二号") == "香港中路12号"
    index = address.BuildingIndex(
        [("B1", "崂山区松岭路12号3号楼"), ("B2", "市南区香港中路1号1号楼")]
    )
    assert index.match(p) == ("B1", "exact")
    assert index.match(address.parse("松岭路12号3号楼")) == ("B1", "without_district")
    assert index.match(address.parse("崂山区松岭路99号1号楼")) == (None, "none")
    table = address.match_many(["崂山区松岭路12号3号楼", None], index).to_pylist()
    assert [r["building_id"] for r in table] == ["B1", None]


def test_address_comparison_key_drops_only_the_province_and_prefecture() -> None:
    """Departments write one home with or without 山东省青岛市; a county-level city (莱西市)
    and a district that starts with 市 (市南区) stay."""
    con = sql.scratch()
    cases = {
        "山东省青岛市市南区香港中路2号3号楼": "市南区香港中路2号3号楼",
        "中国山东省青岛市莱西市黄河路1号1号楼": "莱西市黄河路1号1号楼",
        "青岛市莱西市黄河路1号1号楼": "莱西市黄河路1号1号楼",
        "莱西市黄河路1号1号楼": "莱西市黄河路1号1号楼",
        "市北区潍坊三路2号": "市北区潍坊三路2号",
        "内蒙古自治区呼和浩特市新城区新华大街1号": "新城区新华大街1号",
        "山东省青岛市胶州市山东南路5号2号楼": "胶州市山东南路5号2号楼",
        "崂山区松岭路": None,  # no house number: nothing to compare
    }
    got = con.sql(
        "SELECT v, std_address_key(v) FROM unnest(?) AS t(v)", params=[list(cases)]
    ).fetchall()
    assert dict(got) == cases


def test_a_road_that_contains_a_division_name_is_not_cut_at_it() -> None:
    """浮山东街 and 太行山东路 hold 山东 (the province): found at city scale, where 2,562
    residents of 市南区 were left unplaced because their road was cut after 山东."""
    for text, road in (
        ("市南区浮山东街1号4号楼1单元2102室", "浮山东街"),
        ("市南区太行山东路2号3号楼", "太行山东路"),
        ("山东省青岛市胶州市山东南路5号2号楼", "山东南路"),
        ("中国山东省青岛市崂山区海尔路1号2号楼", "海尔路"),
    ):
        p = address.parse(text)
        assert p.road == road, (text, p)
        assert p.building is not None


def test_a_road_named_after_a_city_or_province_is_a_road() -> None:
    """Qingdao names its roads after China's cities and provinces: without a district in
    front, 大连西路 was read as 辽宁省大连市 + 西路 and 南京路 as 南京市 with no road, so such
    an address matched no building."""
    for text, road in (
        ("大连西路2号2号楼3单元2901室", "大连西路"),
        ("南京路8号", "南京路"),
        ("重庆南路10号1号楼", "重庆南路"),
        ("黑龙江南路5号", "黑龙江南路"),
        ("宁夏路5号", "宁夏路"),
        ("青岛市南京路8号", "南京路"),
    ):
        p = address.parse(text)
        assert p.road == road, (text, p)
        assert p.province in (None, "山东省") and p.city in (None, "青岛市"), (text, p)
    p = address.parse("李沧区大连西路2号2号楼")
    assert (p.district_code, p.road) == ("370213", "大连西路")


def test_building_unit_room_with_dashes_and_a_courtyard() -> None:
    index = address.BuildingIndex([("B1", "李沧区大连西路2号2号楼")])
    for text in ("李沧区大连西路2号2-3-2901", "李沧区大连西路2号院2号楼3单元2901室",
                 "大连西路2号2号楼3单元2901室"):
        p = address.parse(text)
        assert index.match(p)[0] == "B1", (text, p)
    p = address.parse("李沧区大连西路2号2-3-2901")
    assert (p.building, p.unit, p.room) == ("2", "3", "2901")


def test_a_village_stands_where_a_road_would() -> None:
    p = address.parse("即墨区蓝村镇前屯村123号")
    assert (p.district_code, p.street, p.road, p.number) == ("370215", "蓝村镇", "前屯村", "123")
    index = address.BuildingIndex([("V1", "即墨区蓝村镇前屯村123号")])
    assert index.match(p) == ("V1", "exact")
    # 李村 is a place in 李沧区, and 李村路 a road: the road keeps its whole name
    assert address.parse("李沧区李村路5号").road == "李村路"


def test_validate_file_jsonl(tmp_path) -> None:
    import io

    import orjson

    f = tmp_path / "ids.txt"
    f.write_text("11010519491231002X\n110105491231002\nbad\n\n", encoding="utf-8")
    out = io.StringIO()
    totals = service.validate_file("id_card", f, out)
    rows = [orjson.loads(line) for line in out.getvalue().splitlines()]
    assert totals == {"values": 4, "valid": 1, "invalid": 3}
    assert rows[1] == {
        "value": "110105491231002",
        "valid": False,
        "normalized": "11010519491231002X",
        "reason": "legacy_15",
    }
    assert set(rows[0]) == {"value", "valid", "normalized", "reason"}


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gbk", "gb18030"])
def test_validate_file_reads_utf8_and_gbk_exports(tmp_path, encoding: str) -> None:
    import io

    import orjson

    f = tmp_path / "names.txt"
    f.write_bytes("王玥\r\n張三\r\n\r\n欧阳娜娜\r\n".encode(encoding))
    out = io.StringIO()
    totals = service.validate_file("name", f, out)
    rows = [orjson.loads(line) for line in out.getvalue().splitlines()]
    assert [r["value"] for r in rows] == ["王玥", "張三", None, "欧阳娜娜"]
    assert [r["reason"] for r in rows] == [None, "traditional_chars", "empty", None]
    assert totals == {"values": 4, "valid": 2, "invalid": 2}


def test_validate_file_refuses_bytes_neither_encoding_reads(tmp_path) -> None:
    import io

    f = tmp_path / "mixed.txt"
    f.write_bytes("王玥\n".encode("gbk") + b"\xff\xff\xff\n")
    with pytest.raises(StandardsInputError, match="GB 18030"):
        service.validate_file("name", f, io.StringIO())


BLANKISH = ["", " ", "\t", "\n", "\u00a0", "\u2000", "\u3000", "\u3001", "!", "a", "张", "\ufffd"]


@settings(max_examples=25, deadline=None)
@given(st.lists(st.lists(st.sampled_from(BLANKISH), max_size=4).map("".join), max_size=40))
def test_blank_fast_path_agrees_with_trim(values) -> None:
    """``std_blank`` trims only values that start with a space; it still means trim(v) = ''."""
    con = sql.scratch()
    rows = con.execute(
        "SELECT std_blank(v), v IS NULL OR trim(v) = '' FROM unnest(?::VARCHAR[]) AS t(v)",
        [[*values, None]],
    ).fetchall()
    assert [fast for fast, _ in rows] == [slow for _, slow in rows]


DATE_BITS = st.sampled_from([*"0123456789", "-", "/", " ", "日", ":", "+", "e"])
DATE_TEXT = st.one_of(
    st.dates(min_value=dt.date(1800, 1, 1), max_value=dt.date(2199, 12, 31)).flatmap(
        lambda d: st.sampled_from([d.strftime("%Y%m%d"), d.isoformat()])
    ),
    st.lists(DATE_BITS, min_size=8, max_size=8).map("".join),
    st.lists(DATE_BITS, min_size=10, max_size=10).map("".join),
)


@settings(max_examples=25, deadline=None)
@given(st.lists(DATE_TEXT, min_size=1, max_size=40))
def test_date_fast_path_agrees_with_the_format_list(values) -> None:
    """Where the fast path parses a value, the full format list reads the same date."""
    con = sql.scratch()
    rows = con.execute(
        "SELECT v, std_date_fast(v), std_date_slow(v) FROM unnest(?::VARCHAR[]) AS t(v)", [values]
    ).fetchall()
    assert [(v, fast) for v, fast, slow in rows if fast is not None and fast != slow] == []


#: values a department sends, each element's valid ones in several spellings
SPELLINGS = {
    "phone": ["0532-88886666", "0532-88886666-123", "053288886666", "(0532)88886666",
              "13912345678", "+86 139 1234 5678", "139-1234-5678", "0532-8888666"],
    "mobile": ["13912345678", "+8613912345678", "139 1234 5678"],
    "landline": ["0532-88886666", "0532-88886666-8", "0532 88886666"],
    "date": ["2024年5月6日", "2024-5-6", "20240506", "2024/05/06 12:30:00", "2024.5.6"],
    "amount": ["1,200.50", "1200", "１２００", "0"],
    "address": ["市南区香港中路10号", "市南区香港中路10-1号", "市南区香港中路十号",
                "山东省青岛市市南区香港中路10号3号楼2单元501室"],
    "name": ["王玥", "欧阳娜娜", "买买提·艾力", "王瑾峰"],
    "admin_code": ["370202", "370205"],
    "code": ["A-001", "A 001"],
}


@pytest.mark.parametrize("code", sorted(SPELLINGS))
def test_a_valid_value_has_a_normal_form(code: str) -> None:
    """What passes (or only needs normalising) always comes with the value to store."""
    rows = elements.check_array(code, SPELLINGS[code]).to_pylist()
    for row in rows:
        if row["valid"] or row["reason"] == "not_normalized":
            assert row["normalized"] is not None, row
    assert any(row["valid"] for row in rows)
