"""Rules a city's data stewards configure on top of the derived ones (数据治理规则配置).

Derived rules judge one dataset by its catalog entry. Some defects only show against
another source or the business process behind the data, so the stewards declare them here:

* **One name per citizen ID and per credit code** (户籍为准, 登记为准): a name held for a
  citizen ID anywhere in the city's data must equal the name the records agree on for that ID,
  the public-security household register (公安 户籍) breaking ties; likewise a company's name
  for its unified social credit code, the market-regulation register (市场监管 登记) breaking
  ties. A person's name no other record confirms must not hold a character the records
  correct wherever they can check it (理 for 李: a slip the city keeps making).
* **One home per household** (现住址以迁入登记为准): the registers written when people move
  in (不动产登记, 出生医学证明, 死亡医学证明), and a household-register row dated by a
  registered change (变动日期) of someone still there, say where a household lives now; an
  address another department holds for a member (户籍地址, 居住地址, 家庭住址) must be that
  home. Members are found by the household register's 户号. About half of the hukou rows of
  people who moved keep the old address (the move never registered); this is how such a
  row shows.
* **One birth date per person** (出生日期以身份证号为准): where a person has many rows in one
  dataset (a child's every dose), a row without a usable ID is matched to the person's other
  rows by name, sex and place, and must carry the birth date their IDs give; a day and month
  swapped on such a row shows nowhere else.
* **Reporting lags and process rules** (时效): a birth certificate is issued within 30 days of
  the birth, a death is reported within 30 days, a residence permit is valid for exactly three
  years from issue, enterprise annual reports are due by 30 June of the following year,
  marriage certificates are numbered in registration order.

Each entry names its dataset and fields; a rule whose dataset or field is missing from the
catalog is skipped, so the configuration can run ahead of the data.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from citybrain.quality import rules as r
from citybrain.quality.rules import DatasetInfo, Rule

WORK_SCHEMA = "quality_work"  # lake schema of tables a scan derives and then joins
MAX_HOUSEHOLD = 20  # more people sharing one household value: a bad value, not a household


@dataclass(frozen=True)
class Reference:
    """A base register and the other datasets that name the same entity by the same key."""

    kind: str  # person | company: names the work table and the rule
    register: tuple[str, str, str]  # (dataset, name field, key field): breaks ties
    others: tuple[tuple[str, str, str], ...]  # (dataset, name field, key field)
    key_macro: str  # standards macro giving the comparable key (NULL when unusable)
    register_zh: str
    by_sex: bool = False  # given-name characters are weighed by the ID's sex digit
    learns_slips: bool = False  # judge lone records by the characters others get corrected

    @property
    def slips_table(self) -> str:
        return f'"{WORK_SCHEMA}"."{self.kind}_slips"'

    @property
    def table(self) -> str:
        return f'"{WORK_SCHEMA}"."{self.kind}_names"'


PERSONS = Reference(
    "person",
    ("gongan.hukou", "姓名", "公民身份号码"),
    (
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
    ),
    "std_id_key",
    "户籍",
    by_sex=True,
    learns_slips=True,
)
COMPANIES = Reference(
    "company",
    ("scjg.company_register", "企业名称", "统一社会信用代码"),
    (("scjg.annual_reports", "name", "uscc"),),
    "std_uscc_norm",
    "企业登记",
)
REFERENCES = (PERSONS, COMPANIES)


@dataclass(frozen=True)
class Homes:
    """Where each household lives, by the registers written at a move, and the addresses
    judged against it; every source is (dataset, field, citizen-ID field)."""

    households: tuple[tuple[str, str, str], ...]  # fields whose value names people living
    # together (户号, a joint property certificate, a birth certificate's parents)
    witnesses: tuple[tuple[str, str, str], ...]  # address fields written at a move
    checked: tuple[tuple[str, str, str], ...]  # address fields that may lag behind
    #: (dataset, address field, ID field, change-date field, status field): a register row
    #: dated by a registered change, of a person still there, was written at the move too
    changed: tuple[tuple[str, str, str, str, str], ...] = ()
    gone: tuple[str, ...] = ("死亡", "死亡注销", "迁出", "迁出注销", "注销")  # not there
    key_macro: str = "std_id_key"
    table: str = f'"{WORK_SCHEMA}"."homes"'


HOMES = Homes(
    (
        ("gongan.hukou", "户号", "公民身份号码"),
        ("ziranziyuan.property_register", "不动产权证号", "证件号码"),
        ("weijian.births", "cert_no", "mother_id_card"),
        ("weijian.births", "cert_no", "father_id_card"),
    ),
    (
        ("ziranziyuan.property_register", "坐落", "证件号码"),
        ("weijian.births", "address", "mother_id_card"),
        ("weijian.births", "address", "father_id_card"),
        ("weijian.deaths", "hjdz", "sfzh"),
    ),
    (
        ("gongan.hukou", "户籍地址", "公民身份号码"),
        ("gongan.residence_permit", "居住地址", "证件号码"),
        ("minzheng.subsidies", "address", "id_card"),
        ("jiaoyu.enrolment", "jtzz", "sfzjh"),
    ),
    changed=(("gongan.hukou", "户籍地址", "公民身份号码", "变动日期", "人员状态"),),
)


@dataclass(frozen=True)
class Repeated:
    """A dataset with many rows per person, whose rows without a usable ID are judged by the
    birth date the person's other rows carry in their IDs."""

    dataset: str
    id_field: str
    birth_field: str
    person: tuple[str, ...]  # fields that together name one person within the dataset

    @property
    def fields(self) -> tuple[str, ...]:
        return (self.id_field, self.birth_field, *self.person)

    def named_sql(self) -> str:
        """The row names its person: every person field present."""
        return " AND ".join(f"NOT std_blank({r.quote_ident(f)})" for f in self.person)


