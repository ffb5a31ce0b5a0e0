"""End to end over real HTTP: an agency contact records a piece of guidance work with
`/record` (Art. 11) and the bot is killed with SIGKILL in the middle of the flow; a new
bot process resumes it at the step it had reached. Both backends."""

from __future__ import annotations

import signal
from datetime import date

from sqlmodel import Session, select

from tests.builders import make_agency
from tests.e2e.test_survey_e2e import World, button, database_url, world  # noqa: F401
from workflow.community.models import CreationUnit, Guidance
from workflow.core.db import make_engine
from workflow.guidance.models import ActivityDraft, GuidanceActivity
from workflow.reminders.models import AgencyContact

CONTACT = 2201


def _seed(where: World, year: int) -> str:
    """An agency guiding one unit this year, with its contact bound; the unit's name."""
    engine = make_engine(where.database_url)
    try:
        with Session(engine) as session:
            agency = make_agency(session, consultants=0, seniors=0)
            unit = CreationUnit(name="和平里社区", district="东城区", safe_community=True)
            session.add(unit)
            session.flush()
            assert unit.id is not None and agency.id is not None
            session.add(
                Guidance(unit_id=unit.id, agency_id=agency.id, year=year, safe_community=True)
            )
            session.add(AgencyContact(agency_id=agency.id, telegram_user_id=CONTACT))
            session.commit()
            return unit.name
    finally:
        engine.dispose()


def test_a_killed_bot_resumes_the_record_flow_where_it_was(world: World) -> None:  # noqa: F811
    bot = world.start_bot()
    year = date.today().year  # the campaign of an empty database is the calendar year
    unit = _seed(world, year)

    world.say(CONTACT, "/record", "记录指导工作：请选择创建单位")
    world.tap(CONTACT, unit, f"{unit}：请选择工作类型")
    world.tap(CONTACT, "培训", "培训：请选择主题")
    # the topic press is handled (answered) and the bot is killed at once
    message = world.api.last_message(CONTACT)
    update_id, query_id = world.api.press(
        CONTACT, message["message_id"], button(message, "风险辨识")
    )
    world.api.wait_for(
        lambda: query_id in world.api.answered and world.api.confirmed_through >= update_id
    )
    bot.process.send_signal(signal.SIGKILL)
    assert bot.process.wait(10) == -signal.SIGKILL

    world.start_bot()
    day = f"{year}-01-01"
    world.say(CONTACT, day, f"培训（风险辨识），{day}：请输入一句话说明")
    world.say(CONTACT, "风险辨识方法培训，到会 32 人", "已保存：培训（风险辨识），和平里社区")
    world.tap(CONTACT, "完成", "已完成记录：培训（风险辨识），和平里社区")

    last = world.bots[-1]
    last.process.send_signal(signal.SIGTERM)
    assert last.process.wait(30) == 0, last.output()
    engine = make_engine(world.database_url)
    try:
        with Session(engine) as session:
            (activity,) = session.exec(select(GuidanceActivity)).all()
            assert (activity.kind, activity.topic, activity.held_on) == (
                "training",
                "risk_identification",
                date(year, 1, 1),
            )
            assert activity.description == "风险辨识方法培训，到会 32 人"
            assert not activity.on_behalf
            assert session.exec(select(ActivityDraft)).all() == []
    finally:
        engine.dispose()
