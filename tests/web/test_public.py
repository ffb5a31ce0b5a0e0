"""The public pages: the home page, the current 公示 (Art. 15: the results list and the
exit list while the period runs) and the current register (Art. 6), with no personal
data beyond what the published files show (the principal's mobile masked)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from tests.web.conftest import Served, Shot, assert_no_english_code, english_codes
from tests.workflow.assessment_builders import (
    ADMIN,
    assessed_agency,
    filed_agency,
    full_points,
    new_agency,
)
from workflow.assessment.models import Publication
from workflow.core.clock import local_date, utcnow
from workflow.core.settings import Settings, load_settings
from workflow.lifecycle.engine import advance

YEAR = 2026


def _settings(engine: Engine) -> Settings:
    return load_settings(database_url=engine.url.render_as_string(hide_password=False))


def _today(settings: Settings) -> date:
    return local_date(utcnow(), settings.zone)


def _zh_day(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _two_results(engine: Engine) -> Settings:
    """A passed agency (base 100) and a failed one (2.4 at 0), both assessed in YEAR."""
    settings = _settings(engine)
    with Session(engine, expire_on_commit=False) as session:
        assessed_agency(
            session, settings, full_points(), year=YEAR, guided=(YEAR,), name="北京平安咨询有限公司"
        )
        failing = full_points() | {"2.4": 0}
        assessed_agency(
            session, settings, failing, year=YEAR, guided=(YEAR,), name="北京安和咨询有限公司"
        )
    return settings


def _period(engine: Engine, year: int, starts: date, ends: date) -> None:
    with Session(engine) as session:
        session.add(Publication(year=year, starts=starts, ends=ends, opened_by=ADMIN.key))
        session.commit()


def _visible(html: str) -> str:
    """The page's text as a person reads it (tags dropped), for the code check."""
    import re

    return re.sub(r"<[^>]+>", " ", html)


# --- the home page --------------------------------------------------------------------


def test_the_home_page_names_the_ways_in_and_the_public_pages(web: TestClient) -> None:
    page = web.get("/")
    assert page.status_code == 200
    for words in ("问卷链接", "二维码", "登录链接", "创建单位（街道、乡镇或社区）"):
        assert words in page.text
    assert 'href="/public"' in page.text and 'href="/public/register"' in page.text
    assert "您已退出登录" not in page.text
    assert english_codes(_visible(page.text)) == []
    assert page.headers["cache-control"] == "no-store"


def test_after_signing_out_the_home_page_says_so(web: TestClient) -> None:
    out = web.post("/logout", headers={"Origin": "http://testserver"})
    assert out.status_code == 303
    assert "您已退出登录。" in web.get(out.headers["location"]).text
    assert "您已退出登录" not in web.get("/?signed_out=0").text


def test_a_stray_notice_value_shows_the_plain_home_page(web: TestClient) -> None:
    page = web.get("/?signed_out=yes%3Cscript%3E")
    assert page.status_code == 200
    assert "您已退出登录" not in page.text and "<script>" not in page.text


# --- the 公示 ---------------------------------------------------------------------------


def test_while_the_period_runs_the_results_and_the_exit_list_are_public(
    any_engine: Engine, any_web: TestClient
) -> None:
    settings = _two_results(any_engine)
    today = _today(settings)
    _period(any_engine, YEAR, today - timedelta(days=2), today + timedelta(days=4))
    page = any_web.get("/public")
    assert page.status_code == 200
    text = page.text
    assert f"{YEAR}年考核结果公示" in text
    starts, ends = _zh_day(today - timedelta(days=2)), _zh_day(today + timedelta(days=4))
    assert f"公示期：{starts}至{ends}" in text
    # ranked by final score: the passed agency first, the failed one second with its reason
    assert text.index("北京平安咨询有限公司") < text.index("北京安和咨询有限公司")
    assert "第1名" in text and "第2名" in text
    assert "总分 100 分 · 优秀 · 考核通过" in text
    assert "考核不通过" in text and "按评分说明第三条视为不通过" in text
    # the exit list names the failed agency only, with its credit code and ground
    exits = text[text.index("取消优先推荐资格名单") :]
    assert "北京安和咨询有限公司" in exits and "北京平安咨询有限公司" not in exits
    assert "年度考核不合格" in exits
    assert english_codes(_visible(text)) == []


