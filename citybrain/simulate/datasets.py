"""What each department delivers: dataset specs and the builders that fill them from truth.

Every builder returns columns plus the identity of each row (which true person or company
it is about), so defects and duplicates can be traced back to the truth.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from citybrain.simulate import pools
from citybrain.simulate.geo import Geography
from citybrain.simulate.people import DAYS, END, START, join_str

DEPARTMENTS = {
    "gongan": "公安局", "weijian": "卫生健康委员会", "minzheng": "民政局",
    "renshe": "人力资源和社会保障局", "scjg": "市场监督管理局", "jiaoyu": "教育局",
    "ziranziyuan": "自然资源和规划局（不动产登记中心）",
}


@dataclass(frozen=True)
class Field:
    """One column: name as delivered, Chinese label, type, data element, sensitivity."""

    name: str
    label: str
    type: str = "string"  # string | date | integer | decimal
    element: str = "none"  # id_card|uscc|phone|address|date|name|admin_code|amount|code|none
    sensitivity: str = "none"  # personal | sensitive | none


@dataclass(frozen=True)
class Spec:
    """A dataset as the catalog sees it."""

    id: str
    title: str
    format: str  # csv | xlsx | ndjson | json | sqlite
    encoding: str
    path: str
    cycle: str
    primary_key: list[str]
    fields: list[Field]
    table: str | None = None
    record_field: str | None = None
    title_en: str = ""


@dataclass
class Built:
    """Rows of one dataset before defects, and what the defects may use."""

    cols: dict[str, np.ndarray]
    identity: list[tuple[str, str, np.ndarray]]  # (role, entity_type, entity index per row)
    conditions: dict[tuple[str, str], np.ndarray] = field(default_factory=dict)
    stale: dict[str, np.ndarray] = field(default_factory=dict)
    #: per stale-able field, other fields and the values they keep on a row left stale: a
    #: department that did not record the move did not date it either
    stale_with: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)
    late_values: np.ndarray | None = None


def F(name: str, label: str, element: str = "none", type: str = "string",
      sensitivity: str | None = None) -> Field:
    """Field shorthand; personal elements default to the matching sensitivity."""
    if sensitivity is None:
        sensitivity = {"id_card": "sensitive", "phone": "personal", "name": "personal",
                       "address": "personal"}.get(element, "none")
    return Field(name, label, type, element, sensitivity)


def dstr(d: np.ndarray, style: str = "iso") -> np.ndarray:
    """Dates as strings (``iso`` 2024-01-31, ``compact`` 20240131, ``slash`` 2024/01/31)."""
    s = pa.array(np.datetime_as_string(d.astype("datetime64[D]"), unit="D"))
    s = pc.if_else(pc.equal(s, "NaT"), pa.scalar(None, pa.string()), s)
    if style == "compact":
        s = pc.replace_substring(s, "-", "")
    elif style == "slash":
        s = pc.replace_substring(s, "-", "/")
    return np.asarray(s.to_numpy(zero_copy_only=False), dtype=object)


def _days(rng: np.random.Generator, lo: int, hi: int, n: int) -> np.ndarray:
    return rng.integers(lo, hi, n).astype("timedelta64[D]")


def _obj(a):
    """Arrow arrays stay Arrow (cheap); defects convert only the columns they touch."""
    if isinstance(a, pa.ChunkedArray):
        return a.combine_chunks()
    if isinstance(a, pa.Array):
        return a
    return np.asarray(a, dtype=object)


def _sex(male: np.ndarray, style: str = "zh") -> np.ndarray:
    return np.where(male, "男", "女") if style == "zh" else np.where(male, "1", "2")


def _before_2000(P: dict, rows: np.ndarray) -> np.ndarray:
    return P["birth"][rows] < np.datetime64("2000-01-01")


def _alive_at(P: dict, day: np.datetime64) -> np.ndarray:
    return np.isnat(P["death"]) | (P["death"] > day)


# --------------------------------------------------------------------------- 公安
HUKOU = Spec(
    "gongan.hukou", "户籍人口登记信息", "csv", "GBK", "departments/gongan/hukou.csv", "daily",
    ["公民身份号码"],
    [F("户号", "户号", "code"), F("姓名", "姓名", "name"), F("性别", "性别"),
     F("民族", "民族"), F("公民身份号码", "公民身份号码", "id_card"),
     F("出生日期", "出生日期", "date", "date"), F("与户主关系", "与户主关系"),
     F("户籍地址", "户籍地址", "address"), F("登记日期", "登记日期", "date", "date"),
     F("人员状态", "人员状态"), F("变动日期", "变动日期", "date", "date")],
    record_field="登记日期", title_en="Household registration")


def build_hukou(rng: np.random.Generator, P: dict, C: dict, G: Geography) -> Built:
    rows = np.flatnonzero(P["local_hukou"])
    n = len(rows)
    role = P["role"][rows]
    male = P["male"][rows]
    relation = np.where(role == 0, "户主", np.where(role == 1, "配偶",
                                                    np.where(male, "子", "女")))
    birth = P["birth"][rows]
    first_reg = np.maximum(birth + _days(rng, 10, 60, n), np.datetime64("1995-07-01"))
    reg = first_reg.copy()
    moved = P["mover"][rows]
    reg[moved] = P["move_date"][rows][moved]
    dead = ~np.isnat(P["death"][rows])
    status = np.where(dead, "死亡注销", "正常")
    change = np.full(n, np.datetime64("NaT", "D"))
    change[moved] = P["move_date"][rows][moved]
    change[dead] = P["death"][rows][dead] + _days(rng, 3, 30, int(dead.sum()))
    # a row whose move was never registered (its address left stale) keeps its first
    # registration and no change date, unless a death was registered since
    unregistered = np.where(dead, change, np.datetime64("NaT", "D"))
    cols = {
        "户号": _obj(join_str("3702", pa.array(P["household"][rows] + 10_000_000))),
        "姓名": P["name"][rows].astype(object), "性别": _sex(male), "民族": P["ethnic"][rows],
        "公民身份号码": P["id_card"][rows].astype(object), "出生日期": dstr(birth, "compact"),
        "与户主关系": relation, "户籍地址": _obj(P["address"].take(pa.array(rows))),
        "登记日期": dstr(reg, "compact"), "人员状态": status,
        "变动日期": dstr(change, "compact"),
    }
    return Built(cols, [("subject", "person", rows)],
                 conditions={("公民身份号码", "legacy_15"): _before_2000(P, rows)},
                 stale={"户籍地址": _obj(P["prev_address"].take(pa.array(rows)))},
                 stale_with={"户籍地址": {"登记日期": dstr(first_reg, "compact"),
                                          "变动日期": dstr(unregistered, "compact")}})


RESIDENCE = Spec(
    "gongan.residence_permit", "流动人口居住证信息", "csv", "GB18030",
    "departments/gongan/residence_permit.csv", "weekly", ["居住证编号"],
    [F("居住证编号", "居住证编号", "code"), F("姓名", "姓名", "name"), F("性别", "性别"),
     F("证件号码", "公民身份号码", "id_card"), F("户籍地区划", "户籍地行政区划", "admin_code"),
     F("居住地址", "居住地址", "address"), F("联系电话", "联系电话", "phone"),
     F("签发日期", "签发日期", "date", "date"), F("有效期至", "有效期至", "date", "date")],
    record_field="签发日期", title_en="Residence permits of the floating population")


def build_residence(rng: np.random.Generator, P: dict, C: dict, G: Geography) -> Built:
    rows = np.flatnonzero(~P["local_hukou"] & (P["age"] >= 16) & _alive_at(P, START))
    n = len(rows)
    issued = START - _days(rng, 0, 365 * 3, n)
    cols = {
        "居住证编号": _obj(join_str("370200", pa.array(np.arange(n) + 24_000_001))),
        "姓名": P["name"][rows].astype(object), "性别": _sex(P["male"][rows]),
        "证件号码": P["id_card"][rows].astype(object),
        "户籍地区划": P["region"][rows].astype(str).astype(object),
        "居住地址": _obj(P["address"].take(pa.array(rows))),
        "联系电话": P["phone"][rows].astype(object),
        "签发日期": dstr(issued), "有效期至": dstr(issued + 365 * 3),
    }
    for k in ("联系电话",):
        cols[k][cols[k] == ""] = None
    return Built(cols, [("subject", "person", rows)],
                 stale={"居住地址": _obj(P["prev_address"].take(pa.array(rows)))},
                 late_values=dstr(issued + _days(rng, 120, 400, n)))


# --------------------------------------------------------------------------- 卫健
BIRTHS = Spec(
    "weijian.births", "出生医学证明信息", "ndjson", "UTF-8", "departments/weijian/births.ndjson",
    "daily", ["cert_no"],
    [F("cert_no", "出生医学证明编号", "code"), F("baby_name", "新生儿姓名", "name"),
     F("sex", "性别"), F("birth_date", "出生日期", "date", "date"),
     F("hospital", "助产机构"), F("mother_name", "母亲姓名", "name"),
     F("mother_id_card", "母亲身份证号", "id_card"), F("father_name", "父亲姓名", "name"),
     F("father_id_card", "父亲身份证号", "id_card"), F("address", "家庭住址", "address"),
     F("issued_at", "签发日期", "date", "date")],
    record_field="issued_at", title_en="Birth medical certificates")


def _parents(P: dict, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mother and father person index of children (-1 where absent): head and spouse."""
    hh_first = rows - P["role"][rows]
    a, b = hh_first, hh_first + 1
    has_b = P["household_size"][rows] >= 2
    b = np.where(has_b, b, -1)
    a_male = P["male"][a]
    mother = np.where(~a_male, a, np.where(has_b, b, -1))
    father = np.where(a_male, a, np.where(has_b, b, -1))
    return mother, father


