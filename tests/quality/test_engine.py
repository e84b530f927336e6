"""Each rule type on a small lake table; bad rules and empty datasets; one scan per dataset."""

from __future__ import annotations

import datetime as dt
import re

import pyarrow as pa
import pytest

from citybrain.quality import engine
from citybrain.quality import rules as r
from citybrain.quality.rules import DatasetInfo, FieldInfo, Rule
from citybrain.standards import service as standards
from citybrain.store.lake import DuckDBLake

# 11010519491231002X: born 1949-12-31, female; 110105194912310038: same day, male
PEOPLE = {
    "_cb_row": [0, 1, 2, 3, 4, 5],
    "pid": ["p1", "p2", "p3", "p4", "p4", "p6"],
    "id": [
        "11010519491231002X",
        "110105194912310038",
        "11010519491231002Y",  # bad format
        "",  # missing
        "110105491231002",  # legacy 15
        "110105194912310038",
    ],
    "birth": ["1949-12-31", "1949-12-13", "1949-12-31", "1949-12-31", "19491231", "1949-12-31"],
    "sex": ["女", "女", "女", "男", "女", "男"],
    "phone": ["13800138000", "1380013800", None, "0532-88886666", "13800138000", "13800138000"],
    "district": ["370202", "370202", "370203", "999999", "370203", "370202"],
    "filed": ["2024-01-02", "2024-01-05", "2024-03-30", "2024-01-01", "2024-01-03", "2024-01-01"],
}
FIELDS = (
    FieldInfo("pid", "code"),
    FieldInfo("id", "id_card"),
    FieldInfo("birth", "date", label="出生日期"),
    FieldInfo("sex", "none", label="性别"),
    FieldInfo("phone", "phone"),
    FieldInfo("district", "admin_code"),
    FieldInfo("filed", "date"),
)
DS = DatasetInfo(
    "test.people",
    "gongan",
    "raw",
    "people",
    FIELDS,
    primary_key=("pid",),
    update_cycle="daily",
    record_field="filed",
    row_order="_cb_row",
)


@pytest.fixture
def people(lake: DuckDBLake) -> DuckDBLake:
    lake.write_arrow("raw", "people", pa.table(PEOPLE))
    lake.write_arrow("raw", "districts", pa.table({"code": ["370202", "370203"]}))
    standards.install_lake_macros(lake)
    return lake


def outcome(result: engine.ScanOutcome, key: str) -> engine.RuleOutcome:
    return next(o for o in result.outcomes if o.rule.key == key)


def test_each_rule_type_counts_what_fails(people: DuckDBLake) -> None:
    rules = r.derive_rules(DS, as_of=dt.date(2024, 1, 3)) + [
        r.referential("district", "raw.districts", "code"),
        r.date_order("birth", "filed"),
        r.custom("no_p6", "pid = 'p6'", "p6 is a test person"),
    ]
    result = engine.run_scan(people, DS, rules)
    assert result.rows == 6
    got = {o.rule.key: (o.checked, o.failed) for o in result.outcomes}
    assert got["completeness:id"] == (6, 1)
    assert got["validity:id"] == (5, 2)  # bad format, legacy 15
    assert got["validity:phone"] == (5, 1)
    assert got["uniqueness:pid"] == (6, 1)  # the second p4 (row 4), not the first
    assert got["consistency:id~birth"] == (4, 1)  # row 1: 12-13 vs 12-31
    assert got["consistency:id~sex"] == (4, 1)  # row 1: ID says male, column says 女
    assert got["referential:district->raw.districts.code"] == (6, 1)
    assert got["timeliness:birth->filed"][1] == 0
    assert got["custom:sql:no_p6"] == (6, 1)
    fresh = next(k for k in got if k.startswith("timeliness:freshness"))
    assert got[fresh] == (6, 0)  # newest record (2024-03-30) is within a day of 2024-01-03
    dup = outcome(result, "uniqueness:pid")
    assert [s["_row"] for s in dup.samples] == ["4"]
    bad = outcome(result, "validity:id")
    assert sorted(s["_reason"] for s in bad.samples) == ["bad_format", "legacy_15"]


