"""The agency's pages: signed in by its link, it sees its year, records its Art. 11 work
with photos and files, hands in its Art. 15 documents and objects during the 公示; every
bad input is a Chinese page with a way on and writes nothing; another agency's rows
are never shown."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update as sa_update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from tests.web.agency_fixtures import png_bytes
from tests.web.conftest import web_settings
from tests.workflow.assessment_builders import assessed_agency, full_points, new_agency
from workflow.access.actors import Actor
from workflow.access.weblogins import issue_login, new_form_id
from workflow.assessment.models import Objection, Publication
from workflow.community.campaigns import current_campaign_year
from workflow.community.models import CreationUnit, Guidance
from workflow.core.clock import local_date, utcnow
from workflow.core.db import transaction
from workflow.guidance.models import EvidenceFile, GuidanceActivity
from workflow.lifecycle.models import AuditEntry
from workflow.registry.models import Agency
from workflow.reminders.models import SubmittedDocument

ADMIN = Actor.cli("王管理")
PDF = b"%PDF-1.7 annual report"


@dataclass
class Place:
    agency_id: int
    unit_id: int
    year: int


def guided_agency(engine: Engine, name: str = "幸福里社区") -> Place:
    """An agency guiding one unit in the current campaign, committed."""
    settings = web_settings(engine, "http://testserver")
    with transaction(engine) as session:
        year = current_campaign_year(session, utcnow(), settings)
        agency = new_agency(session)
        unit = CreationUnit(name=name, district="东城区", safe_community=True)
        session.add(unit)
        session.flush()
        assert agency.id is not None and unit.id is not None
        session.add(Guidance(unit_id=unit.id, agency_id=agency.id, year=year, safe_community=True))
        return Place(agency.id, unit.id, year)


def sign_in(client: TestClient, engine: Engine, agency_id: int) -> None:
    settings = web_settings(engine, "http://testserver")
    with transaction(engine) as session:
        token = issue_login(
            session,
            "agency",
            actor_key=f"agency:{agency_id}",
            label="测试机构",
            issued_by=ADMIN,
            settings=settings,
            agency_id=agency_id,
        )
    assert client.post(f"/login/{token}").headers["location"] == "/agency"


def training(place: Place, **changes: str) -> dict[str, str]:
    return {
        "unit": str(place.unit_id),
        "kind": "training",
        "held_on": f"{place.year}-01-01",
        "topic": "建设理念",
        "title": "安全社区建设培训",
        "attendance": "32",
        "form_id": new_form_id(),
        **changes,
    }


def activities(engine: Engine) -> list[GuidanceActivity]:
    with Session(engine) as session:
        return list(session.exec(select(GuidanceActivity)).all())


def evidence_rows(engine: Engine) -> list[EvidenceFile]:
    with Session(engine) as session:
        return list(session.exec(select(EvidenceFile)).all())


def stored_files() -> list[Path]:
    root = Path("uploads")
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def refusal_of(answer: Any) -> str:
    """The refusal a page shows (its message box), so a test names the reason itself."""
    found = re.search(r'<p class="message">(.*?)</p>', answer.text, re.S)
    assert found, answer.text
    return found[1]


def record(client: TestClient, place: Place, **changes: str) -> int:
    answer = client.post("/agency/records", data=training(place, **changes))
    assert answer.status_code == 303, answer.text
    return int(answer.headers["location"].split("/")[-1].split("?")[0])


def upload(client: TestClient, url: str, name: str, content: bytes, mime: str, **data: str) -> Any:
    """A multipart form with one file, as a browser's file input sends it."""
    return client.post(url, files={"file": (name, content, mime)}, data=data)


# --- sign-in and the start page --------------------------------------------------------


def test_the_start_page_needs_the_agency_signed_in(web: TestClient) -> None:
    answer = web.get("/agency")
    assert answer.status_code == 401
    assert "登录" in answer.text


