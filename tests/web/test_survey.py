"""The survey in the browser (`/s/<token>`): nothing bound on a GET, bound on the first
POST to one browser, one question per page, back, review, submit, receipt, reopen and
change; stale forms change nothing; forged forms are refused with nothing written."""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import AsyncIterator

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.web.app import create_app
from bot.web.survey import COOKIE
from surveys import answering
from surveys.answering import Action, Press
from surveys.errors import Refused
from surveys.invitations import rebind
from surveys.models import Invitation, Submission, SurveyProgress
from surveys.respondents import Respondent
from tests.surveys.helpers import CLOSED_YEAR, guided_units
from tests.web.conftest import english_codes, web_settings
from workflow.core.db import transaction
from workflow.lifecycle.states import State
from workflow.registry.models import Agency


def _invite(engine: Engine, year: int | None = None) -> tuple[str, int]:
    """A guided unit's invitation: (token, invitation id)."""
    with Session(engine, expire_on_commit=False) as session:
        guided = guided_units(session, 1) if year is None else guided_units(session, 1, year)
        invitation = guided.invitations[0]
        assert invitation.id is not None
        return invitation.token, invitation.id


def _browser(app: FastAPI) -> TestClient:
    """Another browser: its own cookie jar."""
    return TestClient(app, base_url="http://testserver", follow_redirects=False)


def _invitation(engine: Engine, invitation_id: int) -> Invitation:
    with Session(engine) as session:
        found = session.get(Invitation, invitation_id)
        assert found is not None
        session.expunge(found)
        return found


def _progress(engine: Engine, invitation_id: int) -> SurveyProgress | None:
    with Session(engine) as session:
        found = session.get(SurveyProgress, invitation_id)
        if found is not None:
            session.expunge(found)
        return found


def _submissions(engine: Engine, invitation_id: int) -> list[Submission]:
    with Session(engine) as session:
        return answering.history(session, invitation_id)


def _step(client: TestClient, token: str, **fields: str) -> httpx.Response:
    return client.post(f"/s/{token}/step", data=fields)


def _answer(client: TestClient, token: str, item: int, points: int) -> httpx.Response:
    return _step(client, token, action="a", item=str(item), points=str(points))


def _visible(response: httpx.Response) -> str:
    """The page's text without its tags (what a person reads)."""
    return re.sub(r"<[^>]+>", " ", response.text)


@pytest.fixture
def token_id(engine: Engine) -> tuple[str, int]:
    return _invite(engine)


# ---------------------------------------------------------------------------
# The landing page binds nothing
# ---------------------------------------------------------------------------


def test_the_landing_page_says_what_the_survey_is_and_binds_nothing(
    web: TestClient, engine: Engine, token_id: tuple[str, int]
) -> None:
    token, invitation_id = token_id
    for _ in range(2):  # a link scanner, then the person
        page = web.get(f"/s/{token}")
        assert page.status_code == 200
    text = _visible(page)
    invitation = _invitation(engine, invitation_id)
    assert "测试社区" in text and "年度对本单位的指导工作" in text and "开始填写" in text
    assert "截止日期：" in text and "不向被评价机构提供" in text
    assert "如需更换填写人或手机，请联系文促会秘书处" in text  # the help contact, named
    assert invitation.respondent_key is None and invitation.opened_at is None
    assert _progress(engine, invitation_id) is None
    assert "set-cookie" not in page.headers
    assert english_codes(text) == []


@pytest.mark.parametrize("token", ["A" * 32, "not-a-token-" + "x" * 60, "bad%21token"])
def test_an_unknown_or_malformed_token_is_a_chinese_404(web: TestClient, token: str) -> None:
    page = web.get(f"/s/{token}")
    assert page.status_code == 404 and "<h1>页面不存在</h1>" in page.text
    assert "这个问卷链接无效" in page.text and english_codes(_visible(page)) == []
    assert web.post(f"/s/{token}/start").status_code == 404