def test_freshness_fails_when_the_newest_record_is_older_than_the_cycle(people) -> None:
    rule = r.freshness("filed", "daily", "DATE '2024-05-01'")
    (o,) = engine.run_scan(people, DS, [rule]).outcomes
    assert (o.checked, o.failed) == (6, 6)
    assert o.samples == [{"filed": "2024-03-30", "_reason": "newest_record_too_old"}]
    # one record within the cycle is enough: no row fails
    fresh = r.freshness("filed", "daily", "DATE '2024-03-31'")
    (o,) = engine.run_scan(people, DS, [fresh]).outcomes
    assert (o.checked, o.failed, o.samples) == (6, 0, [])


def test_an_order_rule_leaves_a_future_event_to_validity(lake: DuckDBLake) -> None:
    """A birth dated 2039 is a validity finding; the 30-day lag rule does not judge it."""
    births = {
        "born": ["2024-07-21", "2039-07-21", "2024-01-01"],
        "issued": ["2024-08-06", "2024-08-06", "2024-03-01"],
    }
    lake.write_arrow("raw", "births", pa.table(births))
    standards.install_lake_macros(lake)
    ds = DatasetInfo(
        "test.births",
        "weijian",
        "raw",
        "births",
        (FieldInfo("born", "date"), FieldInfo("issued", "date")),
    )
    (o,) = engine.run_scan(lake, ds, [r.date_order("born", "issued", 30)]).outcomes
    assert (o.checked, o.failed) == (2, 1)  # 2024-01-01 → 2024-03-01 is late


def test_a_row_failing_several_rules_keeps_each_rules_reason(lake: DuckDBLake) -> None:
    """Rows with the same outcome share one sample list in the scan; each rule's sample still
    says why that rule failed."""
    rows = {"_cb_row": [0, 1], "pid": ["p1", "p2"], "id": ["11010519491231002Y", "bad"],
            "phone": ["1380013800", "13800138000"]}
    lake.write_arrow("raw", "both", pa.table(rows))
    standards.install_lake_macros(lake)
    ds = DatasetInfo("test.both", "gongan", "raw", "both", (FIELDS[0], FIELDS[1], FIELDS[4]),
                     primary_key=("pid",), row_order="_cb_row")
    result = engine.run_scan(lake, ds, [r.validity(FIELDS[1]), r.validity(FIELDS[4])])
    by_rule = {o.rule.key: [(s["pid"], s["_reason"]) for s in o.samples] for o in result.outcomes}
    assert by_rule == {
        "validity:id": [("p1", "bad_format"), ("p2", "bad_format")],
        "validity:phone": [("p1", "bad_length_or_prefix")],
    }
    assert [s["_row"] for s in outcome(result, "validity:id").samples] == ["0", "1"]


def test_bad_rules_fail_alone_and_the_others_still_run(people: DuckDBLake) -> None:
    rules = [
        r.custom("broken", "pid = = 'x'"),
        r.custom("missing_column", "no_such_column IS NULL"),
        r.custom("runtime", "CAST(pid AS INTEGER) > 0"),  # binds, fails when run
        r.completeness(FieldInfo("id", "id_card")),
    ]
    result = engine.run_scan(people, DS, rules)
    errors = {o.rule.key: o.error for o in result.outcomes}
    assert "syntax" in errors["custom:sql:broken"].lower()
    assert "no_such_column" in errors["custom:sql:missing_column"]
    assert errors["custom:sql:runtime"]
    assert errors["completeness:id"] is None
    assert outcome(result, "completeness:id").failed == 1


def test_empty_dataset_and_missing_table_are_errors_on_each_rule(lake: DuckDBLake) -> None:
    standards.install_lake_macros(lake)
    lake.write_arrow("raw", "people", pa.table(PEOPLE).slice(0, 0))
    result = engine.run_scan(lake, DS, r.derive_rules(DS))
    assert result.rows == 0
    assert all("no rows" in (o.error or "") for o in result.outcomes)
    gone = DatasetInfo("test.gone", "gongan", "raw", "gone", FIELDS)
    result = engine.run_scan(lake, gone, [r.completeness(FIELDS[0])])
    assert "not found" in (result.outcomes[0].error or "")


