"""Validation of the two registration forms: check characters, formats, messages.

The property tests rest on two facts checked first: every weight of each
check-character scheme is a unit modulo its (prime) modulus, and one position
changes by less than the modulus; so a single substitution always changes the
weighted sum modulo the modulus, and the check character with it.
"""

from __future__ import annotations

import math
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.builders import agency_fields, person
from workflow.core.i18n import set_language
from workflow.registry.forms import (
    FIELD_LABELS,
    FormErrors,
    is_senior_title,
    validate_agency_fields,
    validate_consultant_fields,
    validate_form,
)
from workflow.registry.identifiers import (
    _CREDIT_WEIGHTS,
    _ID_WEIGHTS,
    CREDIT_CODE_ALPHABET,
    credit_code_problem,
    id_birth_date,
    id_number_check_character,
    id_number_problem,
    is_valid_credit_code,
    is_valid_id_number,
    make_credit_code,
)

TODAY = date(2026, 11, 26)
REPLACEMENTS = CREDIT_CODE_ALPHABET + "abcxyzIOSVZ-_ ＡＢ１２中"

credit_codes = st.builds(
    make_credit_code,
    st.text(alphabet=CREDIT_CODE_ALPHABET, min_size=8, max_size=8),
    st.text(alphabet=CREDIT_CODE_ALPHABET, min_size=8, max_size=8),
)
"""Codes valid under both checks: the organisation code's (GB 11714) and the 18th (GB 32100)."""


@st.composite
def id_numbers(draw: st.DrawFn) -> str:
    region = draw(st.text(alphabet="0123456789", min_size=6, max_size=6))
    born = draw(st.dates(min_value=date(1900, 1, 1), max_value=date(2020, 12, 31)))
    serial = draw(st.integers(0, 999))
    body = f"{region}{born:%Y%m%d}{serial:03d}"
    return body + id_number_check_character(body)


# -- the schemes can detect every single substitution ------------------------


def test_credit_code_weights_are_units_mod_31() -> None:
    assert len(CREDIT_CODE_ALPHABET) == 31 and all(31 % n for n in range(2, 31))  # 31 is prime
    assert all(math.gcd(w, 31) == 1 for w in _CREDIT_WEIGHTS)


def test_id_weights_are_units_mod_11() -> None:
    assert all(11 % n for n in range(2, 11))  # 11 is prime
    assert all(math.gcd(w, 11) == 1 for w in _ID_WEIGHTS)
    assert len(set("10X98765432")) == 11  # every remainder has its own check character


@given(credit_codes)
def test_generated_credit_code_passes(code: str) -> None:
    assert is_valid_credit_code(code)
    assert credit_code_problem(code) is None


@given(credit_codes, st.integers(0, 17), st.sampled_from(REPLACEMENTS))
def test_any_single_change_of_a_credit_code_fails(code: str, position: int, new: str) -> None:
    if code[position] == new:
        return
    changed = code[:position] + new + code[position + 1 :]
    assert not is_valid_credit_code(changed)
    assert credit_code_problem(changed) is not None


def test_every_substitution_in_one_credit_code_fails_exhaustively() -> None:
    code = "91110105MA01C8K292"
    for position in range(18):
        for new in CREDIT_CODE_ALPHABET:
            if new != code[position]:
                assert not is_valid_credit_code(code[:position] + new + code[position + 1 :])


@given(id_numbers())
def test_generated_id_number_passes(number: str) -> None:
    assert is_valid_id_number(number)
    assert id_number_problem(number) is None


@given(id_numbers(), st.integers(0, 17), st.sampled_from("0123456789Xx A"))
def test_any_single_change_of_an_id_number_fails(number: str, position: int, new: str) -> None:
    if number[position] == new:
        return
    changed = number[:position] + new + number[position + 1 :]
    assert not is_valid_id_number(changed)


def test_id_number_problems_are_specific() -> None:
    assert id_number_problem("11010519800517") == "registry.id_number.length"
    assert id_number_problem("11010519800517A23X") == "registry.id_number.characters"
    body = "11010519801317123"
    assert (
        id_number_problem(body + id_number_check_character(body)) == "registry.id_number.birth_date"
    )
    body = "11010519800517123"
    wrong = "0" if id_number_check_character(body) != "0" else "1"
    assert id_number_problem(body + wrong) == "registry.id_number.check"
    assert id_birth_date(body + "X") == date(1980, 5, 17)


