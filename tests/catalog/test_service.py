"""Catalog service: manifest registration, versions, search, validation, lineage."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from citybrain.catalog import service
from citybrain.catalog.errors import DatasetNotFound, ManifestInvalid
from citybrain.catalog.schemas import DatasetCreate, DatasetUpdate, LineageEdge
from citybrain.errors import UnknownChoice
from citybrain.store.ops import session_scope
from citybrain.store.runtime import Stores


def entry(**over: object) -> DatasetCreate:
    values: dict = {
        "id": "minzheng.subsidies",
        "title": "最低生活保障对象",
        "publisher": "minzheng",
        "publisher_name": "民政局",
        "themes": ["SOCI"],
        "update_cycle": "monthly",
        "share_type": "conditional",
        "share_basis": "《社会救助暂行办法》",
        "fields": [
            {"name": "id", "label_zh": "救助编号", "data_element": "code"},
            {
                "name": "id_card",
                "label_zh": "身份证号",
                "data_element": "id_card",
                "sensitivity": "sensitive",
            },
            {"name": "amount", "label_zh": "保障金额", "type": "decimal", "data_element": "amount"},
        ],
        "primary_key": ["id"],
    }
    values.update(over)
    return DatasetCreate.model_validate(values)


def test_register_manifest_is_idempotent(stores: Stores, tiny_city: Path) -> None:
    with session_scope(stores.sessions) as s:
        first = service.register_manifest(s, tiny_city / "manifest.yaml")
    assert "gongan.hukou" in first.created and "renshe.si_insured" in first.created
    assert len(first.created) >= 13 and not first.updated
    with session_scope(stores.sessions) as s:
        again = service.register_manifest(s, tiny_city / "manifest.yaml")
        assert sorted(again.unchanged) == sorted(first.created)
        hukou = service.get_dataset(s, "gongan.hukou")
        assert hukou.version == 1 and len(service.versions(s, "gongan.hukou")) == 1
        assert hukou.distributions[0]["encoding"] == "GBK"
        # English titles come from the delivery, also for the feeds it names by path only
        assert hukou.title_en == "Household registration"
        assert service.get_dataset(s, "reports.citizen").title_en.startswith("Citizen reports")
        assert Path(hukou.distributions[0]["access_url"]).is_file()
        card = next(f for f in hukou.fields if f.data_element == "id_card")
        assert card.sensitivity == "sensitive" and card.security_grade == "important"
        assert hukou.security_grade == "important"
        assert hukou.share_type == "conditional" and "个人信息保护法" in hukou.share_basis
        assert hukou.open_type == "none" and hukou.access_rights == "NON_PUBLIC"
        assert any("GB 11643" in c for c in hukou.conforms_to)


def test_every_change_is_a_kept_version(stores: Stores) -> None:
    with session_scope(stores.sessions) as s:
        _, outcome = service.upsert_dataset(s, entry())
        assert outcome == "created"
        assert service.upsert_dataset(s, entry())[1] == "unchanged"
        _, outcome = service.upsert_dataset(s, entry(title="城乡低保对象"))
        assert outcome == "updated"
        service.update_dataset(
            s, "minzheng.subsidies", DatasetUpdate(open_type="conditional", note="开放评审通过")
        )
        service.withdraw_dataset(s, "minzheng.subsidies")
    with session_scope(stores.sessions) as s:
        versions = service.versions(s, "minzheng.subsidies")
        assert [v.version for v in versions] == [1, 2, 3, 4]
        assert versions[0].snapshot["title"] == "最低生活保障对象"
        assert versions[1].snapshot["title"] == "城乡低保对象"
        assert versions[2].snapshot["open_type"] == "conditional"
        assert versions[2].note == "开放评审通过"
        assert versions[3].snapshot["status"] == "withdrawn"
        assert [f["name"] for f in versions[0].snapshot["fields"]] == ["id", "id_card", "amount"]
        assert service.search(s)[1] == 0  # withdrawn entries are hidden by default
        assert service.search(s, include_withdrawn=True)[1] == 1
        # registering it again brings it back as a new version
        service.upsert_dataset(s, entry(title="城乡低保对象", open_type="conditional"))
        assert service.get_dataset(s, "minzheng.subsidies").version == 5


def test_search_by_keyword_department_theme_grade(stores: Stores, tiny_city: Path) -> None:
    with session_scope(stores.sessions) as s:
        service.register_manifest(s, tiny_city / "manifest.yaml")
        ids = lambda page: {d.id for d in page[0]}  # noqa: E731
        assert "weijian.births" in ids(service.search(s, q="出生"))
        assert "gongan.hukou" in ids(service.search(s, q="公民身份号码"))  # a field label
        assert ids(service.search(s, publisher="gongan")) == {
            "gongan.hukou",
            "gongan.residence_permit",
        }
        assert ids(service.search(s, publisher="公安局")) == ids(
            service.search(s, publisher="gongan")
        )
        assert "jiaoyu.enrolment" in ids(service.search(s, theme="EDUC"))
        assert "scjg.company_register" not in ids(service.search(s, theme="EDUC"))
        assert "jiaoyu.enrolment" in ids(service.search(s, theme="educ"))
        with pytest.raises(UnknownChoice, match="EDUC"):  # names the themes, not "no results"
            service.search(s, theme="EDUCATION")
        important = ids(service.search(s, grade="important"))
        assert "gongan.hukou" in important and "perception.devices" not in important
        assert "perception.devices" in ids(service.search(s, grade="general"))
        assert service.search(s, q="no-such-word-xyz")[1] == 0
        assert service.search(s, q="100%_")[1] == 0  # LIKE wildcards are escaped


def test_validation_rejects_bad_entries() -> None:
    with pytest.raises(ValidationError, match="unknown data element"):
        entry(fields=[{"name": "x", "data_element": "passport_number"}])
    with pytest.raises(ValidationError, match="share_basis"):
        entry(share_basis="")
    with pytest.raises(ValidationError, match="not declared"):
        entry(primary_key=["nope"])
    with pytest.raises(ValidationError):
        entry(themes=["NOPE"])
    entry(share_type="unconditional", share_basis="")  # unconditional needs no basis


def test_lineage_edges_are_recorded_once(stores: Stores) -> None:
    edge = LineageEdge(
        source_layer="curated",
        source_dataset="gongan__hukou",
        source_field="公民身份号码",
        target_layer="registry",
        target_dataset="population",
        target_field="id_card",
        transform="standardised",
        recorded_by="fusion",
    )
    with session_scope(stores.sessions) as s:
        assert service.record_lineage(s, [edge, edge]) == 1
        assert service.record_lineage(s, [edge]) == 0
        found = service.lineage(s, "population")
        assert [(e.source_field, e.target_field) for e in found] == [("公民身份号码", "id_card")]


def test_unknown_dataset_and_bad_manifest(stores: Stores, tmp_path: Path) -> None:
    with session_scope(stores.sessions) as s:
        with pytest.raises(DatasetNotFound):
            service.get_dataset(s, "nope.nothing")
        bad = tmp_path / "manifest.yaml"
        bad.write_text("datasets:\n  - id: x.y\n    title: t\n", encoding="utf-8")
        with pytest.raises(ManifestInvalid) as info:
            service.register_manifest(s, bad)
        assert info.value.message_zh and "x.y" in info.value.message_en
        with pytest.raises(ManifestInvalid):
            service.register_manifest(s, tmp_path / "missing.yaml")


def test_dcat_export(stores: Stores) -> None:
    with session_scope(stores.sessions) as s:
        dataset, _ = service.upsert_dataset(s, entry())
        doc = service.dcat(dataset)
    assert doc["@type"] == "dcat:Dataset"
    assert doc["dct:accrualPeriodicity"].endswith("/frequency/MONTHLY")
    assert doc["cb:shareType"] == "conditional" and doc["cb:securityGrade"] == "important"
    assert len(doc["cb:fields"]) == 3
