"""The questionnaire in the chat, offline through PTB's own seams: every path and every bad input."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.telegram.rendering import callback_data, parse_press
from bot.telegram.survey import render
from surveys.answering import Action, Press, Survey
from surveys.models import DONE, REVIEW, Invitation, Submission, SurveyProgress
from tests.chat import OfflineChat
from tests.surveys.helpers import CLOSED_YEAR, OPEN_YEAR, Guided, guided_units
from workflow.community.campaigns import closes_at
from workflow.core.db import MAX_ROW_ID
from workflow.core.settings import Settings, load_settings

STAFF, STRANGER = 9001, 9002


@pytest.fixture
def guided(engine: Engine) -> Guided:
    with Session(engine, expire_on_commit=False) as session:
        return guided_units(session, count=2)


@pytest.fixture
async def chat(settings: Settings, engine: Engine) -> AsyncIterator[OfflineChat]:
    async with OfflineChat(settings, engine) as chat:
        yield chat


def progress(engine: Engine, invitation: Invitation) -> SurveyProgress:
    with Session(engine) as session:
        row = session.get(SurveyProgress, invitation.id)
        assert row is not None
        return row


def submissions(engine: Engine) -> list[Submission]:
    with Session(engine) as session:
        return list(session.exec(select(Submission).order_by(Submission.id)).all())


async def answer_all(chat: OfflineChat, user: int, points: list[int]) -> None:
    for value in points:
        await chat.tap_label(user, f"{value} 分")


async def test_start_shows_who_is_rated_by_when_then_the_first_question(
    chat: OfflineChat, guided: Guided
) -> None:
    said = await chat.send(STAFF, f"/start {guided.invitations[0].token}")
    intro, question = (s for s in said if s.method == "sendMessage")
    assert guided.units[0].name in intro.text and guided.agency.name in intro.text
    assert f"{OPEN_YEAR}-12-20" in intro.text and "5 题" in intro.text
    assert question.text.startswith("第 1/5 题 · 组织工作")
    labels = [row[0]["text"] for row in question.keyboard]
    assert labels == [
        "4 分 · 很满意",
        "3 分 · 满意",
        "2 分 · 一般",
        "1 分 · 不满意",
        "0 分 · 很不满意",
    ]


async def test_the_intro_promises_confidentiality_and_items_ask_whether_satisfied(
    chat: OfflineChat, guided: Guided
) -> None:
    """TERMS.md "The questionnaire wording"; RULES.md: respondents are told that the agency
    never sees a unit's own ratings."""
    said = await chat.send(STAFF, f"/start {guided.invitations[0].token}")
    intro, first = (s.text for s in said if s.method == "sendMessage")
    assert "\n您的评价仅供文促会考核使用，不向被评价机构提供。\n" in intro
    assert first.splitlines()[1] == (
        "您对该咨询服务机构的组织工作（如推动召开启动会、按季度召开工作推进会等）是否满意？"
    )
    await answer_all(chat, STAFF, [4, 4, 4, 4])
    assert chat.last_text(STAFF).splitlines()[1] == (
        "您对该咨询服务机构工作人员廉洁自律方面的表现（如有无索要财物、接受宴请等）是否满意？"
    )


async def test_the_english_intro_carries_the_same_promise(
    engine: Engine, guided: Guided, tmp_path: Path
) -> None:
    english = load_settings(database_url=f"sqlite:///{tmp_path / 'safecomm.db'}", language="en")
    async with OfflineChat(english, engine) as chat:
        said = await chat.send(STAFF, f"/start {guided.invitations[0].token}")
    intro, first = (s.text for s in said if s.method == "sendMessage")
    assert "Your ratings are used only for the Association's assessment" in intro
    assert first.splitlines()[1].startswith("Are you satisfied with the agency's organisation work")


async def test_a_whole_survey_ends_with_a_receipt_matching_the_database(
    chat: OfflineChat, guided: Guided, engine: Engine
) -> None:
    await chat.send(STAFF, f"/start {guided.invitations[0].token}")
    await answer_all(chat, STAFF, [4, 3, 2, 1, 0])
    review = chat.last_text(STAFF)
    assert "请核对您的答案" in review
    for line in (
        "1. 组织工作：4 分（很满意）",
        "3. 风险辨识工作：2 分（一般）",
        "5. 廉洁自律：0 分（很不满意）",
    ):
        assert line in review
    said = await chat.tap_label(STAFF, "提交")
    assert said[0].method == "answerCallbackQuery"
    confirmation = chat.last_text(STAFF)
    receipt = re.search(r"回执码：([A-Z2-7]{8})", confirmation)
    assert receipt is not None and "提交成功" in confirmation
    [stored] = submissions(engine)
    assert stored.receipt == receipt[1]
    assert (stored.item1, stored.item2, stored.item3, stored.item4, stored.item5) == (4, 3, 2, 1, 0)
    assert progress(engine, guided.invitations[0]).position == DONE