def test_on_the_last_day_the_period_still_runs(engine: Engine, web: TestClient) -> None:
    settings = _two_results(engine)
    today = _today(settings)
    _period(engine, YEAR, today - timedelta(days=7), today)
    assert f"{YEAR}年考核结果公示" in web.get("/public").text


def test_without_a_period_the_page_says_none_is_running(web: TestClient) -> None:
    text = web.get("/public").text
    assert "目前没有正在进行的考核结果公示。" in text
    assert "已于" not in text and "北京" not in text.split("<main>")[1].split("</main>")[0]


def test_after_the_period_the_page_says_when_the_last_one_ended(
    engine: Engine, web: TestClient
) -> None:
    settings = _two_results(engine)
    today = _today(settings)
    ended = today - timedelta(days=1)
    _period(engine, YEAR - 1, today - timedelta(days=400), today - timedelta(days=393))
    _period(engine, YEAR, ended - timedelta(days=7), ended)
    text = web.get("/public").text
    assert "目前没有正在进行的考核结果公示。" in text
    assert f"最近一次公示（{YEAR}年考核结果）已于{_zh_day(ended)}结束。" in text
    assert "北京平安咨询有限公司" not in text  # the lists are public only during the period


def test_before_the_period_begins_the_page_says_when_it_will(
    engine: Engine, web: TestClient
) -> None:
    settings = _two_results(engine)
    starts = _today(settings) + timedelta(days=3)
    _period(engine, YEAR, starts, starts + timedelta(days=7))
    text = web.get("/public").text
    assert f"{YEAR}年考核结果将于{_zh_day(starts)}起公示。" in text
    assert "北京安和咨询有限公司" not in text


# --- the register -----------------------------------------------------------------------


def test_the_register_lists_the_holders_with_the_principals_mobile_masked(
    any_engine: Engine, any_web: TestClient
) -> None:
    settings = _settings(any_engine)
    with Session(any_engine, expire_on_commit=False) as session:
        filed = filed_agency(session, settings, name="北京守望咨询有限公司")
        applied = new_agency(session, name="北京申请中咨询有限公司")
        withdrawn = filed_agency(session, settings, name="北京已退出咨询有限公司")
        advance(
            session,
            withdrawn.id or 0,
            "withdraw",
            ADMIN,
            "违反自律公约",
            ground="convention_violation",
            settings=settings,
        )
        session.commit()
    page = any_web.get("/public/register")
    assert page.status_code == 200
    text = page.text
    assert "北京守望咨询有限公司" in text and filed.credit_code in text
    assert "北京申请中咨询有限公司" not in text and applied.name not in text
    assert "北京已退出咨询有限公司" not in text
    assert "138****5678" in text and "13812345678" not in text
    assert "010-65001234" in text  # the agency's office line is its public contact
    assert f"备案日期</dt><dd>{_zh_day(_today(settings))}" in text
    assert "共 1 家" in text
    assert english_codes(_visible(text)) == []


def test_an_empty_register_says_so(web: TestClient) -> None:
    text = web.get("/public/register").text
    assert "目前名录中没有机构。" in text and "共 0 家" in text


# --- in a phone's browser -----------------------------------------------------------------


@pytest.mark.browser
def test_a_phone_reads_the_home_page_the_publicity_and_the_register(
    served: Served, phone: Any, shot: Shot
) -> None:
    settings = _two_results(served.engine)
    today = _today(settings)
    _period(served.engine, YEAR, today, today + timedelta(days=7))
    page = phone()
    page.goto(served.url + "/")
    shot(page, "home")
    assert_no_english_code(page)
    page.get_by_role("link", name="考核结果公示").click()
    page.wait_for_url("**/public")
    assert page.get_by_text("北京安和咨询有限公司").count() == 2  # results and exit list
    shot(page, "publicity")
    assert_no_english_code(page)
    page.get_by_role("link", name="查看备案机构名录").click()
    page.wait_for_url("**/public/register")
    assert page.get_by_text("北京平安咨询有限公司").is_visible()
    shot(page, "register")
    assert_no_english_code(page)
    # phone first: nothing wider than the screen
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
