"""An agency on a phone: signs in by the link `safecomm agency weblink` prints, records a
training (培训) for a guided unit with a photo, and sees it listed with the photo."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bot.cli import main
from tests.web.agency_fixtures import png_bytes
from tests.web.conftest import Served, Shot, assert_no_english_code
from tests.web.test_agency import guided_agency
from workflow.core.settings import get_settings

pytestmark = pytest.mark.browser


def _printed_link(
    served: Served, agency_id: int, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> str:
    """The link `safecomm agency weblink` prints for the served pages."""
    monkeypatch.setenv(
        "SAFECOMM_DATABASE_URL", served.engine.url.render_as_string(hide_password=False)
    )
    monkeypatch.setenv("SAFECOMM_WEB_BASE_URL", served.url)
    monkeypatch.setenv("SAFECOMM_OPERATOR", "王管理")
    get_settings.cache_clear()
    try:
        capsys.readouterr()
        assert main(["agency", "weblink", str(agency_id)]) == 0
        printed = capsys.readouterr().out
    finally:
        get_settings.cache_clear()
    found = re.search(rf"{re.escape(served.url)}/login/[\w-]+", printed)
    assert found, printed
    return found[0]


def test_an_agency_records_a_training_with_a_photo(
    any_served: Served,
    phone: Callable[[], Any],
    shot: Shot,
    monkeypatch: pytest.MonkeyPatch,
    capsys: Any,
    tmp_path: Path,
) -> None:
    served = any_served  # SQLite and PostgreSQL
    place = guided_agency(served.engine)
    link = _printed_link(served, place.agency_id, monkeypatch, capsys)
    page = phone()
    page.goto(link)
    assert_no_english_code(page)
    shot(page, "sign-in")
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{served.url}/agency")
    assert "幸福里社区" in page.inner_text("main")
    assert_no_english_code(page)
    shot(page, "start-page")

    page.get_by_role("link", name="指导工作记录").first.click()
    page.wait_for_url(f"{served.url}/agency/records")
    page.get_by_role("link", name="记录一项工作").click()
    page.select_option("#kind", label="培训")
    page.fill("#held_on", f"{place.year}-01-01")
    page.select_option("#topic", label="建设理念")
    page.fill("#title", "安全社区建设培训")
    page.fill("#attendance", "32")
    assert_no_english_code(page)
    shot(page, "training-form")
    page.get_by_role("button", name="保存").click()
    page.wait_for_url(re.compile(r".*/agency/records/\d+\?saved=1$"))
    assert "已保存" in page.inner_text("main")
    assert_no_english_code(page)
    shot(page, "training-saved")

    photo = tmp_path / "培训照片.png"
    photo.write_bytes(png_bytes(64, 48, (30, 120, 200)))
    page.set_input_files("#file", str(photo))
    page.get_by_role("button", name="上传").click()
    page.wait_for_url(re.compile(r".*/agency/records/\d+\?saved=1$"))
    image = page.locator("img.evidence")
    assert image.count() == 1
    assert page.evaluate("document.querySelector('img.evidence').naturalWidth") == 64
    assert "培训照片.png" in page.inner_text("main")
    assert_no_english_code(page)
    shot(page, "photo-attached")

    page.get_by_role("link", name="返回记录列表").click()
    page.wait_for_url(f"{served.url}/agency/records")
    listed = page.inner_text("main")
    assert "安全社区建设培训" in listed and "1个文件" in listed
    assert_no_english_code(page)
    shot(page, "records-list")