async def test_every_button_press_is_answered_before_anything_else(
    chat: OfflineChat, guided: Guided
) -> None:
    await chat.send(STAFF, f"/start {guided.invitations[0].token}")
    presses = [chat.button(STAFF, "3 分")]
    said = await chat.tap(STAFF, presses[0])
    assert said[0].method == "answerCallbackQuery" and said[1].method == "editMessageText"
    for data in (presses[0], "sv:1:zz", f"sv:{guided.invitations[0].id}:a:1:9"):  # stale, forged
        said = await chat.tap(STAFF, data)
        assert said[0].method == "answerCallbackQuery"


async def test_back_shows_the_previous_question_with_its_answer_marked(
    chat: OfflineChat, guided: Guided, engine: Engine
) -> None:
    await chat.send(STAFF, f"/start {guided.invitations[0].token}")
    assert not any("上一题" in row[0]["text"] for row in chat.keyboard_message(STAFF).keyboard)
    await chat.tap_label(STAFF, "2 分")
    await chat.tap_label(STAFF, "上一题")
    text = chat.last_text(STAFF)
    assert text.startswith("第 1/5 题") and "当前选择：2 分（一般）" in text
    assert "✓ 2 分 · 一般" in [row[0]["text"] for row in chat.keyboard_message(STAFF).keyboard]
    await chat.tap_label(STAFF, "4 分")
    assert chat.last_text(STAFF).startswith("第 2/5 题")
    assert progress(engine, guided.invitations[0]).item1 == 4


async def test_review_changes_one_answer_and_comes_back(
    chat: OfflineChat, guided: Guided, engine: Engine
) -> None:
    await chat.send(STAFF, f"/start {guided.invitations[0].token}")
    await answer_all(chat, STAFF, [1, 1, 1, 1, 1])
    await chat.tap_label(STAFF, "改第 3 题")
    assert chat.last_text(STAFF).startswith("第 3/5 题")
    await chat.tap_label(STAFF, "4 分")
    assert "3. 风险辨识工作：4 分（很满意）" in chat.last_text(STAFF)
    assert progress(engine, guided.invitations[0]).position == REVIEW


async def test_a_repeated_press_is_stale_and_changes_nothing(
    chat: OfflineChat, guided: Guided, engine: Engine
) -> None:
    await chat.send(STAFF, f"/start {guided.invitations[0].token}")
    first = chat.button(STAFF, "3 分")
    await chat.tap(STAFF, first)
    said = await chat.tap(STAFF, first)  # the same button again, as a double tap does
    assert said[0].method == "answerCallbackQuery" and "已过期" in said[0].params["text"]
    assert chat.last_text(STAFF).startswith("第 2/5 题")
    row = progress(engine, guided.invitations[0])
    assert (row.item1, row.item2, row.position) == (3, None, 2)


async def test_a_press_on_an_old_message_is_stale_and_the_current_step_is_shown_anew(
    chat: OfflineChat, guided: Guided, engine: Engine
) -> None:
    token = guided.invitations[0].token
    await chat.send(STAFF, f"/start {token}")
    old = chat.keyboard_message(STAFF)
    await chat.send(STAFF, f"/start {token}")  # a new question message; the old one is stale
    said = await chat.tap(STAFF, chat.button(STAFF, "4 分"), message_id=old.message_id)
    assert "已过期" in said[0].params["text"]
    assert said[1].method == "sendMessage" and said[1].text.startswith("第 1/5 题")
    assert progress(engine, guided.invitations[0]).item1 is None
    await chat.tap_label(STAFF, "4 分")  # the new message works
    assert progress(engine, guided.invitations[0]).item1 == 4


async def test_forged_buttons_change_nothing(
    chat: OfflineChat, guided: Guided, engine: Engine
) -> None:
    invitation = guided.invitations[0]
    await chat.send(STAFF, f"/start {invitation.token}")
    forged = (
        "sv:",
        f"sv:{invitation.id}:a:1:5",
        f"sv:{invitation.id}:a:6:1",
        f"sv:{invitation.id}:b",
        f"sv:{invitation.id}:s:1",
        f"sv:{invitation.id}:x",
        "sv:0:s",
        f"sv:{invitation.id}:a:1:4\n",
    )
    for data in forged:
        said = await chat.tap(STAFF, data)
        assert [s.method for s in said] == ["answerCallbackQuery"]
        assert said[0].params["text"] == "无法识别的按钮，未做任何更改。"
    said = await chat.tap(
        STAFF, f"sv:{guided.invitations[1].id}:a:1:4"
    )  # not this user's invitation
    assert said[0].params["text"] == "这个按钮不属于您的问卷。" and said[0].params["show_alert"]
    said = await chat.tap(STAFF, "sv:999999:a:1:4")
    assert said[0].params["text"] == "这个按钮不属于您的问卷。"
    row = progress(engine, invitation)
    assert (row.item1, row.position) == (None, 1)