def test_the_question_page_without_the_cookie_leads_to_the_landing_page(
    web: TestClient, engine: Engine, token_id: tuple[str, int]
) -> None:
    token, invitation_id = token_id
    page = web.get(f"/s/{token}/step")
    assert page.status_code == 303 and page.headers["location"] == f"/s/{token}"
    answered = _answer(web, token, 1, 4)  # a form without the cookie binds nothing either
    assert answered.status_code == 303 and answered.headers["location"] == f"/s/{token}"
    assert _invitation(engine, invitation_id).respondent_key is None
    assert _progress(engine, invitation_id) is None


def test_a_form_for_an_unknown_token_is_a_404(web: TestClient, token_id: tuple[str, int]) -> None:
    token, _ = token_id
    web.post(f"/s/{token}/start")
    assert _answer(web, "B" * 32, 1, 4).status_code == 404


# ---------------------------------------------------------------------------
# Answering
# ---------------------------------------------------------------------------


def test_the_first_post_sets_the_cookie_and_binds_this_browser(
    web: TestClient, engine: Engine, token_id: tuple[str, int]
) -> None:
    token, invitation_id = token_id
    started = web.post(f"/s/{token}/start")
    assert started.status_code == 303 and started.headers["location"] == f"/s/{token}/step"
    cookie = started.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}=")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/s/" in cookie
    assert "Secure" not in cookie  # served over http here
    max_age = int(re.search(r"Max-Age=(\d+)", cookie)[1])  # type: ignore[index]
    assert max_age >= 30 * 86400
    invitation = _invitation(engine, invitation_id)
    assert invitation.respondent_channel == "web" and invitation.bound_user_id is None
    secret = web.cookies[COOKIE]
    assert invitation.respondent_key == Respondent.web(secret).key != secret
    page = web.get(f"/s/{token}/step")
    assert page.status_code == 200 and "第 1/5 题" in page.text
    # the cookie stays the same when it starts again (another tab, the landing page)
    assert "set-cookie" in web.post(f"/s/{token}/start").headers
    assert web.cookies[COOKIE] == secret


def test_the_cookie_is_secure_when_the_site_is_served_over_https(engine: Engine) -> None:
    token, _ = _invite(engine)
    app = create_app(web_settings(engine, "https://survey.example.cn"), engine)
    with TestClient(app, base_url="https://survey.example.cn", follow_redirects=False) as client:
        started = client.post(f"/s/{token}/start")
    assert started.status_code == 303 and "Secure" in started.headers["set-cookie"]


def test_a_unit_answers_goes_back_changes_submits_reopens_and_changes_again(
    web: TestClient, engine: Engine, token_id: tuple[str, int]
) -> None:
    token, invitation_id = token_id
    web.post(f"/s/{token}/start")
    assert _answer(web, token, 1, 4).headers["location"] == f"/s/{token}/step"
    assert "第 2/5 题" in web.get(f"/s/{token}/step").text
    assert _step(web, token, action="b", item="2").status_code == 303
    back = web.get(f"/s/{token}/step").text
    assert "第 1/5 题" in back and "当前选择：4 分" in back
    assert re.search(r'value="4" class="chosen"', back)
    for item, points in ((1, 3), (2, 4), (3, 2), (4, 4), (5, 1)):
        _answer(web, token, item, points)
    review = web.get(f"/s/{token}/step")
    assert "请核对您的答案" in review.text and review.text.count(">修改</button>") == 5
    assert "3 分 · " in review.text and "1 分 · " in review.text
    assert _step(web, token, action="s").headers["location"] == f"/s/{token}/step"
    receipt = web.get(f"/s/{token}/step").text
    [first] = _submissions(engine, invitation_id)
    assert (first.item1, first.item5, first.channel) == (3, 1, "web")
    assert f"回执码：{first.receipt}" in receipt and "您已提交本问卷" in receipt
    assert "2 分 · " in receipt  # the answers stay visible
    # reopen: the review page, change question 3, submit again
    assert web.post(f"/s/{token}/start").headers["location"] == f"/s/{token}/step"
    assert "请核对您的答案" in web.get(f"/s/{token}/step").text
    _step(web, token, action="c", item="3")
    assert "第 3/5 题" in web.get(f"/s/{token}/step").text
    _answer(web, token, 3, 0)
    _step(web, token, action="s")
    first, second = _submissions(engine, invitation_id)
    assert (first.item3, second.item3) == (2, 0) and second.receipt != first.receipt
    assert f"回执码：{second.receipt}" in web.get(f"/s/{token}/step").text
    # the landing page now offers to go on
    assert "继续填写" in web.get(f"/s/{token}").text