def _pick(arr: np.ndarray, idx: np.ndarray) -> np.ndarray:
    out = arr[np.maximum(idx, 0)].astype(object)
    out[idx < 0] = None
    return out


def build_births(rng: np.random.Generator, P: dict, C: dict, G: Geography) -> Built:
    rows = np.flatnonzero(P["born_in_period"])
    n = len(rows)
    mother, father = _parents(P, rows)
    issued = P["birth"][rows] + _days(rng, 1, 20, n)
    cols = {
        "cert_no": _obj(join_str("Q", pa.array(np.arange(n) + 370_224_000_001))),
        "baby_name": P["name"][rows].astype(object), "sex": _sex(P["male"][rows]),
        "birth_date": dstr(P["birth"][rows]),
        "hospital": np.array(pools.HOSPITALS, dtype=object)[rng.integers(0, 9, n)],
        "mother_name": _pick(P["name"], mother), "mother_id_card": _pick(P["id_card"], mother),
        "father_name": _pick(P["name"], father), "father_id_card": _pick(P["id_card"], father),
        "address": _obj(P["address"].take(pa.array(rows))), "issued_at": dstr(issued),
    }
    ident = [("subject", "person", rows), ("mother", "person", mother),
             ("father", "person", father)]
    return Built(cols, ident, late_values=dstr(issued + _days(rng, 60, 300, n)))