def test_the_start_page_shows_the_year_checklist_and_shortfalls(
    web: TestClient, engine: Engine
) -> None:
    place = guided_agency(engine)
    sign_in(web, engine, place.agency_id)
    page = web.get("/agency")
    assert page.status_code == 200
    assert f"{place.year}年考核日程" in page.text
    assert "年度工作情况报告：" in page.text and "尚未提交" in page.text
    assert "幸福里社区" in page.text and "启动会" in page.text  # no kickoff yet: a shortfall
    assert 'action="/logout"' in page.text


# --- Art. 11 records ----------------------------------------------------------------------


def test_an_agency_records_a_training_audited_as_itself_on_the_web(
    any_web: TestClient, any_engine: Engine
) -> None:
    place = guided_agency(any_engine)
    sign_in(any_web, any_engine, place.agency_id)
    activity_id = record(any_web, place)
    [row] = activities(any_engine)
    assert (row.id, row.kind, row.topic, row.attendance) == (activity_id, "training", "concept", 32)
    assert (row.recorded_by, row.on_behalf) == (f"agency:{place.agency_id}", False)
    with Session(any_engine) as session:
        entry = session.exec(select(AuditEntry).where(AuditEntry.trigger == "guidance.add")).one()
    assert (entry.channel, entry.role, entry.actor) == ("web", "agency", row.recorded_by)
    listed = any_web.get("/agency/records").text
    assert "安全社区建设培训" in listed and f"/agency/records/{activity_id}" in listed


@pytest.mark.parametrize(
    ("changes", "refusal"),
    [
        ({"held_on": ""}, "日期"),
        ({"held_on": "2026-13-45"}, "日期"),
        ({"topic": ""}, "主题"),
        ({"kind": "chess"}, "chess"),
        ({"attendance": "很多"}, "很多"),
        ({"unit": "abc"}, "社区"),
    ],
)
def test_a_bad_record_is_refused_in_the_form_and_nothing_is_written(
    web: TestClient, engine: Engine, changes: dict[str, str], refusal: str
) -> None:
    place = guided_agency(engine)
    sign_in(web, engine, place.agency_id)
    answer = web.post("/agency/records", data=training(place, **changes))
    assert answer.status_code == 400
    assert refusal in refusal_of(answer)
    assert "安全社区建设培训" in answer.text  # what was typed stays in the form
    assert activities(engine) == []


def test_a_unit_the_agency_does_not_guide_is_refused(web: TestClient, engine: Engine) -> None:
    place = guided_agency(engine)
    other = guided_agency(engine, name="和平里社区")
    sign_in(web, engine, place.agency_id)
    answer = web.post("/agency/records", data=training(place, unit=str(other.unit_id)))
    assert answer.status_code == 400 and "和平里社区" in refusal_of(answer)
    assert activities(engine) == []


def test_an_edit_changes_the_record_and_a_stale_form_is_refused(
    any_web: TestClient, any_engine: Engine
) -> None:
    place = guided_agency(any_engine)
    sign_in(any_web, any_engine, place.agency_id)
    activity_id = record(any_web, place)
    form = any_web.get(f"/agency/records/{activity_id}/edit").text
    assert 'name="revision" value="1"' in form
    changed = training(place, title="第二次培训", revision="1")
    answer = any_web.post(f"/agency/records/{activity_id}/edit", data=changed)
    assert answer.status_code == 303
    assert [a.title for a in activities(any_engine)] == ["第二次培训"]
    stale = any_web.post(
        f"/agency/records/{activity_id}/edit", data=training(place, title="旧的", revision="1")
    )
    assert stale.status_code == 400 and "刚被他人修改" in refusal_of(stale)
    assert [a.title for a in activities(any_engine)] == ["第二次培训"]