def test_a_stale_form_changes_nothing_and_shows_the_current_step_with_a_notice(
    web: TestClient, engine: Engine, token_id: tuple[str, int]
) -> None:
    token, invitation_id = token_id
    web.post(f"/s/{token}/start")
    _answer(web, token, 1, 4)
    before = _progress(engine, invitation_id)
    stale = _answer(web, token, 1, 0)  # the back button's copy of question 1
    assert stale.headers["location"] == f"/s/{token}/step?stale=1"
    after = _progress(engine, invitation_id)
    assert before is not None and after is not None
    assert (after.item1, after.position, after.revision) == (4, 2, before.revision)
    page = web.get(stale.headers["location"]).text
    assert "这个页面已过期，未做任何更改" in page and "第 2/5 题" in page
    # a double submit: the second is stale, one submission only
    for item in range(2, 6):
        _answer(web, token, item, 3)
    assert _step(web, token, action="s").headers["location"] == f"/s/{token}/step"
    assert _step(web, token, action="s").headers["location"].endswith("?stale=1")
    assert len(_submissions(engine, invitation_id)) == 1


@pytest.mark.parametrize(
    "fields",
    [
        {"action": "a", "item": "1", "points": "5"},
        {"action": "a", "item": "1", "points": "-1"},
        {"action": "a", "item": "1"},
        {"action": "a", "item": "6", "points": "3"},
        {"action": "a", "item": "1", "points": "３"},
        {"action": "b", "item": "1"},
        {"action": "b", "item": "2", "points": "4"},
        {"action": "c", "item": "0"},
        {"action": "s", "item": "1"},
        {"action": "x", "item": "1", "points": "3"},
        {},
    ],
)
def test_an_answer_out_of_range_or_a_forged_form_is_a_400_page_with_nothing_written(
    web: TestClient, engine: Engine, token_id: tuple[str, int], fields: dict[str, str]
) -> None:
    token, invitation_id = token_id
    web.post(f"/s/{token}/start")
    before = _progress(engine, invitation_id)
    page = _step(web, token, **fields)
    assert page.status_code == 400 and "未做任何更改" in page.text
    assert f'href="/s/{token}/step"' in page.text
    after = _progress(engine, invitation_id)
    assert before is not None and after is not None
    assert (after.revision, after.item1) == (before.revision, None)


def test_a_file_in_the_form_is_refused(
    web: TestClient, engine: Engine, token_id: tuple[str, int]
) -> None:
    """A complete, valid answer: only the file beside it makes it a form of no page of ours."""
    token, invitation_id = token_id
    web.post(f"/s/{token}/start")
    before = _progress(engine, invitation_id)
    answer = {"action": "a", "item": "1", "points": "4"}
    files = {"photo": ("x.txt", b"4", "text/plain")}
    page = web.post(f"/s/{token}/step", data=answer, files=files)
    assert page.status_code == 400 and "未做任何更改" in page.text
    assert f'href="/s/{token}/step"' in page.text
    after = _progress(engine, invitation_id)
    assert before is not None and after is not None
    assert (after.revision, after.item1, after.position) == (before.revision, None, 1)
    assert _answer(web, token, 1, 4).headers["location"] == f"/s/{token}/step"  # without it
    answered = _progress(engine, invitation_id)
    assert answered is not None and answered.item1 == 4


MB = 1024 * 1024
CHUNK = 64 * 1024


async def _huge_body(consumed: list[int], size: int = 30 * MB) -> AsyncIterator[bytes]:
    """A form of `size` bytes in chunks, counting in `consumed` how much was read."""
    head = b"action=a&item=1&points="
    consumed[0] += len(head)
    yield head
    sent = len(head)
    while sent < size:
        consumed[0] += CHUNK
        sent += CHUNK
        yield b"4" * CHUNK


