"""The admins' and experts' pages: who may open each (experts, admins, an agency's
session, nobody), the progress dashboard, the evidence desk with its files served only
for that agency and year, score lines saved through the sheet functions (audited, both
databases), finalising with the CLI's guards, objections decided, results with the chart."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from tests.web.conftest import english_codes
from tests.web.staff_fixtures import (
    ADMIN_KEY,
    PHOTO_NAME,
    YEAR,
    TrainingYear,
    png,
    sign_in,
    training_with_photo,
)
from tests.workflow.assessment_builders import ADMIN, assessed_agency, fill_sheet, full_points
from workflow.access.actors import Role
from workflow.access.weblogins import issue_login
from workflow.assessment import objections
from workflow.assessment.models import Objection, ScoreLine, ScoreSheet
from workflow.assessment.publication import open_period
from workflow.core.db import transaction
from workflow.core.settings import Settings
from workflow.lifecycle.models import AuditEntry
from workflow.lifecycle.states import State
from workflow.registry.models import Agency

ORIGIN = {"origin": "http://testserver"}
DESK = f"/staff/desk/{{agency}}/{YEAR}"


@pytest.fixture
def year(engine: Engine, settings: Settings, tmp_path: Path) -> TrainingYear:
    return training_with_photo(engine, settings, tmp_path / "uploads")


@pytest.fixture
def any_year(any_engine: Engine, settings: Settings, tmp_path: Path) -> TrainingYear:
    return training_with_photo(any_engine, settings, tmp_path / "uploads")


def _desk(year: TrainingYear) -> str:
    return DESK.format(agency=year.agency_id)


def _line(client: TestClient, year: TrainingYear, code: str, **form: str) -> Any:
    return client.post(f"{_desk(year)}/line/{code}", data=form, headers=ORIGIN)


def _sign_in_agency(client: TestClient, engine: Engine, agency_id: int) -> None:
    from tests.web.conftest import web_settings

    with transaction(engine) as session:
        token = issue_login(
            session,
            "agency",
            actor_key=f"agency:{agency_id}",
            label="机构",
            issued_by=ADMIN,
            settings=web_settings(engine, "http://testserver"),
            agency_id=agency_id,
        )
    assert client.post(f"/login/{token}", headers=ORIGIN).status_code == 303


# --- who may open what --------------------------------------------------------------------


def _pages(year: TrainingYear) -> list[str]:
    return [
        "/staff",
        _desk(year),
        "/staff/objections",
        "/staff/results",
        f"/staff/results/{YEAR}/chart.png",
    ]


def test_nobody_signed_in_is_asked_to_sign_in(web: TestClient, year: TrainingYear) -> None:
    for path in _pages(year):
        page = web.get(path)
        assert page.status_code == 401, path
        assert "需要登录" in page.text
    refused = _line(web, year, "1.2", content="yes", evidence="yes", points="4")
    assert refused.status_code == 401


def test_an_agency_session_is_not_staff(
    web: TestClient, engine: Engine, year: TrainingYear
) -> None:
    _sign_in_agency(web, engine, year.agency_id)
    for path in _pages(year):
        page = web.get(path)
        assert page.status_code == 403, path
        assert "无权访问" in page.text
    files = web.get(f"/staff/file/{year.agency_id}/{YEAR}/x")
    assert files.status_code == 403


def test_an_expert_may_look_and_score_but_not_finalise_or_decide(
    web: TestClient, engine: Engine, year: TrainingYear
) -> None:
    sign_in(web, engine)
    for path in _pages(year):
        assert web.get(path).status_code == 200, path
    finalising = web.post(f"{_desk(year)}/finalise", data={"force_reason": "x"}, headers=ORIGIN)
    assert finalising.status_code == 403 and "无权访问" in finalising.text
    deciding = web.post(
        "/staff/objections/1", data={"outcome": "dismissed", "reason": "x"}, headers=ORIGIN
    )
    assert deciding.status_code == 403
    desk = web.get(_desk(year)).text
    assert "评分表由管理员定稿。" in desk and 'action="/staff/desk' in desk


# --- the dashboard ------------------------------------------------------------------------


def test_the_dashboard_counts_per_agency_and_district(
    web: TestClient, engine: Engine, year: TrainingYear
) -> None:
    sign_in(web, engine)
    page = web.get("/staff")
    assert page.status_code == 200
    text = page.text
    assert f"{YEAR}年度工作进度" in text and "当前登录：李专家（专家）" in text
    assert year.agency_name in text and "东城区" in text
    assert f'href="/staff/desk/{year.agency_id}/{YEAR}"' in text
    assert '<th class="num">未邀请</th>' in text
    assert "未交" in text  # no annual report handed in
    assert 'class="scroll"' in text
    assert english_codes(text) == []
    # one unit, one short of the Art. 11 minimums (a single training), in both tables
    assert text.count('<td class="num bad">1</td>') == 2
    assert f'<option value="{YEAR}" selected>' in text


def _cells(html: str, first: str) -> list[str]:
    """The cells of the table row whose first cell is `first`."""
    import re

    for row in re.findall(r"<tr>(.*?)</tr>", html, re.S):
        cells = [
            re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        ]
        if cells and cells[0] == first:
            return cells
    raise AssertionError(f"no row for {first}")


def test_the_dashboard_counts_each_state_and_channel(web: TestClient, engine: Engine) -> None:
    from surveys.answering import Action, enter_on_behalf, open_survey
    from surveys.respondents import Respondent
    from tests.surveys.helpers import OPEN_YEAR, guided_units
    from tests.surveys.test_answering import answer_all, opened, tap

    settings = Settings()
    with Session(engine, expire_on_commit=False) as session:
        guided = guided_units(session, count=4)
        chat, _forum, browser, _untouched = guided.invitations
        opened(session, settings, chat)
        answer_all(session, settings, chat, [4, 4, 4, 4, 4])
        tap(session, settings, chat, Action.SUBMIT)
        enter_on_behalf(
            session,
            guided.units[1],
            guided.agency,
            OPEN_YEAR,
            {1: 3, 2: 3, 3: 3, 4: 3, 5: 3},
            channel="forum",
            actor="cli:王管理",
            settings=settings,
        )
        open_survey(session, browser.token, Respondent.web("browser-secret"), settings)
        session.commit()
        name, district = guided.agency.name, guided.units[0].district
    sign_in(web, engine)
    html = web.get("/staff", params={"year": str(OPEN_YEAR)}).text
    # guided, not invited, invited, opened, in progress, submitted, closed | telegram, web,
    # forum, paper, phone | short of Art. 11
    expected = ["4", "0", "1", "1", "0", "2", "0", "1", "1", "1", "0", "0", "4"]
    assert _cells(html, name)[1:14] == expected
    assert _cells(html, district)[1:14] == expected


def test_the_year_is_chosen_and_a_bad_year_refused(
    web: TestClient, engine: Engine, year: TrainingYear
) -> None:
    sign_in(web, engine)
    earlier = web.get("/staff", params={"year": str(YEAR - 1)})
    assert earlier.status_code == 200 and f"{YEAR - 1}年度工作进度" in earlier.text
    assert "东城区" not in earlier.text  # the unit is guided in YEAR only
    bad = web.get("/staff", params={"year": "明年"})
    assert bad.status_code == 400 and "不是有效的年份" in bad.text and "返回" in bad.text


# --- the desk and its files ---------------------------------------------------------------


def test_the_desk_shows_the_photo_in_the_page_and_serves_it(
    web: TestClient, engine: Engine, year: TrainingYear
) -> None:
    sign_in(web, engine)
    page = web.get(_desk(year))
    assert page.status_code == 200
    text = page.text
    assert "1.2 组织风险辨识培训会议" in text
    assert "03-05" in text or "2026-03-05" in text
    assert PHOTO_NAME in text and '<img class="evidence"' in text
    assert "无证据最多得该项分值的 50%（向下取整）" in text  # the policy's share, not a fixed half
    assert english_codes(text) == []
    start = text.index('<img class="evidence" src="') + len('<img class="evidence" src="')
    src = text[start : text.index('"', start)]
    assert src.startswith(f"/staff/file/{year.agency_id}/{YEAR}/")
    assert str(year.photo) not in text  # the stored path stays on the server
    photo = web.get(src)
    assert photo.status_code == 200 and photo.content == png()
    assert photo.headers["content-type"] == "image/png"
    assert photo.headers["content-disposition"].startswith("inline;")
    pdf_at = text.index("打开 PDF")
    href = text.rindex('href="', 0, pdf_at) + len('href="')
    pdf = web.get(text[href : text.index('"', href)])
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"].startswith("inline;")


def test_a_file_is_served_only_on_its_own_agency_and_year(
    web: TestClient, engine: Engine, year: TrainingYear
) -> None:
    sign_in(web, engine)
    text = web.get(_desk(year)).text
    start = text.index(f"/staff/file/{year.agency_id}/{YEAR}/")
    key = text[start : text.index('"', start)].rsplit("/", 1)[1]
    with Session(engine) as session:
        other = assessed_agency(
            session, Settings(), full_points(), year=YEAR, name="北京另一家公司"
        )
    assert web.get(f"/staff/file/{other.id}/{YEAR}/{key}").status_code == 404
    assert web.get(f"/staff/file/{year.agency_id}/{YEAR - 1}/{key}").status_code == 404
    missing = web.get(f"/staff/file/{year.agency_id}/{YEAR}/..%2f..%2fetc%2fpasswd")
    assert missing.status_code == 404 and "页面不存在" in missing.text


def test_an_unknown_agency_is_a_chinese_page(web: TestClient, engine: Engine) -> None:
    sign_in(web, engine)
    page = web.get(f"/staff/desk/99999/{YEAR}")
    assert page.status_code == 404 and "99999" in page.text
    assert web.get(f"/staff/desk/abc/{YEAR}").status_code == 400


# --- score lines --------------------------------------------------------------------------


def _lines(engine: Engine, agency_id: int) -> dict[str, ScoreLine]:
    with Session(engine) as session:
        sheet = session.exec(
            select(ScoreSheet).where(ScoreSheet.agency_id == agency_id, ScoreSheet.year == YEAR)
        ).first()
        if sheet is None:
            return {}
        rows = session.exec(select(ScoreLine).where(ScoreLine.sheet_id == sheet.id)).all()
        return {row.code: row for row in rows}


def test_a_score_line_is_saved_and_audited(
    any_web: TestClient, any_engine: Engine, any_year: TrainingYear
) -> None:
    sign_in(any_web, any_engine)
    answer = _line(
        any_web,
        any_year,
        "1.2",
        content="yes",
        evidence="yes",
        points="4",
        effect="良好",
        note="有照片",
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == f"{_desk(any_year)}?saved=1.2#i-1-2"
    line = _lines(any_engine, any_year.agency_id)["1.2"]
    assert (line.points, line.content_present, line.evidence_present) == (4, True, True)
    assert (line.effect, line.note, line.entered_by) == ("良好", "有照片", "李专家")
    with Session(any_engine) as session:
        entry = session.exec(
            select(AuditEntry)
            .where(AuditEntry.trigger == "score")
            .order_by(col(AuditEntry.seq).desc())
        ).first()
    assert entry is not None
    assert (entry.actor, entry.channel, entry.role, entry.agency_id) == (
        "tg:501",
        "web",
        "expert",
        any_year.agency_id,
    )
    page = any_web.get(f"{_desk(any_year)}?saved=1.2")
    assert "已保存 1.2 的评分。" in page.text and "当前得分：4 分（李专家 录入）" in page.text
    again = _line(any_web, any_year, "1.2", content="no", evidence="no", points="")
    assert again.status_code == 303
    assert _lines(any_engine, any_year.agency_id)["1.2"].points == 0


@pytest.mark.parametrize(
    ("form", "fragment"),
    [
        ({"evidence": "yes", "points": "4"}, "有无此项内容"),
        ({"content": "yes", "points": "4"}, "有无证据"),
        ({"content": "yes", "evidence": "yes", "points": "4.5"}, "4.5"),
        ({"content": "yes", "evidence": "yes", "points": "99"}, "99"),
        ({"content": "yes", "evidence": "no", "points": "5"}, "最多得"),
        ({"content": "no", "evidence": "no", "points": "3"}, "0"),
        ({"content": "yes", "evidence": "yes", "points": "4", "note": "长" * 501}, "501"),
    ],
)
def test_a_bad_score_line_is_refused_and_nothing_saved(
    any_web: TestClient,
    any_engine: Engine,
    any_year: TrainingYear,
    form: dict[str, str],
    fragment: str,
) -> None:
    sign_in(any_web, any_engine)
    answer = _line(any_web, any_year, "1.2", **form)
    assert answer.status_code == 400, answer.text
    assert fragment in answer.text and "1.2" in answer.text
    assert f'href="{_desk(any_year)}#i-1-2"' in answer.text
    assert english_codes(answer.text) == []
    assert _lines(any_engine, any_year.agency_id) == {}


def test_a_questionnaire_or_unknown_indicator_is_refused(
    web: TestClient, engine: Engine, year: TrainingYear
) -> None:
    sign_in(web, engine)
    for code in ("3.1", "9.9"):
        answer = _line(web, year, code, content="yes", evidence="yes", points="1")
        assert answer.status_code == 400, code
    assert _lines(engine, year.agency_id) == {}


# --- finalising ---------------------------------------------------------------------------


def _finalise(client: TestClient, year: TrainingYear, reason: str = "") -> Any:
    return client.post(f"{_desk(year)}/finalise", data={"force_reason": reason}, headers=ORIGIN)


def _status(engine: Engine, agency_id: int) -> str:
    with Session(engine) as session:
        agency = session.get(Agency, agency_id)
        assert agency is not None
        return agency.status


def test_finalising_keeps_the_cli_guards(
    web: TestClient, engine: Engine, year: TrainingYear
) -> None:
    sign_in(web, engine, ADMIN_KEY, Role.ADMIN)
    no_sheet = _finalise(web, year, "区里要求提前报送")
    assert no_sheet.status_code == 404 and f"没有 {YEAR}年度的考核评分表" in no_sheet.text
    with Session(engine) as session:
        fill_sheet(session, year.agency_id, YEAR, full_points())
    early = _finalise(web, year)
    assert early.status_code == 403 and "暂不能定稿" in early.text
    assert f'href="{_desk(year)}#finalise"' in early.text
    assert _status(engine, year.agency_id) == State.FILED
    done = _finalise(web, year, "区里要求提前报送")
    assert done.status_code == 303
    assert _status(engine, year.agency_id) == State.ASSESSED
    with Session(engine) as session:
        entry = session.exec(select(AuditEntry).where(AuditEntry.trigger == "assess")).one()
    assert "区里要求提前报送" in entry.reason and entry.channel == "web"
    page = web.get(f"{_desk(year)}?finalised=1").text
    assert "评分表已定稿" in page and "不能再修改" in page
    assert f'action="{_desk(year)}/line/' not in page
    refused = _line(web, year, "1.2", content="yes", evidence="yes", points="1")
    assert refused.status_code == 403 and "定稿" in refused.text


# --- objections ---------------------------------------------------------------------------


def _objection(engine: Engine) -> int:
    from datetime import UTC, datetime

    with Session(engine, expire_on_commit=False) as session:
        settings = Settings()
        agency = assessed_agency(
            session, settings, full_points(), year=YEAR, name="北京安和咨询有限公司"
        )
        open_period(session, YEAR, ADMIN, settings, now=datetime(2026, 12, 31, 2, tzinfo=UTC))
        made = objections.record(
            session,
            agency.id or 0,
            YEAR,
            "指标 2.4 的风险辨识报告已提交，未计分",
            ADMIN,
            settings,
            now=datetime(2027, 1, 4, 2, tzinfo=UTC),
        )
        session.commit()
        return made.id or 0


def test_an_admin_decides_an_objection_once(web: TestClient, engine: Engine) -> None:
    objection_id = _objection(engine)
    sign_in(web, engine, ADMIN_KEY, Role.ADMIN)
    listing = web.get("/staff/objections", params={"year": str(YEAR)})
    assert "北京安和咨询有限公司" in listing.text and "风险辨识报告已提交" in listing.text
    assert f'action="/staff/objections/{objection_id}"' in listing.text
    assert english_codes(listing.text) == []
    no_reason = web.post(
        f"/staff/objections/{objection_id}", data={"outcome": "dismissed"}, headers=ORIGIN
    )
    assert no_reason.status_code == 400 and "理由" in no_reason.text
    decided = web.post(
        f"/staff/objections/{objection_id}",
        data={"outcome": "dismissed", "reason": "报告未按时提交", "year": str(YEAR)},
        headers=ORIGIN,
    )
    assert decided.status_code == 303
    assert decided.headers["location"] == f"/staff/objections?year={YEAR}&decided={objection_id}"
    with Session(engine) as session:
        row = session.get(Objection, objection_id)
        assert row is not None and (row.status, row.decided_by) == ("dismissed", ADMIN_KEY)
    again = web.post(
        f"/staff/objections/{objection_id}",
        data={"outcome": "upheld", "reason": "再议"},
        headers=ORIGIN,
    )
    assert again.status_code == 403 and "已" in again.text
    shown = web.get(decided.headers["location"]).text
    assert f"异议 {objection_id} 已处理。" in shown and "报告未按时提交" in shown


# --- results ------------------------------------------------------------------------------


def test_results_list_with_a_chinese_chart(web: TestClient, engine: Engine) -> None:
    with Session(engine) as session:
        assessed_agency(session, Settings(), full_points(), year=YEAR, name="北京平安咨询有限公司")
    sign_in(web, engine)
    page = web.get("/staff/results", params={"year": str(YEAR)})
    assert page.status_code == 200
    assert "北京平安咨询有限公司" in page.text and "名次" in page.text and "考核通过" in page.text
    assert f'src="/staff/results/{YEAR}/chart.png"' in page.text
    assert english_codes(page.text) == []
    chart = web.get(f"/staff/results/{YEAR}/chart.png")
    assert chart.status_code == 200 and chart.headers["content-type"] == "image/png"
    assert chart.content.startswith(b"\x89PNG\r\n\x1a\n")
    empty = web.get("/staff/results", params={"year": str(YEAR - 1)})
    assert f"{YEAR - 1}年度还没有定稿的评分表。" in empty.text


# --- numbers in the URL -------------------------------------------------------------------

BAD_IDS = ("0", "-1", str(2**31), str(2**63), "9" * 40)
BAD_YEARS = ("0", "-1", str(2**31), str(2**63), "9" * 40)
ROUTES = [
    ("get", "/staff/desk/{agency}/{year}"),
    ("get", "/staff/file/{agency}/{year}/x"),
    ("post", "/staff/desk/{agency}/{year}/line/1.2"),
    ("post", "/staff/desk/{agency}/{year}/finalise"),
]


def _bad_urls(year: TrainingYear) -> list[tuple[str, str]]:
    """Every int path parameter of the staff pages, one out of range at a time."""
    urls = [
        (method, route.format(agency=bad, year=YEAR)) for method, route in ROUTES for bad in BAD_IDS
    ]
    urls += [
        (method, route.format(agency=year.agency_id, year=bad))
        for method, route in ROUTES
        for bad in BAD_YEARS
    ]
    urls += [("post", f"/staff/objections/{bad}") for bad in BAD_IDS]
    urls += [("get", f"/staff/results/{bad}/chart.png") for bad in BAD_YEARS]
    return urls


def test_a_number_out_of_range_in_the_url_is_a_chinese_page_not_a_crash(
    any_web: TestClient, any_engine: Engine, any_year: TrainingYear
) -> None:
    sign_in(any_web, any_engine, ADMIN_KEY, Role.ADMIN)
    form = {"content": "yes", "evidence": "yes", "points": "4", "outcome": "dismissed"}
    crashed = []
    for method, url in _bad_urls(any_year):
        if method == "get":
            page = any_web.get(url)
        else:
            page = any_web.post(url, data={**form, "reason": "x"}, headers=ORIGIN)
        if page.status_code not in (400, 404):
            crashed.append((url, page.status_code))
            continue
        titles = ("<h1>链接有误</h1>", "<h1>页面不存在</h1>", "<h1>无法完成</h1>")
        assert any(title in page.text for title in titles), url
        assert 'class="button" href="/staff' in page.text, url
        assert english_codes(page.text) == [], url
    assert crashed == []
    assert _lines(any_engine, any_year.agency_id) == {}
    assert _status(any_engine, any_year.agency_id) == State.FILED


# --- bounded forms ------------------------------------------------------------------------

LINE = {"content": "yes", "evidence": "yes", "points": "4"}
A_FILE = {"attachment": ("x.txt", b"4", "text/plain")}


def test_a_file_in_a_staff_form_is_refused_and_nothing_saved(
    any_web: TestClient, any_engine: Engine, any_year: TrainingYear
) -> None:
    objection_id = _objection(any_engine)
    sign_in(any_web, any_engine, ADMIN_KEY, Role.ADMIN)
    with Session(any_engine) as session:
        fill_sheet(session, any_year.agency_id, YEAR, full_points())
    before = _lines(any_engine, any_year.agency_id)["1.2"].points
    forms = [
        (f"{_desk(any_year)}/line/1.2", {**LINE, "points": "3"}, f"{_desk(any_year)}#i-1-2"),
        (
            f"{_desk(any_year)}/finalise",
            {"force_reason": "区里要求"},
            f"{_desk(any_year)}#finalise",
        ),
        (
            f"/staff/objections/{objection_id}",
            {"outcome": "dismissed", "reason": "报告未按时提交", "year": str(YEAR)},
            "/staff/objections",
        ),
    ]
    for url, form, back in forms:
        page = any_web.post(url, data=form, files=A_FILE, headers=ORIGIN)
        assert page.status_code == 400, url
        assert "带有文件" in page.text and "未保存任何内容" in page.text, url
        assert f'href="{back}"' in page.text, url
        assert english_codes(page.text) == [], url
    assert _lines(any_engine, any_year.agency_id)["1.2"].points == before
    assert _status(any_engine, any_year.agency_id) == State.FILED
    with Session(any_engine) as session:
        objection = session.get(Objection, objection_id)
        assert objection is not None and objection.status == "open"


def test_a_staff_form_too_large_is_refused_by_its_length(
    web: TestClient, engine: Engine, year: TrainingYear
) -> None:
    sign_in(web, engine)
    page = _line(web, year, "1.2", **LINE, note="长" * 3000)  # 27 KB percent-encoded
    assert page.status_code == 400 and "过大" in page.text and "500" in page.text
    assert _lines(engine, year.agency_id) == {}


# --- personal data on the desk ------------------------------------------------------------


def test_an_id_number_in_a_file_name_is_masked_on_the_desk_and_in_its_download(
    web: TestClient, engine: Engine, settings: Settings, year: TrainingYear, tmp_path: Path
) -> None:
    from tests.builders import id_number
    from workflow.access.actors import Actor
    from workflow.guidance import evidence

    number = id_number()
    masked = number[:6] + "********" + number[-4:]
    source = tmp_path / "scan"
    source.write_bytes(png(40, 30))  # not the training's photo: a file is kept once
    uploads = settings.model_copy(update={"upload_dir": str(tmp_path / "uploads")})
    contact = Actor.telegram(7_770_001, "王联系人")
    evidence.attach_file(
        engine, year.training_id, source, f"张三身份证{number}.png", "image/png", contact, uploads
    )
    sign_in(web, engine)
    page = web.get(_desk(year)).text
    assert f"张三身份证{masked}.png" in page and f'alt="张三身份证{masked}.png"' in page
    assert number not in page
    start = page.index(f'alt="张三身份证{masked}')
    src_at = page.rindex('src="', 0, start) + len('src="')
    served = web.get(page[src_at : page.index('"', src_at)])
    assert served.status_code == 200 and served.content == png(40, 30)
    assert number not in served.headers["content-disposition"]
    assert masked.replace("*", "%2A") in served.headers["content-disposition"]
