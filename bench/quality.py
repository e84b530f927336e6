"""Benchmark: ~20 quality rules on a household register, CityBrain vs Great Expectations 1.x.

    python bench/quality.py [rows] [gx_rows]     # defaults 10 000 000 and all the rows

The register (户籍人口) is generated set-based in DuckDB with realistic defects: wrong ID check
characters, legacy 15-digit IDs, missing IDs and phones, birth dates that disagree with the ID
(day and month swapped), sex that disagrees with the ID, duplicate person numbers, traditional
characters in names, short phone numbers, broken USCC check characters, unknown status codes,
impossible dates and addresses without a house number.

* **CityBrain**: the rules it derives from the dataset's fields plus three code lists and a
  freshness rule, run by ``quality.engine.run_scan``: the table read once into Arrow, the
  compiled data-element kernels deciding the plain rows and the one-scan SQL the rest
  (``quality.screen``; ``scan_phases_last_run`` says where the time went).
* **Great Expectations 1.x** on pandas, as a user writes the same checks: built-in
  expectations where they exist (not null, unique, in set, regex, column max) and custom
  ``ColumnMapExpectation`` / ``ColumnPairMapExpectation`` classes for ID card, USCC, dates and
  the ID ↔ birth date / sex checks. By default GX validates every row (10M rows: GX ~6.5 min,
  the run ~7.5 min and 8.9 GB at peak, pandas 3 keeping text Arrow-backed) and both must report
  the same failure count for every rule (asserted). For a quick run, ``gx_rows`` < ``rows``
  runs GX on the first ``gx_rows`` rows only: CityBrain scans that slice too for the
  comparison, and GX's time for all rows is extrapolated linearly (labelled in the output).
* **Physical limit**: ``SELECT *`` of the full table into Arrow, same run.

The read and CityBrain's scan run three times each, alternating, and each side reports its
median (GX runs once: it takes minutes). Prints one JSON line: ``ratio`` = GX / CityBrain,
``ratio_vs_read`` = CityBrain / plain read. Goals: ratio ≥ 20, ratio_vs_read ≤ 3.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")

import duckdb  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from citybrain.quality import engine  # noqa: E402
from citybrain.quality import rules as r  # noqa: E402
from citybrain.quality.rules import DatasetInfo, FieldInfo  # noqa: E402
from citybrain.simulate import identifiers  # noqa: E402
from citybrain.standards import regions, sql  # noqa: E402
from citybrain.store.lake import DuckDBLake  # noqa: E402

AS_OF = dt.date(2025, 1, 1)
ROUNDS = 3  # read and scan runs, alternated; each side reports its median
STATUS = ["正常", "迁出", "死亡", "注销"]
RELATION = ["户主", "配偶", "子", "女", "父母", "其他"]
SEXES = ["男", "女"]
DATE_FORMATS = ["%Y-%m-%d", "%Y%m%d", "%Y/%m/%d", "%Y.%m.%d"]
#: the 100 commonest surnames, most common first, and 136 common given-name characters
SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡"
            "余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙"
            "史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
GIVEN = ("伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超霞平刚桂华玉兰萍红鹏辉波宁建国斌林志海峰亮成"
         "龙飞浩博文轩宇晨然子涵欣怡梓萱雨佳琪思雅婷晶慧颖悦琳玲月雪梅倩莉凤洁琴云莲真燕彩春菊"
         "淑惠珠翠巧美荣素嘉琼勤珍贞娣璐琦妍秋珊莎锦青婉娴瑾露瑶丹蓉君蕊薇梦岚馨韵冰爽羽希凝晓"
         "欢枫芸菲寒伊亚宜可舒影")

FIELDS = (
    FieldInfo("户号", "code"),
    FieldInfo("人员编号", "code"),
    FieldInfo("姓名", "name"),
    FieldInfo("性别", "none", label="性别"),
    FieldInfo("公民身份号码", "id_card"),
    FieldInfo("出生日期", "date", label="出生日期"),
    FieldInfo("与户主关系", "none"),
    FieldInfo("户籍地址", "address"),
    FieldInfo("联系电话", "phone"),
    FieldInfo("单位信用代码", "uscc"),
    FieldInfo("登记日期", "date"),
    FieldInfo("人员状态", "none"),
)
DS = DatasetInfo(
    "gongan.hukou_bench",
    "gongan",
    "raw",
    "hukou",
    FIELDS,
    primary_key=("人员编号",),
    update_cycle="daily",
    record_field="登记日期",
)


def generate(con: duckdb.DuckDBPyConnection, rows: int) -> None:
    """The register, built by one INSERT … SELECT over ``range(rows)`` (set-based)."""
    rng = np.random.default_rng(5)
    pool = identifiers.uscc_codes(
        rng,
        rng.choice(np.array([370202, 370203, 370211, 370212]), 5000),
        rng.random(5000) < 0.8,
        rng.integers(1, 4, 5000),
    )
    con.execute("CREATE OR REPLACE TEMP MACRO hsh(x) AS CAST(hash(x) % 4294967296 AS BIGINT)")
    con.execute(
        "CREATE TEMP TABLE uscc_pool AS SELECT unnest(?::VARCHAR[]) AS u, unnest(range(5000)) AS k",
        [[str(u) for u in pool]],
    )
    con.execute(
        """
        CREATE TABLE raw.hukou AS
        WITH b AS (
            SELECT i,
                   (['370202','370203','370211','370212','370205','370214'])[1 + hsh(i) % 6]
                       AS region,
                   DATE '1930-01-01' + CAST(hsh(i * 7) % 29000 AS INTEGER) AS birth,
                   hsh(i * 13) % 1000 AS seq
            FROM range(?) t(i)
        ), c AS (
            SELECT *, region || strftime(birth, '%Y%m%d') || lpad(seq::VARCHAR, 3, '0') AS b17
            FROM b
        ), d AS (
            SELECT *, b17 || std_id_check17(b17) AS idc FROM c
        )
        SELECT
            'H' || lpad((i // 3)::VARCHAR, 10, '0') AS 户号,
            CASE WHEN i % 967 = 6 THEN 'P' || lpad((i - 1)::VARCHAR, 10, '0')
                 ELSE 'P' || lpad(i::VARCHAR, 10, '0') END AS 人员编号,
            -- a city's spread of names: common surnames first, one or two given characters
            CASE WHEN i % 953 = 7 THEN '張'
                 ELSE substr(?, 1 + CAST(floor(100 * pow((hsh(i * 3) % 10007) / 10007.0, 2))
                                         AS INTEGER), 1) END
                || substr(?, 1 + hsh(i * 5) % 136, 1)
                || CASE WHEN hsh(i * 37) % 5 = 0 THEN '' ELSE substr(?, 1 + hsh(i * 41) % 136, 1)
                   END AS 姓名,
            CASE WHEN (seq % 2 = 1) <> (i % 971 = 5) THEN '男' ELSE '女' END AS 性别,
            CASE WHEN i % 983 = 3 THEN NULL
                 WHEN i % 997 = 1 THEN substr(idc, 1, 17) ||
                      CASE substr(idc, 18, 1) WHEN '0' THEN '1' ELSE '0' END
                 WHEN i % 991 = 2 AND year(birth) < 2000 THEN substr(idc, 1, 6) || substr(idc, 9, 9)
                 ELSE idc END AS 公民身份号码,
            CASE WHEN i % 919 = 12 THEN '2019-02-30'
                 WHEN i % 977 = 4 AND day(birth) <= 12 AND day(birth) <> month(birth)
                      THEN strftime(make_date(year(birth), day(birth), month(birth)), '%Y-%m-%d')
                 WHEN i % 2 = 0 THEN strftime(birth, '%Y%m%d')
                 ELSE strftime(birth, '%Y-%m-%d') END AS 出生日期,
            CASE WHEN i % 929 = 11 THEN '表亲' ELSE (['户主','配偶','子','女'])[1 + i % 3] END
                AS 与户主关系,
            -- one address per household (户号 = i // 3), as a register holds them
            (['市南区','市北区','李沧区','崂山区','黄岛区','城阳区','即墨区','胶州市','平度市',
              '莱西市'])[1 + hsh(i // 3 * 11) % 10]
                || (['香港中路','延安三路','书院路','松岭路','山东路','辽阳西路','重庆南路',
                     '长江中路','黑龙江路','金水路','合肥路','宁夏路','福州南路','南京路',
                     '台东一路','四流南路','海尔路','株洲路','深圳路','镇江路','威海路',
                     '江西路','太平角一路','劲松七路'])[1 + hsh(i // 3 * 17) % 24]
                || CASE WHEN i % 911 = 13 THEN ''
                        ELSE ((hsh(i // 3) % 500) + 1)::VARCHAR || '号' END
                || ((hsh(i // 3 * 19) % 9) + 1)::VARCHAR || '单元'
                || ((hsh(i // 3 * 43) % 30) + 1)::VARCHAR
                || lpad(((hsh(i // 3 * 47) % 4) + 1)::VARCHAR, 2, '0') || '室' AS 户籍地址,
            CASE WHEN i % 13 = 0 THEN NULL
                 WHEN i % 947 = 8 THEN '1' || lpad((hsh(i) % 1000000000)::VARCHAR, 9, '0')
                 ELSE '1' || (['3','5','8'])[1 + i % 3]
                      || lpad((hsh(i * 23) % 1000000000)::VARCHAR, 9, '0')
                 END AS 联系电话,
            CASE WHEN i % 3 <> 0 THEN NULL
                 WHEN i % 941 = 9
                      THEN substr(u, 1, 17) || CASE substr(u, 18, 1) WHEN 'A' THEN 'B' ELSE 'A' END
                 ELSE u END AS 单位信用代码,
            CASE WHEN i % 23 = 0 THEN '2024/06/' || lpad((1 + i % 28)::VARCHAR, 2, '0')
                 ELSE strftime(DATE '2024-12-31' - CAST(hsh(i * 29) % 3000 AS INTEGER),
                               '%Y-%m-%d') END
                AS 登记日期,
            CASE WHEN i % 937 = 10 THEN '未知' ELSE (['正常','正常','正常','迁出'])[1 + i % 4] END
                AS 人员状态
        FROM d JOIN uscc_pool ON uscc_pool.k = hsh(d.i * 31) % 5000
        """,
        [rows, SURNAMES, GIVEN, GIVEN],
    )


def citybrain_rules() -> list[r.Rule]:
    """What CityBrain derives for the register, with GX-comparable uniqueness and freshness."""
    derived = [x for x in r.derive_rules(DS, AS_OF) if not x.key.startswith("uniqueness:")]
    return derived + [
        r.unique_rows(("人员编号",)),
        r.value_set("性别", SEXES),
        r.value_set("人员状态", STATUS),
        r.value_set("与户主关系", RELATION),
    ]


# --------------------------------------------------------------------------- GX side


def _region_last() -> dict[str, int | None]:
    return {c: v[3] for c, v in regions.region_index().items()}


REGION_LAST = _region_last()
TODAY = int(dt.date.today().strftime("%Y%m%d"))
W = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]


def _ymd_ok(x: int) -> bool:
    y, m, d = x // 10000, x // 100 % 100, x % 100
    try:
        dt.date(y, m, d)
    except ValueError:
        return False
    return y >= 1890


def _region_ok(code: str, year: int) -> bool:
    if code not in REGION_LAST:
        return False
    last = REGION_LAST[code]
    return last is None or last >= year


def id_ok(v: str) -> bool:
    """GB 11643 as a user writes it for GX (valid 18-digit only; legacy 15 fails)."""
    if len(v) != 18 or not v[:17].isdigit() or v[0] == "0" or v[17] not in "0123456789X":
        return False
    if "10X98765432"[sum(int(c) * w for c, w in zip(v, W, strict=False)) % 11] != v[17]:
        return False
    ymd = int(v[6:14])
    return _ymd_ok(ymd) and ymd <= TODAY and _region_ok(v[:6], ymd // 10000)


def id_usable(v: str) -> bool:
    if len(v) == 15 and v.isdigit():
        return _ymd_ok(19000000 + int(v[6:12])) and _region_ok(v[:6], 1900 + int(v[6:8]))
    return id_ok(v)


USCC = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def uscc_ok(v: str) -> bool:
    if not re.fullmatch(r"[1-9A-HJ-NPQRTUWXY][0-9A-HJ-NPQRTUWXY]{17}", v):
        return False
    total = sum(USCC.index(c) * pow(3, i, 31) for i, c in enumerate(v[:17]))
    if USCC[(31 - total % 31) % 31] != v[17]:
        return False
    org = sum(
        (int(c) if c.isdigit() else ord(c) - 55) * w
        for c, w in zip(v[8:16], (3, 7, 9, 10, 5, 8, 4, 2), strict=True)
    )
    return "0X987654321"[org % 11] == v[16] and v[2:8] in REGION_LAST


def parse_date(v: str) -> dt.date | None:
    for f in DATE_FORMATS:
        try:
            return dt.datetime.strptime(v, f).date()
        except ValueError:
            continue
    return None


def date_ok(v: str) -> bool:
    d = parse_date(v)
    return d is not None and dt.date(1890, 1, 1) <= d <= dt.date.today()


def gx_suite():  # type: ignore[no-untyped-def]
    import great_expectations as gx
    import great_expectations.expectations as gxe
    from great_expectations.execution_engine import PandasExecutionEngine
    from great_expectations.expectations.expectation import (
        ColumnMapExpectation,
        ColumnPairMapExpectation,
    )
    from great_expectations.expectations.metrics import (
        ColumnMapMetricProvider,
        column_condition_partial,
    )
    from great_expectations.expectations.metrics.map_metric_provider import (
        ColumnPairMapMetricProvider,
        column_pair_condition_partial,
    )

    def column_metric(name: str, fn):  # type: ignore[no-untyped-def]
        class Metric(ColumnMapMetricProvider):
            condition_metric_name = f"column_values.{name}"

            @column_condition_partial(engine=PandasExecutionEngine)
            def _pandas(cls, column, **kwargs):  # type: ignore[no-untyped-def]
                return column.map(fn)

        Metric.__name__ = f"Metric_{name}"
        return Metric

    class ColumnValuesValidIdCard(column_metric("valid_id_card", id_ok)):  # type: ignore[misc]
        pass

    class ColumnValuesValidUscc(column_metric("valid_uscc", uscc_ok)):  # type: ignore[misc]
        pass

    class ColumnValuesValidDate(column_metric("valid_date", date_ok)):  # type: ignore[misc]
        pass

    class ExpectColumnValuesToBeValidIdCard(ColumnMapExpectation):
        map_metric = "column_values.valid_id_card"

    class ExpectColumnValuesToBeValidUscc(ColumnMapExpectation):
        map_metric = "column_values.valid_uscc"

    class ExpectColumnValuesToBeValidDate(ColumnMapExpectation):
        map_metric = "column_values.valid_date"

    def birth_matches(id_col, birth_col):  # type: ignore[no-untyped-def]
        out = []
        for i, b in zip(id_col, birth_col, strict=True):
            usable = isinstance(i, str) and isinstance(b, str) and id_usable(i) and date_ok(b)
            if not usable:
                out.append(True)
                continue
            ymd = 19000000 + int(i[6:12]) if len(i) == 15 else int(i[6:14])
            out.append(int(parse_date(b).strftime("%Y%m%d")) == ymd)  # type: ignore[union-attr]
        return pd.Series(out, index=id_col.index)

    def sex_matches(id_col, sex_col):  # type: ignore[no-untyped-def]
        out = []
        for i, s in zip(id_col, sex_col, strict=True):
            if not isinstance(i, str) or not id_usable(i) or s not in ("男", "女"):
                out.append(True)
                continue
            digit = int(i[14] if len(i) == 15 else i[16])
            out.append(("男" if digit % 2 else "女") == s)
        return pd.Series(out, index=id_col.index)

    class PairBirth(ColumnPairMapMetricProvider):
        condition_metric_name = "column_pair_values.id_birth_match"
        condition_domain_keys = ("column_A", "column_B", "ignore_row_if")

        @column_pair_condition_partial(engine=PandasExecutionEngine)
        def _pandas(cls, column_A, column_B, **kwargs):  # type: ignore[no-untyped-def]
            return birth_matches(column_A, column_B)

    class PairSex(ColumnPairMapMetricProvider):
        condition_metric_name = "column_pair_values.id_sex_match"
        condition_domain_keys = ("column_A", "column_B", "ignore_row_if")

        @column_pair_condition_partial(engine=PandasExecutionEngine)
        def _pandas(cls, column_A, column_B, **kwargs):  # type: ignore[no-untyped-def]
            return sex_matches(column_A, column_B)

    class ExpectIdBirthMatch(ColumnPairMapExpectation):
        map_metric = "column_pair_values.id_birth_match"
        ignore_row_if: str = "either_value_is_missing"
        success_keys = ("column_A", "column_B", "ignore_row_if", "mostly")

    class ExpectIdSexMatch(ColumnPairMapExpectation):
        map_metric = "column_pair_values.id_sex_match"
        ignore_row_if: str = "either_value_is_missing"
        success_keys = ("column_A", "column_B", "ignore_row_if", "mostly")

    name_re = (
        f"^(?!.*({sql._mojibake_pattern()}))(?!.*[{sql._traditional_chars()}])"
        f"[{sql.NAME_HANZI}·A-Za-z0-9()（）\\- ]*$"
    )
    addr_re = (
        f"^(?!.*({sql._mojibake_pattern()}))(?!.*[{sql._traditional_chars()}])"
        "(?!.*[\uff01-\uff5e\u3000]).*[0-9一二三四五六七八九十零〇]+号"
    )
    phone_re = r"^(1[3-9][0-9]{9}|0(10|2[0-9]|[3-9][0-9]{2})-[2-9][0-9]{6,7}(-[0-9]{1,6})?)$"
    fresh_min = pd.Timestamp(AS_OF - dt.timedelta(days=r.CYCLE_DAYS["daily"]))
    # expectation → the CityBrain rule key it must agree with
    pairs = [
        (gxe.ExpectColumnValuesToNotBeNull(column="人员编号"), "completeness:人员编号"),
        (gxe.ExpectColumnValuesToNotBeNull(column="姓名"), "completeness:姓名"),
        (gxe.ExpectColumnValuesToNotBeNull(column="公民身份号码"), "completeness:公民身份号码"),
        (gxe.ExpectColumnValuesToNotBeNull(column="户籍地址"), "completeness:户籍地址"),
        (gxe.ExpectColumnValuesToNotBeNull(column="联系电话"), "completeness:联系电话"),
        (gxe.ExpectColumnValuesToNotMatchRegex(column="户号", regex=r"\s"), "validity:户号"),
        (
            gxe.ExpectColumnValuesToNotMatchRegex(column="人员编号", regex=r"\s"),
            "validity:人员编号",
        ),
        (gxe.ExpectColumnValuesToMatchRegex(column="姓名", regex=name_re), "validity:姓名"),
        (ExpectColumnValuesToBeValidIdCard(column="公民身份号码"), "validity:公民身份号码"),
        (ExpectColumnValuesToBeValidDate(column="出生日期"), "validity:出生日期"),
        (gxe.ExpectColumnValuesToMatchRegex(column="户籍地址", regex=addr_re), "validity:户籍地址"),
        (
            gxe.ExpectColumnValuesToMatchRegex(column="联系电话", regex=phone_re),
            "validity:联系电话",
        ),
        (ExpectColumnValuesToBeValidUscc(column="单位信用代码"), "validity:单位信用代码"),
        (ExpectColumnValuesToBeValidDate(column="登记日期"), "validity:登记日期"),
        (gxe.ExpectColumnValuesToBeUnique(column="人员编号"), "uniqueness:all:人员编号"),
        (
            ExpectIdBirthMatch(column_A="公民身份号码", column_B="出生日期"),
            "consistency:公民身份号码~出生日期",
        ),
        (
            ExpectIdSexMatch(column_A="公民身份号码", column_B="性别"),
            "consistency:公民身份号码~性别",
        ),
        (gxe.ExpectColumnValuesToBeInSet(column="性别", value_set=SEXES), "validity:set:性别"),
        (
            gxe.ExpectColumnValuesToBeInSet(column="人员状态", value_set=STATUS),
            "validity:set:人员状态",
        ),
        (
            gxe.ExpectColumnValuesToBeInSet(column="与户主关系", value_set=RELATION),
            "validity:set:与户主关系",
        ),
        (
            gxe.ExpectColumnMaxToBeBetween(column="登记日期_parsed", min_value=fresh_min),
            "timeliness:freshness:登记日期",
        ),
    ]
    return gx, pairs


def run_gx(df: pd.DataFrame) -> tuple[float, dict[str, int | bool]]:
    gx, pairs = gx_suite()
    gx_logger = __import__("logging").getLogger("great_expectations")
    gx_logger.setLevel("ERROR")
    context = gx.get_context(mode="ephemeral")
    suite = context.suites.add(gx.ExpectationSuite(name="hukou"))
    for expectation, _ in pairs:
        suite.add_expectation(expectation)
    batch = (
        context.data_sources.add_pandas("p")
        .add_dataframe_asset("hukou")
        .add_batch_definition_whole_dataframe("all")
        .get_batch(batch_parameters={"dataframe": df})
    )
    started = time.perf_counter()
    # freshness needs real dates: the user parses the mixed formats first (timed with GX)
    df["登记日期_parsed"] = pd.to_datetime(df["登记日期"], format="mixed", errors="coerce")
    result = batch.validate(suite, result_format="BASIC")
    seconds = time.perf_counter() - started

    def ident(config) -> tuple[str, str]:  # type: ignore[no-untyped-def]
        kw = config.kwargs
        return config.type, str(kw.get("column") or kw.get("column_A"))

    keys = {ident(e.configuration): key for e, key in pairs}
    out: dict[str, int | bool] = {}
    for res in result.results:
        key = keys[ident(res.expectation_config)]
        if res.exception_info.get("raised_exception") or any(
            isinstance(v, dict) and v.get("raised_exception") for v in res.exception_info.values()
        ):
            raise RuntimeError(f"GX failed on {key}: {res.exception_info}")
        if key.startswith("timeliness:"):
            out[key] = bool(res.success)
        else:
            out[key] = int(res.result.get("unexpected_count") or 0)
    return seconds, out


def cb_counts(outcome: engine.ScanOutcome) -> dict[str, int | bool]:
    out: dict[str, int | bool] = {}
    for o in outcome.outcomes:
        assert o.error is None, (o.rule.key, o.error)
        out[o.rule.key] = o.failed == 0 if o.rule.key.startswith("timeliness:") else o.failed
    return out


def main(rows: int, gx_rows: int) -> dict:
    gx_rows = min(gx_rows, rows)
    gx_table = "hukou" if gx_rows == rows else "hukou_slice"  # what GX and the comparison read
    with tempfile.TemporaryDirectory(prefix="cb-bench-quality-") as tmp:
        lake = DuckDBLake(Path(tmp) / "lake.duckdb")
        with lake.writer() as con:
            sql.install(con)
            generate(con, rows)
            if gx_table != "hukou":
                con.execute(
                    f"CREATE TABLE raw.{gx_table} AS SELECT * FROM raw.hukou LIMIT {gx_rows}"
                )
        rules = citybrain_rules()

        # the read and the scan alternate, ROUNDS times each, and each reports its median:
        # a process's first 10M-row read into Arrow takes about twice as long as the next
        reads, scans = [], []
        for _ in range(ROUNDS):
            started = time.perf_counter()
            with lake.reader() as con:
                table = con.sql("SELECT * FROM raw.hukou").to_arrow_table()
            reads.append(time.perf_counter() - started)
            del table
            started = time.perf_counter()
            full = engine.run_scan(lake, DS, rules)
            scans.append(time.perf_counter() - started)
        read_s, cb_s = statistics.median(reads), statistics.median(scans)
        cb_full = cb_counts(full)
        with lake.reader() as con:
            df = con.sql(f"SELECT * FROM raw.{gx_table}").to_arrow_table().to_pandas()
        cb_slice = cb_full
        if gx_table != "hukou":
            sliced = DatasetInfo(**{**DS.__dict__, "table": gx_table})
            cb_slice = cb_counts(engine.run_scan(lake, sliced, rules))
        gx_s, gx_slice = run_gx(df)
        lake.close()
    mismatch = {k: (cb_slice.get(k), v) for k, v in gx_slice.items() if cb_slice.get(k) != v}
    assert not mismatch, f"CityBrain and GX disagree: {mismatch}"
    gx_full_s = gx_s * rows / gx_rows
    return {
        "bench": "quality",
        "metric": "scan_seconds",
        "value": round(cb_s, 3),
        "unit": "s",
        "baseline": f"great_expectations {__import__('great_expectations').__version__} pandas"
        + (f", measured on {gx_rows} rows and extrapolated linearly" if gx_rows < rows else ""),
        "baseline_value": round(gx_full_s, 3),
        "ratio": round(gx_full_s / cb_s, 2),
        "goal": ">= 20x faster than GX; <= 3x a plain full read into Arrow",
        "rows": rows,
        "rules": len(rules),
        "gx_rows": gx_rows,
        "gx_seconds_measured": round(gx_s, 3),
        "read_seconds": round(read_s, 3),
        "scan_seconds_runs": [round(x, 3) for x in scans],
        "read_seconds_runs": [round(x, 3) for x in reads],
        "scan_phases_last_run": {k: round(v, 3) for k, v in full.phases.items()},
        "ratio_vs_read": round(cb_s / read_s, 2),
        "failures": {k: v for k, v in cb_full.items() if v},
        "same_counts_as_gx": True,
    }


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000_000
    g = int(sys.argv[2]) if len(sys.argv) > 2 else n
    print(json.dumps(main(n, g), ensure_ascii=False))