REPEATED = (
    Repeated("weijian.vaccinations", "child_id", "birth_date", ("child_name", "sex", "clinic")),
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
                columns=(
                    (
                        alias,
                        f"min({d}({q('登记日期')})) OVER (PARTITION BY {series} "
                        f"ORDER BY {q('登记证号')} ROWS BETWEEN 1 FOLLOWING AND 5 FOLLOWING)",
                    ),
                ),
            )
        )
    return out


def _name_value(field: str) -> str:
    """A name field as the records and the rules compare it (trimmed text)."""
    return f"trim(CAST({r.quote_ident(field)} AS VARCHAR))"


def _records_sql(ref: Reference, sources: list[tuple[DatasetInfo, str, str]]) -> str:
    """Every record naming the entity: its comparable key ``_k`` (NULL when unusable), name
    ``_n``, whether it is the register's (``_reg``) and its record identity ``_rec`` (NULL:
    the row counts on its own)."""
    q = r.quote_ident

    def record(i: int, ds: DatasetInfo) -> str:
        if not ds.primary_key:
            return "NULL"
        cols = [f"CAST({q(c)} AS VARCHAR)" for c in ds.primary_key]
        present = " AND ".join(f"{c} IS NOT NULL" for c in cols)
        return f"CASE WHEN {present} THEN concat_ws('|', '{i}', {', '.join(cols)}) END"

    # the key's macro is applied once over the union, not once per source (binding a
    # standards macro costs more than running it on a demo city's rows), and once per
    # distinct value: the city's 3.6M person records hold 1.0M IDs (4.4 s → 2.7 s)
    parts = [
        f"SELECT CAST({q(key)} AS VARCHAR) AS _kv, "
        f"{_name_value(name)} AS _n, {1 if i == 0 else 0} AS _reg, "
        f"{record(i, ds)} AS _rec FROM {q(ds.schema)}.{q(ds.table)}"
        for i, (ds, name, key) in enumerate(sources)
    ]
    return (
        f"WITH _r AS MATERIALIZED ({' UNION ALL '.join(parts)}), "
        f"_keys AS (SELECT _kv, {ref.key_macro}(_kv) AS _k FROM (SELECT DISTINCT _kv FROM _r)) "
        "SELECT _n, _reg, _rec, _k FROM _r LEFT JOIN _keys USING (_kv)"
    )


