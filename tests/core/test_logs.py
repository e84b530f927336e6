from __future__ import annotations

import logging

import pytest
from hypothesis import given
from hypothesis import strategies as st

from citybrain.logs import ContextFilter, mask_pii, request_id_var


def test_masks_id_numbers_and_phones() -> None:
    text = "person 37020219900101123X phone 13812345678 legacy 370202900101123 ok"
    masked = mask_pii(text)
    assert "37020219900101123X" not in masked and "370202********123X" in masked
    assert "13812345678" not in masked and "138****5678" in masked
    assert "370202900101123" not in masked


@given(
    st.from_regex(
        r"[1-6]\d{5}(19|20)\d{2}(0[1-9]|1[0-2])(0[1-9]|[12]\d)\d{3}[0-9X]", fullmatch=True
    )
)
def test_no_18_digit_id_survives(id_number: str) -> None:
    assert id_number not in mask_pii(f"id={id_number};")


def test_filter_adds_request_id_and_masks(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("citybrain.test")
    handler_filter = ContextFilter()
    token = request_id_var.set("req-1")
    try:
        record = logger.makeRecord("x", logging.INFO, __file__, 1, "row %s", ("13812345678",), None)
        assert handler_filter.filter(record)
        assert record.request_id == "req-1"
        assert record.getMessage() == "row 138****5678"
    finally:
        request_id_var.reset(token)
