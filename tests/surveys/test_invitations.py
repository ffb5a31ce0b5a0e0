"""Invitations: one per guided (unit, agency, year), an unguessable deep-link token, a QR code."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from surveys.errors import InvalidInput, NotFound
from surveys.invitations import (
    by_token,
    export_invitations,
    find_invitation,
    invitation_link,
    issue_invitations,
    qr_file_name,
    rebind,
    web_link,
    write_qr,
)
from surveys.models import Invitation
from tests.builders import make_agency
from tests.surveys.helpers import OPEN_YEAR, guided_units
from tests.web.conftest import english_codes
from workflow.community.models import CreationUnit
from workflow.community.units import add_guidance, add_unit
from workflow.core.i18n import set_help_contact
from workflow.core.settings import load_settings
from workflow.registry.models import Agency


def test_only_guided_units_are_invited_once_per_unit_agency_and_year(any_engine: Engine) -> None:
    with Session(any_engine, expire_on_commit=False) as session:
        guided = guided_units(session, count=3)
        add_unit(session, "未受指导社区", "海淀区", safe_community=True)
        other_year = guided_units(session, count=1, year=OPEN_YEAR - 1, agency=guided.agency)
        session.commit()
        invitations = session.exec(select(Invitation).where(Invitation.year == OPEN_YEAR)).all()
        assert {inv.unit_id for inv in invitations} == {u.id for u in guided.units}
        assert issue_invitations(session, OPEN_YEAR) == []  # nothing missing: nothing new
        assert len(session.exec(select(Invitation)).all()) == 4
        assert other_year.invitations[0].year == OPEN_YEAR - 1


def test_tokens_fit_telegrams_deep_link_payload_and_differ(any_engine: Engine) -> None:
    with Session(any_engine, expire_on_commit=False) as session:
        guided = guided_units(session, count=5)
    tokens = [inv.token for inv in guided.invitations]
    assert len(set(tokens)) == 5
    for token in tokens:
        assert re.fullmatch(r"[A-Za-z0-9_-]{1,64}", token)
        assert len(token) >= 32  # 192 random bits: not guessable
    link = invitation_link(tokens[0], "safecomm_bot")
    assert link == f"https://t.me/safecomm_bot?start={tokens[0]}"


def test_a_token_finds_its_invitation_and_nothing_else_does(any_engine: Engine) -> None:
    with Session(any_engine, expire_on_commit=False) as session:
        guided = guided_units(session, count=1)
        token = guided.invitations[0].token
        assert by_token(session, token).id == guided.invitations[0].id
        assert by_token(session, token[:-1] + ("A" if token[-1] != "A" else "B")) is None
        assert by_token(session, "not a token!") is None
        assert by_token(session, "x" * 65) is None


def test_missing_invitation_says_whether_guidance_or_issuing_is_missing(any_engine: Engine) -> None:
    with Session(any_engine, expire_on_commit=False) as session:
        guided = guided_units(session, count=1)
        stranger = make_agency(session, consultants=0, seniors=0)
        with pytest.raises(NotFound) as no_guidance:
            find_invitation(session, guided.units[0], stranger, OPEN_YEAR)
        assert "没有" in str(no_guidance.value) and "指导" in str(no_guidance.value)
        found = find_invitation(session, guided.units[0], guided.agency, OPEN_YEAR)
        assert found.id == guided.invitations[0].id


def test_export_writes_a_sheet_of_both_links_and_a_qr_png_of_the_web_link(
    engine: Engine, tmp_path: Path
) -> None:
    settings = load_settings(web_base_url="https://wenjuan.example.cn")
    with Session(engine, expire_on_commit=False) as session:
        guided = guided_units(session, count=2)
        export = export_invitations(session, OPEN_YEAR, tmp_path, "safecomm_bot", settings=settings)
    assert len(export.qr_codes) == 2
    for png in export.qr_codes:
        assert png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
        assert png.stat().st_size > 300
    sheet = load_workbook(export.sheet).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == (
        "年度",
        "区",
        "创建单位",
        "咨询服务机构",
        "网页链接",
        "Telegram 链接",
        "二维码文件",
        "邀请函文件",
    )
    assert [row[2] for row in rows[1:]] == [u.name for u in guided.units]
    token = guided.invitations[0].token
    assert (
        rows[1][4]
        == f"https://wenjuan.example.cn/s/{token}"
        == web_link(token, settings.public_url)
    )
    assert rows[1][5] == invitation_link(token, "safecomm_bot")
    # the QR code is the web link's (WeChat scans it; Telegram opens the page too)
    expected = write_qr(rows[1][4], tmp_path / "expected.png")
    assert (tmp_path / rows[1][6]).read_bytes() == expected.read_bytes()
    assert (tmp_path / rows[1][7]).exists()


@pytest.fixture
def help_phone() -> Iterator[str]:
    set_help_contact("010-12345678", "")
    yield "010-12345678"
    set_help_contact("", "")


def test_the_letter_is_one_a4_file_per_unit_with_a_page_per_agency_and_both_ways_in(
    engine: Engine, tmp_path: Path, help_phone: str
) -> None:
    settings = load_settings(web_base_url="https://wenjuan.example.cn")
    with Session(engine, expire_on_commit=False) as session:
        guided = guided_units(session, count=1)
        second = make_agency(session, consultants=0, seniors=0, name="第二<咨询>公司")
        add_guidance(session, guided.units[0], second, OPEN_YEAR)
        issue_invitations(session, OPEN_YEAR)
        export = export_invitations(session, OPEN_YEAR, tmp_path, "safecomm_bot", settings=settings)
        tokens = [i.token for i in session.exec(select(Invitation)).all()]
    [letter] = export.letters
    assert letter.parent.name == f"邀请函-{OPEN_YEAR}" and letter.suffix == ".html"
    html = letter.read_text(encoding="utf-8")
    assert "@page { size: A4" in html
    assert html.count('<section class="page">') == 2 and html.count("<svg") == 2
    assert f"{OPEN_YEAR}年度满意度调查（问卷）邀请函" in html
    assert guided.units[0].name in html and guided.agency.name in html
    assert "第二&lt;咨询&gt;公司" in html and "第二<咨询>" not in html  # escaped
    assert f"截止日期：{OPEN_YEAR}-12-20" in html
    assert help_phone in html and "用微信扫描" in html
    for token in tokens:
        assert f"https://wenjuan.example.cn/s/{token}" in html
        assert f"https://t.me/safecomm_bot?start={token}" in html
    assert english_codes(re.sub(r"<[^>]+>", " ", html.split("<body>")[1])) == []


def test_the_invitation_sheet_tells_units_who_answers_and_that_ratings_stay_confidential(
    engine: Engine, tmp_path: Path
) -> None:
    with Session(engine, expire_on_commit=False) as session:
        guided_units(session, count=1)
        export = export_invitations(session, OPEN_YEAR, tmp_path, "safecomm_bot")
    book = load_workbook(export.sheet)
    assert book.sheetnames == [f"{OPEN_YEAR}年问卷邀请", "填写说明"]
    notes = [row[0] for row in book["填写说明"].iter_rows(values_only=True)]
    assert "您的评价仅供文促会考核使用，不向被评价机构提供。" in notes
    assert any("负责创建工作的工作人员" in line for line in notes)
    assert notes[-1] == "如有问题，请联系文促会秘书处。"  # no help contact set in the tests


def test_rebind_binds_a_user_or_releases_the_link(any_engine: Engine) -> None:
    with Session(any_engine, expire_on_commit=False) as session:
        invitation = guided_units(session, count=1).invitations[0]
        rebind(session, invitation, 4242, "admin-wang")
        assert (invitation.bound_user_id, invitation.rebound_by) == (4242, "admin-wang")
        rebind(session, invitation, None, "admin-wang")
        assert invitation.bound_user_id is None and invitation.rebound_at is not None
        with pytest.raises(InvalidInput):
            rebind(session, invitation, -5, "admin-wang")


def test_qr_file_names_stay_short_and_safe_for_long_names(engine: Engine, tmp_path: Path) -> None:
    with Session(engine, expire_on_commit=False) as session:
        agency = make_agency(session, consultants=0, seniors=0, name="长" * 200)
        unit = add_unit(session, "社区/名称:带*符号?" + "很" * 150, "朝阳区", safe_community=True)
        add_guidance(session, unit, agency, OPEN_YEAR)
        issue_invitations(session, OPEN_YEAR)
        export = export_invitations(session, OPEN_YEAR, tmp_path, "safecomm_bot")
    [png] = export.qr_codes
    assert png.exists() and len(png.name.encode()) < 255
    assert not set('/\\:*?"<>|') & set(png.name)


def test_qr_file_names_drop_control_characters() -> None:
    invitation = Invitation(id=12, unit_id=1, agency_id=2, year=2026, token="t")
    unit = CreationUnit(name="建外\x00街道\x1b", district="朝阳区")
    agency = Agency(name="某机构\x7f")
    assert qr_file_name(invitation, unit, agency) == "2026-朝阳区-建外_街道_-某机构_-12.png"