def _consensus_sql(ref: Reference, records: str) -> str:
    """Per key the name the city's records agree on; a key whose top names still tie has no
    consensus. Only names valid on their own vote. ``records``: a table or sub-select of
    :func:`_records_sql`.

    Every record votes: each is typed in on its own (a clinic per dose, a bureau per
    filing), so nineteen vaccination records outweigh one register entry with a slip. A
    record is a primary-key value of its dataset: a delivered copy of a row (the same key
    twice, a uniqueness finding) is not a second witness to its own spelling. When
    the votes tie (often the register against one other record), the likelier name wins: the
    one whose characters the city's names use most in that place (first character; for a
    person's given name, in a man's or a woman's name by the ID's sex digit), which is how a
    clerk spots 素勇志 against 苏勇志 or 婷 in a man's name; the register breaks what is left.
    """
    place = "std_id_sex_raw(_k)" if ref.by_sex else "1"
    return (
        "WITH _votes AS (SELECT _k, _n, "
        "count(DISTINCT _rec) + count(*) FILTER (WHERE _rec IS NULL) AS _rows, "
        f"max(_reg) AS _reg FROM {records} "
        "WHERE _k IS NOT NULL AND std_name_reason(_n) IS NULL GROUP BY _k, _n), "
        f"_chars AS (SELECT _k, _n, CASE WHEN _i = 1 THEN 0 ELSE {place} END AS _pos, "
        "substr(_n, _i, 1) AS _c "
        "FROM (SELECT _k, _n, unnest(range(1, length(_n) + 1)) AS _i FROM _votes)), "
        "_freq AS (SELECT _pos, _c, ln(count(*)) AS _w FROM _chars GROUP BY ALL), "
        "_like AS (SELECT _k, _n, sum(_w) AS _l FROM _chars JOIN _freq USING (_pos, _c) "
        "GROUP BY ALL), "
        # names with the same score counted together: the key's best score must be one
        # name's (a window's max over each key cost the city's 1M names 2.9 s)
        "_ranked AS (SELECT _k, (_rows, _l, _reg) AS _s, count(*) AS _c, any_value(_n) AS _n "
        "FROM _votes JOIN _like USING (_k, _n) GROUP BY ALL) "
        "SELECT _k, arg_max(_n, _s) AS _v FROM _ranked "
        "GROUP BY _k HAVING arg_max(_c, _s) = 1"
    )


def name_rule(
    ref: Reference,
    ds: DatasetInfo,
    name: str,
    key: str,
    sources: list[tuple[DatasetInfo, str, str]],
    consensus: str | None = None,
) -> Rule:
    """``name`` equals the name the city's records agree on for the key in ``key``.

    ``consensus`` is a query over an already materialised consensus (a catalog-wide scan
    computes it once); without it the rule carries the whole consensus query itself.
    """
    q = r.quote_ident
    alias = f"_ref_{ref.kind}_" + r._slug(key)
    col = _name_value(name)
    key_columns, row_key = r.join_key(ref.key_macro, key)
    return Rule(
        f"consistency:{name}=={ref.kind}_register",
        "consistency",
        name,
        f"{name} 与{ref.register_zh}及各部门记录一致({ref.register_zh}为准) / matches the name "
        f"the {ref.kind} register and the other departments' records hold for this key",
        f"{col} <> {alias}__v",
        applies=f"{alias}__v IS NOT NULL AND std_name_reason({q(name)}) IS NULL",
        join=(
            alias,
            consensus or _consensus_sql(ref, f"({_records_sql(ref, sources)})"),
            row_key,
        ),
        columns=key_columns,
        sample_columns=(key,),
        reason=f"{alias}__v",
    )


#: a character is a known slip at its place (surname or given name) when the records that
#: can be checked show it wrong at least this often, and in at least this share of them
SLIP_MIN_WRONG = 2
SLIP_MIN_SHARE = 0.9


