"""Builders for test data: valid by default, any field overridable."""

from __future__ import annotations

import itertools
import random
from datetime import date
from typing import Any

from sqlmodel import Session

from workflow.models import MATERIALS, Agency, Application, Consultant
from workflow.registry import (
    CREDIT_CODE_ALPHABET,
    credit_code_check_character,
    id_number_check_character,
)

_serial = itertools.count(1)


def credit_code(seed: int | None = None) -> str:
    """A valid unified social credit code (GB 32100-2015)."""
    rng = random.Random(seed if seed is not None else next(_serial))
    body = "91" + "110105" + "".join(rng.choice(CREDIT_CODE_ALPHABET) for _ in range(9))
    return body + credit_code_check_character(body)


def id_number(born: date = date(1980, 5, 17), seed: int | None = None, gender: str = "男") -> str:
    """A valid resident ID number (GB 11643-1999) for a Beijing (110105) birth on `born`;
    the 17th digit is odd for 男 and even for 女; distinct seeds below 500 give
    distinct numbers for the same birth date and gender."""
    serial = (seed if seed is not None else next(_serial)) % 500
    order = serial * 2 + (1 if gender == "男" else 0)
    body = "110105" + born.strftime("%Y%m%d") + f"{order:03d}"
    return body + id_number_check_character(body)


def agency_fields(**overrides: Any) -> dict[str, Any]:
    """Every field of the agency form, valid, and the Art. 8 facts all met."""
    n = next(_serial)
    fields: dict[str, Any] = {
        "name": f"北京安全咨询有限公司{n}",
        "address": "北京市朝阳区建国路1号",
        "licence_place": "北京市朝阳区",
        "credit_code": credit_code(n),
        "postcode": "100020",
        "legal_representative": "王法人",
        "office_phone": "010-65001234",
        "fax": "010-65001235",
        "principal": "李负责",
        "principal_mobile": "13812345678",
        "performance_summary": "2019年以来指导安全社区创建20个。",
        "independent_legal_person": True,
        "fixed_office": True,
        "business_scope": "安全生产咨询服务；应急管理咨询服务",
        "service_since": date(2018, 3, 1),
        "admin_staff": "赵专职",
        "process_docs_complete": True,
        "licences_complete": True,
        "violation_record": "",
        "familiar_judgement": True,
    }
    fields.update(overrides)
    return fields


def consultant_fields(**overrides: Any) -> dict[str, Any]:
    """Every field of the consultant form, valid."""
    n = next(_serial)
    fields: dict[str, Any] = {
        "name": f"咨询师{n}",
        "gender": "男",
        "birth_date": date(1980, 5, 17),
        "employer_department": "咨询部",
        "position": "项目经理",
        "title": "工程师",
        "senior_title": False,
        "specialty": "安全生产",
        "address": "北京市朝阳区建国路1号",
        "postcode": "100020",
        "mobile": f"139{n % 100000000:08d}",
        "email": f"c{n}@example.com",
        "id_number": id_number(date(1980, 5, 17), n, overrides.get("gender", "男")),
        "school": "北京理工大学",
        "education": "本科",
        "degree": "学士",
        "certificates": "注册安全工程师",
        "years_consulting": 6,
        "cv": "从事安全咨询工作六年。",
        "pledge_date": date(2026, 3, 1),
    }
    fields.update(overrides)
    return fields


def make_agency(
    session: Session,
    *,
    consultants: int = 5,
    seniors: int = 2,
    materials_complete: bool = True,
    **overrides: Any,
) -> Agency:
    """An agency in state `applied` with consultants and a first application, committed."""
    agency = Agency(**agency_fields(**overrides))
    session.add(agency)
    session.flush()
    assert agency.id is not None
    for index in range(consultants):
        senior = index < seniors
        session.add(
            Consultant(
                agency_id=agency.id,
                **consultant_fields(
                    senior_title=senior, title="高级工程师" if senior else "工程师"
                ),
            )
        )
    session.add(Application(agency_id=agency.id, **{m: materials_complete for m in MATERIALS}))
    session.commit()
    session.refresh(agency)
    return agency
