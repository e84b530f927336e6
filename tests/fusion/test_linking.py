"""Chinese-aware comparisons through the standalone linker (``fusion link``)."""

from __future__ import annotations

import random
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pytest

from citybrain.fusion import features, service

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红"


def _check(body: str) -> str:
    w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return body + "10X98765432"[sum(int(c) * x for c, x in zip(body, w, strict=True)) % 11]


def _background(n: int = 300) -> list[dict[str, str | None]]:
    rnd = random.Random(3)
    rows = []
    for i in range(n):
        name = rnd.choice(SURNAMES) + "".join(rnd.choices(GIVEN, k=rnd.choice((1, 2))))
        birth = f"19{rnd.randint(50, 99)}{rnd.randint(1, 12):02d}{rnd.randint(1, 28):02d}"
        sex = rnd.choice("12")
        idn = _check(f"370202{birth}{rnd.randint(10, 99)}{int(sex) % 2 if sex == '1' else 2}")
        addr = (f"市南区香港中路{rnd.randint(1, 9)}号{rnd.randint(1, 5)}号楼"
                f"{rnd.randint(101, 909)}室")
        for src in ("gongan", "renshe"):
            rows.append({"record_id": f"{src}-{i}", "source": src, "name": name,
                         "id_number": idn, "birth_date": birth,
                         "sex": "男" if idn[16] in "13579" else "女", "address": addr,
                         "phone": None})
    return rows


def _link(extra: list[dict[str, str | None]]) -> dict[str, tuple[str, str | None]]:
    rows = _background() + extra
    cols = service.LINK_COLUMNS["person"]
    table = pa.table({c: pa.array([r.get(c) for r in rows], pa.string()) for c in cols})
    out = service.link_table(table, "person")
    return {r["record_id"]: (r["cluster_id"], r["unlinked_reason"]) for r in out.to_pylist()}


BASE = {"source": "gongan", "birth_date": "19800506", "sex": "男",
        "address": "市北区辽宁路8号2号楼1单元301室", "phone": None}


def test_homophone_pair_matches() -> None:
    idn = _check("37020319800506351")
    res = _link([
        {**BASE, "record_id": "a", "name": "王建国", "id_number": idn},
        # another department: homophone surname (王→汪), ID missing
        {**BASE, "record_id": "b", "source": "minzheng", "name": "汪建国", "id_number": None},
    ])
    py = features.name_features
    assert py("王建国")["name_py"] == py("汪建国")["name_py"]
    assert res["a"][0] == res["b"][0]


def test_homophone_at_the_same_flat_matches_without_a_birth_date() -> None:
    # a pupil's guardian (name, flat, phone; no ID, no birth date) written with a homophone
    # of the parent's name: the reading and the flat carry it, as rare as each is by count
    idn = _check("37020319780122142")
    res = _link([
        {**BASE, "record_id": "hukou", "name": "孟琳悦", "id_number": idn, "sex": "女",
         "birth_date": "19780122"},
        {"record_id": "guardian", "source": "jiaoyu", "name": "孟琳月",
         "address": BASE["address"], "phone": "14711810682"},
    ])
    assert res["guardian"][0] == res["hukou"][0]


def test_traditional_pair_matches() -> None:
    idn = _check("37020319800506371")
    res = _link([
        {**BASE, "record_id": "a", "name": "张丽华", "id_number": idn, "sex": "女"},
        # traditional characters and a wrong check digit
        {**BASE, "record_id": "b", "name": "張麗華", "sex": "女",
         "id_number": idn[:17] + ("0" if idn[17] != "0" else "1")},
    ])
    assert res["a"][0] == res["b"][0]


def test_heteronym_reading_is_known() -> None:
    assert "shan xiong" in features.name_features("单雄")["name_pys"]


def test_company_names_agree_across_bracket_widths_and_scripts() -> None:
    key = features.company_name_key
    expected = "青岛海尔(集团)有限公司"
    assert key("青岛海尔（集团）有限公司") == key("青島海爾(集團) 有限公司") == expected