def test_another_agencys_record_and_file_are_never_shown(
    web: TestClient, engine: Engine, tmp_path: Path
) -> None:
    mine, theirs = guided_agency(engine), guided_agency(engine, name="和平里社区")
    sign_in(web, engine, theirs.agency_id)
    their_record = record(web, theirs, title="别家的培训")
    assert (
        upload(
            web, f"/agency/records/{their_record}/files", "p.png", png_bytes(), "image/png"
        ).status_code
        == 303
    )
    [their_file] = evidence_rows(engine)
    web.cookies.clear()
    sign_in(web, engine, mine.agency_id)
    assert "别家的培训" not in web.get("/agency/records").text
    for url in (
        f"/agency/records/{their_record}",
        f"/agency/records/{their_record}/edit",
        f"/agency/files/{their_file.id}",
    ):
        answer = web.get(url)
        assert answer.status_code == 404 and "别家的培训" not in answer.text
    attempt = upload(
        web, f"/agency/records/{their_record}/files", "q.png", png_bytes(4), "image/png"
    )
    assert attempt.status_code == 404
    assert web.post(f"/agency/files/{their_file.id}/delete").status_code == 404
    edit = web.post(f"/agency/records/{their_record}/edit", data=training(theirs, revision="1"))
    assert edit.status_code == 404
    assert len(evidence_rows(engine)) == 1 and [a.title for a in activities(engine)] == [
        "别家的培训"
    ]


# --- files -------------------------------------------------------------------------------


def test_a_photo_is_stored_with_its_row_and_shown_inline(
    any_web: TestClient, any_engine: Engine
) -> None:
    place = guided_agency(any_engine)
    sign_in(any_web, any_engine, place.agency_id)
    activity_id = record(any_web, place)
    photo = png_bytes()
    answer = upload(
        any_web, f"/agency/records/{activity_id}/files", "培训照片.png", photo, "image/png"
    )
    assert answer.status_code == 303
    [row] = evidence_rows(any_engine)
    assert (row.original_name, row.uploaded_by) == ("培训照片.png", f"agency:{place.agency_id}")
    assert Path(row.stored_path).read_bytes() == photo
    page = any_web.get(f"/agency/records/{activity_id}").text
    assert f'<img class="evidence" src="/agency/files/{row.id}"' in page
    shown = any_web.get(f"/agency/files/{row.id}")
    assert shown.content == photo and shown.headers["content-type"] == "image/png"
    assert shown.headers["content-disposition"].startswith("inline")


@pytest.mark.parametrize(
    ("name", "content", "mime", "refusal"),
    [
        ("setup.exe", b"MZ\x90\x00", "application/octet-stream", "不支持这种文件类型"),
        ("照片.jpg", b"MZ\x90\x00 a program", "image/jpeg", "内容与扩展名"),
        ("报告.pdf", b"<html>not a pdf</html>", "application/pdf", "内容与扩展名"),
        ("", b"", "application/octet-stream", "没有收到文件"),
    ],
)
def test_a_forbidden_or_disguised_file_is_refused_and_nothing_stays(
    web: TestClient, engine: Engine, name: str, content: bytes, mime: str, refusal: str
) -> None:
    place = guided_agency(engine)
    sign_in(web, engine, place.agency_id)
    activity_id = record(web, place)
    answer = upload(web, f"/agency/records/{activity_id}/files", name, content, mime)
    assert answer.status_code == 400 and refusal in refusal_of(answer)
    assert f'href="/agency/records/{activity_id}"' in answer.text  # the way on
    assert evidence_rows(engine) == [] and stored_files() == []


def test_a_file_above_the_limit_is_stopped_while_read(engine: Engine) -> None:
    from bot.web.app import create_app

    app = create_app(web_settings(engine, "http://testserver", upload_max_mb=1), engine)
    with TestClient(app, base_url="http://testserver", follow_redirects=False) as client:
        place = guided_agency(engine)
        sign_in(client, engine, place.agency_id)
        activity_id = record(client, place)
        big = png_bytes() + b"\x00" * (1024 * 1024 + 100 * 1024)
        answer = upload(client, f"/agency/records/{activity_id}/files", "大.png", big, "image/png")
    assert answer.status_code == 400 and "1MB" in refusal_of(answer).replace(" ", "")
    assert evidence_rows(engine) == [] and stored_files() == []


