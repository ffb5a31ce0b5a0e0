"""Campaign dates into the next year, and the one reading of "the current campaign".

RULES, annual assessment (Art. 15): "A year's notice may move any date up to the end
of March of the next year; documents and answers belong to the campaign they were
handed in for, not to the calendar year of the upload." All moments in Asia/Shanghai.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from tests.workflow.lifecycle_steps import agency_in
from workflow.community.campaigns import current_campaign_year, set_campaign_dates
from workflow.core.errors import InvalidInput
from workflow.core.settings import Settings
from workflow.reminders import contacts
from workflow.reminders.cycle import campaigns_near
from workflow.reminders.models import SubmittedDocument

BEIJING = ZoneInfo("Asia/Shanghai")


def beijing(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=BEIJING)


def into_january(session: Session, settings: Settings) -> None:
    """The 2026 notice: report due 15 January 2027, results by the end of March 2027."""
    set_campaign_dates(
        session,
        2026,
        settings,
        report_due=date(2027, 1, 15),
        questionnaire_closes=date(2027, 1, 20),
        results_published=date(2027, 3, 31),
    )
    session.commit()


def test_a_notice_may_move_the_dates_up_to_31_march_of_the_next_year(
    session: Session, settings: Settings
) -> None:
    into_january(session, settings)
    for wrong in ({"results_published": date(2027, 4, 1)}, {"opens": date(2025, 12, 31)}):
        with pytest.raises(InvalidInput) as caught:
            set_campaign_dates(session, 2026, settings, **wrong)
        assert caught.value.key == "campaign.wrong_year"
        assert "2026-01-01 至 2027-03-31" in caught.value.message("zh")
    with pytest.raises(InvalidInput) as caught:  # the order still holds across the new year
        set_campaign_dates(session, 2026, settings, questionnaire_closes=date(2027, 1, 14))
    assert caught.value.key == "campaign.dates_out_of_order"


def test_the_current_campaign_is_last_years_while_its_window_runs_into_january(
    any_engine: Engine, settings: Settings
) -> None:
    with Session(any_engine) as session:
        assert current_campaign_year(session, beijing(2027, 1, 10, 10, 0), settings) == 2027
        into_january(session, settings)
        assert current_campaign_year(session, beijing(2026, 6, 1, 9, 0), settings) == 2026
        assert current_campaign_year(session, beijing(2027, 1, 10, 10, 0), settings) == 2026
        assert current_campaign_year(session, beijing(2027, 3, 31, 23, 30), settings) == 2026
        # 16:30 UTC on 31 March is already 1 April in Beijing: the window has ended
        assert current_campaign_year(session, beijing(2027, 4, 1, 0, 30), settings) == 2027
        set_campaign_dates(session, 2027, settings, opens=date(2027, 3, 1))
        session.commit()  # two windows contain 10 March: the latest campaign is current
        assert current_campaign_year(session, beijing(2027, 3, 10, 9, 0), settings) == 2027


def test_the_reminders_look_at_the_campaign_that_runs_into_january(
    any_engine: Engine, settings: Settings
) -> None:
    with Session(any_engine) as session:
        into_january(session, settings)
        near = campaigns_near(session, beijing(2027, 1, 10, 9, 0), settings)
        assert [c.year for c in near] == [2026]
        assert near[0].report_due == date(2027, 1, 15)
        assert [c.year for c in campaigns_near(session, beijing(2027, 4, 2, 9, 0), settings)] == [
            2027
        ]


def test_an_upload_on_10_january_counts_for_the_campaign_still_open(
    any_engine: Engine, settings: Settings
) -> None:
    with Session(any_engine, expire_on_commit=False) as session:
        agency = agency_in(session, "filed", settings)
        assert agency.id is not None
        into_january(session, settings)
        now = beijing(2027, 1, 10, 15, 0)
        assert contacts.upload_year(session, agency.id, "file-1", now, settings) == (2026, False)
        contacts.record_document(
            session,
            SubmittedDocument(
                agency_id=agency.id,
                year=2026,
                kind="report",
                stored_path="/tmp/x.pdf",
                original_name="2026年度工作情况报告.pdf",
                mime_type="application/pdf",
                size=10,
                file_unique_id="file-1",
                telegram_user_id=77,
                submitted_at=now,
            ),
        )
        session.commit()
        assert contacts.upload_year(session, agency.id, "file-1", now, settings) == (2026, True)
        assert contacts.missing_documents(session, agency.id, 2026) == ("evidence",)
