"""The screened scan (compiled kernels for the plain rows, SQL for the rest) reports what the
SQL scan alone does: the same counts, samples and district scores, on a register full of
defects; and it still reads the dataset once."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pytest

from citybrain.quality import city_rules, engine, screen
from citybrain.quality import rules as r
from citybrain.quality.rules import DatasetInfo, FieldInfo
from citybrain.simulate import identifiers as sim
from citybrain.standards import service as standards
from citybrain.store.lake import DuckDBLake

N = 30_000
FIELDS = (
    FieldInfo("pid", "code"),
    FieldInfo("name", "name"),
    FieldInfo("id", "id_card"),
    FieldInfo("birth", "date", label="出生日期"),
    FieldInfo("sex", "none", label="性别"),
    FieldInfo("phone", "phone"),
    FieldInfo("uscc", "uscc"),
    FieldInfo("address", "address"),
    FieldInfo("status", "none"),
    FieldInfo("filed", "date"),
)


def _pick(rng: np.random.Generator, n: int, good: list[str], bad: list[str | None],
          rate: float = 0.03) -> list[str | None]:
    """``good`` values, with ``bad`` ones at ``rate``."""
    out: list[str | None] = list(rng.choice(np.array(good, dtype=object), n))
    for i in np.flatnonzero(rng.random(n) < rate):
        out[i] = bad[rng.integers(len(bad))]
    return out


def register(n: int = N, seed: int = 1) -> pa.Table:
    rng = np.random.default_rng(seed)
    births = np.datetime64("1940-01-01") + rng.integers(0, 25000, n).astype("timedelta64[D]")
    regions = rng.choice(np.array([370202, 370203, 370205, 370211]), n)
    ids = [str(x) for x in sim.id_card_numbers(regions, births, rng.integers(0, 999, n))]
    seq = [int(x[16]) for x in ids]
    birth_text = [str(b).replace("-", "") if i % 3 else str(b) for i, b in enumerate(births)]
    sex = ["男" if s % 2 else "女" for s in seq]
    for i in np.flatnonzero(rng.random(n) < 0.03):  # sex against the ID, and odd spellings
        sex[i] = ["女" if sex[i] == "男" else "男", "M", " 男", "female", "x", "", None][i % 7]
    for i in np.flatnonzero(rng.random(n) < 0.03):  # day and month swapped, odd forms
        birth_text[i] = ["1990-13-01", "2019-02-29", "1990/01/02", "1990.01.02", " ",
                         "1990年1月2日", "3000-01-01", None][i % 8]
    for i in np.flatnonzero(rng.random(n) < 0.04):  # broken, legacy, blank and odd IDs
        v = ids[i]
        ids[i] = [v[:17] + ("0" if v[17] != "0" else "1"), v[:6] + v[8:17], "", None,
                  v[:17] + "x", " " + v, "\u3000", "370205201201011234"][i % 8]
    usccs = [str(x) for x in sim.uscc_codes(rng, np.array([370202, 370211] * 50),
                                            np.ones(100, bool), np.ones(100, int))]
    pids = [f"P{i:07d}" for i in range(n)]
    for i in np.flatnonzero(rng.random(n) < 0.01):  # copies, earlier and later
        pids[i] = pids[rng.integers(n)]
    for i in np.flatnonzero(rng.random(n) < 0.005):
        pids[i] = ["", " ", None, "P 1"][i % 4]
    districts = ["市南区", "市北区", "崂山区", "山东省青岛市黄岛区"]
    address = [f"{districts[i % 4]}香港中路{i % 97 + 1}号{i % 5 + 1}单元" for i in range(n)]
    for i in np.flatnonzero(rng.random(n) < 0.03):
        address[i] = ["香港中路", "廣州路3号", "市南区３号", "鐜嬩紵3号", "", "市南区路\t3号"][
            i % 6]
    order = rng.permutation(n)  # delivery order is not the physical order
    return pa.table({
        "_cb_row": pa.array(order, pa.int64()),
        "pid": pids,
        "name": _pick(rng, n, ["王伟", "李娜", "欧阳娜娜", "张玥", "王瑾峰"],
                      ["張三", "王\ufffd", "鐜嬩紵", "", None, "王伟!", " 王伟"]),
        "id": ids,
        "birth": birth_text,
        "sex": sex,
        "phone": _pick(rng, n, ["13812345678", "0532-88886666", "19912345678"],
                       ["1381234567", "+8613812345678", "", None, "0532 88886666", "\u00a0"],
                       0.1),
        "uscc": _pick(rng, n, usccs, [usccs[0][:17] + "Z", usccs[1].lower(), None], 0.5),
        "address": address,
        "status": _pick(rng, n, ["正常", "迁出"], ["未知", "", None, "正常 "]),
        "filed": _pick(rng, n, ["2024-06-01", "2024/06/03", "20240605"],
                       ["2024-06-31", None, "明天"]),
    })


def dataset(table: str = "reg") -> DatasetInfo:
    return DatasetInfo(
        "test.reg", "gongan", "raw", table, FIELDS, primary_key=("pid",),
        update_cycle="daily", record_field="filed", row_order="_cb_row",
        district_field="address",
    )


def rules(as_of: dt.date) -> list[r.Rule]:
    return [*r.derive_rules(dataset(), as_of), r.unique_rows(("pid",)),
            r.value_set("status", ["正常", "迁出", "死亡"]), r.value_set("sex", ["男", "女"])]


@pytest.fixture
def reg(lake: DuckDBLake) -> DuckDBLake:
    lake.write_arrow("raw", "reg", register())
    standards.install_lake_macros(lake)
    return lake


def both(lake: DuckDBLake, ds: DatasetInfo, checks: list[r.Rule],
         monkeypatch: pytest.MonkeyPatch) -> tuple[engine.ScanOutcome, engine.ScanOutcome]:
    monkeypatch.setattr(screen, "SCREEN_ROWS", 10**12)
    plain = engine.run_scan(lake, ds, checks)
    monkeypatch.setattr(screen, "SCREEN_ROWS", 0)
    screened = engine.run_scan(lake, ds, checks)
    return plain, screened


@pytest.mark.parametrize("as_of", [dt.date(2024, 6, 6), dt.date(2024, 8, 1)])
def test_the_screened_scan_reports_what_the_sql_scan_does(
    reg: DuckDBLake, monkeypatch: pytest.MonkeyPatch, as_of: dt.date
) -> None:
    checks = rules(as_of)
    assert all(c.screen for c in checks)
    plain, screened = both(reg, dataset(), checks, monkeypatch)
    assert screened.sql.startswith('SELECT "_cb_row", "pid"') and "_cb_rest_" in screened.sql
    assert "_cb_rest_" not in plain.sql
    assert (plain.rows, plain.districts) == (screened.rows, screened.districts) == (
        N, screened.districts)
    assert len(plain.districts) == 4
    for a, b in zip(plain.outcomes, screened.outcomes, strict=True):
        assert a.error is None and b.error is None, (a.error, b.error)
        assert (a.rule.key, a.checked, a.failed, a.samples) == (
            b.rule.key, b.checked, b.failed, b.samples)
    failed = {o.rule.key: o.failed for o in plain.outcomes}
    # every kind of rule found something to report, so the comparison is not vacuous
    assert all(failed[k] > 0 for k in failed if not k.startswith("timeliness:")), failed
    fresh = failed["timeliness:freshness:filed"]
    assert (fresh > 0) == (as_of.month == 8)


def test_the_screen_leaves_sql_only_a_few_rows(reg: DuckDBLake) -> None:
    """Most rows are decided by the kernels; the SQL sees the unsure ones, every copy of a
    repeated key and the sample candidates, and the dataset is read once."""
    with reg.reader() as con:
        split = screen.screen(con, dataset(), rules(dt.date(2024, 6, 6)),
                              engine.SAMPLE_LIMIT, min_rows=0)
    assert split is not None
    assert split.read_sql.count("FROM") == 1 and split.read_sql.endswith('FROM "raw"."reg"')
    assert split.rows == N and split.rest.num_rows < N * 0.5
    certain = sum(split.certain.column("_rows").to_pylist())
    assert certain + split.rest.num_rows == N
    assert set(split.seconds) >= {"read", "kernels", "fold", "split", "groups"}


def _references(lake: DuckDBLake) -> list[r.Rule]:
    """Rules the kernels cannot decide, built on the register itself: the name another
    dataset holds for the citizen ID (every 7th differs), the household's home (every 5th
    differs), and a custom rule."""
    with lake.writer() as con:
        con.execute("CREATE TABLE raw.names AS SELECT id, CASE WHEN row_number() OVER () % 7 = 0 "
                    "THEN name || '甲' ELSE name END AS name FROM raw.reg WHERE id IS NOT NULL")
        con.execute("CREATE TABLE raw.homes AS SELECT _k, min(_v) AS _v FROM (SELECT "
                    "std_id_key(CAST(id AS VARCHAR)) AS _k, CASE WHEN hash(pid) % 5 = 0 "
                    "THEN '市南区江西路1号' ELSE std_address_key(address) END AS _v FROM raw.reg) "
                    "WHERE _k IS NOT NULL GROUP BY _k HAVING count(DISTINCT _v) = 1")
    return [
        r.matches_reference("name", "id", "raw.names", "id", "name"),
        city_rules.home_rule(dataset(), "address", "id", "SELECT _k, _v FROM raw.homes"),
        r.custom("p1", "pid = 'P0000001' OR name = '李娜' AND status = '迁出'"),
    ]


def test_rules_without_a_screen_are_decided_by_sql_on_every_row_read(
    reg: DuckDBLake, monkeypatch: pytest.MonkeyPatch
) -> None:
    """References joined by citizen ID, a household's home and a custom rule: the screen
    still takes the scan, SQL sets their bits on every row read (reading the ID and address
    checks the kernels already made where they are sure), and the counts and samples are
    the SQL scan's."""
    checks = [*rules(dt.date(2024, 6, 6)), *_references(reg)]
    plain, screened = both(reg, dataset(), checks, monkeypatch)
    assert "_cb_rest_" in screened.sql and "_cb_rest_" not in plain.sql
    assert (plain.rows, plain.districts) == (screened.rows, screened.districts)
    for a, b in zip(plain.outcomes, screened.outcomes, strict=True):
        assert a.error is None and b.error is None, (a.error, b.error)
        assert (a.rule.key, a.checked, a.failed, a.samples) == (
            b.rule.key, b.checked, b.failed, b.samples)
    failed = {o.rule.key: o.failed for o in plain.outcomes}
    assert all(failed[x.key] > 100 for x in checks[-3:-1]), failed
    assert failed[checks[-1].key] > 0
    with reg.reader() as con:
        split = screen.screen(con, dataset(), checks, engine.SAMPLE_LIMIT, min_rows=0)
    assert split is not None and split.rest.num_rows < N * 0.5
    assert split.read_sql.count("FROM") == 1


