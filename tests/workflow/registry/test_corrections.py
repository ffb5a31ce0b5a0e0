"""Corrections (RULES.md, Registration): "Registered data can be corrected and
consultants removed (staff leave: Art. 14(3)); every change is kept in the audit log
with who and why, and eligibility is re-checked after it"."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from tests.builders import credit_code, make_agency
from tests.workflow.lifecycle_steps import ADMIN, EXPERT
from workflow.core.db import transaction
from workflow.core.errors import InvalidInput, NotFound, Refused
from workflow.core.settings import load_settings
from workflow.lifecycle import audit
from workflow.registry.corrections import (
    correct_agency,
    correct_consultant,
    remove_consultant,
    set_photo,
)
from workflow.registry.eligibility import check_eligibility
from workflow.registry.forms import FORMS, FormErrors
from workflow.registry.models import Agency, Consultant, ConsultantPhoto
from workflow.registry.service import consultants_of

TODAY = date(2026, 11, 26)


def _passed(session: Session, agency: Agency, code: str) -> bool:
    result = check_eligibility(session, agency, TODAY)
    return next(c for c in result.conditions if c.code == code).passed


def test_an_agency_field_is_corrected_and_audited_with_who_why_old_and_new(
    engine: Engine,
) -> None:
    with Session(engine, expire_on_commit=False) as session:
        agency = make_agency(session, office_phone="010-65001234")
    with transaction(engine) as session:
        changed, change = correct_agency(
            session, agency.id or 0, ADMIN, "办公电话", "010 6500 9876", "机构迁址，电话变更"
        )
        entries = audit.appended(session)
    assert changed.office_phone == "01065009876"
    assert (change.field, change.old, change.new) == ("office_phone", "010-******34", "*********76")
    [entry] = entries
    assert entry.trigger == "registry.correct" and entry.actor == ADMIN.key
    assert entry.reason == "机构迁址，电话变更"
    assert entry.subject == "办公电话：010-******34 → *********76"
    assert "65001234" not in entry.subject and "65009876" not in entry.subject


def test_a_correction_is_checked_as_at_registration(engine: Engine) -> None:
    with Session(engine, expire_on_commit=False) as session:
        agency = make_agency(session)
        other = make_agency(session)
    with transaction(engine) as session:
        with pytest.raises(FormErrors) as bad:
            correct_agency(session, agency.id or 0, ADMIN, "credit_code", "91110105MA01C8K27X", "x")
        assert bad.value.errors[0].field == "credit_code"
        with pytest.raises(FormErrors) as duplicate:
            correct_agency(session, agency.id or 0, ADMIN, "统一代码", other.credit_code, "x")
        assert duplicate.value.errors[0].key == "registry.duplicate_credit_code"
        with pytest.raises(FormErrors) as required:
            correct_agency(session, agency.id or 0, ADMIN, "name", "  ", "x")
        assert required.value.errors[0].key == "registry.invalid.required"
        with pytest.raises(InvalidInput) as unknown:
            correct_agency(session, agency.id or 0, ADMIN, "颜色", "红", "x")
        assert unknown.value.key == "registry.correct.unknown_field.agency"
        with pytest.raises(InvalidInput) as no_reason:
            correct_agency(session, agency.id or 0, ADMIN, "fax", "", "  ")
        assert no_reason.value.key == "registry.correct.reason_required"
        assert audit.appended(session) == []
    code = credit_code(77)
    with transaction(engine) as session:
        changed, _ = correct_agency(session, agency.id or 0, ADMIN, "credit_code", code, "笔误")
        assert changed.credit_code == code


def test_only_an_admin_corrects(engine: Engine) -> None:
    with Session(engine, expire_on_commit=False) as session:
        agency = make_agency(session)
    with transaction(engine) as session, pytest.raises(Refused) as refused:
        correct_agency(session, agency.id or 0, EXPERT, "fax", "", "x", settings=load_settings())
    assert refused.value.key in ("lifecycle.no_role", "lifecycle.forbidden")


def test_eligibility_is_re_checked_after_a_fact_is_corrected(engine: Engine) -> None:
    """Art. 8(1): independent legal person with a fixed office — corrected to 否, it fails."""
    with Session(engine, expire_on_commit=False) as session:
        agency = make_agency(session)
    with transaction(engine) as session:
        assert _passed(session, agency, "legal_person_office")
        changed, change = correct_agency(
            session, agency.id or 0, ADMIN, "fixed_office", "否", "核实无固定办公场所"
        )
        assert (change.old, change.new) == ("是", "否")
        assert not _passed(session, changed, "legal_person_office")


def test_a_consultant_field_is_corrected_with_personal_data_masked(engine: Engine) -> None:
    with Session(engine, expire_on_commit=False) as session:
        agency = make_agency(session)
    with transaction(engine) as session:
        first = consultants_of(session, agency.id or 0)[0]
        old_mobile = first.mobile
        _, person, [change] = correct_consultant(
            session, agency.id or 0, first.id or 0, ADMIN, "移动电话", "13700001111", "换号"
        )
        [entry] = audit.appended(session)
    assert person.mobile == "13700001111"
    assert change.new == "137****1111" and change.old == old_mobile[:3] + "****" + old_mobile[-4:]
    assert old_mobile not in entry.subject and "13700001111" not in entry.subject
    assert entry.subject.startswith(f"咨询人员 {person.name}（#{person.id}）移动电话：")


def test_a_consultant_id_number_must_still_match_birth_date_and_gender(engine: Engine) -> None:
    with Session(engine, expire_on_commit=False) as session:
        agency = make_agency(session)
    with transaction(engine) as session:
        first = consultants_of(session, agency.id or 0)[0]
        with pytest.raises(FormErrors) as bad:
            correct_consultant(
                session, agency.id or 0, first.id or 0, ADMIN, "birth_date", "1981-05-17", "x"
            )
        assert [e.key for e in bad.value.errors] == ["registry.id_number.birth_mismatch"]
        second = consultants_of(session, agency.id or 0)[1]
        with pytest.raises(FormErrors) as duplicate:
            correct_consultant(
                session, agency.id or 0, first.id or 0, ADMIN, "id_number", second.id_number, "x"
            )
        assert duplicate.value.errors[0].key == "registry.duplicate_id_number"


def test_a_new_title_re_derives_the_senior_title_and_eligibility_follows(engine: Engine) -> None:
    """Art. 8(4): at least 2 senior titles; 高级工程师 corrected to 高级技师 (a skill
    grade, not a title) leaves one, and eligibility says so."""
    with Session(engine, expire_on_commit=False) as session:
        agency = make_agency(session, seniors=2)
    with transaction(engine) as session:
        senior = next(c for c in consultants_of(session, agency.id or 0) if c.senior_title)
        _, person, changes = correct_consultant(
            session, agency.id or 0, senior.id or 0, ADMIN, "title", "高级技师", "职称核实有误"
        )
        assert [c.field for c in changes] == ["title", "senior_title"]
        assert person.senior_title is False
        assert not _passed(session, agency, "senior_titles")


def test_a_consultant_who_left_is_removed_and_the_count_re_checked(engine: Engine) -> None:
    """Art. 14(3) staff changes: a fifth consultant leaving drops below the 5 of Art. 8(4)."""
    with Session(engine, expire_on_commit=False) as session:
        agency = make_agency(session, consultants=5)
    with transaction(engine) as session:
        assert _passed(session, agency, "consultants")
        leaving = consultants_of(session, agency.id or 0)[4]
        number = leaving.id_number
        _, name = remove_consultant(session, agency.id or 0, leaving.name, ADMIN, "已离职")
        [entry] = audit.appended(session)
        assert not _passed(session, agency, "consultants")
    assert name == leaving.name
    assert entry.trigger == "registry.remove_consultant" and entry.reason == "已离职"
    assert name in entry.subject and number not in entry.subject
    assert number[:6] + "********" + number[-4:] in entry.subject
    with Session(engine) as session:
        assert len(session.exec(select(Consultant)).all()) == 4
    with transaction(engine) as session, pytest.raises(NotFound) as missing:
        remove_consultant(session, agency.id or 0, "999", ADMIN, "x")
    assert missing.value.key == "registry.correct.consultant_not_found"


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64


def test_the_photo_is_a_stored_image_checked_by_its_first_bytes(engine: Engine) -> None:
    """人员登记表 照片: the image itself, JPEG or PNG by content, not a text field."""
    with Session(engine, expire_on_commit=False) as session:
        agency = make_agency(session, consultants=1)
    with transaction(engine) as session:
        first = consultants_of(session, agency.id or 0)[0]
        with pytest.raises(InvalidInput) as not_image:
            set_photo(session, agency.id or 0, first.id or 0, ADMIN, b"%PDF-1.4 ...", "照片")
        assert not_image.value.key == "registry.photo.not_image"
        with pytest.raises(InvalidInput) as empty:
            set_photo(session, agency.id or 0, first.id or 0, ADMIN, b"", "照片")
        assert empty.value.key == "registry.photo.empty"
        set_photo(session, agency.id or 0, first.id or 0, ADMIN, PNG, "补交照片")
        _, _, photo = set_photo(session, agency.id or 0, first.id or 0, ADMIN, JPEG, "换照片")
        entries = audit.appended(session)
    assert (photo.media_type, photo.data) == ("image/jpeg", JPEG)
    assert [e.trigger for e in entries] == ["registry.correct", "registry.correct"]
    assert entries[1].subject.endswith("照片：image/png 图片 0 KB → image/jpeg 图片 0 KB")
    assert "photo" not in [f.name for f in FORMS["consultant"]]
    with transaction(engine) as session:
        remove_consultant(session, agency.id or 0, first.id or 0, ADMIN, "已离职")
    with Session(engine) as session:
        assert session.exec(select(ConsultantPhoto)).all() == []