def test_a_malicious_file_name_is_made_safe(web: TestClient, engine: Engine) -> None:
    place = guided_agency(engine)
    sign_in(web, engine, place.agency_id)
    activity_id = record(web, place)
    name = "../../etc/" + "长" * 300 + '"\r\n.png'
    answer = upload(web, f"/agency/records/{activity_id}/files", name, png_bytes(), "image/png")
    assert answer.status_code == 303
    [row] = evidence_rows(engine)
    assert "/" not in row.original_name and "\n" not in row.original_name
    assert '"' not in row.original_name and len(row.original_name) <= 100
    assert Path(row.stored_path).parent.name == "guidance"


# --- Art. 15 documents ----------------------------------------------------------------


def test_the_annual_report_is_handed_in_listed_and_not_twice(
    any_web: TestClient, any_engine: Engine
) -> None:
    place = guided_agency(any_engine)
    sign_in(any_web, any_engine, place.agency_id)
    answer = upload(
        any_web, "/agency/documents", "年度报告.pdf", PDF, "application/pdf", kind="report"
    )
    assert answer.status_code == 303
    with Session(any_engine) as session:
        [row] = session.exec(select(SubmittedDocument)).all()
    assert (row.kind, row.year, row.original_name) == ("report", place.year, "年度报告.pdf")
    assert Path(row.stored_path).read_bytes() == PDF
    listed = any_web.get("/agency/documents").text
    assert "年度报告.pdf" in listed and "年度工作情况报告" in listed
    assert "已提交1份" in any_web.get("/agency").text
    again = upload(any_web, "/agency/documents", "副本.pdf", PDF, "application/pdf", kind="report")
    assert again.status_code == 400 and "已经提交过" in refusal_of(again)
    wrong = upload(
        any_web, "/agency/documents", "x.pdf", b"%PDF-1 other", "application/pdf", kind="x"
    )
    assert wrong.status_code == 400 and "x" in refusal_of(wrong)
    with Session(any_engine) as session:
        assert len(session.exec(select(SubmittedDocument)).all()) == 1
    assert len(stored_files()) == 1


# --- the result and objections ---------------------------------------------------------


def _published_result(engine: Engine, *, running: bool = True, begun: bool = True) -> int:
    settings = web_settings(engine, "http://testserver")
    year = 2025
    with Session(engine) as session:
        agency = assessed_agency(session, settings, full_points(), year=year, guided=(year,))
        today = local_date(utcnow(), settings.zone)
        ends = today + timedelta(days=3) if running else today - timedelta(days=1)
        starts = ends - timedelta(days=7) if begun else today + timedelta(days=1)
        session.add(Publication(year=year, starts=starts, ends=ends, opened_by="x"))
        session.commit()
        assert agency.id is not None
        return agency.id


def test_the_result_is_shown_and_an_objection_filed_once_during_the_period(
    any_web: TestClient, any_engine: Engine
) -> None:
    agency_id = _published_result(any_engine)
    sign_in(any_web, any_engine, agency_id)
    page = any_web.get("/agency/result").text
    assert "2025年考核结果" in page and "最终得分" in page and "提交异议" in page
    empty = any_web.post("/agency/objection", data={"reason": "  ", "form_id": new_form_id()})
    assert empty.status_code == 400 and "请写明异议的理由" in refusal_of(empty)
    form_id = re.search(r'name="form_id" value="([^"]+)"', page)
    assert form_id, page
    sent = {"reason": "指标2.4的报告已提交，未计分", "form_id": form_id[1]}
    filed = any_web.post("/agency/objection", data=sent)
    assert filed.status_code == 303 and filed.headers["location"] == "/agency/result?filed=1"
    repeat = any_web.post("/agency/objection", data=sent)  # the same form sent twice
    assert repeat.headers["location"] == "/agency/result?repeat=1"
    assert "这份异议已经收到" in any_web.get(repeat.headers["location"]).text
    with Session(any_engine) as session:
        [objection] = session.exec(select(Objection)).all()
        entry = session.exec(
            select(AuditEntry).where(AuditEntry.trigger == "objection.record")
        ).one()
    assert (objection.agency_id, objection.recorded_by) == (agency_id, f"agency:{agency_id}")
    assert (entry.channel, entry.role) == ("web", "agency")
    page = any_web.get("/agency/result").text
    assert "待处理" in page and "提交异议" not in page
    again = any_web.post("/agency/objection", data={"reason": "再提一次", "form_id": new_form_id()})
    assert again.status_code == 400 and "待处理" in refusal_of(again)