def _slips_sql(records: str, consensus: str) -> str:
    """Per name on a record the consensus cannot judge (its key named by no other record,
    unusable, or tied) that holds a known slip and that no checked record confirms (``_k``):
    the name with each slip character replaced by the one the checked records carry in its
    place most often (``_v``). Keyed by the name alone, so a scan joins it without computing
    the ID key a second time.

    The error model is learnt from the city's own records: where a key has two or more
    records and a consensus, each character of each record is compared with the consensus
    in the same place. A character that is (nearly) always outvoted there, such as 理 for
    李 or 墙 for 强, is a slip of the pen or of the input method; one the records confirm
    (程 as a surname, 建 in a man's name) never is, however it sounds.
    """
    place = "CASE WHEN _i = 1 THEN 0 ELSE 1 END AS _p"
    chars = "unnest(range(1, length(_n) + 1)) AS _i"
    return (
        f"WITH _r AS (SELECT _k, _n, _rec FROM {records} WHERE std_name_reason(_n) IS NULL), "
        # keys the consensus judges: two or more records and a consensus name
        f"_checked AS (SELECT _k, _v FROM {consensus} AS _con JOIN (SELECT _k FROM _r "
        "WHERE _k IS NOT NULL GROUP BY _k "
        "HAVING count(DISTINCT _rec) + count(*) FILTER (WHERE _rec IS NULL) >= 2) USING (_k)), "
        # each distinct (record name, consensus) pair once, with how many records hold it
        f"_pairs AS (SELECT {place}, substr(_n, _i, 1) AS _c, substr(_v, _i, 1) AS _cv, _m "
        f"FROM (SELECT _n, _v, _m, {chars} FROM (SELECT _n, _v, count(*) AS _m FROM _r "
        "JOIN _checked USING (_k) WHERE length(_n) = length(_v) GROUP BY _n, _v))), "
        "_wrong AS (SELECT _p, _c, arg_max(_cv, (_m, _cv)) AS _fix, sum(_m) AS _w "
        "FROM (SELECT _p, _c, _cv, sum(_m) AS _m FROM _pairs WHERE _cv <> _c GROUP BY ALL) "
        "GROUP BY ALL), "
        "_slip AS (SELECT _p, _c, _fix FROM _wrong JOIN (SELECT _p, _c, sum(_m) AS _all "
        f"FROM _pairs GROUP BY ALL) USING (_p, _c) WHERE _w >= {SLIP_MIN_WRONG} "
        f"AND _w >= {SLIP_MIN_SHARE} * _all), "
        # names on records the consensus cannot judge (no other record, an unusable key,
        # a tie), less any name the records confirm for someone (the consensus of a key
        # with two or more records): that is a real name, whatever characters it holds
        "_unconfirmed AS (SELECT DISTINCT _n FROM _r ANTI JOIN _checked USING (_k) "
        "EXCEPT SELECT _v FROM _checked), "
        f"_chars AS (SELECT _n, _i, {place}, substr(_n, _i, 1) AS _c "
        f"FROM (SELECT _n, {chars} FROM _unconfirmed)) "
        "SELECT _n AS _k, string_agg(coalesce(_fix, _c), '' ORDER BY _i) AS _v "
        "FROM _chars LEFT JOIN _slip USING (_p, _c) GROUP BY _n HAVING count(_fix) > 0"
    )


def slip_rule(ref: Reference, ds: DatasetInfo, name: str, key: str, slips: str) -> Rule:
    """A name no other record can confirm holds no character the city's records correct
    wherever they can check it (:func:`_slips_sql`); the sample's reason is the likely
    spelling."""
    q = r.quote_ident
    alias = f"_slip_{ref.kind}_" + r._slug(name)
    col = _name_value(name)
    return Rule(
        f"consistency:{name}@name_slips",
        "consistency",
        name,
        f"{name} 不含本市记录中屡被更正的用字(同音、形近错字) / holds no character the city's "
        "records correct wherever they can check it (a homophone or look-alike slip)",
        f"{alias}__v IS NOT NULL AND {col} <> {alias}__v",
        applies=f"std_name_reason({q(name)}) IS NULL",
        join=(alias, slips, col),
        sample_columns=(key,),
        reason=f"{alias}__v",
    )


