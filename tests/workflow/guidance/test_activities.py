"""Recording guidance work (Art. 11): who may, for which unit and date, and the record
closes once the sheet is finalised. Art. 11 1(1) "推动创建单位召开创建工作启动会", 1(2)
"组织开展建设理念、机构搭建、风险辨识等培训工作", 2(4) "安全社区策划不少于15个具有特色的促进项目"."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import Session, select

from tests.workflow.assessment_builders import fill_sheet, full_points
from tests.workflow.guidance.helpers import TODAY, YEAR, guided
from workflow.access.actors import Actor
from workflow.assessment.sheets import lock
from workflow.core.errors import Conflict, InvalidInput, Refused
from workflow.core.settings import Settings
from workflow.guidance import activities, kinds
from workflow.guidance.activities import parse_fields, record_activity
from workflow.lifecycle.models import AuditEntry


def _training(day: str = "2026-03-05", topic: str = "风险辨识") -> activities.ActivityInput:
    return parse_fields("培训", day, topic=topic, description="风险辨识方法培训", attendance="32人")


def test_a_contact_records_its_own_work_and_an_admin_records_on_its_behalf(
    session: Session, settings: Settings
) -> None:
    world = guided(session)
    own = record_activity(
        session,
        world.agency_id,
        world.unit_id,
        YEAR,
        _training(),
        world.contact,
        settings,
        today=TODAY,
    )
    assert (own.kind, own.topic, own.attendance, own.on_behalf) == (
        kinds.TRAINING,
        "risk_identification",
        32,
        False,
    )
    paper = record_activity(
        session,
        world.agency_id,
        world.unit_id,
        YEAR,
        parse_fields("启动会", "2026年2月10日"),
        world.admin,
        settings,
        today=TODAY,
    )
    assert paper.on_behalf and paper.recorded_by == "cli:admin"
    entries = session.exec(select(AuditEntry).order_by(AuditEntry.seq)).all()
    assert [(e.trigger, e.role) for e in entries] == [
        ("guidance.add", "agency"),
        ("guidance.add", "admin"),
    ]
    assert entries[0].reason == "培训（风险辨识），幸福里社区，2026-03-05"


def test_somebody_else_may_not_record(session: Session, settings: Settings) -> None:
    world = guided(session)
    stranger = Actor.telegram(999, "陌生人")
    with pytest.raises(Refused) as refused:
        record_activity(
            session,
            world.agency_id,
            world.unit_id,
            YEAR,
            _training(),
            stranger,
            settings,
            today=TODAY,
        )
    assert refused.value.key == "lifecycle.no_role"


def test_only_units_the_agency_guides_that_year(session: Session, settings: Settings) -> None:
    world = guided(session)
    other = guided(session, name="光明社区", contact_id=7)
    with pytest.raises(Refused) as refused:
        record_activity(
            session,
            world.agency_id,
            other.unit_id,
            YEAR,
            _training(),
            world.contact,
            settings,
            today=TODAY,
        )
    assert refused.value.key == "guidance.not_guided"
    assert "光明社区" in str(refused.value)


@pytest.mark.parametrize(
    ("day", "key"),
    [
        ("2026-02-28", "guidance.before_start"),  # guidance began 1 March
        ("2026-11-21", "guidance.future"),  # after today
    ],
)
def test_dates_inside_the_guidance(
    session: Session, settings: Settings, day: str, key: str
) -> None:
    world = guided(session, started_on=date(2026, 3, 1))
    with pytest.raises(InvalidInput) as refused:
        record_activity(
            session,
            world.agency_id,
            world.unit_id,
            YEAR,
            _training(day),
            world.contact,
            settings,
            today=TODAY,
        )
    assert refused.value.key == key


def test_work_after_the_report_deadline_belongs_to_the_next_year(
    session: Session, settings: Settings
) -> None:
    world = guided(session)
    with pytest.raises(InvalidInput) as refused:
        record_activity(
            session,
            world.agency_id,
            world.unit_id,
            YEAR,
            _training("2026-12-20"),
            world.contact,
            settings,
            today=date(2026, 12, 28),
        )
    assert refused.value.key == "guidance.after_due"  # the default deadline is 15 December


def test_a_project_takes_the_units_only_programme_or_must_name_one(
    session: Session, settings: Settings
) -> None:
    single = guided(session)
    project = record_activity(
        session,
        single.agency_id,
        single.unit_id,
        YEAR,
        parse_fields(
            "促进项目",
            "2026-04-01",
            title="老旧小区电动车充电棚改造",
            details={"field": "消防安全", "status": "实施中"},
        ),
        single.contact,
        settings,
        today=TODAY,
    )
    assert (project.programme, project.details) == (
        kinds.SAFE_COMMUNITY,
        {"field": "消防安全", "status": "in_progress"},
    )
    both = guided(session, disaster=True, name="和平里社区", contact_id=8)
    with pytest.raises(InvalidInput) as refused:
        record_activity(
            session,
            both.agency_id,
            both.unit_id,
            YEAR,
            parse_fields("促进项目", "2026-04-01"),
            both.contact,
            settings,
            today=TODAY,
        )
    assert refused.value.key == "guidance.programme_needed"
    with pytest.raises(InvalidInput) as refused:
        record_activity(
            session,
            single.agency_id,
            single.unit_id,
            YEAR,
            parse_fields("促进项目", "2026-04-01", programme="综合减灾示范社区"),
            single.contact,
            settings,
            today=TODAY,
        )
    assert refused.value.key == "guidance.programme_not_guided"


@pytest.mark.parametrize(
    ("call", "key"),
    [
        (lambda: parse_fields("座谈", "2026-03-05"), "guidance.bad_kind"),
        (lambda: parse_fields("培训", "2026-03-05"), "guidance.bad_topic"),
        (lambda: parse_fields("启动会", "2026-03-05", topic="理念"), "guidance.no_topic"),
        (lambda: parse_fields("启动会", "2026-13-05"), "guidance.bad_field"),
        (lambda: parse_fields("启动会", "2026-03-05", description="a\x07b"), "guidance.bad_field"),
        (lambda: parse_fields("启动会", "2026-03-05", description="长" * 501), "guidance.too_long"),
        (
            lambda: parse_fields("方案计划", "2026-03-05", topic="总体方案", attendance="5"),
            "guidance.no_attendance",
        ),
        (
            lambda: parse_fields("培训", "2026-03-05", topic="其他", attendance="-1"),
            "guidance.bad_attendance",
        ),
        (
            lambda: parse_fields("领导机构", "2026-03-05", details={"residents": "10000000"}),
            "guidance.bad_count",
        ),
        (
            lambda: parse_fields("培训", "2026-03-05", topic="其他", attendance="½"),
            "guidance.bad_attendance",
        ),
        (
            lambda: parse_fields("领导机构", "2026-03-05", details={"residents": "¾"}),
            "guidance.bad_count",
        ),
        (
            lambda: parse_fields("领导机构", "2026-03-05", details={"pets": 1}),
            "guidance.bad_detail",
        ),
    ],
)
def test_bad_input_is_refused_in_words(call: object, key: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        call()  # type: ignore[operator]
    assert refused.value.key == key
    assert refused.value.message("zh")  # a Chinese sentence, not the key


def test_numbers_are_read_as_people_type_them() -> None:
    """Full-width and circled digits fold to their value (NFKC), never a traceback."""
    assert parse_fields("培训", "2026-03-05", topic="其他", attendance="３２人").attendance == 32
    assert parse_fields("培训", "2026-03-05", topic="其他", attendance="①").attendance == 1
    members = parse_fields("领导机构", "2026-03-05", details={"residents": "²"}).details
    assert members == {"residents": 2}


def test_a_finalised_sheet_closes_the_years_record(session: Session, settings: Settings) -> None:
    world = guided(session)
    activity = record_activity(
        session,
        world.agency_id,
        world.unit_id,
        YEAR,
        _training(),
        world.contact,
        settings,
        today=TODAY,
    )
    fill_sheet(session, world.agency_id, YEAR, full_points())
    lock(session, world.agency_id, YEAR, "专家甲")
    for change in (
        lambda: record_activity(
            session,
            world.agency_id,
            world.unit_id,
            YEAR,
            _training(),
            world.contact,
            settings,
            today=TODAY,
        ),
        lambda: activities.edit_activity(
            session,
            activity.id or 0,
            _training("2026-03-06"),
            world.contact,
            settings,
            today=TODAY,
        ),
        lambda: activities.delete_activity(session, activity.id or 0, world.admin, settings),
    ):
        with pytest.raises(Refused) as refused:
            change()
        assert refused.value.key == "guidance.finalised"


def test_edits_are_compare_and_set_and_audited(session: Session, settings: Settings) -> None:
    world = guided(session)
    activity = record_activity(
        session,
        world.agency_id,
        world.unit_id,
        YEAR,
        _training(),
        world.contact,
        settings,
        today=TODAY,
    )
    assert activity.id is not None
    changed = activities.edit_activity(
        session,
        activity.id,
        _training("2026-03-06"),
        world.contact,
        settings,
        revision=1,
        reason="日期录入有误",
        today=TODAY,
    )
    assert (changed.held_on, changed.revision) == (date(2026, 3, 6), 2)
    with pytest.raises(Conflict) as stale:
        activities.edit_activity(
            session,
            activity.id,
            _training("2026-03-07"),
            world.contact,
            settings,
            revision=1,
            today=TODAY,
        )
    assert stale.value.key == "guidance.changed_meanwhile"
    assert (
        activities.delete_activity(session, activity.id, world.admin, settings, reason="重复") == []
    )
    triggers = [e.trigger for e in session.exec(select(AuditEntry).order_by(AuditEntry.seq))]
    assert triggers == ["guidance.add", "guidance.edit", "guidance.delete"]
    assert activities.activities_of(session, world.agency_id, YEAR) == []


def test_each_kind_names_its_details_and_check_details_takes_only_those() -> None:
    assert kinds.detail_names(kinds.LEADING_BODY) == kinds.MEMBER_CATEGORIES
    assert kinds.detail_names(kinds.RISK_VISIT) == kinds.RISK_COUNTS
    assert kinds.detail_names(kinds.PROJECT) == ("field", "status")
    assert kinds.detail_names(kinds.TRAINING) == ()
    assert set(kinds.DETAIL_NAMES) == {n for k in kinds.KINDS for n in kinds.detail_names(k)}
    for kind in kinds.KINDS:
        given = {name: "1" for name in kinds.detail_names(kind) if name != "status"}
        assert set(kinds.check_details(kind, given)) >= set(given)
        with pytest.raises(
            InvalidInput, match="points" if kind != kinds.RISK_VISIT else "residents"
        ):
            kinds.check_details(kind, {"points" if kind != kinds.RISK_VISIT else "residents": 1})