DEATHS = Spec(
    "weijian.deaths", "居民死亡医学证明信息", "csv", "UTF-8", "departments/weijian/deaths.csv",
    "monthly", ["sfzh"],
    [F("xm", "姓名", "name"), F("xb", "性别"), F("sfzh", "身份证号", "id_card"),
     F("csrq", "出生日期", "date", "date"), F("swrq", "死亡日期", "date", "date"),
     F("swdd", "死亡地点"), F("gbsy", "根本死因(ICD-10)", "code"),
     F("hjdz", "户籍地址", "address"), F("tbrq", "填报日期", "date", "date")],
    record_field="tbrq", title_en="Death medical certificates")


def build_deaths(rng: np.random.Generator, P: dict, C: dict, G: Geography) -> Built:
    rows = np.flatnonzero(~np.isnat(P["death"]))
    n = len(rows)
    place = np.array(["医疗卫生机构", "家中", "其他场所"], dtype=object)[
        rng.choice(3, p=[0.55, 0.4, 0.05], size=n)]
    icd = np.array(["I21.9", "I63.9", "C34.9", "J44.9", "C16.9", "E11.9", "I10", "V89.2"],
                   dtype=object)[rng.integers(0, 8, n)]
    filed = P["death"][rows] + _days(rng, 0, 10, n)
    cols = {
        "xm": P["name"][rows].astype(object), "xb": _sex(P["male"][rows]),
        "sfzh": P["id_card"][rows].astype(object), "csrq": dstr(P["birth"][rows]),
        "swrq": dstr(P["death"][rows]), "swdd": place, "gbsy": icd,
        "hjdz": _obj(P["address"].take(pa.array(rows))), "tbrq": dstr(filed),
    }
    return Built(cols, [("subject", "person", rows)],
                 conditions={("sfzh", "legacy_15"): _before_2000(P, rows)},
                 late_values=dstr(filed + _days(rng, 45, 200, n)))