def test_no_objection_after_the_period(web: TestClient, engine: Engine) -> None:
    agency_id = _published_result(engine, running=False)
    sign_in(web, engine, agency_id)
    assert "提交异议" not in web.get("/agency/result").text
    answer = web.post("/agency/objection", data={"reason": "晚了", "form_id": new_form_id()})
    assert answer.status_code == 400 and "不在公示期内" in refusal_of(answer)
    with Session(engine) as session:
        assert session.exec(select(Objection)).all() == []


def test_before_publication_the_result_page_says_so(web: TestClient, engine: Engine) -> None:
    place = guided_agency(engine)
    sign_in(web, engine, place.agency_id)
    assert "尚未公示" in web.get("/agency/result").text


def test_an_upload_without_a_declared_length_is_stopped_at_the_limit(engine: Engine) -> None:
    """The body is read in pieces until it passes the limit, then no more: the client's
    body (an async generator, sent piece by piece through the ASGI app) is left unread."""
    from bot.web.app import create_app

    app = create_app(web_settings(engine, "http://testserver", upload_max_mb=1), engine)
    boundary = "safecommboundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="大.png"\r\n'
        "Content-Type: image/png\r\n\r\n"
    ).encode()
    piece, pieces = 64 * 1024, 40  # 2.5 MB in 64 KB pieces, no Content-Length
    yielded = 0

    async def body() -> AsyncIterator[bytes]:
        nonlocal yielded
        yielded += 1
        yield head + png_bytes()
        for _ in range(pieces):
            yielded += 1
            yield b"\x00" * piece
        yielded += 1
        yield f"\r\n--{boundary}--\r\n".encode()

    with TestClient(app, base_url="http://testserver", follow_redirects=False) as client:
        place = guided_agency(engine)
        sign_in(client, engine, place.agency_id)
        activity_id = record(client, place)
        cookies = dict(client.cookies)

    async def send() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://testserver", cookies=cookies
        ) as browser:
            return await browser.post(
                f"/agency/records/{activity_id}/files",
                content=body(),
                headers={"content-type": f"multipart/form-data; boundary={boundary}"},
            )

    answer = asyncio.run(send())
    assert answer.status_code == 400 and "1MB" in refusal_of(answer).replace(" ", "")
    limit_pieces = (1024 * 1024 + 64 * 1024) // piece  # upload_max_mb plus the form's slack
    assert limit_pieces < yielded <= limit_pieces + 2 < pieces  # stopped just past the limit
    assert evidence_rows(engine) == [] and stored_files() == []


def test_a_bound_contact_signed_in_on_the_web_records_as_themselves(
    web: TestClient, engine: Engine
) -> None:
    from workflow.reminders.models import AgencyContact

    place = guided_agency(engine)
    settings = web_settings(engine, "http://testserver")
    with transaction(engine) as session:
        session.add(
            AgencyContact(agency_id=place.agency_id, telegram_user_id=7001, display_name="王")
        )
        session.flush()
        token = issue_login(
            session,
            "agency",
            actor_key="tg:7001",
            label="王联系人",
            issued_by=ADMIN,
            settings=settings,
            agency_id=place.agency_id,
        )
    assert web.post(f"/login/{token}").headers["location"] == "/agency"
    record(web, place)
    [row] = activities(engine)
    assert (row.recorded_by, row.on_behalf) == ("tg:7001", False)
    with Session(engine) as session:
        entry = session.exec(select(AuditEntry).where(AuditEntry.trigger == "guidance.add")).one()
    assert (entry.channel, entry.actor_name) == ("web", "王联系人")