def _homes_sql(homes: Homes, catalog: dict[str, DatasetInfo]) -> str | None:
    """Per citizen-ID key the household's home: the one address the move-in registers (and
    the register rows dated by a registered change) of all its members agree on; none where
    they name two addresses or none at all.

    Households are people joined by a shared household value or the same room (two rounds
    of smallest-label propagation: enough for an owner outside the household register to
    meet the household through a member registered at the owned flat). A value shared by
    more people than a household holds is ignored, so one bad 户号 cannot chain strangers; a
    person no household value names counts alone. A stale room that new occupants now share
    joins two households whose homes then differ, so neither is judged: recall is given up,
    never precision. None without any witness loaded.
    """
    q = r.quote_ident
    gone = ", ".join(f"'{g}'" for g in homes.gone)
    witnessed: dict[tuple[str, str, str], str] = {  # address source → when it witnesses
        w: "true" for w in homes.witnesses if _present(catalog, *w)
    }
    for d, f, k, when, status in homes.changed:
        if _present(catalog, d, f, k, when, status):
            witnessed[(d, f, k)] = (
                f"NOT std_blank({q(when)}) AND coalesce(trim(CAST({q(status)} AS VARCHAR)), "
                f"'') NOT IN ({gone})"
            )
    if not witnessed:
        return None
    # every address a member's row names is a room that joins people; each source row is read
    # once for all three uses (witness, room, household token), so its ID and address keys
    # are computed once, not once per use
    addresses = {**witnessed, **{c: "false" for c in homes.checked
                                 if _present(catalog, *c) and c not in witnessed}}
    tokens = [t for t in homes.households if _present(catalog, *t)]
    token = [f"'{i}:' || trim(CAST({q(f)} AS VARCHAR))" for i, (_, f, _) in enumerate(tokens)]
    first = {}  # (dataset, ID field) → its first token, carried by its address rows
    for i, (d, _, k) in enumerate(tokens):
        first.setdefault((d, k), i)
    rows = [(d, k, f"CAST({q(f)} AS VARCHAR)", token[first[d, k]] if (d, k) in first else "NULL",
             when) for (d, f, k), when in addresses.items()]
    carried = {first[d, k] for d, f, k in addresses if (d, k) in first}
    rows += [(d, k, "NULL", token[i], "false")
             for i, (d, _, k) in enumerate(tokens) if i not in carried]
    union = " UNION ALL ".join(
        f"SELECT CAST({q(k)} AS VARCHAR) AS _kv, {v} AS _v, {t} AS _t, coalesce({w}, false) AS _w "
        f"FROM {q(catalog[d].schema)}.{q(catalog[d].table)}"
        for d, k, v, t, w in rows
    )
    # MATERIALIZED: inlined, the NOT NULL filters below are pushed under the projection and
    # evaluate both key macros a second time (the city's homes took 19 s, 9 s materialised)
    return (
        f"WITH _src AS MATERIALIZED (SELECT {homes.key_macro}(_kv) AS _k, "
        f"std_address_key(_v) AS _a, _t, _w FROM ({union})), "
        "_said AS (SELECT _k, _a FROM _src WHERE _w AND _k IS NOT NULL AND _a IS NOT NULL), "
        "_tok AS (SELECT DISTINCT _k, _t FROM (SELECT _k, _t FROM _src UNION ALL "
        "SELECT _k, '@' || _a FROM _src) WHERE _k IS NOT NULL AND _t IS NOT NULL), "
        f"_tok_ok AS (SELECT _t FROM _tok GROUP BY _t HAVING count(*) <= {MAX_HOUSEHOLD}), "
        "_edge AS (SELECT _k, _t FROM _tok SEMI JOIN _tok_ok USING (_t)), "
        "_l1 AS (SELECT a._k, min(b._k) AS _g FROM _edge a JOIN _edge b USING (_t) GROUP BY 1), "
        "_l2 AS (SELECT a._k, min(l._g) AS _g FROM _edge a JOIN _edge b USING (_t) "
        "JOIN _l1 l ON l._k = b._k GROUP BY 1), "
        "_member AS (SELECT _k, _g FROM _l2 UNION ALL "
        "SELECT DISTINCT _k, _k FROM _said ANTI JOIN _l2 USING (_k)), "
        "_home AS (SELECT _g, min(_a) AS _a FROM _said JOIN _member USING (_k) "
        "GROUP BY _g HAVING count(DISTINCT _a) = 1) "
        "SELECT _k, _a AS _v FROM _member JOIN _home USING (_g)"
    )