async def test_someone_elses_press_on_a_bound_survey_is_refused(
    chat: OfflineChat, guided: Guided, engine: Engine
) -> None:
    await chat.send(STAFF, f"/start {guided.invitations[0].token}")
    data, shown = chat.button(STAFF, "4 分"), chat.keyboard_message(STAFF).message_id
    said = await chat.tap(STRANGER, data, message_id=shown)
    assert said[0].params["text"] == "这个按钮不属于您的问卷。"
    assert progress(engine, guided.invitations[0]).item1 is None


async def test_a_second_person_opening_a_bound_link_is_refused_politely(
    chat: OfflineChat, guided: Guided
) -> None:
    token = guided.invitations[0].token
    await chat.send(STAFF, f"/start {token}")
    said = await chat.send(STRANGER, f"/start {token}")
    assert [s.text for s in said] == [
        "这个问卷链接已由另一位用户打开并绑定。如需更换填写人，请联系文促会秘书处。"
    ]  # no help contact is set in the tests: the text names the secretariat


async def test_start_without_or_with_a_wrong_token_explains_what_to_do(
    chat: OfflineChat, guided: Guided
) -> None:
    said = await chat.send(STAFF, "/start")
    assert "专属链接" in said[-1].text
    said = await chat.send(STAFF, "/start NoSuchToken_aaaaaaaaaaaaaaaaaaaaaa")
    assert "链接无效" in said[-1].text
    said = await chat.send(STAFF, "/start " + "x" * 70)
    assert "链接无效" in said[-1].text


async def test_text_where_a_button_is_expected_shows_the_current_question_again(
    chat: OfflineChat, guided: Guided, engine: Engine
) -> None:
    await chat.send(STAFF, f"/start {guided.invitations[0].token}")
    await chat.tap_label(STAFF, "2 分")
    said = await chat.send(STAFF, "3")
    assert said[0].text == "请点击下方的按钮作答。"
    assert said[1].text.startswith("第 2/5 题") and said[1].keyboard
    assert progress(engine, guided.invitations[0]).message_id == said[1].message_id
    await chat.tap_label(STAFF, "4 分")
    assert progress(engine, guided.invitations[0]).item2 == 4


async def test_a_bare_start_mid_survey_continues_at_the_current_question(
    chat: OfflineChat, guided: Guided, engine: Engine
) -> None:
    await chat.send(STAFF, f"/start {guided.invitations[0].token}")
    await chat.tap_label(STAFF, "2 分")
    said = await chat.send(STAFF, "/start")
    assert len(said) == 1 and said[0].text.startswith("第 2/5 题") and said[0].keyboard
    assert progress(engine, guided.invitations[0]).message_id == said[0].message_id
    await chat.tap_label(STAFF, "4 分")
    assert progress(engine, guided.invitations[0]).item2 == 4


async def test_text_from_someone_not_in_a_survey_is_left_to_other_handlers(
    chat: OfflineChat, guided: Guided
) -> None:
    said = await chat.send(STRANGER, "你好")
    assert not any("按钮作答" in s.text for s in said)


async def test_a_closed_questionnaire_says_so_and_changes_nothing(
    chat: OfflineChat,
    engine: Engine,
    guided: Guided,
    monkeypatch: pytest.MonkeyPatch,
    settings: Settings,
) -> None:
    with Session(engine, expire_on_commit=False) as session:
        closed = guided_units(session, count=1, year=CLOSED_YEAR).invitations[0]
    said = await chat.send(STAFF, f"/start {closed.token}")
    assert said[-1].text.startswith(f"{CLOSED_YEAR}年度问卷已于 {CLOSED_YEAR}-12-20 截止")

    await chat.send(STAFF, f"/start {guided.invitations[0].token}")
    data = chat.button(STAFF, "4 分")
    after = closes_at(date(OPEN_YEAR, 12, 20), settings) + timedelta(minutes=1)
    monkeypatch.setattr("surveys.answering.utcnow", lambda: after)
    said = await chat.tap(STAFF, data)
    assert said[0].method == "answerCallbackQuery" and "截止" in said[0].params["text"]
    assert said[1].method == "editMessageText" and "截止" in said[1].text and not said[1].keyboard
    said = await chat.send(STAFF, "还能填吗？")
    assert "截止" in said[-1].text
    assert progress(engine, guided.invitations[0]).item1 is None


