"""Builders for test data: valid by default, any field overridable."""

from __future__ import annotations

import io
import itertools
import random
import zipfile
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

from openpyxl import load_workbook
from sqlmodel import Session

from workflow.registry.identifiers import (
    CREDIT_CODE_ALPHABET,
    id_number_check_character,
    make_credit_code,
)
from workflow.registry.judgements import FAMILIAR_ITEMS
from workflow.registry.models import (
    MATERIALS,
    Agency,
    Application,
    ApplicationJudgement,
    Consultant,
)
from workflow.registry.xlsx import (
    AGENCY_COLUMNS,
    AGENCY_SHEET,
    CONSULTANT_COLUMNS,
    CONSULTANT_SHEET,
    write_template,
)

P = ParamSpec("P")
R = TypeVar("R")

_serial = itertools.count(1)


def credit_code(seed: int | None = None) -> str:
    """A unified social credit code valid under both its checks: the embedded
    organisation code's (GB 11714-1997) and the 18th character's (GB 32100-2015)."""
    rng = random.Random(seed if seed is not None else next(_serial))
    return make_credit_code("91110105", "".join(rng.choice(CREDIT_CODE_ALPHABET) for _ in range(8)))


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


def person(**overrides: object) -> dict[str, object]:
    """A valid consultant form whose ID number matches its birth date and gender."""
    born = overrides.get("birth_date", date(1980, 5, 17))
    gender = overrides.get("gender", "男")
    assert isinstance(born, date)
    body = f"110105{born:%Y%m%d}01{1 if gender == '男' else 2}"
    fields: dict[str, object] = {
        "name": "张咨询",
        "gender": gender,
        "birth_date": born,
        "title": "工程师",
        "mobile": "13912345678",
        "email": "zhang@example.com",
        "id_number": body + id_number_check_character(body),
        "years_consulting": 6,
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
    scope_related: bool | None = True,
    familiar_judgement: bool | None = True,
    **overrides: Any,
) -> Agency:
    """An agency in state `applied` with consultants and a first application, committed;
    the experts have decided its business scope (Art. 8(2)) and judged it familiar on every
    Art. 8(3) item unless `scope_related` / `familiar_judgement` say otherwise (None: not yet)."""
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
    application = Application(agency_id=agency.id, **{m: materials_complete for m in MATERIALS})
    session.add(application)
    session.flush()
    assert application.id is not None
    judged: list[tuple[str, bool | None]] = [("business_scope", scope_related)]
    judged += [(item, familiar_judgement) for item in FAMILIAR_ITEMS]
    for item, passed in judged:
        if passed is not None:
            session.add(
                ApplicationJudgement(
                    application_id=application.id,
                    item=item,
                    passed=passed,
                    reason="专家组意见",
                    judged_by="专家组",
                    stage="review",
                )
            )
    session.commit()
    session.refresh(agency)
    return agency


# --- the registry spreadsheet, filled as an agency would ------------------------------------


def agency_row(**overrides: Any) -> dict[str, Any]:
    """One row of the agency sheet: the form, the Art. 8 facts, every material ticked."""
    fields = agency_fields(**overrides)
    return fields | {name: "是" for name in MATERIALS} | overrides


def people(count: int, seniors: int = 2) -> list[dict[str, Any]]:
    """`count` distinct consultant forms (`person`), the first `seniors` with a senior title."""
    rows = []
    for index in range(count):
        born = date(1970 + index, 1 + index % 12, 1 + index)
        rows.append(
            person(
                name=f"咨询师{index}",
                birth_date=born,
                gender="男" if index % 2 else "女",
                title="高级工程师" if index < seniors else "工程师",
            )
        )
    return rows


def fill(
    path: Path,
    agencies: list[dict[str, Any]],
    consultants: list[tuple[str, dict[str, Any]]],
) -> Path:
    """Write the template and fill it as an agency would (`True` → 是, dates as Excel dates)."""
    write_template(path)
    book = load_workbook(path)
    for sheet, columns, rows in (
        (AGENCY_SHEET, AGENCY_COLUMNS, [(None, a) for a in agencies]),
        (CONSULTANT_SHEET, CONSULTANT_COLUMNS, consultants),
    ):
        for number, (code, row) in enumerate(rows, start=2):
            for index, column in enumerate(columns, start=1):
                if sheet == CONSULTANT_SHEET and index == 1:
                    value: Any = code
                else:
                    value = row.get(column.field.name)
                if isinstance(value, bool):
                    value = "是" if value else "否"
                book[sheet].cell(row=number, column=index, value=value)
    book.save(path)
    return path


def committed(call: Callable[Concatenate[Session, P], R]) -> Callable[Concatenate[Session, P], R]:
    """`call` as a channel runs it: its own unit of work on the test's session,
    committed when it succeeds and rolled back when it raises (services only flush)."""

    def run(session: Session, *args: P.args, **kwargs: P.kwargs) -> R:
        try:
            result = call(session, *args, **kwargs)
            session.commit()
            return result
        except BaseException:
            session.rollback()
            raise

    return run


def old_agency(connection: Any, fields: dict[str, Any], **old: Any) -> int:
    """An agency row as a schema before 0010 stores it (with the agency-level Art. 8(3)
    columns `familiar_judgement`, `familiar_judged_by`, `familiar_judged_at`)."""
    import sqlalchemy as sa

    defaults = {
        column.name: column.default.arg
        for column in Agency.__table__.columns  # type: ignore[attr-defined]
        if column.default is not None and not callable(column.default.arg)
    }
    values = defaults | {"created_at": "2026-03-01 00:00:00.000000", "familiar_judged_by": ""}
    values |= fields | old
    table = sa.table("agency", sa.column("id"), *(sa.column(name) for name in values))
    return int(
        connection.execute(table.insert().values(**values).returning(table.c.id)).scalar_one()
    )


def office_file(body: str = "sheet") -> bytes:
    """The smallest Office Open XML file (.docx/.xlsx) the upload check takes: a zip that
    holds `[Content_Types].xml`; `body` makes each one different."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", body)
    return buffer.getvalue()
