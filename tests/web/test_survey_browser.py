"""The survey in a real phone browser (Chromium at 360×640 with the CJK font): a unit
answers, goes back, changes, submits, reopens and changes again; a second browser is
refused; an invitation bound in Telegram is refused in a browser and the reverse, until
an admin rebinds it."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session

from surveys import answering
from surveys.errors import Refused
from surveys.invitations import rebind
from surveys.letters import LetterPage, letter_html
from surveys.models import Invitation
from surveys.respondents import Respondent
from tests.surveys.helpers import guided_units
from tests.web.conftest import Served, Shot, assert_no_english_code
from workflow.core.db import transaction

pytestmark = pytest.mark.browser


def _invite(served: Served) -> tuple[str, int]:
    with Session(served.engine, expire_on_commit=False) as session:
        invitation = guided_units(session, 1).invitations[0]
        assert invitation.id is not None
        return invitation.token, invitation.id


def _tap(page: Any, selector: str) -> None:
    """Press a button whose form answers with a new page, and wait for that page."""
    with page.expect_navigation():
        page.locator(selector).click()
    assert_no_english_code(page)


def _choose(page: Any, points: int) -> None:
    _tap(page, f'button[name="points"][value="{points}"]')


def _change(page: Any, item: int) -> None:
    _tap(page, f'form:has(input[name="item"][value="{item}"]) button')


def _rebind(served: Served, invitation_id: int) -> None:
    with transaction(served.engine) as session:
        invitation = session.get(Invitation, invitation_id)
        assert invitation is not None
        rebind(session, invitation, None, "cli:王管理")


def _submissions(served: Served, invitation_id: int) -> list[tuple[int, ...]]:
    with Session(served.engine) as session:
        rows = answering.history(session, invitation_id)
        return [(s.item1, s.item2, s.item3, s.item4, s.item5) for s in rows]


def test_a_unit_answers_goes_back_changes_submits_reopens_and_changes_again(
    any_served: Served, phone: Callable[[], Any], shot: Shot
) -> None:
    served = any_served  # SQLite and PostgreSQL
    token, invitation_id = _invite(served)
    page = phone()
    page.goto(f"{served.url}/s/{token}")
    assert "开始填写" in page.inner_text("main")
    assert_no_english_code(page)
    shot(page, "landing")
    _tap(page, 'button:text-is("开始填写")')
    assert "第 1/5 题" in page.inner_text("main")
    shot(page, "question-1")
    _choose(page, 4)
    assert "第 2/5 题" in page.inner_text("main")
    _tap(page, 'button:text-is("« 上一题")')
    assert "当前选择：4 分（很满意）" in page.inner_text("main")
    shot(page, "back-to-1")
    _choose(page, 3)
    for points in (4, 2, 4, 1):
        _choose(page, points)
    assert page.locator("h1").inner_text() == "请核对您的答案"
    shot(page, "review")
    _change(page, 2)
    assert "第 2/5 题" in page.inner_text("main")
    _choose(page, 3)
    _tap(page, 'button:text-is("提交")')
    main = page.inner_text("main")
    assert "您已提交本问卷" in main and "回执码：" in main and "2 分 · 一般" in main
    shot(page, "receipt")
    assert _submissions(served, invitation_id) == [(3, 3, 2, 4, 1)]
    # the browser's back button and a reload change nothing
    page.go_back()
    page.reload()
    assert "您已提交本问卷" in page.inner_text("main")
    # reopen from the link and change again
    page.goto(f"{served.url}/s/{token}")
    _tap(page, 'button:text-is("继续填写")')
    assert page.locator("h1").inner_text() == "请核对您的答案"
    _change(page, 5)
    _choose(page, 0)
    _tap(page, 'button:text-is("提交")')
    assert "0 分 · 很不满意" in page.inner_text("main")
    shot(page, "changed-again")
    assert _submissions(served, invitation_id) == [(3, 3, 2, 4, 1), (3, 3, 2, 4, 0)]
    cookie = {c["name"]: c for c in page.context.cookies()}["safecomm_respondent"]
    assert (cookie["httpOnly"], cookie["sameSite"], cookie["path"]) == (True, "Lax", "/s/")


def test_a_second_tab_on_an_old_question_changes_nothing(
    served: Served, phone: Callable[[], Any], shot: Shot
) -> None:
    token, _ = _invite(served)
    page = phone()
    page.goto(f"{served.url}/s/{token}")
    _tap(page, 'button:text-is("开始填写")')
    old_tab = page.context.new_page()
    old_tab.goto(f"{served.url}/s/{token}/step")
    _choose(page, 4)
    _choose(old_tab, 0)  # still shows question 1
    main = old_tab.inner_text("main")
    assert "这个页面已过期，未做任何更改" in main and "第 2/5 题" in main
    shot(old_tab, "stale-tab")
    with Session(served.engine) as session:
        assert answering.look(session, token, served.settings).survey.answers == {1: 4}


def test_a_second_browser_is_refused(served: Served, phone: Callable[[], Any], shot: Shot) -> None:
    token, _ = _invite(served)
    first = phone()
    first.goto(f"{served.url}/s/{token}")
    _tap(first, 'button:text-is("开始填写")')
    _choose(first, 4)
    second = phone()
    second.goto(f"{served.url}/s/{token}")
    _tap(second, 'button:text-is("开始填写")')
    assert "已由另一位用户打开并绑定" in second.inner_text("main")
    shot(second, "second-browser-refused")
    second.goto(f"{served.url}/s/{token}/step")
    assert "第 2/5 题" not in second.inner_text("main")  # back to the landing page


def test_telegram_and_browser_refuse_each_other_until_rebound(
    any_served: Served, phone: Callable[[], Any], shot: Shot
) -> None:
    served = any_served  # SQLite and PostgreSQL
    token, invitation_id = _invite(served)
    settings = served.settings
    with transaction(served.engine) as session:
        answering.open_survey(session, token, Respondent.telegram(901), settings)
    page = phone()
    page.goto(f"{served.url}/s/{token}")
    _tap(page, 'button:text-is("开始填写")')
    assert "已在Telegram中打开并绑定" in page.inner_text("main")
    shot(page, "bound-in-telegram")
    _rebind(served, invitation_id)
    page.goto(f"{served.url}/s/{token}")
    _tap(page, 'button:text-is("开始填写")')
    assert "第 1/5 题" in page.inner_text("main")
    _choose(page, 2)
    shot(page, "accepted-after-rebind")
    # now bound to this browser: the chat is refused, naming the web
    with transaction(served.engine) as session, pytest.raises(Refused, match="已在网页中打开"):
        answering.open_survey(session, token, Respondent.telegram(901), settings)
    _rebind(served, invitation_id)
    with transaction(served.engine) as session:
        opened = answering.open_survey(session, token, Respondent.telegram(901), settings)
    assert opened.survey.answers == {1: 2}
    page.goto(f"{served.url}/s/{token}/step")  # the browser is sent back to the landing page
    _tap(page, 'button:text-is("开始填写")')
    assert "已在Telegram中打开并绑定" in page.inner_text("main")
    shot(page, "refused-after-telegram-took-it")


def test_the_invitation_letter_prints_one_a4_page_per_agency(chromium: Any, tmp_path: Path) -> None:
    link = "https://wenjuan.example.cn/s/" + "A" * 32
    pages = [
        LetterPage(
            2027,
            "朝阳区",
            "建外街道某社区",
            f"北京安全咨询有限公司{n}",
            date(2027, 12, 20),
            link,
            link,
        )
        for n in range(2)
    ]
    letter = tmp_path / "letter.html"
    letter.write_text(letter_html(pages), encoding="utf-8")
    page = chromium.new_page()
    try:
        page.goto(letter.as_uri())
        pdf = page.pdf(prefer_css_page_size=True)
    finally:
        page.close()
    assert len(re.findall(rb"/Type\s*/Page\b(?!s)", pdf)) == 2
    boxes = re.findall(rb"/MediaBox\s*\[0 0 ([\d.]+) ([\d.]+)\]", pdf)
    assert [(round(float(w)), round(float(h))) for w, h in boxes] == [(595, 842)] * 2  # A4
