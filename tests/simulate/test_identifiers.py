from __future__ import annotations

import numpy as np

from citybrain.simulate import identifiers as ids


def test_id_card_check_digit_and_sex_digit() -> None:
    out = ids.id_card_numbers(np.array([110105]), np.array(["1949-12-31"], dtype="datetime64[D]"),
                              np.array([2]))
    assert out[0] == "11010519491231002X"  # the textbook example from GB 11643
    assert ids.valid_id_card(out[0])
    assert not ids.valid_id_card(ids.break_id_checksum(out[0]))
    assert ids.to_legacy_15(out[0]) == "110105491231002"


def test_uscc_known_code_and_generated_codes() -> None:
    assert ids.valid_uscc("91350100M000100Y43")  # published GB 32100 example
    assert not ids.valid_uscc("91350100M000100Y44")
    rng = np.random.default_rng(0)
    codes = ids.uscc_codes(rng, np.full(500, 370202), rng.random(500) < 0.5, np.ones(500))
    assert all(ids.valid_uscc(c) for c in codes)
    assert not any(ids.valid_uscc(ids.break_uscc_checksum(c)) for c in codes[:50])
    assert {c[8:10] for c in codes} & {"MA"}


def test_mobile_numbers_have_real_prefixes() -> None:
    nums = ids.mobile_numbers(np.random.default_rng(1), 1000)
    assert all(ids.valid_mobile(n) for n in nums)
    assert not ids.valid_mobile("12012345678")
