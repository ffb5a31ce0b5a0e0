"""Art. 8(4) and RULES.md: "One person (same ID number) counts for one agency only:
a consultant already registered with another filed agency is flagged to the
experts (挂靠 check)". Filed, assessed and retained agencies hold the status
(`HOLDING`); such a person does not count toward this agency's 5 consultants and
2 senior titles, and the experts read the other agency's name. ID numbers are
shown masked only.
"""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlmodel import Session, col, select

from tests.builders import consultant_fields, make_agency
from tests.workflow.lifecycle_steps import agency_in, pretend_finalised
from workflow.core.privacy import mask_id
from workflow.core.settings import Settings
from workflow.lifecycle.states import HOLDING
from workflow.registry.eligibility import Eligibility, check_eligibility, registered_elsewhere
from workflow.registry.models import Agency, Consultant

TODAY = date(2026, 11, 26)


@pytest.fixture(autouse=True)
def _assessments_finalised(monkeypatch: pytest.MonkeyPatch) -> None:
    """Agencies reach assessed and retained without scoring a sheet."""
    pretend_finalised(monkeypatch)


def add_person(session: Session, agency: Agency, number: str, *, senior: bool = False) -> None:
    """The same person (same ID number) on another agency's list."""
    assert agency.id is not None
    title = "高级工程师" if senior else "工程师"
    session.add(
        Consultant(
            agency_id=agency.id,
            **consultant_fields(id_number=number, senior_title=senior, title=title),
        )
    )
    session.commit()


def a_senior_of(session: Session, agency: Agency) -> Consultant:
    query = select(Consultant).where(
        Consultant.agency_id == agency.id, col(Consultant.senior_title)
    )
    return session.exec(query.order_by(col(Consultant.id))).first() or pytest.fail("no senior")


def condition(result: Eligibility, code: str) -> tuple[bool, bool, str]:
    found = next(c for c in result.conditions if c.code == code)
    return found.passed, found.flagged, found.reason


@pytest.mark.parametrize("state", HOLDING)
def test_a_person_with_a_holding_agency_does_not_count_for_an_applicant(
    session: Session, settings: Settings, state: str
) -> None:
    holder = agency_in(session, state, settings, name="北京在册安全咨询有限公司")
    shared = a_senior_of(session, holder)
    applicant = make_agency(session, consultants=4, seniors=1, name="北京新申请咨询有限公司")
    add_person(session, applicant, shared.id_number, senior=True)

    result = check_eligibility(session, applicant, TODAY)

    assert not result.passed
    passed, _, reason = condition(result, "consultants")
    assert not passed
    assert reason.startswith("咨询人员 5 名，其中 1 名已在其他备案机构登记、不计入本机构")
    assert reason.endswith("计 4 名，少于 5 名")
    assert "北京在册安全咨询有限公司" in reason
    passed, _, reason = condition(result, "senior_titles")
    assert not passed and reason.endswith("计 1 名，少于 2 名")
    passed, flagged, reason = condition(result, "one_agency")
    assert passed and flagged
    assert reason.startswith("⚠ 1 名咨询人员的身份证号已在其他备案机构登记，请专家组核查是否挂靠")
    assert f"登记于 北京在册安全咨询有限公司（编号 {holder.id}，" in reason
    assert reason.endswith("，不计入本机构")
    assert mask_id(shared.id_number) in reason


def test_an_applicant_with_enough_others_passes_but_is_flagged(
    session: Session, settings: Settings
) -> None:
    holder = agency_in(session, "filed", settings, name="北京在册安全咨询有限公司")
    applicant = make_agency(session, consultants=5, seniors=2)
    add_person(session, applicant, a_senior_of(session, holder).id_number, senior=True)

    result = check_eligibility(session, applicant, TODAY)

    assert result.passed
    assert [c.code for c in result.flagged] == ["one_agency"]
    assert condition(result, "consultants")[2].endswith("计 5 名，不少于 5 名")
    assert condition(result, "senior_titles")[2].endswith("计 2 名，不少于 2 名")


