"""The agency contact's guided flow for guidance work (/record), files with no flow open,
and the Art. 11 shortfalls under /status."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.telegram import recording
from tests.chat import OfflineChat
from tests.workflow.guidance.helpers import CONTACT_ID, World, guided
from workflow.community.models import CreationUnit, Guidance
from workflow.core.db import transaction
from workflow.core.settings import Settings, load_settings
from workflow.guidance.models import ActivityDraft, EvidenceFile, GuidanceActivity
from workflow.reminders.models import SubmittedDocument

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
PDF = "application/pdf"
USER = CONTACT_ID


@pytest.fixture
def policy(tmp_path: Path) -> Settings:
    return load_settings(upload_dir=str(tmp_path / "uploads"), upload_max_mb=1)


@pytest.fixture(autouse=True)
def clock(monkeypatch: pytest.MonkeyPatch) -> None:
    for module in ("bot.telegram.recording", "bot.telegram.agency", "bot.telegram.documents"):
        monkeypatch.setattr(f"{module}.utcnow", lambda: NOW)


@pytest.fixture
async def chat(any_engine: Engine, policy: Settings) -> AsyncIterator[OfflineChat]:
    async with OfflineChat(policy, any_engine) as chat:
        yield chat


def world(engine: Engine, **options: object) -> World:
    with transaction(engine) as session:
        return guided(session, **options)  # type: ignore[arg-type]


def activities(engine: Engine) -> list[GuidanceActivity]:
    with Session(engine) as session:
        return list(session.exec(select(GuidanceActivity).order_by(GuidanceActivity.id)))


def files(engine: Engine) -> list[EvidenceFile]:
    with Session(engine) as session:
        return list(session.exec(select(EvidenceFile).order_by(EvidenceFile.id)))


def draft(engine: Engine) -> ActivityDraft | None:
    with Session(engine) as session:
        return session.get(ActivityDraft, f"tg:{USER}")


def stored(policy: Settings) -> list[Path]:
    root = Path(policy.upload_dir)
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


async def to_date_step(chat: OfflineChat, unit: str = "幸福里社区") -> None:
    await chat.send(USER, "/record")
    await chat.tap_label(USER, unit)
    await chat.tap_label(USER, "培训")
    await chat.tap_label(USER, "建设理念")


def alert(chat: OfflineChat) -> str:
    return str(chat.calls("answerCallbackQuery")[-1].params.get("text", ""))


# --- the whole flow ---------------------------------------------------------------------------


async def test_the_flow_records_an_activity_with_two_files(
    chat: OfflineChat, any_engine: Engine, policy: Settings
) -> None:
    w = world(any_engine)
    await chat.send(USER, "/record")
    assert "请选择创建单位" in chat.last_text(USER)
    await chat.tap_label(USER, "幸福里社区")
    assert "请选择工作类型" in chat.last_text(USER)
    await chat.tap_label(USER, "培训")
    await chat.tap_label(USER, "建设理念")
    assert "3月5日" in chat.last_text(USER)
    await chat.send(USER, "11月3日")
    assert "一句话说明" in chat.last_text(USER)
    await chat.send(USER, "安全社区建设理念培训，居委会及志愿者参加")
    assert "已保存" in chat.last_text(USER) and "完成" in chat.last_text(USER)

    await chat.send_photo(USER, b"\xff\xd8 training photo")
    assert "共 1 个文件" in chat.last_text(USER)
    await chat.send_document(USER, "签到表.pdf", PDF, b"%PDF sign-in sheet")
    assert "共 2 个文件" in chat.last_text(USER)
    await chat.tap_label(USER, "完成")

    summary = chat.last_text(USER)
    assert "已完成记录" in summary and "幸福里社区" in summary and "佐证材料 2 个" in summary
    (activity,) = activities(any_engine)
    assert (activity.agency_id, activity.unit_id, activity.kind, activity.topic) == (
        w.agency_id,
        w.unit_id,
        "training",
        "concept",
    )
    assert activity.held_on == date(2026, 11, 3) and activity.year == 2026
    assert activity.description == "安全社区建设理念培训，居委会及志愿者参加"
    assert activity.recorded_by == f"tg:{USER}" and not activity.on_behalf
    rows = files(any_engine)
    assert [(f.activity_id, f.original_name) for f in rows] == [
        (activity.id, rows[0].original_name),
        (activity.id, "签到表.pdf"),
    ]
    assert Path(rows[1].stored_path).read_bytes() == b"%PDF sign-in sheet"
    assert len(stored(policy)) == 2
    assert draft(any_engine) is None
    assert documents_of(any_engine) == []  # evidence of the activity, not a handed-in document
    assert all(len(data.encode()) <= 64 for data in chat.all_callback_data())


def documents_of(engine: Engine) -> list[SubmittedDocument]:
    with Session(engine) as session:
        return list(session.exec(select(SubmittedDocument)))


async def test_a_kind_without_topic_skips_it_and_the_description_may_be_skipped(
    chat: OfflineChat, any_engine: Engine
) -> None:
    world(any_engine)
    await chat.send(USER, "/record")
    await chat.tap_label(USER, "幸福里社区")
    await chat.tap_label(USER, "启动会")
    assert "开展日期" in chat.last_text(USER)
    await chat.tap_label(USER, "昨天")
    await chat.tap_label(USER, "跳过")
    await chat.tap_label(USER, "完成")

    (activity,) = activities(any_engine)
    assert (activity.kind, activity.held_on, activity.description) == (
        "kickoff",
        date(2026, 11, 19),
        "",
    )


async def test_many_units_are_paged(chat: OfflineChat, any_engine: Engine) -> None:
    w = world(any_engine)
    with transaction(any_engine) as session:
        for n in range(10):
            unit = CreationUnit(name=f"第{n:02d}社区", district="西城区", safe_community=True)
            session.add(unit)
            session.flush()
            assert unit.id is not None
            session.add(Guidance(unit_id=unit.id, agency_id=w.agency_id, year=2026))
    await chat.send(USER, "/record")
    assert "第 1/2 页" in chat.last_text(USER)
    await chat.tap_label(USER, "下一页")
    assert "第 2/2 页" in chat.last_text(USER)
    await chat.tap_label(USER, "第09社区")
    assert "第09社区：请选择工作类型" in chat.last_text(USER)


async def test_a_project_of_a_unit_guided_in_both_programmes_asks_which(
    chat: OfflineChat, any_engine: Engine
) -> None:
    world(any_engine, safe=True, disaster=True)
    await chat.send(USER, "/record")
    await chat.tap_label(USER, "幸福里社区")
    await chat.tap_label(USER, "促进项目")
    assert "属于哪一类创建" in chat.last_text(USER)
    await chat.tap_label(USER, "综合减灾示范社区")
    await chat.tap_label(USER, "今天")
    await chat.send(USER, "应急避难场所标识改造")

    (activity,) = activities(any_engine)
    assert (activity.kind, activity.programme) == ("project", "disaster_reduction")


# --- cancel ---------------------------------------------------------------------------------


async def test_cancel_before_saving_stores_nothing(chat: OfflineChat, any_engine: Engine) -> None:
    world(any_engine)
    await to_date_step(chat)
    await chat.tap_label(USER, "取消")
    assert "已取消" in chat.last_text(USER)
    assert draft(any_engine) is None and activities(any_engine) == []


async def test_cancel_after_saving_deletes_the_record_and_its_files(
    chat: OfflineChat, any_engine: Engine, policy: Settings
) -> None:
    world(any_engine)
    await to_date_step(chat)
    await chat.tap_label(USER, "今天")
    await chat.tap_label(USER, "跳过")
    await chat.send_photo(USER)
    assert len(files(any_engine)) == 1

    await chat.tap_label(USER, "取消本条记录")

    assert "已删除" in chat.last_text(USER)
    assert activities(any_engine) == [] and files(any_engine) == [] and stored(policy) == []
    assert draft(any_engine) is None


# --- bad input --------------------------------------------------------------------------------


async def test_a_date_before_the_guidance_or_in_the_future_is_refused(
    chat: OfflineChat, any_engine: Engine
) -> None:
    world(any_engine, started_on=date(2026, 6, 1))
    await to_date_step(chat)

    await chat.send(USER, "5月1日")
    before = chat.in_chat(USER)[-2].text
    await chat.send(USER, "2026-11-25")
    future = chat.in_chat(USER)[-2].text
    await chat.send(USER, "明天吧")
    garbled = chat.in_chat(USER)[-2].text

    assert "早于本年度指导开始日期 2026-06-01" in before
    assert "晚于今天" in future
    assert "日期" in garbled
    assert "开展日期" in chat.last_text(USER)  # asked again
    current = draft(any_engine)
    assert current is not None and current.step == "date" and current.held_on is None
    assert activities(any_engine) == []


async def test_a_forged_unit_button_is_refused(chat: OfflineChat, any_engine: Engine) -> None:
    world(any_engine)
    with transaction(any_engine) as session:
        other = guided(session, name="别家社区", contact_id=999)  # another agency's unit
    await chat.send(USER, "/record")

    await chat.tap(USER, f"rec:unit:{other.unit_id}")

    assert "未登记指导“别家社区”" in alert(chat)
    current = draft(any_engine)
    assert current is not None and current.step == "unit" and current.unit_id is None


async def test_a_forbidden_too_large_or_duplicate_file_is_refused_and_not_kept(
    chat: OfflineChat, any_engine: Engine, policy: Settings
) -> None:
    world(any_engine)
    await to_date_step(chat)
    await chat.tap_label(USER, "今天")
    await chat.tap_label(USER, "跳过")

    await chat.send_document(USER, "setup.exe", "application/x-msdownload")
    wrong_type = chat.last_text(USER)
    await chat.send_document(USER, "大.pdf", PDF, b"x" * (1024 * 1024 + 1), unsized=True)
    too_large = chat.last_text(USER)
    await chat.send_document(USER, "纪要.pdf", PDF, b"%PDF minutes")
    await chat.send_document(USER, "纪要副本.pdf", PDF, b"%PDF minutes")
    duplicate = chat.last_text(USER)

    assert "不支持这种文件类型" in wrong_type
    assert "文件太大" in too_large
    assert "已作为佐证材料上传过" in duplicate and "幸福里社区" in duplicate
    assert [f.original_name for f in files(any_engine)] == ["纪要.pdf"]
    assert len(stored(policy)) == 1  # the refused ones were removed


async def test_a_file_during_an_earlier_step_is_not_stored(
    chat: OfflineChat, any_engine: Engine, policy: Settings
) -> None:
    world(any_engine)
    await to_date_step(chat)
    await chat.send_photo(USER)
    assert "请先完成当前步骤" in chat.in_chat(USER)[-2].text
    assert "开展日期" in chat.last_text(USER)
    assert stored(policy) == [] and chat.downloads() == 0


# --- restart and stale buttons ----------------------------------------------------------------


async def test_a_new_application_resumes_the_flow_at_its_step(
    any_engine: Engine, policy: Settings
) -> None:
    world(any_engine)
    async with OfflineChat(policy, any_engine) as first:
        await to_date_step(first)
        live = first.keyboard_message(USER)
    # the process is gone; nothing of it survives but the database

    async with OfflineChat(policy, any_engine) as second:
        # Telegram numbers a chat's messages on; the offline API starts again at 1000
        second.request._message_ids = itertools.count(2000)
        said = await second.tap(USER, "rec:date:today", message_id=live.message_id)
        assert "一句话说明" in said[-1].text
        await second.send(USER, "重启后继续")
        await second.tap_label(USER, "完成")

    (activity,) = activities(any_engine)
    assert (activity.kind, activity.held_on, activity.description) == (
        "training",
        date(2026, 11, 20),
        "重启后继续",
    )


async def test_a_message_at_a_button_step_shows_the_step_again(
    chat: OfflineChat, any_engine: Engine
) -> None:
    world(any_engine)
    await chat.send(USER, "/record")
    await chat.send(USER, "幸福里社区")
    assert "请点击下面消息中的按钮" in chat.in_chat(USER)[-2].text
    assert "请选择创建单位" in chat.last_text(USER)


async def test_a_stale_button_changes_nothing(chat: OfflineChat, any_engine: Engine) -> None:
    world(any_engine)
    await to_date_step(chat)
    old = chat.keyboard_message(USER).message_id
    await chat.send(USER, "11月3日")  # the description is asked in a new message

    await chat.tap(USER, "rec:date:today", message_id=old)  # the old screen's button
    assert "过期" in alert(chat)
    await chat.tap(USER, "rec:kind:kickoff")  # a step that is over
    assert "过期" in alert(chat)

    current = draft(any_engine)
    assert current is not None and current.step == "description"
    assert (current.kind, current.held_on) == ("training", date(2026, 11, 3))


# --- files with no flow open -------------------------------------------------------------------


async def test_a_photo_with_no_flow_open_waits_for_the_choice(
    chat: OfflineChat, any_engine: Engine, policy: Settings
) -> None:
    world(any_engine)
    await chat.send_photo(USER)
    asked = chat.last_text(USER)
    labels = [b["text"] for row in chat.keyboard_message(USER).keyboard for b in row]

    assert "请选择这是什么材料" in asked
    assert labels[:5] == [
        "年度工作情况报告",
        "培训佐证材料（4.1）",
        "风险辨识及项目策划报告（4.2）",
        "其他佐证材料",
        "记入一项指导工作记录",
    ]
    assert stored(policy) == [] and documents_of(any_engine) == [] and chat.downloads() == 0

    await chat.tap_label(USER, "取消")
    assert "文件未保存" in chat.last_text(USER)
    assert draft(any_engine) is None and stored(policy) == []


async def test_a_second_file_never_replaces_one_waiting_for_its_choice(
    chat: OfflineChat, any_engine: Engine
) -> None:
    world(any_engine)
    await chat.send_document(USER, "签到表一.pdf", PDF, b"%PDF sign-in one")
    await chat.send_document(USER, "签到表二.pdf", PDF, b"%PDF sign-in two")
    assert any("请先为上一个文件“签到表一.pdf”选择" in call.text for call in chat.in_chat(USER))
    await chat.tap_label(USER, "其他佐证材料")
    assert [d.original_name for d in documents_of(any_engine)] == ["签到表一.pdf"]


async def test_a_file_chosen_for_a_record_is_attached_once_the_record_is_saved(
    chat: OfflineChat, any_engine: Engine
) -> None:
    world(any_engine)
    await chat.send_document(USER, "启动会纪要.pdf", PDF, b"%PDF kickoff minutes")
    await chat.tap_label(USER, "记入一项指导工作记录")
    await chat.tap_label(USER, "幸福里社区")
    await chat.tap_label(USER, "启动会")
    await chat.tap_label(USER, "今天")
    await chat.tap_label(USER, "跳过")
    assert "已收到 1 个" in chat.last_text(USER)
    await chat.tap_label(USER, "完成")

    (activity,) = activities(any_engine)
    assert [(f.activity_id, f.original_name) for f in files(any_engine)] == [
        (activity.id, "启动会纪要.pdf")
    ]
    assert documents_of(any_engine) == []


async def test_a_held_file_whose_attach_never_ran_is_attached_at_done(
    chat: OfflineChat, any_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A kill between the record's commit and the attach leaves the file on the draft:
    完成 attaches it first instead of finishing without it."""
    world(any_engine)
    await chat.send_document(USER, "启动会纪要.pdf", PDF, b"%PDF kickoff minutes, held")
    await chat.tap_label(USER, "记入一项指导工作记录")
    await chat.tap_label(USER, "幸福里社区")
    await chat.tap_label(USER, "启动会")
    await chat.tap_label(USER, "今天")

    async def killed(*args: object, **kwargs: object) -> None:
        return None

    with monkeypatch.context() as patch:
        patch.setattr(recording, "attach", killed)
        await chat.tap_label(USER, "跳过")
    assert files(any_engine) == []
    await chat.tap_label(USER, "完成")
    assert [f.original_name for f in files(any_engine)] == ["启动会纪要.pdf"]
    await chat.tap_label(USER, "完成")
    assert "佐证材料 1 个" in chat.last_text(USER)


# --- /status ----------------------------------------------------------------------------------


async def test_status_shows_the_shortfalls_per_unit_and_the_record_button(
    chat: OfflineChat, any_engine: Engine
) -> None:
    world(any_engine)
    await chat.send(USER, "/status")
    reply = chat.last_text(USER)
    assert "指导工作（第十一条）：1 个创建单位，1 个未达要求" in reply
    unit_line = next(line for line in reply.splitlines() if line.startswith("· 幸福里社区"))
    assert "未记录启动会" in unit_line and "还差 5 次" in unit_line and "还差 15 个" in unit_line
    assert "2026年第1季度" in unit_line

    await chat.tap_label(USER, "记录指导工作")
    assert "请选择创建单位" in chat.last_text(USER)