def test_twins_same_address_and_birth_do_not_merge() -> None:
    t1, t2 = _check("37020320150301201"), _check("37020320150301221")
    twin = {**BASE, "birth_date": "20150301", "address": "市北区辽宁路8号2号楼1单元302室"}
    res = _link([
        {**twin, "record_id": "t1", "name": "李子涵", "id_number": t1, "sex": "女"},
        {**twin, "record_id": "t2", "name": "李子萱", "id_number": t2, "sex": "女"},
        # each twin again in a second source without an ID
        {**twin, "record_id": "t1b", "source": "weijian", "name": "李子涵", "id_number": None,
         "sex": "女"},
        {**twin, "record_id": "t2b", "source": "weijian", "name": "李子萱", "id_number": None,
         "sex": "女"},
    ])
    assert res["t1"][0] != res["t2"][0]
    assert res["t1b"][0] == res["t1"][0]
    assert res["t2b"][0] == res["t2"][0]


def test_name_only_rows_stay_unlinked_with_reason() -> None:
    idn = _check("37020319800506391")
    res = _link([
        {**BASE, "record_id": "full", "name": "赵明远", "id_number": idn},
        {"record_id": "n1", "source": "x", "name": "赵明远"},
        {"record_id": "n2", "source": "y", "name": "赵明远"},
    ])
    assert res["n1"][1] == "name_only" and res["n2"][1] == "name_only"
    assert len({res["n1"][0], res["n2"][0], res["full"][0]}) == 3


def test_link_file_roundtrip(tmp_path: Path) -> None:
    rows = _background(50)
    cols = service.LINK_COLUMNS["person"]
    path = tmp_path / "in.csv"
    pacsv.write_csv(pa.table({c: pa.array([r.get(c) for r in rows], pa.string())
                              for c in cols}), path)
    counts = service.link_file(path, "person", tmp_path / "out.csv")
    out = pacsv.read_csv(tmp_path / "out.csv").to_pylist()
    assert counts["records"] == 100 and counts["clusters"] == 50
    by_id = {r["record_id"]: r["cluster_id"] for r in out}
    assert all(by_id[f"gongan-{i}"] == by_id[f"renshe-{i}"] for i in range(50))


def test_company_link() -> None:
    cols = service.LINK_COLUMNS["company"]
    rows = [
        {"record_id": "1", "source": "scjg", "name": "青岛宝诚机械制造有限公司",
         "uscc": "91370211MAUTGBHH2X", "legal_rep": "徐阳伟", "address": None},
        {"record_id": "2", "source": "nb", "name": "青岛寶誠機械製造有限公司",
         "uscc": "91370211MAUTGBHH2Y", "legal_rep": None, "address": None},
        {"record_id": "3", "source": "scjg", "name": "青岛海信农业科技合伙企业",
         "uscc": "91370213MAKKKX5X2Q", "legal_rep": "吕志国", "address": None},
    ]
    out = service.link_table(pa.table({c: pa.array([r[c] for r in rows], pa.string())
                                       for c in cols}), "company")
    ids = {r["record_id"]: r["cluster_id"] for r in out.to_pylist()}
    assert ids["1"] == ids["2"] != ids["3"]


def test_missing_record_id_is_rejected() -> None:
    with pytest.raises(Exception) as e:
        service.link_table(pa.table({"name": ["王伟"]}), "person")
    assert "record_id" in str(e.value)