def test_credit_code_problems_are_specific() -> None:
    assert credit_code_problem("91110105") == "registry.credit_code.length"
    assert credit_code_problem("91110105MA01C8K2IO") == "registry.credit_code.characters"


# -- one field at a time -----------------------------------------------------


def _one(form: str, name: str, value: object) -> tuple[object, list[str]]:
    cleaned, errors = validate_form(form, {name: value}, today=TODAY)
    return cleaned.get(name), [e.key for e in errors if e.field == name]


@pytest.mark.parametrize("value", ["100020", " 100020 ", "１０００２０"])
def test_postcode_six_digits(value: str) -> None:
    assert _one("agency", "postcode", value) == ("100020", [])


@pytest.mark.parametrize("value", ["10002", "1000200", "10002a", "100 02"])
def test_postcode_refused(value: str) -> None:
    assert _one("agency", "postcode", value)[1] == ["registry.invalid.postcode"]


@pytest.mark.parametrize("value", ["13812345678", "19912345678", "138 1234 5678"])
def test_mobile_accepted(value: str) -> None:
    assert _one("agency", "principal_mobile", value)[1] == []


@pytest.mark.parametrize("value", ["12812345678", "1381234567", "138123456789", "+8613812345678"])
def test_mobile_refused(value: str) -> None:
    assert _one("agency", "principal_mobile", value)[1] == ["registry.invalid.mobile"]


@pytest.mark.parametrize(
    "value", ["010-65001234", "01065001234", "0755-1234567", "010-65001234-801", "(010)65001234"]
)
def test_landline_accepted(value: str) -> None:
    assert _one("agency", "fax", value)[1] == []


@pytest.mark.parametrize("value", ["65001234", "010-123", "13812345678", "10-65001234", "tel"])
def test_landline_refused(value: str) -> None:
    assert _one("agency", "fax", value)[1] == ["registry.invalid.landline"]


def test_office_phone_takes_landline_or_mobile() -> None:
    assert _one("agency", "office_phone", "13812345678")[1] == []
    assert _one("agency", "office_phone", "010-65001234")[1] == []
    assert _one("agency", "office_phone", "12345")[1] == ["registry.invalid.phone"]


@pytest.mark.parametrize("value", ["a@example.com", "Zhang.San+x@mail.example.com.cn"])
def test_email_accepted(value: str) -> None:
    assert _one("consultant", "email", value)[1] == []


@pytest.mark.parametrize(
    "value", ["a@b", "a@@b.com", "a b@c.com", "@b.com", "a@b..com", "a..b@c.com"]
)
def test_email_refused(value: str) -> None:
    assert _one("consultant", "email", value)[1] == ["registry.invalid.email"]


@pytest.mark.parametrize("value", [date(2020, 3, 1), "2020-03-01", "2020/3/1", "2020年3月1日"])
def test_dates_read(value: object) -> None:
    assert _one("agency", "service_since", value) == (date(2020, 3, 1), [])


def test_dates_refused_with_reason() -> None:
    assert _one("agency", "service_since", "2020-02-30")[1] == ["registry.invalid.date_unreal"]
    assert _one("agency", "service_since", "01.03.2020")[1] == ["registry.invalid.date"]
    assert _one("agency", "service_since", "2027-01-01")[1] == ["registry.invalid.future"]
    assert _one("consultant", "pledge_date", "2026-11-27")[1] == ["registry.invalid.future"]
    assert _one("consultant", "birth_date", "2010-01-01")[1] == ["registry.invalid.age"]
    assert _one("consultant", "birth_date", "1925-01-01")[1] == ["registry.invalid.age"]
    assert _one("consultant", "birth_date", "1926-11-26")[1] == []


def test_text_trimmed_and_control_characters_refused() -> None:
    assert _one("agency", "name", "  北京  安全\n咨询 ") == ("北京 安全 咨询", [])
    assert _one("agency", "performance_summary", "第一行\n第二行 ") == ("第一行\n第二行", [])
    assert _one("agency", "name", "北京\x00咨询")[1] == ["registry.invalid.control"]
    assert _one("agency", "name", "北京\x1b咨询")[1] == ["registry.invalid.control"]
    assert _one("agency", "name", "北京\ufffd咨询")[1] == ["registry.invalid.not_utf8"]
    assert _one("agency", "name", "北京".encode("gbk"))[1] == ["registry.invalid.not_utf8"]
    assert _one("agency", "name", "北京".encode())[0] == "北京"
    # bytes that were not UTF-8, smuggled in as surrogates (surrogateescape)
    assert _one("agency", "name", b"\xb1\xb1".decode("utf-8", "surrogateescape"))[1] == [
        "registry.invalid.not_utf8"
    ]
    assert _one("consultant", "name", "王\ue000")[1] == []  # rare name characters in private use


