"""Admin and expert chat commands: permission, paging, confirm-then-advance, audit."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.demo.offline import Call
from bot.telegram.admin import publish_commands
from bot.telegram.rendering import PAGE_SIZE
from tests.builders import committed
from tests.chat import OfflineChat
from tests.lists import table
from tests.workflow.lifecycle_steps import ADMIN, agency_in, audit_count, make_agency, prepare
from workflow.community.models import Campaign
from workflow.core.settings import Settings, load_settings
from workflow.lifecycle import audit
from workflow.lifecycle import engine as lifecycle
from workflow.registry.models import Agency
from workflow.rounds import service as rounds

ADMIN_ID = 1001
EXPERT_ID = 2001
STRANGER_ID = 9999


@pytest.fixture
def admin_settings(settings: Settings) -> Settings:
    return load_settings(database_url=settings.database_url, admin_ids=[ADMIN_ID])


@pytest.fixture
async def chat(admin_settings: Settings, engine: Engine) -> AsyncIterator[OfflineChat]:
    async with OfflineChat(admin_settings, engine) as chat:
        yield chat


@pytest.mark.parametrize(
    "command",
    [
        "/agencies",
        "/agency 1",
        "/actions 1",
        "/advance 1 review",
        "/history 1",
        "/score 1",
        "/survey 2026",
        "/remind",
    ],
)
async def test_every_staff_command_refuses_strangers(
    chat: OfflineChat, engine: Engine, command: str, caplog: pytest.LogCaptureFixture
) -> None:
    with Session(engine) as session:
        make_agency(session)
    before = _state(engine)
    await chat.send(STRANGER_ID, command)
    assert "仅供文促会管理员和专家使用" in chat.last_text(STRANGER_ID)
    assert f"tg:{STRANGER_ID}" in caplog.text
    assert _state(engine) == before


async def test_agencies_are_listed_by_state_and_paged(chat: OfflineChat, engine: Engine) -> None:
    with Session(engine) as session:
        for _ in range(PAGE_SIZE + 2):
            make_agency(session)
    await chat.send(ADMIN_ID, "/agencies applied")
    first = chat.last_text(ADMIN_ID)
    assert f"共 {PAGE_SIZE + 2} 家" in first and "第 1/2 页" in first
    assert first.count("已申请") >= PAGE_SIZE
    await chat.tap_label(ADMIN_ID, "▶")
    second = chat.last_text(ADMIN_ID)
    assert "第 2/2 页" in second and second.count("\n#") == 2
    await chat.send(ADMIN_ID, "/agencies nonsense")
    assert "没有状态“nonsense”" in chat.last_text(ADMIN_ID)


async def test_forged_page_button_changes_nothing(chat: OfflineChat, engine: Engine) -> None:
    with Session(engine) as session:
        make_agency(session)
    await chat.send(ADMIN_ID, "/agencies")
    await chat.tap(ADMIN_ID, "ad:pg:agencies:all:x", message_id=1)
    assert chat.errors == []


async def test_a_page_button_that_cannot_be_rendered_is_answered_once(
    chat: OfflineChat, engine: Engine
) -> None:
    for data in ("ad:pg:history:999:0", "ad:pg:agencies:bogus:0", "ad:pg:survey:1999-1:0"):
        said = await chat.tap(ADMIN_ID, data, message_id=1)
        assert [c.method for c in said].count("answerCallbackQuery") == 1, data
    assert "没有找到机构“999”" in chat.in_chat(ADMIN_ID)[0].text


async def test_history_pages_however_the_agency_was_named(
    chat: OfflineChat, engine: Engine, admin_settings: Settings
) -> None:
    with Session(engine, expire_on_commit=False) as session:
        agency = make_agency(session)
        assert agency.id is not None
        for points in range(60, 60 + PAGE_SIZE + 1):  # one audit entry each
            committed(rounds.record_scores)(session, agency.id, ADMIN, material=points)
    full_width_id = str(agency.id).translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    for ref in (agency.credit_code.lower(), full_width_id):
        await chat.send(ADMIN_ID, f"/history {ref}")
        assert "第 1/2 页" in chat.last_text(ADMIN_ID)
        assert chat.button(ADMIN_ID, "▶") == f"ad:pg:history:{agency.id}:1"
        await chat.tap_label(ADMIN_ID, "▶")
        assert "第 2/2 页" in chat.last_text(ADMIN_ID)


async def test_advance_asks_to_confirm_then_fires_through_the_service(
    chat: OfflineChat, engine: Engine, admin_settings: Settings
) -> None:
    agency_id = _reviewable(engine, admin_settings)
    with Session(engine) as session:
        count = audit_count(session)
    await chat.send(ADMIN_ID, f"/advance {agency_id} review")
    assert "已申请 → 材料审核通过" in chat.last_text(ADMIN_ID)
    assert _status(engine, agency_id) == "applied"  # nothing before the confirmation
    await chat.tap_label(ADMIN_ID, "确认")
    assert "已完成" in chat.last_text(ADMIN_ID)
    assert _status(engine, agency_id) == "reviewed"
    with Session(engine) as session:
        assert audit_count(session) == count + 1
        entry = audit.history(session, agency_id)[-1]
        assert (entry.actor, entry.channel, entry.trigger) == (f"tg:{ADMIN_ID}", "chat", "review")


async def test_advance_cancel_and_stale_confirmation_change_nothing(
    chat: OfflineChat, engine: Engine, admin_settings: Settings
) -> None:
    agency_id = _reviewable(engine, admin_settings)
    await chat.send(ADMIN_ID, f"/advance {agency_id} review")
    confirm = chat.button(ADMIN_ID, "确认")
    await chat.tap_label(ADMIN_ID, "取消")
    assert "已取消" in chat.last_text(ADMIN_ID)
    await chat.tap(ADMIN_ID, confirm, message_id=1)  # the old ✅ after cancelling
    assert _status(engine, agency_id) == "applied"


async def test_a_confirmation_seen_before_someone_else_moved_the_agency_changes_nothing(
    chat: OfflineChat, engine: Engine, admin_settings: Settings
) -> None:
    agency_id = _reviewable(engine, admin_settings)
    await chat.send(ADMIN_ID, f"/advance {agency_id} reject 材料不全")
    with Session(engine) as session:  # meanwhile, at the terminal
        committed(lifecycle.advance)(session, agency_id, "review", ADMIN, settings=admin_settings)
    before = _state(engine)
    await chat.tap_label(ADMIN_ID, "确认")
    assert "未执行" in chat.last_text(ADMIN_ID) and "刚被他人改变" in chat.last_text(ADMIN_ID)
    assert _status(engine, agency_id) == "reviewed" and _state(engine) == before


async def test_advance_refuses_with_the_reason_in_one_reply(
    chat: OfflineChat, engine: Engine
) -> None:
    with Session(engine, expire_on_commit=False) as session:
        agency = make_agency(session, consultants=3)
    before = _state(engine)
    await chat.send(ADMIN_ID, f"/advance {agency.id} review")
    assert "少于 5" in chat.last_text(ADMIN_ID) or "5" in chat.last_text(ADMIN_ID)
    await chat.send(ADMIN_ID, f"/advance {agency.id} file")
    assert "不能执行" in chat.last_text(ADMIN_ID)
    await chat.send(ADMIN_ID, f"/advance {agency.id} reject")
    assert "需要填写理由" in chat.last_text(ADMIN_ID)
    await chat.send(ADMIN_ID, f"/advance {agency.id} fly")
    assert "没有操作“fly”" in chat.last_text(ADMIN_ID)
    await chat.send(ADMIN_ID, "/advance 999 review")
    assert "999" in chat.last_text(ADMIN_ID)
    await chat.send(ADMIN_ID, "/advance")
    assert "用法" in chat.last_text(ADMIN_ID)
    assert _state(engine) == before


async def test_withdraw_needs_a_ground_and_records_it(
    chat: OfflineChat, engine: Engine, admin_settings: Settings
) -> None:
    with Session(engine, expire_on_commit=False) as session:
        agency = agency_in(session, "filed", admin_settings)
    await chat.send(ADMIN_ID, f"/advance {agency.id} withdraw 人员流失")
    assert "退出依据" in chat.last_text(ADMIN_ID)
    await chat.send(ADMIN_ID, f"/advance {agency.id} withdraw staff_change 专职人员全部离职")
    await chat.tap_label(ADMIN_ID, "确认")
    assert _status(engine, agency.id) == "withdrawn"
    with Session(engine) as session:
        entry = audit.history(session, agency.id)[-1]
        assert (entry.ground, entry.reason) == ("staff_change", "专职人员全部离职")


async def test_history_actions_and_agency_views(
    chat: OfflineChat, engine: Engine, admin_settings: Settings
) -> None:
    with Session(engine, expire_on_commit=False) as session:
        agency = agency_in(session, "interviewed", admin_settings)
    await chat.send(ADMIN_ID, f"/history {agency.id}")
    history = chat.last_text(ADMIN_ID)
    assert "已申请 → 材料审核通过" in history and "材料审核通过 → 已通过面试答辩" in history
    assert "录入评分" in history
    await chat.send(ADMIN_ID, f"/actions {agency.id}")
    actions = chat.last_text(ADMIN_ID)
    assert "✗ 备案 → 已备案：" in actions and "✓ 不予通过 → 未通过" in actions
    assert "file" not in actions and "reject" not in actions
    await chat.send(ADMIN_ID, f"/agency {agency.id}")
    shown = chat.last_text(ADMIN_ID)
    assert agency.name in shown and "13812345678" not in shown


async def test_score_reports_an_incomplete_sheet(chat: OfflineChat, engine: Engine) -> None:
    with Session(engine, expire_on_commit=False) as session:
        agency = make_agency(session)
    await chat.send(ADMIN_ID, f"/score {agency.id} 2026")
    assert "没有 2026年度的考核评分表" in chat.last_text(ADMIN_ID)
    await chat.send(ADMIN_ID, f"/score {agency.id} 20x6")
    assert "不是有效的年份" in chat.last_text(ADMIN_ID)


async def test_score_says_passed_or_not_in_the_terms(chat: OfflineChat, engine: Engine) -> None:
    """TERMS.md: 考核通过 / 考核不通过, 基本分 (not 符合, 基础分)."""
    from tests.workflow.assessment_builders import fill_sheet, points_totalling

    with Session(engine, expire_on_commit=False) as session:
        good, low = make_agency(session), make_agency(session)
        fill_sheet(session, good.id or 0, 2026, points_totalling(80))
        fill_sheet(session, low.id or 0, 2026, points_totalling(69), {"B1": 1})
    await chat.send(ADMIN_ID, f"/score {good.id} 2026")
    shown = chat.last_text(ADMIN_ID)
    assert (
        "基本分 80 分，加分 0 分，总分 80 分，等级：合格，考核通过" in shown and "符合" not in shown
    )
    await chat.send(ADMIN_ID, f"/score {low.id} 2026")
    shown = chat.last_text(ADMIN_ID)
    assert "基本分 69 分，加分 1 分，总分 70 分，等级：不合格，考核不通过" in shown
    assert "说明：基本分 69 分，低于合格线 70 分" in shown


async def test_score_defaults_to_the_campaign_still_open_in_january(
    chat: OfflineChat, engine: Engine, admin_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Art. 15 and RULES: a notice may move the dates into the next year; on 10 January
    the campaign of 2026 is still the current one, so `/score ID` shows its sheet."""
    from datetime import date, datetime
    from zoneinfo import ZoneInfo

    from tests.workflow.assessment_builders import fill_sheet, points_totalling
    from workflow.community.campaigns import set_campaign_dates

    with Session(engine, expire_on_commit=False) as session:
        agency = make_agency(session)
        fill_sheet(session, agency.id or 0, 2026, points_totalling(80))
        set_campaign_dates(session, 2026, admin_settings, results_published=date(2027, 3, 31))
        session.commit()
    january = datetime(2027, 1, 10, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    monkeypatch.setattr("bot.telegram.admin.utcnow", lambda: january)
    await chat.send(ADMIN_ID, f"/score {agency.id}")
    shown = chat.last_text(ADMIN_ID)
    assert "2026" in shown and "基本分 80" in shown
    april = datetime(2027, 4, 1, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    monkeypatch.setattr("bot.telegram.admin.utcnow", lambda: april)
    await chat.send(ADMIN_ID, f"/score {agency.id}")
    assert "没有 2027年度的考核评分表" in chat.last_text(ADMIN_ID)


async def test_commands_are_registered_per_role(chat: OfflineChat) -> None:
    await publish_commands(chat.app)
    calls = [c for c in chat.request.calls if c.method == "setMyCommands"]
    menus = {
        c.params["scope"].get("chat_id", "everyone"): [m["command"] for m in c.params["commands"]]
        for c in calls
    }
    assert set(menus) == {"everyone", ADMIN_ID}
    assert "advance" not in menus["everyone"] and {"status", "weblink"} <= set(menus["everyone"])
    assert {"agencies", "advance", "history", "score", "survey", "remind"} <= set(menus[ADMIN_ID])


def _reviewable(engine: Engine, settings: Settings) -> int:
    """A fresh agency with everything `review` needs: the id."""
    with Session(engine, expire_on_commit=False) as session:
        agency = make_agency(session)
        assert agency.id is not None
        prepare(session, agency.id, "review", settings)
        return agency.id


def _status(engine: Engine, agency_id: int) -> str:
    with Session(engine) as session:
        row = session.get(Agency, agency_id)
        assert row is not None
        return row.status


def _state(engine: Engine) -> tuple[object, ...]:
    with Session(engine) as session:
        from tests.workflow.lifecycle_steps import snapshot

        return snapshot(session)


async def test_an_expert_may_review_but_not_file(
    chat: OfflineChat, engine: Engine, admin_settings: Settings
) -> None:
    from workflow.access.actors import Actor, Role
    from workflow.access.grants import grant

    with Session(engine, expire_on_commit=False) as session:
        grant(session, f"tg:{EXPERT_ID}", Role.EXPERT, Actor.cli("王管理"), admin_settings)
        session.commit()
        reviewable = make_agency(session)
        assert reviewable.id is not None
        prepare(session, reviewable.id, "review", admin_settings)
        interviewed = agency_in(session, "interviewed", admin_settings)
    await chat.send(EXPERT_ID, f"/actions {interviewed.id}")
    assert "✗ 备案 → 已备案" in chat.last_text(EXPERT_ID) and "需要“管理员”角色" in chat.last_text(
        EXPERT_ID
    )
    await chat.send(EXPERT_ID, f"/advance {interviewed.id} file")
    assert _status(engine, interviewed.id) == "interviewed"
    await chat.send(EXPERT_ID, f"/advance {reviewable.id} review")
    await chat.tap_label(EXPERT_ID, "确认")
    assert _status(engine, reviewable.id) == "reviewed"


async def test_survey_coverage_per_agency_and_per_unit(
    chat: OfflineChat, engine: Engine, admin_settings: Settings
) -> None:
    from surveys.answering import open_survey
    from surveys.respondents import Respondent
    from tests.surveys.helpers import OPEN_YEAR, guided_units
    from tests.surveys.test_coverage_unreachable import BLOCKER, block

    with Session(engine, expire_on_commit=False) as session:
        guided = guided_units(session, count=2)
        open_survey(
            session, guided.invitations[0].token, Respondent.telegram(BLOCKER), admin_settings
        )
        block(session, BLOCKER)
        session.commit()
    await chat.send(ADMIN_ID, f"/survey {OPEN_YEAR}")
    assert guided.agency.name in chat.last_text(ADMIN_ID)
    await chat.send(ADMIN_ID, f"/survey {OPEN_YEAR} {guided.agency.id}")
    per_unit = chat.last_text(ADMIN_ID)
    assert guided.units[0].name in per_unit and guided.units[1].name in per_unit
    assert per_unit.count("已屏蔽机器人") == 1
    await chat.send(ADMIN_ID, "/survey 20x6")
    assert "不是有效的年份" in chat.last_text(ADMIN_ID)


async def test_remind_lists_what_is_due_and_stores_nothing(
    chat: OfflineChat, engine: Engine
) -> None:
    await chat.send(ADMIN_ID, "/remind")
    assert "待发送的提醒共" in chat.last_text(ADMIN_ID)
    with Session(engine) as session:  # a look: no campaign row saved with today's defaults
        assert session.exec(select(Campaign)).all() == []


async def test_a_confirmation_expires_after_fifteen_minutes(
    chat: OfflineChat, engine: Engine, admin_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import timedelta

    import bot.telegram.admin

    agency_id = _reviewable(engine, admin_settings)
    await chat.send(ADMIN_ID, f"/advance {agency_id} review")
    later = bot.telegram.admin.utcnow() + timedelta(minutes=16)
    monkeypatch.setattr(bot.telegram.admin, "utcnow", lambda: later)
    said = await chat.tap_label(ADMIN_ID, "确认")
    assert _alerts(said) == ["这个确认已过期（超过 15 分钟未确认），请重新发送 /advance。"]
    assert _status(engine, agency_id) == "applied"


def _alerts(said: list[Call]) -> list[str]:
    return [
        str(c.params["text"])
        for c in said
        if c.method == "answerCallbackQuery" and c.params.get("text")
    ]


async def test_a_confirmation_survives_a_restart_and_works_in_another_process(
    engine: Engine, admin_settings: Settings
) -> None:
    agency_id = _reviewable(engine, admin_settings)
    async with OfflineChat(admin_settings, engine) as first:
        await first.send(ADMIN_ID, f"/advance {agency_id} review")
        confirm = first.button(ADMIN_ID, "确认")
    async with OfflineChat(admin_settings, engine) as second:  # restarted, or the other worker
        said = await second.tap(ADMIN_ID, confirm, message_id=1)
        assert _alerts(said) == []
        assert "已完成" in second.last_text(ADMIN_ID)
    assert _status(engine, agency_id) == "reviewed"


async def test_a_second_tap_on_a_confirmed_or_cancelled_advance_says_so(
    chat: OfflineChat, engine: Engine, admin_settings: Settings
) -> None:
    agency_id = _reviewable(engine, admin_settings)
    await chat.send(ADMIN_ID, f"/advance {agency_id} review")
    confirm = chat.button(ADMIN_ID, "确认")
    await chat.tap(ADMIN_ID, confirm)
    with Session(engine) as session:
        count = audit_count(session)
    said = await chat.tap(ADMIN_ID, confirm, message_id=1)
    assert _alerts(said) == ["这个操作已经确认并执行过了，无需再点。"]
    await chat.send(ADMIN_ID, f"/advance {agency_id} reject 材料不全")
    cancel = chat.button(ADMIN_ID, "取消")
    await chat.tap(ADMIN_ID, cancel)
    said = await chat.tap(ADMIN_ID, cancel.replace(":no:", ":ok:"), message_id=2)
    assert _alerts(said) == ["这个操作已经取消了。如仍需执行，请重新发送 /advance。"]
    with Session(engine) as session:
        assert audit_count(session) == count  # neither second tap changed anything
    assert _status(engine, agency_id) == "reviewed"


async def test_a_confirmation_is_only_its_authors(engine: Engine, admin_settings: Settings) -> None:
    other_admin = 1002
    settings = load_settings(
        database_url=admin_settings.database_url, admin_ids=[ADMIN_ID, other_admin]
    )
    agency_id = _reviewable(engine, settings)
    async with OfflineChat(settings, engine) as chat:
        await chat.send(ADMIN_ID, f"/advance {agency_id} review")
        said = await chat.tap(other_admin, chat.button(ADMIN_ID, "确认"), message_id=1)
        assert _alerts(said) == ["这个确认已过期（超过 15 分钟未确认），请重新发送 /advance。"]
    assert _status(engine, agency_id) == "applied"


async def test_a_refused_confirmation_is_marked_failed_for_a_second_tap(
    chat: OfflineChat, engine: Engine, admin_settings: Settings
) -> None:
    agency_id = _reviewable(engine, admin_settings)
    await chat.send(ADMIN_ID, f"/advance {agency_id} reject 材料不全")
    confirm = chat.button(ADMIN_ID, "确认")
    with Session(engine) as session:  # meanwhile, at the terminal
        committed(lifecycle.advance)(session, agency_id, "review", ADMIN, settings=admin_settings)
    await chat.tap(ADMIN_ID, confirm)
    assert "未执行" in chat.last_text(ADMIN_ID)
    said = await chat.tap(ADMIN_ID, confirm, message_id=1)
    assert _alerts(said) == [
        "这个操作已确认过，但当时未能执行（原因见上方消息）。请重新发送 /advance。"
    ]
    assert _status(engine, agency_id) == "reviewed"


async def test_a_malformed_confirmation_button_is_not_recognised(chat: OfflineChat) -> None:
    said = await chat.tap(ADMIN_ID, "ad:ok:short", message_id=1)
    assert _alerts(said) == ["这个确认按钮无法识别，请重新发送 /advance。"]


async def test_advance_in_chat_applies_the_pass_marks_of_the_round(
    chat: OfflineChat, engine: Engine, admin_settings: Settings
) -> None:
    """Art. 10(2) "专家组对申报单位主要负责人进行面试答辩": `/advance … interview` below the
    pass mark (60) is refused with the reason in words, as `safecomm advance` is."""
    agency_id = _reviewable(engine, admin_settings)
    with Session(engine) as session:
        committed(lifecycle.advance)(session, agency_id, "review", ADMIN, settings=admin_settings)
        committed(rounds.record_scores)(
            session, agency_id, ADMIN, interview=55, settings=admin_settings
        )
        before = audit_count(session)
    await chat.send(ADMIN_ID, f"/advance {agency_id} interview")
    assert "面试答辩得分 55 分，低于通过线 60 分，面试答辩不通过" in chat.last_text(ADMIN_ID)
    assert not any("ad:ok:" in data for data in chat.all_callback_data())
    assert _status(engine, agency_id) == "reviewed"
    with Session(engine) as session:
        assert audit_count(session) == before


async def test_a_confirmed_withdrawal_in_chat_writes_the_register_again(
    engine: Engine, admin_settings: Settings, tmp_path: Path
) -> None:
    """Art. 6 "向社会公布": the ✅ of `/advance … withdraw` takes the agency off the register,
    and the register in SAFECOMM_REGISTER_DIR is written again, off the event loop."""
    folder = tmp_path / "名录"
    on = admin_settings.model_copy(update={"register_dir": str(folder)})
    with Session(engine, expire_on_commit=False) as session:
        leaving = agency_in(session, "filed", on, name="甲咨询公司")
        agency_in(session, "filed", on, name="乙咨询公司")
    async with OfflineChat(on, engine) as chat:
        await chat.send(ADMIN_ID, f"/advance {leaving.id} withdraw staff_change 专职人员全部离职")
        await chat.tap_label(ADMIN_ID, "确认")
        assert "已完成" in chat.last_text(ADMIN_ID)
        assert "备案机构名录未能更新" not in chat.last_text(ADMIN_ID)
    [published] = folder.glob("备案机构名录-*.csv")
    rows = table(published)
    assert len(rows) == 2 and "乙咨询公司" in rows[1] and "甲咨询公司" not in str(rows)


async def test_agency_shows_the_scope_suggestion_and_pending_familiarity(
    chat: OfflineChat, engine: Engine
) -> None:
    """Art. 8(2): before the experts decide, /agency shows the suggestion and says material
    review needs the decision; Art. 8(3) not yet judged is pending, not a failure."""
    with Session(engine, expire_on_commit=False) as session:
        agency = make_agency(
            session,
            scope_related=None,
            familiar_judgement=None,
            business_scope="消防技术服务；安全咨询",
        )
    await chat.send(ADMIN_ID, f"/agency {agency.id}")
    shown = chat.last_text(ADMIN_ID)
    assert "第八条申请条件：不符合" in shown
    assert (
        "✗ 系统提示：经营范围中“消防技术服务”、“安全咨询”属相关咨询服务内容；尚待专家组认定"
        in shown
    )
    assert "○ 尚待专家组判断（可在材料审核或面试答辩时记录" in shown


async def test_staff_may_type_states_triggers_and_grounds_by_their_chinese_names(
    chat: OfflineChat, engine: Engine, admin_settings: Settings
) -> None:
    """TERMS.md: where a user types a code, the Chinese name is accepted as well."""
    agency_id = _reviewable(engine, admin_settings)
    await chat.send(ADMIN_ID, "/agencies 已申请")
    assert f"#{agency_id}" in chat.last_text(ADMIN_ID)
    await chat.send(ADMIN_ID, "/agencies 已备案")
    assert f"#{agency_id}" not in chat.last_text(ADMIN_ID)
    await chat.send(ADMIN_ID, f"/advance {agency_id} 材料审核通过")
    assert "已申请 → 材料审核通过" in chat.last_text(ADMIN_ID)
    await chat.tap_label(ADMIN_ID, "确认")
    assert _status(engine, agency_id) == "reviewed"
    with Session(engine, expire_on_commit=False) as session:
        filed = agency_in(session, "filed", admin_settings, name="丙咨询公司")
    await chat.send(ADMIN_ID, f"/advance {filed.id} 取消优先推荐资格 违反自律公约 出具虚假材料")
    assert "请确认" in chat.last_text(ADMIN_ID)
    await chat.tap_label(ADMIN_ID, "确认")
    assert _status(engine, filed.id or 0) == "withdrawn"
    with Session(engine) as session:
        entry = audit.history(session, filed.id or 0)[-1]
        assert (entry.trigger, entry.ground, entry.reason) == (
            "withdraw",
            "convention_violation",
            "出具虚假材料",
        )
