from __future__ import annotations

from citybrain.privacy import mask_identifier, mask_row, mask_tree


def test_identifier_fields_are_masked_whatever_their_shape() -> None:
    assert mask_identifier("37020219900101123X") == "370202********123X"
    assert mask_identifier("3702021990010112") == "370202******0112"  # damaged: 16 digits
    assert mask_identifier("13812345678") == "138****5678"
    assert mask_identifier("bad") == "bad"
    assert mask_identifier("G370283200906137970") == "G370283********7970"  # 全国学籍号
    assert mask_identifier(None) == ""


def test_a_row_keeps_what_locates_it_and_masks_who_it_is() -> None:
    row = {"pid": "P0000000001", "id": "37020219900101123", "phone": "13812345678",
           "_reason": "same as 37020219900101123X", "_row": 7, "name": "张三"}
    assert mask_row(row, ["id", "phone"]) == {
        "pid": "P0000000001", "id": "370202*******1123", "phone": "138****5678",
        "_reason": "same as 370202********123X", "_row": 7, "name": "张三",
    }


def test_a_lookup_tree_is_masked_at_every_depth() -> None:
    person = {
        "record": {"person_id": "P000000001", "id_number": "37020219900101123X",
                   "id_number_source": {"dataset": "gongan.hukou", "row": 3}, "phone": None},
        "sources": [{"id_number": "3702021990010112", "phone": "13812345678", "row": 1},
                    {"id_number": None, "note": "called 13812345678", "row": 2}],
    }
    assert mask_tree(person, ("id_number", "phone")) == {
        "record": {"person_id": "P000000001", "id_number": "370202********123X",
                   "id_number_source": {"dataset": "gongan.hukou", "row": 3}, "phone": None},
        "sources": [{"id_number": "370202******0112", "phone": "138****5678", "row": 1},
                    {"id_number": None, "note": "called 138****5678", "row": 2}],
    }