async def _post_streamed(
    app: FastAPI, path: str, headers: dict[str, str], consumed: list[int]
) -> httpx.Response:
    """POST a huge body the way a server hands it to the app, a chunk each time the app
    asks for one (the TestClient reads a streamed body whole before the app sees it)."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        return await client.post(path, content=_huge_body(consumed), headers=headers)


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "chunked"])
def test_a_huge_form_is_refused_without_being_read(
    web: TestClient, engine: Engine, token_id: tuple[str, int], declared: bool
) -> None:
    token, invitation_id = token_id
    web.post(f"/s/{token}/start")
    before = _progress(engine, invitation_id)
    consumed = [0]
    headers = {
        "content-type": "application/x-www-form-urlencoded",
        "cookie": f"{COOKIE}={web.cookies[COOKIE]}",
    }
    if declared:
        headers["content-length"] = str(30 * MB)
    app = web.app
    assert isinstance(app, FastAPI)
    page = asyncio.run(_post_streamed(app, f"/s/{token}/step", headers, consumed))
    assert page.status_code == 400 and "未做任何更改" in page.text
    assert f'href="/s/{token}/step"' in page.text
    # by its Content-Length: not a byte read; sent in chunks: read up to the first past 512
    assert consumed[0] == (0 if declared else len(b"action=a&item=1&points=") + CHUNK)
    after = _progress(engine, invitation_id)
    assert before is not None and after is not None
    assert (after.revision, after.item1) == (before.revision, None)


def test_a_form_with_too_many_fields_is_refused(
    web: TestClient, engine: Engine, token_id: tuple[str, int]
) -> None:
    token, invitation_id = token_id
    web.post(f"/s/{token}/start")
    body = "action=a&item=1&points=4" + "&x=1" * 20
    headers = {"content-type": "application/x-www-form-urlencoded"}
    page = web.post(f"/s/{token}/step", content=body, headers=headers)
    assert page.status_code == 400 and "未做任何更改" in page.text
    progress = _progress(engine, invitation_id)
    assert progress is not None and progress.item1 is None


# ---------------------------------------------------------------------------
# One respondent per invitation
# ---------------------------------------------------------------------------


def test_a_second_browser_is_refused(
    web: TestClient, web_app: FastAPI, engine: Engine, token_id: tuple[str, int]
) -> None:
    token, invitation_id = token_id
    web.post(f"/s/{token}/start")
    _answer(web, token, 1, 4)
    other = _browser(web_app)
    refused = other.post(f"/s/{token}/start")
    assert refused.status_code == 403
    assert "已由另一位用户打开并绑定" in refused.text and english_codes(_visible(refused)) == []
    assert f'href="/s/{token}"' in refused.text  # a way on
    # its forms and pages do not reach the survey either
    assert _answer(other, token, 2, 0).headers["location"] == f"/s/{token}"
    assert other.get(f"/s/{token}/step").headers["location"] == f"/s/{token}"
    progress = _progress(engine, invitation_id)
    assert progress is not None and (progress.item1, progress.item2) == (4, None)
    assert "开始填写" in other.get(f"/s/{token}").text  # it sees no answers


def test_an_invitation_bound_in_telegram_is_refused_in_a_browser_until_rebound(
    web: TestClient, engine: Engine, token_id: tuple[str, int]
) -> None:
    token, invitation_id = token_id
    settings = web_settings(engine, "http://testserver")
    with transaction(engine) as session:
        answering.open_survey(session, token, Respondent.telegram(777), settings)
    refused = web.post(f"/s/{token}/start")
    assert refused.status_code == 403 and "已在Telegram中打开并绑定" in refused.text
    assert _invitation(engine, invitation_id).respondent_channel == "telegram"
    with transaction(engine) as session:
        invitation = session.get(Invitation, invitation_id)
        assert invitation is not None
        rebind(session, invitation, None, "cli:王管理")
    assert web.post(f"/s/{token}/start").status_code == 303
    assert _invitation(engine, invitation_id).respondent_channel == "web"


def test_an_invitation_bound_in_a_browser_is_refused_in_telegram_until_rebound(
    web: TestClient, engine: Engine, token_id: tuple[str, int]
) -> None:
    token, invitation_id = token_id
    settings = web_settings(engine, "http://testserver")
    web.post(f"/s/{token}/start")
    _answer(web, token, 1, 2)
    telegram = Respondent.telegram(778)
    with transaction(engine) as session, pytest.raises(Refused, match="已在网页中打开并绑定"):
        answering.open_survey(session, token, telegram, settings)
    with transaction(engine) as session:
        invitation = session.get(Invitation, invitation_id)
        assert invitation is not None
        rebind(session, invitation, None, "cli:王管理")
    with transaction(engine) as session:
        opened = answering.open_survey(session, token, telegram, settings)
        assert opened.survey.answers == {1: 2}  # the answers given so far stay
        answering.press(session, Press(invitation_id, Action.ANSWER, 2, 3), telegram, settings)
    # and now the browser is the other channel
    assert "已在Telegram中打开并绑定" in web.post(f"/s/{token}/start").text
    assert web.get(f"/s/{token}/step").headers["location"] == f"/s/{token}"


def test_two_browsers_pressing_start_at_once_bind_one(any_web: TestClient) -> None:
    app = any_web.app
    assert isinstance(app, FastAPI)
    engine = app.state.engine
    token, invitation_id = _invite(engine)
    browsers = [_browser(app) for _ in range(2)]
    barrier = threading.Barrier(len(browsers))
    codes: list[int] = []

    def start(client: TestClient) -> None:
        barrier.wait()
        codes.append(client.post(f"/s/{token}/start").status_code)

    threads = [threading.Thread(target=start, args=(client,)) for client in browsers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(codes) == [303, 403]
    [winner] = [client for client in browsers if COOKIE in client.cookies and _mine(client, token)]
    key = Respondent.web(winner.cookies[COOKIE]).key
    assert _invitation(engine, invitation_id).respondent_key == key


def _mine(client: TestClient, token: str) -> bool:
    return client.get(f"/s/{token}/step").status_code == 200


# ---------------------------------------------------------------------------
# Closed surveys
# ---------------------------------------------------------------------------


def test_a_closed_survey_says_so_and_takes_no_answer(web: TestClient, engine: Engine) -> None:
    token, invitation_id = _invite(engine, CLOSED_YEAR)
    page = web.get(f"/s/{token}")
    assert page.status_code == 200 and "问卷已截止" in page.text
    assert f"{CLOSED_YEAR}年度问卷已于" in page.text and "开始填写" not in page.text
    refused = web.post(f"/s/{token}/start")
    assert refused.status_code == 403 and "无法再填写或修改" in refused.text
    assert _invitation(engine, invitation_id).respondent_key is None


def test_a_closed_survey_shows_this_browser_its_receipt_and_answers(
    web: TestClient, web_app: FastAPI, engine: Engine, token_id: tuple[str, int]
) -> None:
    token, invitation_id = token_id
    web.post(f"/s/{token}/start")
    for item in range(1, 6):
        _answer(web, token, item, item - 1)
    _step(web, token, action="s")
    [submission] = _submissions(engine, invitation_id)
    with transaction(engine) as session:  # the agency loses the status: the survey closes
        agency_id = _invitation(engine, invitation_id).agency_id
        session.execute(
            sa.update(Agency).where(sa.column("id") == agency_id).values(status=State.WITHDRAWN)
        )
    page = web.get(f"/s/{token}").text
    assert "问卷已截止" in page and f"回执码：{submission.receipt}" in page
    assert "4 分 · " in page and "0 分 · " in page
    assert web.get(f"/s/{token}/step").headers["location"] == f"/s/{token}"
    assert _answer(web, token, 1, 4).headers["location"] == f"/s/{token}"
    stranger = _browser(web_app).get(f"/s/{token}").text
    assert "问卷已截止" in stranger and submission.receipt not in stranger


# ---------------------------------------------------------------------------
# Page weight
# ---------------------------------------------------------------------------


def test_the_question_page_with_its_css_weighs_at_most_15_kb(
    web: TestClient, token_id: tuple[str, int]
) -> None:
    token, _ = token_id
    web.post(f"/s/{token}/start")
    page = web.get(f"/s/{token}/step")
    sheets = re.findall(r'<link rel="stylesheet" href="([^"]+)"', page.text)
    assert sheets == ["/static/site.css", "/static/survey.css"]
    weight = len(page.content) + sum(len(web.get(sheet).content) for sheet in sheets)
    print(f"question page: {len(page.content)} bytes HTML, {weight} bytes with its CSS")
    assert weight <= 15 * 1024, weight