VACC = Spec(
    "weijian.vaccinations", "儿童预防接种记录", "csv", "UTF-8",
    "departments/weijian/vaccinations.csv", "daily", ["record_id"],
    [F("record_id", "接种记录编号", "code"), F("child_name", "受种者姓名", "name"),
     F("child_id", "受种者身份证号", "id_card"), F("sex", "性别"),
     F("birth_date", "出生日期", "date", "date"), F("vaccine", "疫苗名称"),
     F("dose", "剂次", type="integer"), F("vaccinated_on", "接种日期", "date", "date"),
     F("clinic", "接种单位")],
    record_field="vaccinated_on", title_en="Childhood vaccination records")

# (vaccine, dose, age in months) — the national immunisation schedule, simplified
SCHEDULE = [("乙肝疫苗", 1, 0), ("卡介苗", 1, 0), ("乙肝疫苗", 2, 1), ("脊灰疫苗", 1, 2),
            ("脊灰疫苗", 2, 3), ("百白破疫苗", 1, 3), ("百白破疫苗", 2, 4),
            ("脊灰疫苗", 3, 4), ("百白破疫苗", 3, 5), ("乙肝疫苗", 3, 6),
            ("A群流脑多糖疫苗", 1, 6), ("麻腮风疫苗", 1, 8), ("乙脑减毒活疫苗", 1, 8),
            ("A群流脑多糖疫苗", 2, 9), ("麻腮风疫苗", 2, 18), ("百白破疫苗", 4, 18),
            ("甲肝减毒活疫苗", 1, 18), ("乙脑减毒活疫苗", 2, 24),
            ("A群C群流脑多糖疫苗", 1, 36), ("脊灰疫苗", 4, 48), ("白破疫苗", 1, 72)]


def build_vaccinations(rng: np.random.Generator, P: dict, C: dict, G: Geography) -> Built:
    kids = np.flatnonzero(P["age"] <= 6)
    parts_rows, parts_vac, parts_dose, parts_date = [], [], [], []
    for vaccine, dose, months in SCHEDULE:
        due = P["birth"][kids] + np.timedelta64(months * 30, "D")
        given = due + _days(rng, 0, 21, len(kids))
        ok = (given <= END) & (np.isnat(P["death"][kids]) | (P["death"][kids] > given))
        ok &= rng.random(len(kids)) < 0.985  # a few missed doses
        parts_rows.append(kids[ok])
        parts_vac.append(np.full(ok.sum(), vaccine, dtype=object))
        parts_dose.append(np.full(ok.sum(), dose))
        parts_date.append(given[ok])
    rows = np.concatenate(parts_rows)
    order = np.lexsort((np.arange(len(rows)), np.concatenate(parts_date)))
    rows = rows[order]
    date = np.concatenate(parts_date)[order]
    n = len(rows)
    clinic = np.char.add(G.districts["name"][P["district_idx"][rows]],
                         "社区卫生服务中心预防接种门诊")
    cols = {
        "record_id": _obj(join_str("V", pa.array(np.arange(n) + 100_000_001))),
        "child_name": P["name"][rows].astype(object), "child_id": P["id_card"][rows].astype(object),
        "sex": _sex(P["male"][rows]), "birth_date": dstr(P["birth"][rows]),
        "vaccine": np.concatenate(parts_vac)[order], "dose": np.concatenate(parts_dose)[order],
        "vaccinated_on": dstr(date), "clinic": clinic.astype(object),
    }
    return Built(cols, [("subject", "person", rows)])


# --------------------------------------------------------------------------- 民政
MARRIAGES = Spec(
    "minzheng.marriages", "婚姻登记信息", "xlsx", "UTF-8", "departments/minzheng/marriages.xlsx",
    "monthly", ["登记证号"],
    [F("登记证号", "结婚/离婚证字号", "code"), F("业务类型", "业务类型"),
     F("登记日期", "登记日期", "date", "date"), F("男方姓名", "男方姓名", "name"),
     F("男方公民身份号码", "男方公民身份号码", "id_card"), F("女方姓名", "女方姓名", "name"),
     F("女方公民身份号码", "女方公民身份号码", "id_card"), F("登记机关", "登记机关")],
    record_field="登记日期", title_en="Marriage registrations")