@pytest.mark.parametrize("json_rows", [engine.JSON_WINDOW_ROWS, 0])
def test_a_scan_reads_the_dataset_once(
    people: DuckDBLake, monkeypatch: pytest.MonkeyPatch, json_rows: int
) -> None:
    monkeypatch.setattr(engine, "JSON_WINDOW_ROWS", json_rows)  # 0: as for a large table
    rules = r.derive_rules(DS, as_of=dt.date(2024, 1, 3)) + [r.date_order("birth", "filed")]
    sql = engine.run_scan(people, DS, rules).sql  # the query that ran
    assert ("to_json" in sql) == (json_rows == 0)
    # the aggregate over: the masks completed by the uniqueness rule, its window, the
    # narrowing to masks, keys and the sample row, two projections that flag each rule
    # once, and the sub-selects that add the shared columns (the ID check and the date
    # reasons read the ID's body and the parsed dates from the one below them)
    assert sql.count("SELECT") == 8
    assert sql.count("OVER (") == 1
    with people.reader() as con:
        plan = "\n".join(row[1] for row in con.execute(f"EXPLAIN {sql}").fetchall())
    scans = re.findall(r"Table: \S+\.raw\.people\b", plan)
    assert len(scans) == 1, plan
    assert len(re.findall(r"(Seq|Table) Scan", plan)) == 1, plan


def test_every_copy_of_a_repeated_key_fails_in_one_read(people: DuckDBLake) -> None:
    """``unique_rows`` (as GX counts uniqueness) fails both p4 rows, and the scan still reads
    the table once: a whole-partition count would be turned into a second read of the key."""
    rule = r.unique_rows(("pid",))
    (o,) = engine.run_scan(people, DS, [rule]).outcomes
    assert (o.checked, o.failed) == (6, 2)
    assert sorted(s["_row"] for s in o.samples) == ["3", "4"]
    with people.reader() as con:
        plan = "\n".join(row[1] for row in con.execute(
            f"EXPLAIN {engine.build_scan_sql(DS, [rule])}").fetchall())
    assert len(re.findall(r"(Seq|Table) Scan|SEQ_SCAN", plan)) == 1, plan


def test_the_rules_on_one_id_field_share_its_check(people: DuckDBLake) -> None:
    """Validity, ID ↔ birth date and ID ↔ sex read one column of the scan: the ID check, the
    costliest expression of a register's scan, runs once per row, not once per rule."""
    wanted = ("validity:id", "consistency:id~birth", "consistency:id~sex")
    rules = [rule for rule in r.derive_rules(DS) if rule.key in wanted]
    assert len(rules) == 3
    sql = engine.build_scan_sql(DS, rules)
    assert sql.count('std_id_b(CAST("id" AS VARCHAR))') == 1
    assert sql.count('std_id_e(CAST("id" AS VARCHAR))') == 1
    assert sql.count('std_id_r0_be(CAST("id" AS VARCHAR)') == 1
    failed = {o.rule.key: o.failed for o in engine.run_scan(people, DS, rules).outcomes}
    # bad format, legacy 15 (reported, yet usable: its birth date and sex are checked); the
    # second row's birth date and sex disagree with its ID
    assert failed == {"validity:id": 2, "consistency:id~birth": 1, "consistency:id~sex": 1}


def test_references_joined_on_one_id_read_its_check_and_one_key(people: DuckDBLake) -> None:
    """Two references keyed by the same citizen ID join on one key column, and that key reads
    the ID check the validity rule computes anyway instead of checking the ID again."""
    with people.writer() as con:
        con.execute("CREATE TABLE raw.names AS SELECT * FROM (VALUES "
                    "('11010519491231002X', '甲'), ('110105194912310038', '乙'), "
                    "('110105194912310038', '乙'), ('110105194912310038', '丙')) t(id, name)")
        con.execute("CREATE TABLE raw.phones AS SELECT * FROM (VALUES "
                    "('11010519491231002X', '13800138000'), "
                    "('110105194912310038', '13900139000')) t(id, phone)")
    by_name = r.matches_reference("pid", "id", "raw.names", "id", "name")
    by_phone = r.matches_reference("phone", "id", "raw.phones", "id", "phone")
    validity = next(rule for rule in r.derive_rules(DS) if rule.key == "validity:id")
    rules = [validity, by_name, by_phone]
    sql = engine.build_scan_sql(DS, rules)
    assert sql.count('std_id_r0_be(CAST("id" AS VARCHAR)') == 1
    assert sql.count('std_id_key_r(CAST("id" AS VARCHAR)') == 1  # one key, both joins
    assert 'std_id_key(CAST("id" AS VARCHAR))' not in sql.split("LEFT JOIN")[0]
    got = {o.rule.key: (o.checked, o.failed) for o in engine.run_scan(people, DS, rules).outcomes}
    # …002X holds one name (甲, not p1 nor p4: row 4's legacy 15-digit ID upgrades to it);
    # …0038 holds two names, so the reference is unsure there and leaves it out. Phones:
    # rows 0 and 4 match; rows 1 and 5 (…0038) hold 1380013800 and 13800138000, not 1390…
    assert got[by_name.key] == (2, 2)
    assert got[by_phone.key] == (4, 2)
    assert got["validity:id"] == (5, 2)


