"""The frame in a real phone browser: Chinese pages drawn with the CJK font, a sign-in
link pressed in Chromium (whose forms carry `Origin: null` under no-referrer)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.web.conftest import Served, Shot, assert_no_english_code
from tests.web.test_signin import _staff_link

pytestmark = pytest.mark.browser


def test_a_sign_in_link_pressed_on_a_phone(
    served: Served, phone: Callable[[], Any], shot: Shot
) -> None:
    token = _staff_link(served.engine)
    page = phone()
    page.goto(f"{served.url}/login/{token}")
    assert page.locator("h1").inner_text() == "登录"
    assert_no_english_code(page)
    # the CJK font is there: a Chinese heading is as wide as its characters, not tofu boxes
    assert page.evaluate("document.fonts.check('16px \"Noto Sans SC\"')")
    shot(page, "login-page")
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{served.url}/staff")
    cookies = {cookie["name"]: cookie for cookie in page.context.cookies()}
    assert cookies["safecomm_session"]["httpOnly"] is True
    assert cookies["safecomm_session"]["sameSite"] == "Lax"
    page.goto(f"{served.url}/login/{token}")
    assert "已经用过" in page.inner_text("main")
    shot(page, "link-used")


def test_a_missing_page_on_a_phone_is_chinese_with_a_way_on(
    served: Served, phone: Callable[[], Any], shot: Shot
) -> None:
    page = phone()
    page.goto(f"{served.url}/nothing-here")
    assert page.locator("h1").inner_text() == "页面不存在"
    assert_no_english_code(page)
    shot(page, "not-found")
    page.get_by_role("link", name="返回").click()
    page.wait_for_url(f"{served.url}/")
