"""Rules a city's data stewards configure on top of the derived ones (数据治理规则配置).

Derived rules judge one dataset by its catalog entry. Some defects only show against
another source or the business process behind the data, so the stewards declare them here:

* **The household register is the reference for who a citizen is** (户籍为准): a name held for
  a citizen ID in any other department's data must equal the name the public-security
  household register (公安 户籍) holds for that ID.
* **Reporting lags and process rules** (时效): a birth certificate is issued within 30 days of
  the birth, a death is reported within 30 days, a residence permit is valid for exactly three
  years from issue, enterprise annual reports are due by 30 June of the following year,
  marriage certificates are numbered in registration order.

Each entry names its dataset and fields; a rule whose dataset or field is missing from the
catalog is skipped, so the configuration can run ahead of the data.
"""

from __future__ import annotations

from typing import Any

from citybrain.quality import rules as r
from citybrain.quality.rules import DatasetInfo, Rule

#: (dataset, ID field, name field) of the reference register for persons.
PERSON_REGISTER = ("gongan.hukou", "公民身份号码", "姓名")
WORK_SCHEMA = "quality_work"  # lake schema of tables a scan derives and then joins
CONSENSUS_TABLE = f'"{WORK_SCHEMA}"."person_names"'

#: (dataset, name field, ID field of the same person): names checked against the register.
PERSON_NAMES: tuple[tuple[str, str, str], ...] = (
    ("gongan.residence_permit", "姓名", "证件号码"),
    ("weijian.births", "mother_name", "mother_id_card"),
    ("weijian.births", "father_name", "father_id_card"),
    ("weijian.deaths", "xm", "sfzh"),
    ("weijian.vaccinations", "child_name", "child_id"),
    ("minzheng.marriages", "男方姓名", "男方公民身份号码"),
    ("minzheng.marriages", "女方姓名", "女方公民身份号码"),
    ("minzheng.subsidies", "name", "id_card"),
    ("renshe.si_insured", "aac003", "aac002"),
    ("scjg.company_register", "法定代表人", "法定代表人证件号码"),
    ("jiaoyu.enrolment", "xsxm", "sfzjh"),
    ("ziranziyuan.property_register", "权利人", "证件号码"),
)

#: (dataset, field) that may be empty although its data element usually must not be:
#: citizens may report anonymously.
OPTIONAL_FIELDS: frozenset[tuple[str, str]] = frozenset({("reports.citizen", "contact_phone")})

#: (dataset, earlier date field, later date field, most days allowed between them)
LAGS: tuple[tuple[str, str, str, int], ...] = (
    ("weijian.births", "birth_date", "issued_at", 30),
    ("weijian.deaths", "swrq", "tbrq", 30),
)


def _custom(ds: DatasetInfo) -> list[Rule]:
    q = r.quote_ident
    d = "std_date_parse"
    out: list[Rule] = []
    if ds.id == "gongan.residence_permit" and ds.field("签发日期") and ds.field("有效期至"):
        out.append(
            Rule(
                "timeliness:sql:permit_term",
                "timeliness",
                "签发日期",
                "居住证有效期为签发日起三年 / a residence permit runs three years from issue",
                # three years, counted in calendar years or as 3 x 365 days
                f"abs(date_diff('day', {d}({q('签发日期')}) + INTERVAL 3 YEAR, "
                f"{d}({q('有效期至')}))) > 2",
                applies=f"{d}({q('有效期至')}) IS NOT NULL AND {d}({q('签发日期')}) IS NOT NULL",
            )
        )
    if ds.id == "scjg.annual_reports" and ds.field("submitted_at") and ds.field("report_year"):
        year = f"TRY_CAST({q('report_year')} AS INTEGER)"
        out.append(
            Rule(
                "timeliness:sql:annual_report_due",
                "timeliness",
                "submitted_at",
                "年报于次年6月30日前报送 / annual report filed by 30 June of the next year",
                f"{d}({q('submitted_at')}) > make_date({year} + 1, 6, 30)",
                applies=f"{d}({q('submitted_at')}) IS NOT NULL AND {year} IS NOT NULL",
            )
        )
    if ds.id == "minzheng.marriages" and ds.field("登记日期") and ds.field("登记证号"):
        # certificates are numbered in registration order within a series (结婚/离婚)
        series = f"regexp_extract({q('登记证号')}, '^[A-Z]+', 0)"
        alias = "_next_registered"
        out.append(
            Rule(
                "timeliness:sql:certificate_order",
                "timeliness",
                "登记日期",
                "登记日期不晚于其后编号证书的登记日期 / not later than the next certificates",
                f"{d}({q('登记日期')}) > {alias}",
                applies=f"{d}({q('登记日期')}) IS NOT NULL AND {alias} IS NOT NULL",
                window=(
                    alias,
                    f"min({d}({q('登记日期')})) OVER (PARTITION BY {series} "
                    f"ORDER BY {q('登记证号')} ROWS BETWEEN 1 FOLLOWING AND 5 FOLLOWING)",
                ),
            )
        )
    return out


