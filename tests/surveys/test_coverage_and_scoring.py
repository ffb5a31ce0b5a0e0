"""Who has answered, per agency and unit; the points that go into the score sheets."""

from __future__ import annotations

from pathlib import Path

from openpyxl import load_workbook
from sqlalchemy.engine import Engine
from sqlmodel import Session

from surveys.answering import Action, Press, open_survey, press, record_message
from surveys.coverage import Status, by_agency, coverage, pending_recipients, write_xlsx
from surveys.models import Invitation
from surveys.respondents import Respondent
from surveys.scoring import fill_sheets
from tests.surveys.helpers import CLOSED_YEAR, OPEN_YEAR, guided_units
from workflow.assessment.sheets import find_sheet, set_questionnaire_points, sheet_view
from workflow.community.models import Guidance
from workflow.community.units import add_unit
from workflow.core.settings import Settings
from workflow.reminders.plan import PendingUnit


def answer(
    session: Session,
    settings: Settings,
    invitation: Invitation,
    user: int,
    points: list[int],
    *,
    submit: bool = True,
) -> None:
    assert invitation.id is not None
    open_survey(session, invitation.token, Respondent.telegram(user), settings)
    record_message(session, invitation.id, 1)
    for number, value in enumerate(points, start=1):
        press(
            session,
            Press(invitation.id, Action.ANSWER, number, value),
            Respondent.telegram(user),
            settings,
            1,
        )
    if submit:
        press(session, Press(invitation.id, Action.SUBMIT), Respondent.telegram(user), settings, 1)
    session.commit()