def test_samples_are_the_same_with_and_without_a_uniqueness_window(
    lake: DuckDBLake, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With a uniqueness rule the sample row of a large table passes the window as JSON and
    is cast back (a small table's as a struct): every type comes back as it went in, and the
    duplicate's own sample names its copies."""
    rows = pa.table({
        "_cb_row": [0, 1, 2, 3],
        "pid": ["p1", "p1", "p3", "p4"],
        "id": ["bad", "11010519491231002", "11010519491231002Y", "110105194912310038"],
        "when": pa.array([dt.date(2024, 1, 2), None, dt.date(1999, 9, 9), dt.date(2024, 1, 3)]),
        "amount": pa.array([1.5, float("nan"), -2.25, 3.0]),
    })
    lake.write_arrow("raw", "typed", rows)
    standards.install_lake_macros(lake)
    fields = (FIELDS[0], FIELDS[1], FieldInfo("when", "none"), FieldInfo("amount", "none"))
    ds = DatasetInfo("test.typed", "gongan", "raw", "typed", fields, primary_key=("pid",),
                     row_order="_cb_row")
    checks = [r.validity(FIELDS[1]), r.custom("negative", "amount < 0 OR isnan(amount)")]
    checks = [
        Rule(**{**c.__dict__, "sample_columns": ("when", "amount")}) for c in checks
    ]
    plain = engine.run_scan(lake, ds, checks)
    small = engine.run_scan(lake, ds, [*checks, r.uniqueness(("pid",))])
    monkeypatch.setattr(engine, "JSON_WINDOW_ROWS", 0)  # as for a table of any size
    windowed = engine.run_scan(lake, ds, [*checks, r.uniqueness(("pid",))])
    assert "to_json" in windowed.sql and "to_json" not in plain.sql + small.sql
    for a, b, c in zip(plain.outcomes, windowed.outcomes, small.outcomes, strict=False):
        assert (a.failed, a.samples) == (b.failed, b.samples) == (c.failed, c.samples)
    assert [s["amount"] for s in outcome(plain, "custom:sql:negative").samples] == ["nan", "-2.25"]
    whens = [s["when"] for s in outcome(plain, "validity:id").samples]
    assert whens == ["2024-01-02", None, "1999-09-09"]
    dup = outcome(windowed, "uniqueness:pid")
    assert (dup.failed, [(s["pid"], s["_row"]) for s in dup.samples]) == (1, [("p1", "1")])


def test_a_rule_whose_error_message_cannot_be_decoded_fails_alone(lake: DuckDBLake) -> None:
    """DuckDB cuts a JSON conversion error's quoted value at a byte count, inside a Chinese
    character; the binding then raises UnicodeDecodeError, which must still land on the
    rule, not end the scan."""
    value = '{"b": "' + "张" * 40 + '"}'
    lake.write_arrow("raw", "notes", pa.table({"_cb_row": [0, 1], "pid": ["a", "b"],
                                              "note": [value, value]}))
    standards.install_lake_macros(lake)
    ds = DatasetInfo("test.notes", "gongan", "raw", "notes",
                     (FIELDS[0], FieldInfo("note")), primary_key=("pid",), row_order="_cb_row")
    rules = [r.completeness(FieldInfo("note")),
             r.custom("json", "CAST(CAST(note AS JSON) AS STRUCT(a VARCHAR)) IS NULL")]
    result = engine.run_scan(lake, ds, rules)
    assert outcome(result, "completeness:note").error is None
    assert "无法解码" in (outcome(result, "custom:sql:json").error or "")