def build_marriages(rng: np.random.Generator, P: dict, C: dict, G: Geography,
                    rate: float) -> Built:
    heads = np.flatnonzero((P["role"] == 0) & (P["household_size"] >= 2))
    young = heads[P["age"][heads] <= 38]
    k = round(rate * len(heads))
    pick = np.sort(rng.choice(young, size=min(k, len(young)), replace=False))
    old = heads[P["age"][heads] > 38]
    div = np.sort(rng.choice(old, size=min(max(1, k // 8), len(old)), replace=False))
    a = np.concatenate([pick, div])
    b = a + 1
    kind = np.array(["结婚登记"] * len(pick) + ["离婚登记"] * len(div), dtype=object)
    man = np.where(P["male"][a], a, b)
    woman = np.where(P["male"][a], b, a)
    n = len(a)
    day = START + _days(rng, 0, DAYS, n)
    order = np.lexsort((np.arange(n), day))
    man, woman, kind, day, a = man[order], woman[order], kind[order], day[order], a[order]
    office = np.char.add(G.districts["name"][P["district_idx"][a]], "民政局婚姻登记处")
    cols = {
        "登记证号": _obj(join_str(np.where(kind == "结婚登记", "J370200-2024-", "L370200-2024-"),
                              pa.array(np.arange(n) + 100_001))),
        "业务类型": kind, "登记日期": dstr(day),
        "男方姓名": P["name"][man].astype(object),
        "男方公民身份号码": P["id_card"][man].astype(object),
        "女方姓名": P["name"][woman].astype(object),
        "女方公民身份号码": P["id_card"][woman].astype(object), "登记机关": office.astype(object),
    }
    return Built(cols, [("husband", "person", man), ("wife", "person", woman)],
                 late_values=dstr(day + _days(rng, 40, 120, n)))


SUBSIDIES = Spec(
    "minzheng.subsidies", "最低生活保障及救助对象信息", "json", "UTF-8",
    "departments/minzheng/subsidies.json", "monthly", ["id"],
    [F("id", "救助编号", "code"), F("name", "姓名", "name"), F("id_card", "身份证号", "id_card"),
     F("address", "家庭住址", "address"), F("household_size", "保障人口", type="integer"),
     F("amount", "月保障金额(元)", "amount", "decimal"), F("type", "救助类别"),
     F("start_month", "起始年月", "date"), F("updated_at", "更新时间", "date", "date")],
    record_field="updated_at", title_en="Minimum living allowance and relief recipients")


def build_subsidies(rng: np.random.Generator, P: dict, C: dict, G: Geography) -> Built:
    heads = np.flatnonzero((P["role"] == 0) & _alive_at(P, START))
    w = np.where(P["age"][heads] >= 65, 3.0, 1.0)
    k = max(5, round(0.025 * len(heads)))
    rows = np.sort(rng.choice(heads, size=k, replace=False, p=w / w.sum()))
    kind = np.array(["城乡低保", "特困供养", "临时救助"], dtype=object)[
        rng.choice(3, p=[0.7, 0.15, 0.15], size=k)]
    hs = P["household_size"][rows]
    amount = np.round(hs * rng.uniform(600, 1100, k), 2)
    start = START - _days(rng, 0, 365 * 5, k)
    updated = START + _days(rng, 0, DAYS, k)
    cols = {
        "id": _obj(join_str("MZ", pa.array(np.arange(k) + 20_240_001))),
        "name": P["name"][rows].astype(object), "id_card": P["id_card"][rows].astype(object),
        "address": _obj(P["address"].take(pa.array(rows))), "household_size": hs,
        "amount": amount.astype(object), "type": kind,
        "start_month": np.array([s[:7] for s in dstr(start)], dtype=object),
        "updated_at": dstr(updated),
    }
    return Built(cols, [("subject", "person", rows)],
                 conditions={("id_card", "legacy_15"): _before_2000(P, rows)},
                 stale={"address": _obj(P["prev_address"].take(pa.array(rows)))},
                 late_values=dstr(updated + _days(rng, 60, 200, k)))