def test_too_long_text_refused() -> None:
    assert _one("agency", "name", "长" * 201)[1] == ["registry.invalid.too_long"]


def test_yes_no_values() -> None:
    for value in ("是", "yes", "Y", True, 1, "TRUE"):
        assert _one("agency", "fixed_office", value) == (True, [])
    for value in ("否", "no", False, 0, ""):
        assert _one("agency", "fixed_office", value) == (False, [])
    assert _one("agency", "fixed_office", "也许")[1] == ["registry.invalid.bool"]


def test_credit_code_normalised_before_checking() -> None:
    code = "91110105MA01C8K292"
    assert _one("agency", "credit_code", " " + code.lower() + " ") == (code, [])


def test_id_number_as_number_refused_with_advice() -> None:
    assert _one("consultant", "id_number", 1.10105198005171e17)[1] == [
        "registry.id_number.not_text"
    ]


def test_the_form_module_uses_the_title_rule() -> None:
    assert is_senior_title("高级工程师") and not is_senior_title(
        "高级技师"
    )  # tests/…/test_titles.py


# -- whole forms ---------------------------------------------------------------


def test_valid_agency_form_has_no_errors() -> None:
    values, checklist, errors = validate_agency_fields(
        agency_fields(business_licence="是"), today=TODAY
    )
    assert errors == []
    assert checklist == {"business_licence": True}
    assert values["service_since"] == date(2018, 3, 1)


def test_every_wrong_field_is_reported_at_once_with_its_label() -> None:
    fields = agency_fields(name="", postcode="1000", principal_mobile="123", fax="x")
    del fields["address"]
    _, _, errors = validate_agency_fields(fields, today=TODAY)
    assert {e.field for e in errors} == {"name", "address", "postcode", "principal_mobile", "fax"}
    text = str(FormErrors(errors))
    for field in ("name", "address", "postcode", "principal_mobile", "fax"):
        assert FIELD_LABELS["agency"][field] + "：" in text
    assert "邮编：应为 6 位数字" in text


def test_unknown_field_is_an_error() -> None:
    _, _, errors = validate_agency_fields(agency_fields(colour="red"), today=TODAY)
    assert [(e.field, e.key) for e in errors] == [("colour", "registry.invalid.unknown_field")]


def test_consultant_id_must_match_birth_date_and_gender() -> None:
    assert validate_consultant_fields(person(), today=TODAY)[1] == []
    _, errors = validate_consultant_fields(
        person(birth_date=date(1981, 5, 17)) | {"id_number": person()["id_number"]}, today=TODAY
    )
    assert [e.key for e in errors] == ["registry.id_number.birth_mismatch"]
    _, errors = validate_consultant_fields(person() | {"gender": "女"}, today=TODAY)
    assert [e.key for e in errors] == ["registry.id_number.gender_mismatch"]


def test_senior_title_defaults_from_title_unless_given() -> None:
    assert validate_consultant_fields(person(title="副教授"), today=TODAY)[0]["senior_title"]
    assert not validate_consultant_fields(person(title="工程师"), today=TODAY)[0]["senior_title"]
    given_no = validate_consultant_fields(person(title="副教授", senior_title="否"), today=TODAY)
    assert given_no[0]["senior_title"] is False


def test_required_consultant_fields() -> None:
    _, errors = validate_consultant_fields({}, today=TODAY)
    assert {e.field for e in errors} == {"name", "gender", "birth_date", "mobile", "id_number"}


def test_messages_never_repeat_the_id_number() -> None:
    fields = person()
    number = str(fields["id_number"])
    broken = number[:17] + ("0" if number[17] != "0" else "1")
    _, errors = validate_consultant_fields(fields | {"id_number": broken}, today=TODAY)
    assert errors and all(number[6:14] not in str(e) and broken not in str(e) for e in errors)


def test_messages_in_english() -> None:
    set_language("en")
    _, _, errors = validate_agency_fields(agency_fields(postcode="1"), today=TODAY)
    assert str(FormErrors(errors)) == (
        "1 field(s) wrong, nothing was written: postcode: must be 6 digits"
    )
