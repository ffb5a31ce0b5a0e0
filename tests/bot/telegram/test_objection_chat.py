"""/objection in chat (Art. 15 "考核并公示"; RULES.md "Publication (公示, Art. 15) and
objections"): an admin records an agency's objection during the 公示 period; experts
and strangers may not; outside the period it is refused; ground-1 exits wait."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from tests.chat import OfflineChat
from tests.workflow.assessment_builders import assessed_agency, full_points
from workflow.access.actors import Actor, Role
from workflow.access.grants import grant
from workflow.assessment.models import Objection, Publication
from workflow.core.clock import local_date, utcnow
from workflow.core.settings import Settings, load_settings
from workflow.lifecycle import audit
from workflow.registry.models import Agency

ADMIN_ID = 1001
EXPERT_ID = 2001
STRANGER_ID = 9999
YEAR = 2026


@pytest.fixture
def admin_settings(settings: Settings) -> Settings:
    return load_settings(database_url=settings.database_url, admin_ids=[ADMIN_ID])


@pytest.fixture
async def chat(admin_settings: Settings, engine: Engine) -> AsyncIterator[OfflineChat]:
    async with OfflineChat(admin_settings, engine) as chat:
        yield chat


def _failed_agency(engine: Engine, settings: Settings) -> Agency:
    points = full_points()
    points["2.4"] = 0
    with Session(engine, expire_on_commit=False) as session:
        return assessed_agency(session, settings, points, year=YEAR, guided=(YEAR,))


def _period(engine: Engine, settings: Settings, *, from_today: int) -> Publication:
    """A 公示 period of `publicity_days` starting `from_today` days from today."""
    starts = local_date(utcnow(), settings.zone) + timedelta(days=from_today)
    publication = Publication(
        year=YEAR,
        starts=starts,
        ends=starts + timedelta(days=settings.publicity_days),
        opened_by="cli:王管理",
    )
    with Session(engine, expire_on_commit=False) as session:
        session.add(publication)
        session.commit()
    return publication


def _objections(engine: Engine) -> list[Objection]:
    with Session(engine) as session:
        return list(session.exec(select(Objection)).all())


async def test_an_admin_records_an_objection_in_the_period(
    chat: OfflineChat, engine: Engine, admin_settings: Settings
) -> None:
    agency = _failed_agency(engine, admin_settings)
    _period(engine, admin_settings, from_today=-2)
    await chat.send(ADMIN_ID, f"/objection {agency.id} 指标 2.4 的风险辨识报告已提交 未计分")
    reply = chat.last_text(ADMIN_ID)
    (made,) = _objections(engine)
    assert f"已登记异议 #{made.id}" in reply and agency.name in reply and "2026年" in reply
    assert (made.reason, made.recorded_by) == ("指标 2.4 的风险辨识报告已提交 未计分", "tg:1001")
    with Session(engine) as session:
        last = audit.history(session, agency.id or 0)[-1]
        assert (last.trigger, last.channel) == ("objection.record", "chat")


async def test_the_ground_one_exit_waits_in_chat(
    chat: OfflineChat, engine: Engine, admin_settings: Settings
) -> None:
    agency = _failed_agency(engine, admin_settings)
    period = _period(engine, admin_settings, from_today=-2)
    await chat.send(ADMIN_ID, f"/advance {agency.id} withdraw unqualified 2026年度考核不合格")
    await chat.tap_label(ADMIN_ID, "确认")
    ends = f"{period.ends.year}年{period.ends.month}月{period.ends.day}日"
    assert f"公示期至 {ends}，期满且无未处理异议后方可取消优先推荐资格" in chat.last_text(ADMIN_ID)


async def test_outside_the_period_the_objection_is_refused(
    chat: OfflineChat, engine: Engine, admin_settings: Settings
) -> None:
    agency = _failed_agency(engine, admin_settings)
    await chat.send(ADMIN_ID, f"/objection {agency.id} 理由")
    assert "尚无已公示的考核结果" in chat.last_text(ADMIN_ID)
    _period(engine, admin_settings, from_today=-30)
    await chat.send(ADMIN_ID, f"/objection {agency.id} 理由")
    assert "不在公示期内，不能登记异议" in chat.last_text(ADMIN_ID)
    await chat.send(ADMIN_ID, "/objection")
    assert "/objection 机构编号或全称 异议理由" in chat.last_text(ADMIN_ID)
    assert _objections(engine) == []


async def test_objection_is_for_admins_only(
    chat: OfflineChat, engine: Engine, admin_settings: Settings
) -> None:
    agency = _failed_agency(engine, admin_settings)
    _period(engine, admin_settings, from_today=0)
    with Session(engine) as session:
        grant(session, f"tg:{EXPERT_ID}", Role.EXPERT, Actor.cli("王管理"), admin_settings)
        session.commit()
    await chat.send(EXPERT_ID, f"/objection {agency.id} 理由")
    assert "需要“管理员”角色" in chat.last_text(EXPERT_ID)
    await chat.send(STRANGER_ID, f"/objection {agency.id} 理由")
    assert "仅供文促会管理员和专家使用" in chat.last_text(STRANGER_ID)
    assert _objections(engine) == []