async def test_reopening_the_link_after_submitting_allows_changes_and_keeps_history(
    chat: OfflineChat, guided: Guided, engine: Engine
) -> None:
    token = guided.invitations[0].token
    await chat.send(STAFF, f"/start {token}")
    await answer_all(chat, STAFF, [2, 2, 2, 2, 2])
    await chat.tap_label(STAFF, "提交")
    said = await chat.send(STAFF, f"/start {token}")
    assert "您已于" in said[0].text and submissions(engine)[0].receipt in said[0].text
    assert "请核对您的答案" in said[1].text
    await chat.tap_label(STAFF, "改第 5 题")
    await chat.tap_label(STAFF, "0 分")
    await chat.tap_label(STAFF, "提交")
    first, second = submissions(engine)
    assert (first.item5, second.item5) == (2, 0) and first.receipt != second.receipt
    assert second.receipt in chat.last_text(STAFF)
    # a tap on the old review after submitting is stale and just shows the done screen
    said = await chat.tap(STAFF, f"sv:{guided.invitations[0].id}:s")
    assert "已过期" in said[0].params["text"] and "您已提交本问卷" in chat.last_text(STAFF)
    assert len(submissions(engine)) == 2


async def test_english_texts_by_setting(engine: Engine, guided: Guided, tmp_path) -> None:
    english = load_settings(database_url=f"sqlite:///{tmp_path / 'safecomm.db'}", language="en")
    async with OfflineChat(english, engine) as chat:
        said = await chat.send(STAFF, f"/start {guided.invitations[0].token}")
        assert said[0].text.startswith("Hello!") and said[1].text.startswith(
            "Item 1/5 · Organisation work"
        )
        assert said[1].keyboard[0][0]["text"] == "4 · Very satisfied"


async def test_every_callback_data_fits_64_bytes_and_parses_back(
    chat: OfflineChat, guided: Guided, settings: Settings
) -> None:
    await chat.send(STAFF, f"/start {guided.invitations[0].token}")
    await answer_all(chat, STAFF, [4, 4, 4, 4, 4])
    await chat.tap_label(STAFF, "改第 2 题")
    sent = chat.all_callback_data()
    # and every button of every step for the largest invitation id a database holds
    context = type("Context", (), {"bot_data": chat.app.bot_data})()
    biggest = MAX_ROW_ID
    for position in (1, 2, 3, 4, 5, REVIEW, DONE):
        survey = Survey(
            biggest,
            "单位",
            "机构",
            OPEN_YEAR,
            date(OPEN_YEAR, 12, 20),
            position,
            {n: 4 for n in range(1, 6)},
            None,
            "ABCDEFGH",
            datetime(OPEN_YEAR, 12, 1),
        )
        _, markup = render(survey, context)
        if markup is not None:
            sent += [str(b.callback_data) for row in markup.inline_keyboard for b in row]
    assert len(sent) > 40
    for data in sent:
        assert len(data.encode()) <= 64, data
        assert parse_press(data) is not None
    assert parse_press(callback_data(Press(biggest, Action.ANSWER, 5, 0))) == Press(
        biggest, Action.ANSWER, 5, 0
    )


async def test_a_withdrawn_agencys_questionnaire_is_closed_in_the_chat(
    chat: OfflineChat, engine: Engine, settings: Settings
) -> None:
    """RULES, questionnaire: a unit rating an agency that has meanwhile been withdrawn is
    told so, and its invitation closes: the buttons go, nothing is taken."""
    from tests.workflow.assessment_builders import ADMIN
    from tests.workflow.lifecycle_steps import agency_in
    from workflow.lifecycle.engine import advance

    with Session(engine, expire_on_commit=False) as session:
        agency = agency_in(session, "filed", settings)
        (invitation,) = guided_units(session, count=1, agency=agency).invitations
    await chat.send(STAFF, f"/start {invitation.token}")
    data = chat.button(STAFF, "4 分")
    with Session(engine) as session:
        assert agency.id is not None
        advance(
            session, agency.id, "withdraw", ADMIN, "违反自律公约", ground="convention_violation"
        )
        session.commit()
    said = await chat.tap(STAFF, data)
    closed = "该咨询服务机构已取消优先推荐资格，本次满意度调查（问卷）已关闭，无需填写。"
    assert said[0].method == "answerCallbackQuery" and said[0].params["text"] == closed
    assert said[1].method == "editMessageText" and said[1].text == closed and not said[1].keyboard
    said = await chat.send(STAFF, f"/start {invitation.token}")
    assert said[-1].text == closed
    assert progress(engine, invitation).item1 is None