@pytest.mark.parametrize("state", ["applied", "reviewed", "interviewed", "rejected", "withdrawn"])
def test_an_agency_not_holding_the_status_does_not_take_the_person(
    session: Session, settings: Settings, state: str
) -> None:
    other = agency_in(session, state, settings)
    applicant = make_agency(session, consultants=4, seniors=1)
    add_person(session, applicant, a_senior_of(session, other).id_number, senior=True)

    result = check_eligibility(session, applicant, TODAY)

    assert result.passed and not result.flagged and result.elsewhere == ()
    assert condition(result, "one_agency") == (True, False, "未发现咨询人员在其他备案机构登记")
    assert condition(result, "consultants")[2] == "咨询人员 5 名，不少于 5 名"


def test_between_two_holding_agencies_the_person_counts_where_registered_first(
    session: Session, settings: Settings
) -> None:
    first = agency_in(session, "filed", settings, name="先登记公司")
    later = agency_in(session, "assessed", settings, name="后登记公司", consultants=6)
    shared = a_senior_of(session, first)
    add_person(session, later, shared.id_number, senior=True)

    at_first = check_eligibility(session, first, TODAY)
    at_later = check_eligibility(session, later, TODAY)

    assert [e.counts_here for e in at_first.elsewhere] == [True]
    assert condition(at_first, "consultants")[2] == "咨询人员 5 名，不少于 5 名"
    assert condition(at_first, "one_agency")[2].endswith(
        f"登记于 后登记公司（编号 {later.id}，已考核），本机构登记在先，计入本机构"
    )
    assert [e.counts_here for e in at_later.elsewhere] == [False]
    assert condition(at_later, "consultants")[2].endswith("计 6 名，不少于 5 名")
    assert "先登记公司" in condition(at_later, "one_agency")[2]


def test_several_other_agencies_are_all_named(session: Session, settings: Settings) -> None:
    one = agency_in(session, "filed", settings, name="甲公司")
    number = a_senior_of(session, one).id_number
    two = agency_in(session, "retained", settings, name="乙公司", consultants=5)
    add_person(session, two, number)
    applicant = make_agency(session)
    add_person(session, applicant, number)

    entries = registered_elsewhere(session, applicant)

    assert [(e.agency_name, e.counts_here) for e in entries] == [
        ("甲公司", False),
        ("乙公司", False),
    ]
    reason = condition(check_eligibility(session, applicant, TODAY), "one_agency")[2]
    assert reason.startswith("⚠ 1 名咨询人员") and "甲公司" in reason and "乙公司" in reason


def test_the_id_number_is_only_ever_shown_masked(session: Session, settings: Settings) -> None:
    holder = agency_in(session, "filed", settings)
    number = a_senior_of(session, holder).id_number
    applicant = make_agency(session)
    add_person(session, applicant, number)

    result = check_eligibility(session, applicant, TODAY)
    shown = json.dumps(result.as_dict(), ensure_ascii=False)

    assert number not in shown
    assert result.as_dict()["registered_elsewhere"][0]["id_number"] == mask_id(number)
    assert result.as_dict()["registered_elsewhere"][0]["agency_id"] == holder.id
    assert [c["flagged"] for c in result.as_dict()["conditions"]].count(True) == 1


def test_the_english_texts_follow(session: Session, settings: Settings) -> None:
    from workflow.core.i18n import set_language

    holder = agency_in(session, "filed", settings, name="Holder Ltd")
    applicant = make_agency(session, consultants=4)
    add_person(session, applicant, a_senior_of(session, holder).id_number)
    set_language("en")
    try:
        result = check_eligibility(session, applicant, TODAY)
    finally:
        set_language("zh")
    assert "Holder Ltd" in condition(result, "one_agency")[2]
    assert condition(result, "consultants")[2].endswith("4, fewer than 5")
