"""The 挂靠 check (Art. 8(4): one person counts for one agency only) where the experts
read it: `safecomm agency show`, the eligibility check and material review
(`round score --material`, `advance … review`). ID numbers masked, never logged."""

from __future__ import annotations

import json
import logging

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from tests.bot.conftest import Cli
from tests.builders import consultant_fields, make_agency
from tests.workflow.lifecycle_steps import agency_in
from workflow.core.privacy import mask_id
from workflow.core.settings import Settings
from workflow.registry.models import Agency, Consultant


def shared_person(
    db: Engine, settings: Settings, *, consultants: int
) -> tuple[Agency, Agency, str]:
    """A filed agency and an applicant that lists one of the filed agency's senior consultants."""
    with Session(db, expire_on_commit=False) as session:
        holder = agency_in(session, "filed", settings, name="北京在册安全咨询有限公司")
        applicant = make_agency(session, consultants=consultants, name="北京新申请咨询有限公司")
        query = select(Consultant).where(
            Consultant.agency_id == holder.id, col(Consultant.senior_title)
        )
        number = session.exec(query).first().id_number  # type: ignore[union-attr]
        assert applicant.id is not None
        session.add(
            Consultant(
                agency_id=applicant.id,
                **consultant_fields(
                    name="王挂靠", id_number=number, senior_title=True, title="高级工程师"
                ),
            )
        )
        session.commit()
    return holder, applicant, number


def test_agency_show_flags_the_person_and_names_the_other_agency(
    db: Engine, cli: Cli, settings: Settings
) -> None:
    holder, applicant, number = shared_person(db, settings, consultants=4)

    code, out, _ = cli("agency", "show", str(applicant.id))

    assert code == 0 and number not in out
    row = next(line for line in out.splitlines() if "王挂靠" in line)
    assert mask_id(number) in row and f"⚠ 北京在册安全咨询有限公司（#{holder.id}）" in row
    assert "其他机构登记" in out
    assert "✗ 咨询人员 5 名以上：咨询人员 5 名，其中 1 名已在其他备案机构登记、不计入本机构" in out
    assert "⚠ 一人只计入一家机构（挂靠核查）：⚠ 1 名咨询人员的身份证号已在其他备案机构登记" in out
    assert "项条件不符合；1 项需专家组核查" in out

    code, out, _ = cli("agency", "show", str(applicant.id), "--json")
    data = json.loads(out)
    assert number not in out
    (entry,) = data["eligibility"]["registered_elsewhere"]
    assert entry == {
        "consultant_id": entry["consultant_id"],
        "name": "王挂靠",
        "id_number": mask_id(number),
        "agency_id": holder.id,
        "agency_name": "北京在册安全咨询有限公司",
        "agency_status": "filed",
        "counts_here": False,
    }


def test_material_review_refused_when_the_count_falls_short_names_the_other_agency(
    db: Engine, cli: Cli, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    _, applicant, number = shared_person(db, settings, consultants=4)
    assert cli("round", "create", "2026 第一批")[0] == 0
    assert cli("round", "join", "2026 第一批", str(applicant.id))[0] == 0

    caplog.set_level(logging.DEBUG)
    code, out, _ = cli("round", "score", str(applicant.id), "--material", "80")
    assert code == 0
    assert (
        "⚠ 1 名咨询人员的身份证号已在其他备案机构登记" in out and "北京在册安全咨询有限公司" in out
    )
    code, _, err = cli("advance", str(applicant.id), "review")

    assert code == 1
    assert err.startswith("错误：不能执行“材料审核通过”")
    assert "计 4 名，少于 5 名" in err and "北京在册安全咨询有限公司" in err
    assert number not in err and mask_id(number) in err
    assert number not in caplog.text


def test_material_review_passed_still_shows_the_flag(
    db: Engine, cli: Cli, settings: Settings
) -> None:
    _, applicant, number = shared_person(db, settings, consultants=5)
    assert cli("round", "create", "2026 第一批")[0] == 0
    assert cli("round", "join", "2026 第一批", str(applicant.id))[0] == 0
    assert cli("round", "score", str(applicant.id), "--material", "80")[0] == 0

    code, out, err = cli("advance", str(applicant.id), "review")

    assert (code, err) == (0, "")
    first, flag = out.strip().splitlines()
    assert "已申请 → 材料审核通过" in first
    assert flag.startswith("⚠ 1 名咨询人员的身份证号已在其他备案机构登记，请专家组核查是否挂靠")
    assert "王挂靠" in flag and mask_id(number) in flag and number not in out