def test_the_rules_without_a_screen_skip_the_checks_a_kernel_made(reg: DuckDBLake) -> None:
    """Their SQL reads the ID's and the address's check as columns the screen filled in
    (the kernels' OK is NULL, SQL says why elsewhere) and drops the ID check's parts."""
    checks = [*rules(dt.date(2024, 6, 6)), *_references(reg)]
    seen: list[str] = []
    real = screen.row_masks_sql

    def spy(*args, **kwargs):  # type: ignore[no-untyped-def]
        seen.append(real(*args, **kwargs))
        return seen[-1]

    with pytest.MonkeyPatch.context() as m, reg.reader() as con:
        m.setattr(screen, "row_masks_sql", spy)
        assert screen.screen(con, dataset(), checks, engine.SAMPLE_LIMIT, min_rows=0)
    (sql,) = seen
    assert "std_id_r0" not in sql and "std_id_b(" not in sql
    assert "std_address_reason" not in sql and "std_address_key_r" in sql
    assert "std_id_key_r" in sql


def test_a_rule_with_a_window_sends_the_whole_scan_to_sql(
    reg: DuckDBLake, monkeypatch: pytest.MonkeyPatch
) -> None:
    checks = [*rules(dt.date(2024, 6, 6)),
              r.custom("crowded", "count(*) OVER (PARTITION BY status) > 10000")]
    plain, screened = both(reg, dataset(), checks, monkeypatch)
    assert "_cb_rest_" not in screened.sql
    assert [o.failed for o in plain.outcomes] == [o.failed for o in screened.outcomes]
    assert plain.outcomes[-1].failed > 0