def test_exact_match_u_is_counted_from_value_frequencies(monkeypatch) -> None:
    """u of "same name / homophone / flat / phone" is the share of profile pairs holding the
    same value (among pairs the comparison is not null for): at city scale random sampling
    sees none."""
    import duckdb

    from citybrain.fusion import matching

    profiles = pa.table({
        "name_s": ["王伟", "王伟", "王伟", "李娜", None, "汪伟"],
        "name_py": ["wang wei", "wang wei", "wang wei", "li na", None, "wang wei"],
        "building_id": ["B1", "B1", "B2", None, "B3", None],
        "room_key": ["B1|1|101", "B1|1|101", None, None, "B3|1|1", None],
        "phone_n": ["13800000000", None, None, None, None, None],
    })
    # a file this small is no population: what it counts is capped (below)
    assert matching._counted_u(duckdb.connect(), profiles)["name"] == matching.U_CEILING["name"]
    monkeypatch.setattr(matching, "U_CEILING", dict.fromkeys(matching.U_CEILING, 1.0))
    u = matching._counted_u(duckdb.connect(), profiles)
    assert u["name"] == 6 / (5 * 4)  # 王伟 three times: 6 ordered pairs of 20
    # same reading, other characters: 12 ordered pairs read "wang wei", 6 of them 王伟 = 王伟
    assert u["homophone"] == 6 / (5 * 4)
    assert u["address"] == 2 / (4 * 3)  # one shared flat among 4 profiles with a building
    assert "phone" not in u  # a single phone: no pair to count


def test_clusters_do_not_depend_on_the_input_row_order() -> None:
    """Profiles are numbered by their hash, not by where they first appear, and Splink sees
    them in that order: shuffling the input changes no link (cluster names follow each
    cluster's first row, so only the grouping is compared)."""
    idn = _check("37020319800506351")
    rows = _background(120) + [
        {**BASE, "record_id": "a", "name": "王建国", "id_number": idn},
        {**BASE, "record_id": "b", "source": "minzheng", "name": "汪建国", "id_number": None},
        {**BASE, "record_id": "c", "source": "weijian", "name": "王建国", "id_number": None,
         "phone": "13800138000"},
    ]
    cols = service.LINK_COLUMNS["person"]

    def groups(order: list[dict[str, str | None]]) -> set[frozenset[str]]:
        table = pa.table({c: pa.array([r.get(c) for r in order], pa.string()) for c in cols})
        by_cluster: dict[str, set[str]] = {}
        for r in service.link_table(table, "person").to_pylist():
            by_cluster.setdefault(r["cluster_id"], set()).add(r["record_id"])
        return {frozenset(g) for g in by_cluster.values()}

    shuffled = rows[:]
    random.Random(11).shuffle(shuffled)
    assert groups(rows) == groups(shuffled)
    assert frozenset({"a", "b", "c"}) in groups(rows)


def test_a_record_follows_the_unanchored_record_it_matches_to_its_person() -> None:
    # a guardian listed twice with one phone: once at the parent's flat, once at another
    # address; only the first matches the parent's ID-bearing record, the second matches the
    # first (name + phone) and follows it instead of being counted as a second person
    idn = _check("37020319800506391")
    guardian = {"source": "jiaoyu", "birth_date": None, "sex": None, "id_number": None,
                "name": "赵明远", "phone": "13905321234"}
    # other guardians with phones: a phone shared by two records is then the rare thing it is
    others = [{**guardian, "record_id": f"o{i}", "name": f"钱{GIVEN[i % 20]}{GIVEN[i // 20]}",
               "phone": f"1380532{i:04d}", "address": f"市南区山东路{i}号1号楼101室"}
              for i in range(200)]
    res = _link([*others,
        {**BASE, "record_id": "hukou", "name": "赵明远", "id_number": idn},
        {**guardian, "record_id": "g1", "address": BASE["address"]},
        {**guardian, "record_id": "g2", "address": "崂山区松岭路3号1号楼2单元501室"},
    ])
    assert res["g1"][0] == res["hukou"][0]
    assert res["g2"][0] == res["hukou"][0]
    assert res["g2"][1] is None