def home_rule(ds: DatasetInfo, field: str, key: str, homes_query: str) -> Rule:
    """``field`` names the home the household's move-in registers give (see :data:`HOMES`)."""
    q = r.quote_ident
    alias = "_home_" + r._slug(key)
    address = "_ak_" + r._slug(field)
    key_columns, row_key = r.join_key(HOMES.key_macro, key)
    checked = r.address_check(field)
    return Rule(
        f"consistency:{field}@household_home",
        "consistency",
        field,
        f"{field} 与本户迁入登记(不动产登记、出生/死亡医学证明、户籍迁移变动)的现住址一致 / "
        "the home the household's move-in registers (property, birth, death, a registered "
        "hukou move) give; an old address left after a move",
        f"{address} <> {alias}__v",
        applies=f"{alias}__v IS NOT NULL AND {address} IS NOT NULL",
        join=(alias, homes_query, row_key),
        # the address key once per row (the rule's test and its scope both read it), from
        # the address check the validity rule computes anyway
        columns=(*key_columns, checked,
                 (address, f"std_address_key_r({q(field)}, {checked[0]})")),
        sample_columns=(key,),
        reason=f"{alias}__v",
    )


def _birth_by_ids_sql(rep: Repeated, ds: DatasetInfo) -> str:
    """Per person of ``rep`` (name, sex and place joined into one key) the birth date the IDs
    of their rows give, where those IDs agree on one."""
    q = r.quote_ident
    return (
        f"SELECT _k, min(_b) AS _v FROM (SELECT {_person_key(rep)} AS _k, "
        f"std_id_birth_raw(CAST({q(rep.id_field)} AS VARCHAR)) AS _b "
        f"FROM {q(ds.schema)}.{q(ds.table)} WHERE {rep.named_sql()} "
        f"AND std_id_usable(CAST({q(rep.id_field)} AS VARCHAR))) "
        "GROUP BY _k HAVING count(DISTINCT _b) = 1"
    )


def _person_key(rep: Repeated) -> str:
    q = r.quote_ident
    return "concat_ws('|', " + ", ".join(f"trim(CAST({q(f)} AS VARCHAR))" for f in rep.person) + ")"


def birth_by_records_rule(rep: Repeated, ds: DatasetInfo, births: str | None = None) -> Rule:
    """The birth date of a row without a usable ID equals the one the IDs of the person's
    other rows in the dataset give (same name, sex and place).

    Judged only where those IDs agree on one date: two children of one name, sex and
    clinic born on different days are not told apart, so neither is judged. ``births`` is a
    query over the per-person dates a catalog-wide scan materialised beforehand (the scan
    then reads the dataset once); without it the rule carries the query itself.
    """
    checked, birth = r.id_check(rep.id_field), r.date_check(rep.birth_field)
    alias = "_births_" + r._slug(rep.birth_field)
    return Rule(
        f"consistency:{rep.id_field}~{rep.birth_field}@same_person",
        "consistency",
        rep.birth_field,
        f"无有效证件号的记录, {rep.birth_field} 与同一人({'、'.join(rep.person)}相同)其他记录的"
        f"身份证号出生日期一致 / a row without a usable ID carries the birth date the IDs of "
        "the same person's other rows give",
        f"std_date_ymd_p({birth[0][0]}) <> {alias}__v",
        applies=f"{alias}__v IS NOT NULL AND NOT std_id_usable_r({checked[-1][0]}) "
        f"AND {birth[-1][0]} IS NULL AND {rep.named_sql()}",
        columns=(*checked, *birth),
        join=(alias, births or _birth_by_ids_sql(rep, ds), _person_key(rep)),
        sample_columns=rep.person,
        reason=f"strftime(make_date({alias}__v // 10000, {alias}__v // 100 % 100, "
        f"{alias}__v % 100), '%Y-%m-%d')",
    )


def _inline_slips(ref: Reference, sources: list[tuple[DatasetInfo, str, str]]) -> str:
    records = f"({_records_sql(ref, sources)})"
    return _slips_sql(records, f"({_consensus_sql(ref, records)})")


