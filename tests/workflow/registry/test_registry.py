"""The registry service functions on SQLite and PostgreSQL: register, add,
look up, tick the checklist, record the experts' judgement, show masked."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from tests.builders import agency_fields, credit_code, make_agency, person
from workflow.core.db import transaction
from workflow.core.errors import InvalidInput, NotFound, Refused
from workflow.registry.display import agency_public_dict, consultant_public_dict
from workflow.registry.forms import FIELD_LABELS, FormErrors
from workflow.registry.models import MATERIALS, Agency, Application, Consultant
from workflow.registry.service import (
    add_consultant,
    current_application,
    find_agency,
    find_agency_named,
    missing_materials,
    register_agency,
    set_materials,
)


def _count(engine: Engine, model: type) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(model)).one()


def test_register_agency_creates_agency_and_first_application(any_engine: Engine) -> None:
    with transaction(any_engine) as session:
        agency = register_agency(
            session, agency_fields(name=" 北京安全咨询有限公司 ", agency_form="是")
        )
        agency_id = agency.id
    with Session(any_engine) as session:
        stored = session.get(Agency, agency_id)
        assert stored is not None and stored.name == "北京安全咨询有限公司"
        assert stored.status == "applied"
        application = current_application(session, stored.id)
        assert missing_materials(application) == [m for m in MATERIALS if m != "agency_form"]


def test_register_agency_refuses_duplicate_credit_code_naming_the_agency(
    any_engine: Engine,
) -> None:
    code = credit_code(4242)
    with transaction(any_engine) as session:
        register_agency(session, agency_fields(credit_code=code, name="先登记的公司"))
    with pytest.raises(FormErrors) as refused, transaction(any_engine) as session:
        register_agency(session, agency_fields(credit_code=code.lower()))
    assert "统一代码：已有机构使用此代码：先登记的公司" in str(refused.value)
    assert _count(any_engine, Agency) == 1 and _count(any_engine, Application) == 1


def test_register_agency_writes_nothing_on_any_error(any_engine: Engine) -> None:
    with pytest.raises(FormErrors) as refused, transaction(any_engine) as session:
        register_agency(session, agency_fields(postcode="abc", principal_mobile=""))
    assert [e.field for e in refused.value.errors] == ["postcode", "principal_mobile"]
    assert refused.value.errors[1].label == FIELD_LABELS["agency"]["principal_mobile"] == "手机"
    assert _count(any_engine, Agency) == 0


def test_add_consultant_checks_and_refuses_duplicate_id(any_engine: Engine) -> None:
    with transaction(any_engine) as session:
        agency = make_agency(session, consultants=0)
        added = add_consultant(session, agency.id, person(title="研究员"))
        assert added.senior_title is True
    with pytest.raises(FormErrors) as refused, transaction(any_engine) as session:
        add_consultant(session, agency.id, person(name="李四"))
    assert "本机构已登记此身份证号的咨询人员：张咨询" in str(refused.value)
    with transaction(any_engine) as session:  # the same person may consult for another agency
        other = make_agency(session, consultants=0)
        add_consultant(session, other.id, person())
    assert _count(any_engine, Consultant) == 2


def test_add_consultant_unknown_agency(any_engine: Engine) -> None:
    with pytest.raises(NotFound), transaction(any_engine) as session:
        add_consultant(session, 999, person())


def test_find_agency_by_id_or_code(any_engine: Engine) -> None:
    with transaction(any_engine) as session:
        agency = make_agency(session)
        assert find_agency(session, agency.id) is agency
        assert find_agency(session, str(agency.id)) is agency
        assert find_agency(session, agency.credit_code.lower()) is agency
        with pytest.raises(NotFound) as missing:
            find_agency(session, "91110105MA09UNKN7E")
        assert "没有找到机构“91110105MA09UNKN7E”" in str(missing.value)


def test_find_agency_named_takes_what_people_type(any_engine: Engine) -> None:
    """Number, credit code or exact full name — the one finder of the CLI and the imports."""
    with transaction(any_engine) as session:
        agency = make_agency(session)
        for ref in (agency.id, f" {agency.credit_code} ", agency.name):
            assert find_agency_named(session, ref) is agency
        with pytest.raises(NotFound) as missing:
            find_agency_named(session, "北京不存在咨询有限公司")
        assert missing.value.key == "registry.agency_not_named"
        assert "机构全称" in str(missing.value)


def test_current_application_is_the_newest(any_engine: Engine) -> None:
    with transaction(any_engine) as session:
        agency = make_agency(session, materials_complete=False)
        first = current_application(session, agency.id)
        first.closed = True
        session.add(Application(agency_id=agency.id, business_licence=True))
        session.flush()
        assert current_application(session, agency.id).business_licence is True
        empty = Agency(**agency_fields())
        session.add(empty)
        session.flush()
        with pytest.raises(NotFound):
            current_application(session, empty.id)


def test_set_materials(any_engine: Engine) -> None:
    with transaction(any_engine) as session:
        agency = make_agency(session, materials_complete=False)
        set_materials(session, agency.id, {"business_licence": True, "agency_form": True})
    with transaction(any_engine) as session:
        application = set_materials(session, agency.id, {"agency_form": False})
        assert missing_materials(application) == [m for m in MATERIALS if m != "business_licence"]
        with pytest.raises(InvalidInput) as unknown:
            set_materials(session, agency.id, {"photo_of_cat": True})
        assert "photo_of_cat" in str(unknown.value) and "business_licence" in str(unknown.value)
        with pytest.raises(InvalidInput):
            set_materials(session, agency.id, {"agency_form": "yes"})  # type: ignore[dict-item]


def test_closed_application_checklist_is_frozen(any_engine: Engine) -> None:
    with transaction(any_engine) as session:
        agency = make_agency(session)
        current_application(session, agency.id).closed = True
        with pytest.raises(Refused):
            set_materials(session, agency.id, {"agency_form": False})


def test_public_dicts_mask_personal_data_and_are_json_safe(any_engine: Engine) -> None:
    with transaction(any_engine) as session:
        agency = register_agency(
            session, agency_fields(office_phone="010-65001234", principal_mobile="13812345678")
        )
        consultant = add_consultant(session, agency.id, person(birth_date=date(1980, 5, 17)))
    shown = agency_public_dict(agency)
    assert shown["principal_mobile"] == "138****5678"
    assert shown["office_phone"] == "010-******34"
    person_shown = consultant_public_dict(consultant)
    assert person_shown["mobile"] == "139****5678"
    assert (
        person_shown["id_number"]
        == consultant.id_number[:6] + "********" + consultant.id_number[-4:]
    )
    text = json.dumps([shown, person_shown], ensure_ascii=False)
    assert consultant.id_number not in text and "13812345678" not in text