def _consensus_sql(sources: list[tuple[DatasetInfo, str, str]]) -> str:
    """Per citizen ID the name most sources agree on (the register breaks a tie; an ID whose
    top names still tie has no consensus). Only names valid on their own vote, and a source
    votes once per ID however many rows it holds for that person."""
    q = r.quote_ident
    parts = [
        f"SELECT std_id_key(CAST({q(key)} AS VARCHAR)) AS _k, trim(CAST({q(name)} AS VARCHAR)) "
        f"AS _n, {i} AS _src, {1 if i == 0 else 0} AS _reg FROM {q(ds.schema)}.{q(ds.table)}"
        for i, (ds, name, key) in enumerate(sources)
    ]
    return (
        "SELECT _k, arg_max(_n, _s) AS _v FROM (SELECT *, max(_s) OVER (PARTITION BY _k) AS _top "
        "FROM (SELECT _k, _n, count(DISTINCT _src) * 2 + max(_reg) AS _s FROM ("
        + " UNION ALL ".join(parts)
        + ") WHERE _k IS NOT NULL AND std_name_reason(_n) IS NULL GROUP BY _k, _n)) "
        "GROUP BY _k HAVING count(*) FILTER (WHERE _s = _top) = 1"
    )


def person_name_rule(
    ds: DatasetInfo,
    name: str,
    key: str,
    sources: list[tuple[DatasetInfo, str, str]],
    consensus: str | None = None,
) -> Rule:
    """``name`` equals the name the city's sources agree on for the citizen ID in ``key``.

    ``consensus`` is a query over an already materialised consensus (a catalog-wide scan
    computes it once); without it the rule carries the whole consensus query itself.
    """
    q = r.quote_ident
    alias = "_ref_person_" + r._slug(key)
    col = f"trim(CAST({q(name)} AS VARCHAR))"
    return Rule(
        f"consistency:{name}==person_register",
        "consistency",
        name,
        f"{name} 与户籍及各部门登记的姓名一致(户籍为准) / matches the name the household "
        "register and the other departments hold for this ID",
        f"{col} <> {alias}__v",
        applies=f"{alias}__v IS NOT NULL AND std_name_reason({q(name)}) IS NULL",
        join=(
            alias,
            consensus or _consensus_sql(sources),
            f"std_id_key(CAST({q(key)} AS VARCHAR))",
        ),
        sample_columns=(key,),
        reason=f"{alias}__v",
    )


def person_sources(catalog: dict[str, DatasetInfo]) -> list[tuple[DatasetInfo, str, str]]:
    """(dataset, name field, ID field) of every loaded dataset that names citizens; empty
    without the household register, which the consensus needs as its tie-breaker."""
    ref_id, ref_key, ref_name = PERSON_REGISTER
    ref = catalog.get(ref_id)
    if ref is None or not ref.field(ref_key) or not ref.field(ref_name):
        return []
    return [(ref, ref_name, ref_key)] + [
        (catalog[d], name, key)
        for d, name, key in PERSON_NAMES
        if d in catalog and catalog[d].field(name) and catalog[d].field(key)
    ]


def materialize_consensus(con: Any, catalog: dict[str, DatasetInfo]) -> str | None:
    """Compute the name consensus once into a work table; returns the query rules join.

    A catalog-wide scan would otherwise recompute it (a scan of every person dataset) for
    every name field of every dataset.
    """
    sources = person_sources(catalog)
    if not sources:
        return None
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {r.quote_ident(WORK_SCHEMA)}")
    con.execute(f"CREATE OR REPLACE TABLE {CONSENSUS_TABLE} AS {_consensus_sql(sources)}")
    return f"SELECT _k, _v FROM {CONSENSUS_TABLE}"


def rules_for(
    ds: DatasetInfo, catalog: dict[str, DatasetInfo], consensus: str | None = None
) -> list[Rule]:
    """The configured rules that apply to ``ds`` (``catalog``: every loaded dataset;
    ``consensus``: the materialised name consensus, if the caller made one)."""
    out: list[Rule] = []
    sources = person_sources(catalog)
    for src, name, key in sources:
        if src.id == ds.id:
            out.append(person_name_rule(ds, name, key, sources, consensus))
    for dataset, earlier, later, days in LAGS:
        if dataset == ds.id and ds.field(earlier) and ds.field(later):
            out.append(r.date_order(earlier, later, days))
    return out + _custom(ds)