def _present(catalog: dict[str, DatasetInfo], d: str, *fields: str) -> bool:
    return d in catalog and all(catalog[d].field(f) for f in fields)


def sources_of(
    ref: Reference, catalog: dict[str, DatasetInfo]
) -> list[tuple[DatasetInfo, str, str]]:
    """(dataset, name field, key field) of every loaded dataset that names the entity; empty
    without the register, which the consensus needs as its tie-breaker."""

    if not _present(catalog, *ref.register):
        return []
    return [
        (catalog[d], name, key)
        for d, name, key in (ref.register, *ref.others)
        if _present(catalog, d, name, key)
    ]


def materialize_consensus(con: Any, catalog: dict[str, DatasetInfo]) -> dict[str, str]:
    """Compute each register's name consensus and the households' homes once into work
    tables; returns, per reference kind (and ``home``), the query rules join.

    A catalog-wide scan would otherwise recompute it (a scan of every dataset naming the
    entity) for every name field of every dataset.
    """
    out = {}
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {r.quote_ident(WORK_SCHEMA)}")
    for ref in REFERENCES:
        sources = sources_of(ref, catalog)
        if not sources:
            continue
        records = f'"{WORK_SCHEMA}"."{ref.kind}_records"'
        con.execute(f"CREATE OR REPLACE TABLE {records} AS {_records_sql(ref, sources)}")
        con.execute(f"CREATE OR REPLACE TABLE {ref.table} AS {_consensus_sql(ref, records)}")
        out[ref.kind] = f"SELECT _k, _v FROM {ref.table}"
        if ref.learns_slips:
            con.execute(
                f"CREATE OR REPLACE TABLE {ref.slips_table} AS {_slips_sql(records, ref.table)}"
            )
            out[f"{ref.kind}_slips"] = f"SELECT _k, _v FROM {ref.slips_table}"
        con.execute(f"DROP TABLE {records}")
    homes = _homes_sql(HOMES, catalog)
    if homes is not None:
        con.execute(f"CREATE OR REPLACE TABLE {HOMES.table} AS {homes}")
        out["home"] = f"SELECT _k, _v FROM {HOMES.table}"
    for rep in REPEATED:
        if _present(catalog, rep.dataset, *rep.fields):
            table = f'"{WORK_SCHEMA}".{r.quote_ident("births_" + r._slug(rep.dataset))}'
            con.execute(
                f"CREATE OR REPLACE TABLE {table} AS "
                f"{_birth_by_ids_sql(rep, catalog[rep.dataset])}"
            )
            out[f"births:{rep.dataset}"] = f"SELECT _k, _v FROM {table}"
    return out


def rules_for(
    ds: DatasetInfo, catalog: dict[str, DatasetInfo], consensus: dict[str, str] | None = None
) -> list[Rule]:
    """The configured rules that apply to ``ds`` (``catalog``: every loaded dataset;
    ``consensus``: the materialised name consensus per reference and the homes, if the caller
    made them)."""
    out: list[Rule] = []
    for ref in REFERENCES:
        sources = sources_of(ref, catalog)
        for src, name, key in sources:
            if src.id != ds.id:
                continue
            out.append(name_rule(ref, ds, name, key, sources, (consensus or {}).get(ref.kind)))
            if ref.learns_slips:
                slips = (consensus or {}).get(f"{ref.kind}_slips") or _inline_slips(ref, sources)
                out.append(slip_rule(ref, ds, name, key, slips))
    homes = (consensus or {}).get("home") or _homes_sql(HOMES, catalog)
    for d, field, key in HOMES.checked:
        if d == ds.id and homes is not None and _present(catalog, d, field, key):
            out.append(home_rule(ds, field, key, homes))
    for rep in REPEATED:
        if rep.dataset == ds.id and _present(catalog, ds.id, *rep.fields):
            out.append(birth_by_records_rule(rep, ds, (consensus or {}).get(
                f"births:{rep.dataset}")))
    for dataset, earlier, later, days in LAGS:
        if dataset == ds.id and ds.field(earlier) and ds.field(later):
            out.append(r.date_order(earlier, later, days))
    return out + _custom(ds)