def test_a_file_is_taken_off_its_record_row_and_file_together(
    any_web: TestClient, any_engine: Engine
) -> None:
    place = guided_agency(any_engine)
    sign_in(any_web, any_engine, place.agency_id)
    activity_id = record(any_web, place)
    upload(any_web, f"/agency/records/{activity_id}/files", "错的.png", png_bytes(), "image/png")
    [row] = evidence_rows(any_engine)
    answer = any_web.post(f"/agency/files/{row.id}/delete")
    assert answer.status_code == 303
    assert evidence_rows(any_engine) == [] and not Path(row.stored_path).exists()
    assert "文件已删除" in any_web.get(answer.headers["location"]).text
    with Session(any_engine) as session:
        entry = session.exec(
            select(AuditEntry).where(AuditEntry.trigger == "guidance.detach")
        ).one()
    assert (entry.channel, entry.reason) == ("web", "错的.png")
    assert any_web.post(f"/agency/files/{row.id}/delete").status_code == 404


# --- ids in URLs ---------------------------------------------------------------------


ROUTES = [
    ("get", "/agency/records/{id}"),
    ("get", "/agency/records/{id}/edit"),
    ("post", "/agency/records/{id}/edit"),
    ("post", "/agency/records/{id}/files"),
    ("get", "/agency/files/{id}"),
    ("post", "/agency/files/{id}/delete"),
    ("get", "/agency/documents/{id}"),
]


@pytest.mark.parametrize(("method", "route"), ROUTES)
@pytest.mark.parametrize("row_id", ["99999999999999999999", "2147483648", "0", "-1"])
def test_an_id_out_of_range_in_a_url_is_a_clear_page(
    any_web: TestClient, any_engine: Engine, method: str, route: str, row_id: str
) -> None:
    place = guided_agency(any_engine)
    sign_in(any_web, any_engine, place.agency_id)
    answer = any_web.request(method, route.format(id=row_id))
    assert answer.status_code == 400, answer.text
    assert "编号或年份有误" in answer.text and "Traceback" not in answer.text


def test_a_unit_id_out_of_range_in_the_form_is_refused(
    any_web: TestClient, any_engine: Engine
) -> None:
    place = guided_agency(any_engine)
    sign_in(any_web, any_engine, place.agency_id)
    answer = any_web.post("/agency/records", data=training(place, unit="999999999999"))
    assert answer.status_code == 400 and "社区" in refusal_of(answer)
    assert activities(any_engine) == []


def test_the_add_record_form_sent_twice_saves_one_record(
    any_web: TestClient, any_engine: Engine
) -> None:
    place = guided_agency(any_engine)
    sign_in(any_web, any_engine, place.agency_id)
    form = any_web.get(f"/agency/records/new?unit_id={place.unit_id}").text
    form_id = re.search(r'name="form_id" value="([^"]+)"', form)
    assert form_id, form
    sent = training(place, form_id=form_id[1])
    first = any_web.post("/agency/records", data=sent)
    assert first.status_code == 303 and "saved=1" in first.headers["location"]
    again = any_web.post("/agency/records", data=sent)
    assert again.status_code == 303 and again.headers["location"] == "/agency/records?repeat=1"
    assert "这项记录已经保存过" in any_web.get(again.headers["location"]).text
    assert len(activities(any_engine)) == 1


def test_a_refused_record_keeps_its_form_id_so_the_corrected_form_saves(
    any_web: TestClient, any_engine: Engine
) -> None:
    web, engine = any_web, any_engine
    place = guided_agency(engine)
    sign_in(web, engine, place.agency_id)
    sent = training(place, held_on="")
    refused = web.post("/agency/records", data=sent)
    assert refused.status_code == 400
    assert f'name="form_id" value="{sent["form_id"]}"' in refused.text
    fixed = web.post("/agency/records", data={**sent, "held_on": f"{place.year}-01-01"})
    assert fixed.status_code == 303 and "saved=1" in fixed.headers["location"]
    assert len(activities(engine)) == 1


