"""Personal data: masked in every display, never readable in a log record."""

from __future__ import annotations

import logging

import pytest

from workflow.core.privacy import RedactingFilter, mask_id, mask_phone, redact


def test_mask_id_keeps_first_six_and_last_four() -> None:
    assert mask_id("11010519900101123X") == "110105********123X"
    assert mask_id("110105199001011234") == "110105********1234"
    assert mask_id("") == "" and mask_id(None) == ""
    assert mask_id("1234") == "****"


@pytest.mark.parametrize(
    ("number", "masked"),
    [
        ("13812345678", "138****5678"),
        (" 13812345678 ", "138****5678"),
        ("010-65001234", "010-******34"),
        ("0755-1234567", "0755-*****67"),
        ("65001234", "******34"),
        ("", ""),
        (None, ""),
    ],
)
def test_mask_phone(number: str | None, masked: str) -> None:
    assert mask_phone(number) == masked


def test_redact_free_text() -> None:
    text = "联系 13812345678，身份证 11010519900101123X，订单 A110105209913401234B 不动"
    assert (
        redact(text)
        == "联系 138****5678，身份证 110105********123X，订单 A110105209913401234B 不动"
    )


@pytest.mark.parametrize(
    ("typed", "masked"),
    [
        ("+86 138 1234 5678", "+86 138****5678"),
        ("+86-138-1234-5678", "+86-138****5678"),
        ("8613812345678", "86138****5678"),
        ("+8613812345678", "+86138****5678"),
        ("138 1234 5678", "138****5678"),
        ("138-1234-5678", "138****5678"),
        ("电话１３８１２３４５６７８", "电话138****5678"),
        ("ID110105199001011234", "ID110105********1234"),
        ("身份证110105199001011234", "身份证110105********1234"),
        ("110105 19900101 1234", "110105********1234"),
        ("110105-19900101-123X", "110105********123X"),
        ("１１０１０５１９９００１０１１２３Ｘ", "110105********123X"),
    ],
)
def test_redact_catches_the_forms_people_type(typed: str, masked: str) -> None:
    assert redact(typed) == masked


@pytest.mark.parametrize(
    "plain",
    [
        "2026-12-01 的活动",
        "金额 1234567890 元",
        "统一社会信用代码 91110105MA01ABCD2X",
        "统一社会信用代码 911101050000000001",
        "订单 20261201000123456789",
        "第 12 次，共 3 人",
    ],
)
def test_redact_leaves_ordinary_numbers_alone(plain: str) -> None:
    assert redact(plain) == plain


@pytest.mark.parametrize(
    ("typed", "masked"),
    [
        ("+86 138 1234 5678", "138****5678"),
        ("8613812345678", "138****5678"),
        ("１３８１２３４５６７８", "138****5678"),
    ],
)
def test_mask_phone_reads_prefixes_and_full_width(typed: str, masked: str) -> None:
    assert mask_phone(typed) == masked


def _record(message: str, *args: object) -> logging.LogRecord:
    return logging.LogRecord("test", logging.INFO, __file__, 1, message, args, None)


def test_redacting_filter_masks_messages_and_arguments() -> None:
    record = _record("added %s with id %s", "13812345678", "11010519900101123X")
    assert RedactingFilter().filter(record) is True
    assert record.getMessage() == "added 138****5678 with id 110105********123X"


def test_redacting_filter_leaves_clean_records_alone() -> None:
    record = _record("agency %d registered", 7)
    RedactingFilter().filter(record)
    assert (record.msg, record.args) == ("agency %d registered", (7,))


def test_filter_on_a_handler_keeps_personal_data_out_of_the_log(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.handler.addFilter(RedactingFilter())
    try:
        logging.getLogger("safecomm.test").warning(
            "ID %s phone %s", "110105199001011234", "13912345678"
        )
    finally:
        caplog.handler.removeFilter(caplog.handler.filters[-1])
    assert "110105199001011234" not in caplog.text and "13912345678" not in caplog.text
    assert "110105********1234" in caplog.text and "139****5678" in caplog.text


def test_a_logged_traceback_is_masked_too(caplog: pytest.LogCaptureFixture) -> None:
    caplog.handler.addFilter(RedactingFilter())
    try:
        try:
            raise ValueError("duplicate id_number 110105199001011234, mobile 13912345678")
        except ValueError:
            logging.getLogger("safecomm.test").exception("import failed")
    finally:
        caplog.handler.removeFilter(caplog.handler.filters[-1])
    assert "ValueError" in caplog.text
    assert "110105199001011234" not in caplog.text and "13912345678" not in caplog.text
    assert "110105********1234" in caplog.text and "139****5678" in caplog.text
