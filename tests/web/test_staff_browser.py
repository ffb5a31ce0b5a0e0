"""Issue 13 item 7 in a real phone browser: an expert signs in by a one-time link, opens
the evidence desk of an agency that recorded a training with a photo, opens the photo,
and scores the indicator beside it; on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, select

from tests.web.conftest import Served, Shot, assert_no_english_code
from tests.web.staff_fixtures import PHOTO_NAME, YEAR, staff_link, training_with_photo
from workflow.assessment.models import ScoreLine, ScoreSheet
from workflow.core.settings import Settings

pytestmark = pytest.mark.browser


def test_an_expert_opens_the_photo_and_scores_the_indicator(
    any_served: Served, settings: Settings, tmp_path: Path, phone: Callable[[], Any], shot: Shot
) -> None:
    served = any_served
    year = training_with_photo(served.engine, settings, tmp_path / "uploads")
    page = phone()
    page.goto(staff_link(served.engine, served.url))
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{served.url}/staff")
    assert page.locator("h1").inner_text() == f"{YEAR}年度工作进度"
    assert year.agency_name in page.inner_text("main")
    assert_no_english_code(page)
    shot(page, "dashboard")

    page.get_by_role("link", name="工作佐证").first.click()
    page.wait_for_url(f"{served.url}/staff/desk/{year.agency_id}/{YEAR}")
    assert page.locator("h1").inner_text() == f"{year.agency_name} {YEAR}年度工作佐证"
    assert_no_english_code(page)
    training = page.locator("#i-1-2")
    photo = training.locator("img.evidence")
    photo.scroll_into_view_if_needed()
    assert photo.get_attribute("alt") == PHOTO_NAME
    # the browser really drew it: the image loaded with its own pixels, inside the phone
    assert photo.evaluate("img => img.decode().then(() => img.naturalWidth)") == 48
    assert photo.bounding_box()["width"] <= 360
    shot(page, "desk-photo")

    photo.click()  # the photo alone, shown inline by the staff-only file route
    assert page.url.startswith(f"{served.url}/staff/file/{year.agency_id}/{YEAR}/")
    assert page.evaluate("document.images.length && document.images[0].naturalWidth") == 48
    shot(page, "photo-opened")
    page.go_back()
    page.wait_for_url(f"{served.url}/staff/desk/{year.agency_id}/{YEAR}")

    training = page.locator("#i-1-2")
    training.get_by_label("有此项内容").check()
    training.get_by_label("有证据").check()
    training.get_by_label("效果评价").fill("培训有签到和现场照片")
    training.get_by_label("得分").fill("4")
    shot(page, "score-filled")
    training.get_by_role("button", name="保存 1.2 的评分").click()
    page.wait_for_url(f"{served.url}/staff/desk/{year.agency_id}/{YEAR}?saved=1.2#i-1-2")
    assert page.locator("p.notice").inner_text() == "已保存 1.2 的评分。"
    assert "当前得分：4 分（李专家 录入）" in page.locator("#i-1-2").inner_text()
    assert_no_english_code(page)
    shot(page, "scored")
    with Session(served.engine) as session:
        line = session.exec(
            select(ScoreLine)
            .join(ScoreSheet, ScoreSheet.id == ScoreLine.sheet_id)  # type: ignore[arg-type]
            .where(ScoreSheet.agency_id == year.agency_id, ScoreLine.code == "1.2")
        ).one()
    assert (line.points, line.content_present, line.evidence_present) == (4, True, True)
    assert line.effect == "培训有签到和现场照片"


def test_a_refused_score_on_a_phone_says_why_and_leads_back(
    served: Served, settings: Settings, tmp_path: Path, phone: Callable[[], Any], shot: Shot
) -> None:
    year = training_with_photo(served.engine, settings, tmp_path / "uploads")
    page = phone()
    page.goto(staff_link(served.engine, served.url))
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{served.url}/staff")
    page.goto(f"{served.url}/staff/desk/{year.agency_id}/{YEAR}#i-1-2")
    training = page.locator("#i-1-2")
    training.get_by_label("有证据").check()  # 有无此项内容 left unanswered
    training.get_by_label("得分").fill("4")
    training.get_by_role("button", name="保存 1.2 的评分").click()
    assert page.locator("h1").inner_text() == "无法完成"
    assert "有无此项内容" in page.inner_text("main")
    assert_no_english_code(page)
    shot(page, "refused")
    page.get_by_role("link", name="返回").click()
    page.wait_for_url(f"{served.url}/staff/desk/{year.agency_id}/{YEAR}#i-1-2")