def test_a_screened_rule_on_a_missing_column_fails_alone(
    reg: DuckDBLake, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(screen, "SCREEN_ROWS", 0)
    ghost = r.completeness(FieldInfo("ghost", "name"))
    result = engine.run_scan(reg, dataset(), [ghost, r.completeness(FIELDS[1])])
    assert result.outcomes[0].error and "ghost" in result.outcomes[0].error
    assert result.outcomes[1].error is None and result.outcomes[1].checked == N


def test_a_delivery_loaded_twice_keeps_its_first_copies(
    lake: DuckDBLake, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same rows twice, with the same ``_cb_row``: every key repeats, every row goes to
    the SQL window, and the counts are the SQL scan's."""
    table = register(2000, seed=4)
    lake.write_arrow("raw", "twice", pa.concat_tables([table, table]))
    standards.install_lake_macros(lake)
    ds = dataset("twice")
    plain, screened = both(lake, ds, rules(dt.date(2024, 6, 6)), monkeypatch)
    assert "_cb_rest_" in screened.sql
    for a, b in zip(plain.outcomes, screened.outcomes, strict=True):
        assert (a.checked, a.failed, a.samples) == (b.checked, b.failed, b.samples), a.rule.key


def test_a_dataset_too_large_for_memory_is_scanned_by_sql(
    reg: DuckDBLake, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(screen, "_memory", lambda: N)  # a quarter of it holds nothing
    with reg.reader() as con:
        assert screen.screen(con, dataset(), rules(dt.date(2024, 6, 6)),
                             engine.SAMPLE_LIMIT, min_rows=0) is None


def test_a_failing_kernel_falls_back_to_the_sql_scan(
    reg: DuckDBLake, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The screen is only a faster path: if it breaks, the scan still reports, by SQL."""
    checks = rules(dt.date(2024, 6, 6))
    plain, _ = both(reg, dataset(), checks, monkeypatch)

    def broken(*_: object) -> None:
        raise RuntimeError("kernel crashed")

    monkeypatch.setattr(screen.standards, "screen_element", broken)
    with caplog.at_level("WARNING"):
        result = engine.run_scan(reg, dataset(), checks)
    assert "_cb_rest_" not in result.sql and "kernel crashed" in caplog.text
    assert [o.failed for o in result.outcomes] == [o.failed for o in plain.outcomes]


CONTRIBUTION_FIELDS = (
    FieldInfo("person", "code"),
    FieldInfo("period", "date", label="费款所属期"),
    FieldInfo("base", "amount"),
    FieldInfo("paid", "amount"),
)


def contributions(n: int = N, seed: int = 2) -> pa.Table:
    """Monthly contributions: periods written as months (202401), amounts mostly plain, some
    in forms only the SQL reads (¥1,200.00, 1200元), negative, blank, and far above the
    rest; some of those outliers written so that only the SQL reads them."""
    rng = np.random.default_rng(seed)
    period = [f"2024{m:02d}" for m in rng.integers(1, 13, n)]
    for i in np.flatnonzero(rng.random(n) < 0.02):
        period[i] = ["2024-01", "202413", "209901", "", None, "2024 1"][i % 6]
    base = [f"{v / 100:.2f}" for v in rng.integers(300_000, 900_000, n)]
    paid = [f"{v / 100:.2f}" if i % 4 else str(v // 100)
            for i, v in enumerate(rng.integers(20_000, 90_000, n))]
    for column, big in ((base, 4_000_000), (paid, 300_000)):
        for i in np.flatnonzero(rng.random(n) < 0.03):
            column[i] = ["¥1,200.00", "1200元", "-5", "", None, " 12", "1.005", "-0.00",
                         f"{big}.00", f"¥{big:,}.00"][i % 10]
    return pa.table({
        "_cb_row": pa.array(np.arange(n), pa.int64()),
        "person": [f"P{i % (n // 12):06d}" for i in range(n)],
        "period": period, "base": base, "paid": paid,
    })


def test_amounts_months_and_outlier_bounds_screen_as_the_sql_scans(
    lake: DuckDBLake, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The amount checks, a month column's validity and the outlier bound (a median over
    every row) come out as the SQL scan's; the SQL over the rest reads the bound computed
    over all rows, not a median of the rest (an outlier only the SQL can read fails)."""
    lake.write_arrow("raw", "contrib", contributions())
    standards.install_lake_macros(lake)
    ds = DatasetInfo("test.contrib", "renshe", "raw", "contrib", CONTRIBUTION_FIELDS,
                     primary_key=("person", "period"), row_order="_cb_row")
    checks = [*r.derive_rules(ds), r.outlier("base"), r.outlier("paid")]
    assert all(c.screen for c in checks), [c.key for c in checks if not c.screen]
    plain, screened = both(lake, ds, checks, monkeypatch)
    assert "_cb_rest_" in screened.sql
    for a, b in zip(plain.outcomes, screened.outcomes, strict=True):
        assert a.error is None and b.error is None, (a.error, b.error)
        assert (a.rule.key, a.checked, a.failed, a.samples) == (
            b.rule.key, b.checked, b.failed, b.samples)
    failed = {o.rule.key: o.failed for o in plain.outcomes}
    assert failed["validity:range:base"] > 0 and failed["validity:range:paid"] > 0
    assert failed["validity:paid"] > 0 and failed["validity:period"] > 0
    # the SQL over the rest compares with the median of every row, not of the rest
    rest_sql = screened.sql.split(";\n", 1)[1]
    assert "median(" not in rest_sql
    with lake.reader() as con:
        (median,), = con.execute(
            "SELECT median(std_amount_parse(paid)) FILTER (WHERE std_amount_parse(paid) > 0) "
            "FROM raw.contrib").fetchall()
    assert f"CAST('{median}' AS DECIMAL(18,2))" in rest_sql


@pytest.mark.parametrize("values", [
    ["1.01", "1.02"],  # the median falls between two fen
    ["1.01", "1.02", "5"],
    ["0.01", "0.02", "0.03", "0.04", "-3", None, ""],
    ["-1", "0", ""],  # no positive amount: no bound
    ["¥1,000.00", "3", "2.5", "7", "1200元"],  # the SQL parses the first and the last
    ["¥9,999,999,999,999,999.99", "9999999999999999.99", "1", "2", "3"],  # the largest
])
def test_the_outlier_bound_is_the_median_the_sql_computes(values: list[str | None]) -> None:
    from decimal import ROUND_FLOOR

    from citybrain.standards import sql

    con = sql.scratch()
    facts = screen._Facts(con, pa.table({"v": pa.array(values, pa.string())}),
                          dt.date.today(), set())
    limit, literal = facts.bound("v", 500.0)
    con.register("_amounts", pa.table({"v": pa.array(values, pa.string())}))
    try:
        median, kind, bound = con.execute(
            "SELECT m, typeof(m), m * 500.0 FROM (SELECT median(p) FILTER (WHERE p > 0) AS m "
            "FROM (SELECT std_amount_parse(v) AS p FROM _amounts))").fetchall()[0]
    finally:
        con.unregister("_amounts")
    if median is None:
        assert (limit, literal) == (np.iinfo(np.int64).max, f"CAST(NULL AS {kind})")
    else:
        assert literal == f"CAST('{median}' AS {kind})"
        assert limit == int((bound * 100).to_integral_value(ROUND_FLOOR))


def test_a_rule_without_a_screen_that_does_not_bind_fails_alone(
    reg: DuckDBLake, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(screen, "SCREEN_ROWS", 0)
    broken = [r.custom("typo", "pid = = 'P1'"), r.custom("ghost", "ghost_column > 1")]
    result = engine.run_scan(reg, dataset(), [*broken, r.completeness(FIELDS[1])])
    assert [bool(o.error) for o in result.outcomes] == [True, True, False]
    assert "ghost_column" in (result.outcomes[1].error or "")
    assert result.outcomes[2].checked == N


def test_the_screen_reads_the_columns_a_custom_rule_names_unquoted() -> None:
    types = {c: "VARCHAR" for c in ("pid", "status", "phone", "uscc")}
    ds = DatasetInfo("test.reg", "gongan", "raw", "reg", FIELDS[:1], primary_key=("pid",))
    rule = r.custom("moved", "status = '迁出' AND \"phone\" IS NULL")
    assert screen._needed(ds, [rule], types) == ["pid", "status", "phone"]


def test_a_reference_repeating_a_key_sends_the_scan_to_sql(
    reg: DuckDBLake, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A join that repeats rows is the SQL scan's to count as it does; the screen steps
    aside with a warning."""
    with reg.writer() as con:
        con.execute("CREATE TABLE raw.twice AS SELECT std_id_key(CAST(id AS VARCHAR)) AS _k, "
                    "name AS _v FROM raw.reg, range(2) WHERE id IS NOT NULL")
    rule = r.Rule("consistency:name==twice", "consistency", "name", "twice",
                  "name <> _tw__v", applies="_tw__v IS NOT NULL",
                  join=("_tw", "SELECT _k, _v FROM raw.twice", 'std_id_key("id")'))
    checks = [*rules(dt.date(2024, 6, 6)), rule]
    plain, screened = both(reg, dataset(), checks, monkeypatch)
    assert "_cb_rest_" not in screened.sql and "预筛失败" in caplog.text
    assert [o.failed for o in plain.outcomes] == [o.failed for o in screened.outcomes]