def test_a_publicity_not_begun_is_not_shown_yet(web: TestClient, engine: Engine) -> None:
    agency_id = _published_result(engine, begun=False)
    sign_in(web, engine, agency_id)
    page = web.get("/agency/result").text
    assert "尚未公示" in page and "最终得分" not in page and "提交异议" not in page


def test_an_agency_without_a_result_is_not_offered_an_objection(
    web: TestClient, engine: Engine
) -> None:
    _published_result(engine)
    place = guided_agency(engine)  # not assessed: no sheet in the published year
    sign_in(web, engine, place.agency_id)
    page = web.get("/agency/result").text
    assert "公示的考核结果中没有本机构" in page and "提交异议" not in page


def test_the_details_of_the_chosen_kind_are_saved_and_the_others_ignored(
    web: TestClient, engine: Engine
) -> None:
    place = guided_agency(engine)
    sign_in(web, engine, place.agency_id)
    record(
        web,
        place,
        kind="leading_body",
        topic="",
        attendance="",
        detail_departments="3",
        detail_points="9",  # a risk visit's detail: not this kind's, not saved
    )
    [row] = activities(engine)
    assert row.details == {"departments": 3}


def test_a_record_form_past_its_bound_is_refused_unread(web: TestClient, engine: Engine) -> None:
    """A body of 100 KB, a file in the text form, or 500 fields: the 400 page, nothing saved."""
    place = guided_agency(engine)
    sign_in(web, engine, place.agency_id)
    huge = web.post("/agency/records", data=training(place, description="长" * 40_000))
    with_file = web.post(
        "/agency/records", data=training(place), files={"x": ("a.png", png_bytes(), "image/png")}
    )
    fields = web.post(
        "/agency/records", data={**training(place), **{f"f{n}": "x" for n in range(500)}}
    )
    for answer in (huge, with_file, fields):
        assert answer.status_code == 400 and "表单内容不完整或有误" in answer.text
        assert 'href="/agency/records"' in answer.text
    objection = web.post("/agency/objection", data={"reason": "理" * 20_000})
    assert objection.status_code == 400 and 'href="/agency/result"' in objection.text
    assert activities(engine) == []


def test_a_program_named_pdf_or_a_zip_named_docx_is_not_handed_in_on_the_web(
    any_web: TestClient, any_engine: Engine
) -> None:
    """Issue 14, item 7: the content decides, not the name and the declared type."""
    place = guided_agency(any_engine)
    sign_in(any_web, any_engine, place.agency_id)
    program = upload(
        any_web,
        "/agency/documents",
        "年度报告.pdf",
        b"MZ\x90\x00\x03",
        "application/pdf",
        kind="report",
    )
    assert program.status_code == 400 and "内容与扩展名“.pdf”不符" in refusal_of(program)
    docx = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    plain_zip = upload(
        any_web,
        "/agency/documents",
        "报告.docx",
        b"PK\x03\x04" + b"\x00" * 30,
        docx,
        kind="report",
    )
    assert plain_zip.status_code == 400 and "内容与扩展名“.docx”不符" in refusal_of(plain_zip)
    with Session(any_engine) as session:
        assert session.exec(select(SubmittedDocument)).all() == []
    assert stored_files() == []


def test_a_withdrawn_agency_hands_in_nothing_on_the_web(
    any_web: TestClient, any_engine: Engine
) -> None:
    """Issue 14, item 7: once withdrawn, the agency's sign-in hands in no more files."""
    place = guided_agency(any_engine)
    sign_in(any_web, any_engine, place.agency_id)
    with transaction(any_engine) as session:  # as `safecomm advance … withdrawn` leaves it
        session.execute(
            sa_update(Agency).where(col(Agency.id) == place.agency_id).values(status="withdrawn")
        )
    answer = upload(
        any_web, "/agency/documents", "年度报告.pdf", PDF, "application/pdf", kind="report"
    )
    assert answer.status_code == 400 and "本机构已退出" in refusal_of(answer)
    with Session(any_engine) as session:
        assert session.exec(select(SubmittedDocument)).all() == []
    assert stored_files() == []
