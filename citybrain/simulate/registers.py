"""Datasets of 人社, 市场监管, 教育 and 不动产 (see :mod:`datasets` for the shared types)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from citybrain.simulate import pools
from citybrain.simulate.datasets import (
    Built,
    F,
    Spec,
    _alive_at,
    _before_2000,
    _days,
    _obj,
    _parents,
    _pick,
    _sex,
    dstr,
)
from citybrain.simulate.geo import Geography
from citybrain.simulate.people import START, join_str

# --------------------------------------------------------------------------- 人社 (SQLite)
# Column codes follow the 金保工程 convention the social-insurance systems use.
SI_INSURED = Spec(
    "renshe.si_insured", "社会保险参保人员信息", "sqlite", "UTF-8",
    "departments/renshe/renshe.db", "daily", ["aac001"],
    [F("aac001", "个人编号", "code"), F("aac002", "公民身份号码", "id_card"),
     F("aac003", "姓名", "name"), F("aac004", "性别(1男2女)"),
     F("aac006", "出生日期", "date", "date"), F("aab001", "单位编号", "code"),
     F("aab003", "单位统一社会信用代码", "uscc"), F("aac008", "参保状态"),
     F("aae030", "参保日期", "date", "date"), F("aae005", "联系电话", "phone")],
    table="si_insured", title_en="Social insurance insured persons")
SI_CONTRIB = Spec(
    "renshe.si_contribution", "社会保险缴费明细", "sqlite", "UTF-8",
    "departments/renshe/renshe.db", "monthly", ["aac001", "aae002"],
    [F("aac001", "个人编号", "code"), F("aac002", "公民身份号码", "id_card"),
     F("aae002", "费款所属期", "date"), F("aab001", "单位编号", "code"),
     F("aic020", "缴费基数(元)", "amount", "decimal"),
     F("amount", "个人缴费金额(元)", "amount", "decimal"),
     F("aae036", "到账日期", "date", "date")],
    table="si_contribution", title_en="Social insurance contributions")


def _insured_rows(P: dict) -> np.ndarray:
    working = P["employer"] >= 0
    retired = (P["age"] > 60) & (P["household"] % 10 < 7)
    return np.flatnonzero(working | retired)


def build_si_insured(rng: np.random.Generator, P: dict, C: dict, G: Geography) -> Built:
    rows = _insured_rows(P)
    n = len(rows)
    emp = P["employer"][rows]
    working = emp >= 0
    status = np.where(working, "在职参保", "离退休")
    status = np.where(~np.isnat(P["death"][rows]), "终止参保", status)
    since = np.maximum(P["birth"][rows] + np.timedelta64(365 * 20, "D") + _days(rng, 0, 3000, n),
                       np.datetime64("1996-01-01"))
    since = np.minimum(since, START + _days(rng, 0, 300, n))
    cols = {
        "aac001": _obj(join_str("37020", pa.array(rows + 10_000_000))),
        "aac002": P["id_card"][rows].astype(object), "aac003": P["name"][rows].astype(object),
        "aac004": _sex(P["male"][rows], "code"), "aac006": dstr(P["birth"][rows], "compact"),
        "aab001": _pick(np.char.add("D", C["company_id"]), emp),
        "aab003": _pick(C["uscc"], emp), "aac008": status,
        "aae030": dstr(since, "compact"), "aae005": P["phone"][rows].astype(object),
    }
    cols["aae005"][cols["aae005"] == ""] = None
    ident = [("subject", "person", rows), ("employer", "company", emp)]
    return Built(cols, ident, conditions={("aac002", "legacy_15"): _before_2000(P, rows)})


def build_si_contribution(rng: np.random.Generator, P: dict, C: dict, G: Geography) -> Built:
    rows0 = np.flatnonzero(P["employer"] >= 0)
    base = np.round(rng.lognormal(8.6, 0.35, len(rows0)), 0)
    base = np.clip(base, 4_200, 30_000)
    months = np.arange(12)
    rows = np.repeat(rows0, 12)
    month = np.tile(months, len(rows0))
    bases = np.repeat(base, 12)
    first_day = (np.datetime64("2024-01", "M") + month).astype("datetime64[D]")
    keep = np.isnat(P["death"][rows]) | (P["death"][rows] > first_day)
    rows, month, bases, first_day = rows[keep], month[keep], bases[keep], first_day[keep]
    n = len(rows)
    period = (202401 + month).astype(str)
    cols = {
        "aac001": _obj(join_str("37020", pa.array(rows + 10_000_000))),
        "aac002": P["id_card"][rows], "aae002": period,
        "aab001": np.char.add("D", C["company_id"][P["employer"][rows]]),
        "aic020": bases, "amount": np.round(bases * 0.08, 2),
        "aae036": dstr(first_day + _days(rng, 10, 25, n), "compact"),
    }
    return Built(cols, [("subject", "person", rows)])


# --------------------------------------------------------------------------- 市场监管
COMPANY_REGISTER = Spec(
    "scjg.company_register", "市场主体登记信息", "csv", "UTF-8",
    "departments/scjg/company_register.csv", "daily", ["统一社会信用代码"],
    [F("统一社会信用代码", "统一社会信用代码", "uscc"), F("企业名称", "企业名称", "name",
                                                  sensitivity="none"),
     F("企业类型", "企业类型"), F("法定代表人", "法定代表人", "name"),
     F("法定代表人证件号码", "法定代表人证件号码", "id_card"),
     F("注册资本", "注册资本(万元)", "amount", "decimal"),
     F("成立日期", "成立日期", "date", "date"), F("登记状态", "登记状态"),
     F("注销吊销日期", "注销/吊销日期", "date", "date"),
     F("住所", "住所", "address", sensitivity="none"),
     F("行业门类", "国民经济行业门类(GB/T 4754)", "code"), F("登记机关", "登记机关")],
    record_field="成立日期", title_en="Market entity registrations")


def build_company_register(rng: np.random.Generator, P: dict, C: dict, G: Geography) -> Built:
    n = len(C["company_id"])
    rows = np.arange(n)
    rep = C["legal_rep"]
    kind = np.where(C["form"] == "合伙企业", "合伙企业",
                    np.where(C["form"] == "股份有限公司", "股份有限公司(非上市)",
                             "有限责任公司(自然人投资或控股)"))
    cols = {
        "统一社会信用代码": C["uscc"].astype(object), "企业名称": C["name"].astype(object),
        "企业类型": kind.astype(object), "法定代表人": P["name"][rep].astype(object),
        "法定代表人证件号码": P["id_card"][rep].astype(object),
        "注册资本": C["capital_wan"].astype(object), "成立日期": dstr(C["established"]),
        "登记状态": C["status"].astype(object), "注销吊销日期": dstr(C["closed"]),
        "住所": _obj(C["address"]),
        "行业门类": np.array([i[0] for i in pools.INDUSTRIES], dtype=object)[C["industry"]],
        "登记机关": np.char.add(G.districts["name"][C["district_idx"]], "市场监督管理局").astype(
            object),
    }
    return Built(cols, [("subject", "company", rows), ("legal_rep", "person", rep)])


ANNUAL = Spec(
    "scjg.annual_reports", "企业年度报告信息", "ndjson", "UTF-8",
    "departments/scjg/annual_reports.ndjson", "yearly", ["uscc", "report_year"],
    [F("uscc", "统一社会信用代码", "uscc"), F("name", "企业名称"),
     F("report_year", "报告年度", type="integer"), F("employees", "从业人数", type="integer"),
     F("phone", "企业联系电话", "phone"), F("address", "通信地址", "address", sensitivity="none"),
     F("revenue_wan", "营业总收入(万元)", "amount", "decimal"),
     F("submitted_at", "报送日期", "date", "date")],
    record_field="submitted_at", title_en="Company annual reports")


def build_annual(rng: np.random.Generator, P: dict, C: dict, G: Geography) -> Built:
    rows = np.flatnonzero((C["established"] < START) & (C["status"] == "存续"))
    n = len(rows)
    sub = START + _days(rng, 0, 181, n)  # reports for 2023 are due by 30 June 2024
    emp = C["employees"][rows] + rng.integers(-2, 3, n)
    cols = {
        "uscc": C["uscc"][rows].astype(object), "name": C["name"][rows].astype(object),
        "report_year": np.full(n, 2023), "employees": np.maximum(emp, 0),
        "phone": P["phone"][C["legal_rep"][rows]].astype(object),
        "address": _obj(C["address"].take(pa.array(rows))),
        "revenue_wan": np.round(C["capital_wan"][rows] * rng.lognormal(0, 0.8, n), 2).astype(
            object),
        "submitted_at": dstr(sub),
    }
    return Built(cols, [("subject", "company", rows)],
                 late_values=dstr(np.datetime64("2024-07-01") + _days(rng, 1, 150, n)))


# --------------------------------------------------------------------------- 教育
ENROLMENT = Spec(
    "jiaoyu.enrolment", "中小学生学籍信息", "csv", "UTF-8", "departments/jiaoyu/enrolment.csv",
    "quarterly", ["xjh"],
    [F("xjh", "全国学籍号", "code", sensitivity="personal"), F("xsxm", "学生姓名", "name"),
     F("xb", "性别"), F("sfzjh", "身份证件号", "id_card"), F("csrq", "出生日期", "date", "date"),
     F("xxmc", "学校名称"), F("nj", "年级", type="integer"),
     F("jtzz", "家庭住址", "address"), F("jhrxm", "监护人姓名", "name"),
     F("jhrdh", "监护人电话", "phone")], title_en="Primary and secondary school enrolment")


def build_enrolment(rng: np.random.Generator, P: dict, C: dict, G: Geography) -> Built:
    rows = np.flatnonzero((P["age"] >= 6) & (P["age"] <= 14) & _alive_at(P, START)
                          & (P["role"] >= 2))
    n = len(rows)
    grade = P["age"][rows] - 5
    mother, father = _parents(P, rows)
    guardian = np.where(mother >= 0, mother, father)
    dname = G.districts["name"][P["district_idx"][rows]]
    prim = np.array(pools.SCHOOLS_PRIMARY)[rng.integers(0, len(pools.SCHOOLS_PRIMARY), n)]
    mid = np.array(pools.SCHOOLS_MIDDLE)[rng.integers(0, len(pools.SCHOOLS_MIDDLE), n)]
    school = np.char.add(np.char.add("青岛市", dname), np.where(grade <= 6, prim, mid))
    cols = {
        "xjh": _obj(join_str("G", pa.array(P["id_card"][rows]))),
        "xsxm": P["name"][rows].astype(object), "xb": _sex(P["male"][rows]),
        "sfzjh": P["id_card"][rows].astype(object), "csrq": dstr(P["birth"][rows], "slash"),
        "xxmc": school.astype(object), "nj": grade,
        "jtzz": _obj(P["address"].take(pa.array(rows))),
        "jhrxm": _pick(P["name"], guardian), "jhrdh": _pick(P["phone"], guardian),
    }
    return Built(cols, [("subject", "person", rows), ("guardian", "person", guardian)],
                 stale={"jtzz": _obj(P["prev_address"].take(pa.array(rows)))})


# --------------------------------------------------------------------------- 不动产
PROPERTY = Spec(
    "ziranziyuan.property_register", "不动产登记（房屋所有权）信息", "csv", "GB18030",
    "departments/ziranziyuan/property_register.csv", "weekly", ["不动产权证号", "证件号码"],
    [F("不动产权证号", "不动产权证号", "code"), F("权利人", "权利人", "name"),
     F("证件号码", "证件号码", "id_card"), F("坐落", "坐落", "address"),
     F("建筑面积", "建筑面积(平方米)", "amount", "decimal"), F("共有情况", "共有情况"),
     F("登记日期", "登记日期", "date", "date")],
    record_field="登记日期", title_en="Real estate (building ownership) registrations")


def build_property(rng: np.random.Generator, P: dict, C: dict, G: Geography) -> Built:
    heads = np.flatnonzero((P["role"] == 0) & (P["age"] >= 22))
    owns = heads[rng.random(len(heads)) < 0.68]
    joint = owns[(P["household_size"][owns] >= 2) & (rng.random(len(owns)) < 0.5)]
    rows = np.sort(np.concatenate([owns, joint + 1]))
    head = rows - P["role"][rows]
    is_joint = np.isin(head, joint)
    area = np.round(rng.normal(95, 25, len(P["age"])).clip(35, 260), 2)[head]
    reg = START - _days(rng, 30, 365 * 20, len(P["age"]))[head]
    mover = P["mover"][rows]
    reg[mover] = P["move_date"][rows][mover]
    cert_no = join_str("鲁(2024)青岛市不动产权第", pa.array(head % 10_000_000 + 1_000_000), "号")
    cols = {
        "不动产权证号": _obj(cert_no), "权利人": P["name"][rows].astype(object),
        "证件号码": P["id_card"][rows].astype(object),
        "坐落": _obj(join_str("山东省青岛市", P["address"].take(pa.array(rows)))),
        "建筑面积": area.astype(object),
        "共有情况": np.where(is_joint, "共同共有", "单独所有").astype(object),
        "登记日期": dstr(reg),
    }
    return Built(cols, [("subject", "person", rows)],
                 conditions={("证件号码", "legacy_15"): _before_2000(P, rows)})