def test_each_guided_unit_is_in_exactly_one_state(
    any_engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    with Session(any_engine, expire_on_commit=False) as session:
        guided = guided_units(session, count=4)
        late = add_unit(session, "后补社区", "西城区", disaster_reduction=True)
        session.add(Guidance(unit_id=late.id, agency_id=guided.agency.id, year=OPEN_YEAR))
        session.commit()
        _invited, opened, started, done = guided.invitations
        open_survey(session, opened.token, Respondent.telegram(11), settings)
        answer(session, settings, started, 12, [3, 3], submit=False)
        answer(session, settings, done, 13, [4, 4, 4, 4, 4])
        rows = coverage(session, OPEN_YEAR)
    states = {row.unit: row.status for row in rows}
    assert [states[u.name] for u in guided.units] == [
        Status.INVITED,
        Status.OPENED,
        Status.IN_PROGRESS,
        Status.SUBMITTED,
    ]
    assert states["后补社区"] == Status.NOT_INVITED
    by_unit = {row.unit: row for row in rows}
    assert by_unit[guided.units[2].name].answered == 2
    assert by_unit[guided.units[3].name].receipt is not None
    [summary] = by_agency(rows)
    assert summary.guided == 5 and summary.counts[Status.CLOSED] == 0  # the agency holds it
    assert all(count == 1 for status, count in summary.counts.items() if status != Status.CLOSED)

    path = write_xlsx(rows, tmp_path / "status.xlsx", OPEN_YEAR, settings)
    workbook = load_workbook(path)
    assert workbook.sheetnames == ["按机构", "按单位"]
    agency_rows = list(workbook["按机构"].iter_rows(values_only=True))
    assert agency_rows[0][3:] == (
        "指导单位数",
        "未邀请",
        "已邀请",
        "已打开",
        "填写中",
        "已提交",
        "已关闭",
    )
    assert agency_rows[1][3:] == (5, 1, 1, 1, 1, 1, 0)
    assert len(list(workbook["按单位"].iter_rows())) == 6


def test_the_units_to_remind_are_those_bound_to_a_link_and_not_yet_submitted(
    any_engine: Engine, settings: Settings
) -> None:
    with Session(any_engine, expire_on_commit=False) as session:
        guided = guided_units(session, count=4)
        other_year = guided_units(session, count=1, year=CLOSED_YEAR, agency=guided.agency)
        _invited, opened, started, done = guided.invitations
        open_survey(session, opened.token, Respondent.telegram(11), settings)
        answer(session, settings, started, 12, [3, 3], submit=False)
        answer(session, settings, done, 13, [4, 4, 4, 4, 4])
        old = other_year.invitations[0]
        old.bound_user_id = 14  # bound in a closed year: not this year's reminder
        session.add(old)
        session.commit()

        pending = pending_recipients(session, OPEN_YEAR)

    agency = guided.agency.name
    assert pending == [
        PendingUnit(11, guided.units[1].name, agency, str(opened.id)),
        PendingUnit(12, guided.units[2].name, agency, str(started.id)),
    ]
    with Session(any_engine) as session:
        assert [p.chat_id for p in pending_recipients(session, CLOSED_YEAR)] == [14]


def test_fill_puts_the_rounded_means_into_the_sheet_and_reports_agencies_without_responses(
    any_engine: Engine, settings: Settings
) -> None:
    with Session(any_engine, expire_on_commit=False) as session:
        rated = guided_units(session, count=3)
        silent = guided_units(session, count=1)
        first, second, unfinished = rated.invitations
        answer(session, settings, first, 21, [2, 4, 0, 1, 3])
        answer(session, settings, second, 22, [3, 4, 1, 2, 4])
        answer(
            session, settings, unfinished, 23, [0, 0], submit=False
        )  # not submitted: not counted
        report = fill_sheets(session, OPEN_YEAR, "admin-li", settings=settings)
        session.commit()
        assert [f.agency_id for f in report.filled] == [rated.agency.id]
        assert report.filled[0].points == {"3.1": 3, "3.2": 4, "3.3": 1, "3.4": 2, "3.5": 4}
        assert report.filled[0].responses == 2
        assert [(s.agency_id, s.reason) for s in report.skipped] == [
            (silent.agency.id, "no_responses")
        ]
        assert report.still_open is True
        view = sheet_view(session, rated.agency.id, OPEN_YEAR)
        assert {
            code: view.points[code] for code in ("3.1", "3.2", "3.3", "3.4", "3.5")
        } == report.filled[0].points
        assert view.sheet.questionnaire_source == "survey"
        assert find_sheet(session, silent.agency.id, OPEN_YEAR) is None  # never zero-filled


def test_the_latest_submission_counts_and_an_admin_entry_is_kept(
    any_engine: Engine, settings: Settings
) -> None:
    with Session(any_engine, expire_on_commit=False) as session:
        rated = guided_units(session, count=1)
        by_hand = guided_units(session, count=1)
        answer(session, settings, rated.invitations[0], 31, [1, 1, 1, 1, 1])
        open_survey(
            session, rated.invitations[0].token, Respondent.telegram(31), settings
        )  # reopen: review screen
        press(
            session,
            Press(rated.invitations[0].id, Action.CHANGE, 1),
            Respondent.telegram(31),
            settings,
            1,
        )
        press(
            session,
            Press(rated.invitations[0].id, Action.ANSWER, 1, 4),
            Respondent.telegram(31),
            settings,
            1,
        )
        press(
            session,
            Press(rated.invitations[0].id, Action.SUBMIT),
            Respondent.telegram(31),
            settings,
            1,
        )
        answer(session, settings, by_hand.invitations[0], 32, [0, 0, 0, 0, 0])
        points = {"3.1": 2, "3.2": 2, "3.3": 2, "3.4": 2, "3.5": 2}
        set_questionnaire_points(
            session, by_hand.agency.id, OPEN_YEAR, points, source="admin", actor="expert"
        )
        report = fill_sheets(session, OPEN_YEAR, "admin-li")
        assert report.filled[0].points["3.1"] == 4 and report.still_open is None
        assert [(s.agency_id, s.reason) for s in report.skipped] == [
            (by_hand.agency.id, "admin_entered")
        ]
        assert sheet_view(session, by_hand.agency.id, OPEN_YEAR).points["3.1"] == 2