def test_a_small_file_links_on_a_citys_u() -> None:
    """Three records: too few to learn u from (sampled, birth date and sex agreed in every
    pair: u = 1, no evidence), so a small input takes a city's u; the two records of one
    person by name, birth date, sex and phone link, the name-only row stays alone."""
    rows = [
        {"record_id": "1", "source": "a", "name": "王玥", "birth_date": "19900101", "sex": "女",
         "address": "市南区香港中路10号", "phone": "13912345678"},
        {"record_id": "2", "source": "b", "name": "王玥", "birth_date": "1990-01-01", "sex": "女",
         "address": "香港中路10号", "phone": "139-1234-5678"},
        {"record_id": "3", "source": "c", "name": "张三"},
        # same name and sex, nothing else shared: a namesake, not the same person
        {"record_id": "4", "source": "c", "name": "王玥", "birth_date": "19950505", "sex": "女"},
    ]
    cols = service.LINK_COLUMNS["person"]
    table = pa.table({c: pa.array([r.get(c) for r in rows], pa.string()) for c in cols})
    out = {r["record_id"]: r for r in service.link_table(table, "person").to_pylist()}
    assert out["1"]["cluster_id"] == out["2"]["cluster_id"]
    assert out["3"]["unlinked_reason"] == "name_only"
    assert out["4"]["cluster_id"] != out["1"]["cluster_id"]


def test_link_file_reads_a_gbk_csv(tmp_path: Path) -> None:
    """A department's spreadsheet export is GBK as often as UTF-8."""
    text = ("record_id,source,name,birth_date,sex,phone\n"
            "1,a,王玥,19900101,女,13912345678\n2,b,王玥,1990-01-01,女,13912345678\n")
    src = tmp_path / "gbk.csv"
    src.write_bytes(text.encode("gbk"))
    out = tmp_path / "out.csv"
    totals = service.link_file(src, "person", out)
    assert totals == {"records": 2, "clusters": 1, "unlinked": 0}


def test_a_small_company_file_links_on_typical_weights() -> None:
    """Two registrations of one company without a credit code, same name and legal
    representative, in a file of four: linked; another company with another name is not."""
    haiqing, shanda = "青岛海晴信息技术有限公司", "青岛山达商务咨询有限公司"
    machinery = "青岛山达机械制造有限公司"
    rows = [
        {"record_id": "1", "source": "a", "name": haiqing, "legal_rep": "杨超志",
         "address": "黄岛区武昌路4号2号楼906室"},
        {"record_id": "2", "source": "b", "name": haiqing, "legal_rep": "杨超志"},
        {"record_id": "3", "source": "c", "name": shanda, "legal_rep": "余桂敏"},
        {"record_id": "4", "source": "c", "name": machinery, "legal_rep": "杨超志"},
    ]
    cols = service.LINK_COLUMNS["company"]
    table = pa.table({c: pa.array([r.get(c) for r in rows], pa.string()) for c in cols})
    out = {r["record_id"]: r["cluster_id"]
           for r in service.link_table(table, "company").to_pylist()}
    assert out["1"] == out["2"]
    assert len({out["1"], out["3"], out["4"]}) == 3


def test_company_model_counts_the_representatives_u_and_fixes_every_m() -> None:
    """A legal representative is a person's name: its u is counted like the person model's
    (random pairs never share one at scale), and no level of the model is left untrained."""
    import duckdb

    from citybrain.fusion import matching

    profiles = pa.table({
        "rep_s": ["杨超志"] * 2 + [f"代表{i}" for i in range(2000)],
        "rep_py": ["yang chao zhi"] * 2 + [f"dai biao {i}" for i in range(2000)],
        "phone_n": [None] * 2002,
    })
    u = matching._counted_u(duckdb.connect(), profiles, matching.COMPANY_COUNTED_U)
    assert u["rep"] == 2 / (2002 * 2001)
    settings = matching._company_settings(1e-4, u).get_settings("duckdb").as_dict()
    for comparison in settings["comparisons"]:
        for level in comparison["comparison_levels"]:
            if not level.get("is_null_level"):
                assert level.get("fix_m_probability"), (comparison["output_column_name"], level)
