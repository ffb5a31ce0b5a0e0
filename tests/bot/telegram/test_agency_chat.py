"""The agency contact's chat: deep-link binding, /status, and handing in documents."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from tests.builders import office_file
from tests.chat import OfflineChat
from tests.surveys.helpers import guided_units
from tests.workflow.lifecycle_steps import agency_in
from workflow.core.clock import local_date, utcnow
from workflow.core.db import transaction
from workflow.core.settings import Settings, load_settings
from workflow.registry.models import Agency
from workflow.reminders import contacts
from workflow.reminders.models import AgencyContact, SubmittedDocument

ALICE, BOB = 1001, 1002
PDF = "application/pdf"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def policy(tmp_path: Path) -> Settings:
    return load_settings(upload_dir=str(tmp_path / "uploads"), upload_max_mb=1)


@pytest.fixture
async def chat(any_engine: Engine, policy: Settings) -> AsyncIterator[OfflineChat]:
    async with OfflineChat(policy, any_engine) as chat:
        yield chat


def new_agency(engine: Engine, name: str = "甲咨询公司") -> Agency:
    with transaction(engine) as session:
        return agency_in(session, "filed", load_settings(), name=name)


def link_for(engine: Engine, agency: Agency) -> str:
    with transaction(engine) as session:
        return contacts.issue_link_token(session, agency, "admin").token


def documents(engine: Engine) -> list[SubmittedDocument]:
    with Session(engine) as session:
        return list(session.exec(select(SubmittedDocument).order_by(SubmittedDocument.id)))


def stored_files(policy: Settings) -> list[Path]:
    root = Path(policy.upload_dir)
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


# --- binding by deep link -------------------------------------------------------------------


async def test_opening_the_agency_link_binds_the_contact(
    chat: OfflineChat, any_engine: Engine
) -> None:
    agency = new_agency(any_engine)
    token = link_for(any_engine, agency)

    await chat.send(ALICE, f"/start {token}")
    reply = chat.last_text(ALICE)
    await chat.send(ALICE, f"/start {token}")
    again = chat.last_text(ALICE)

    assert "已绑定为“甲咨询公司”的联系人" in reply
    assert "无需重复绑定" in again
    with Session(any_engine) as session:
        assert [c.telegram_user_id for c in session.exec(select(AgencyContact))] == [ALICE]


async def test_someone_else_cannot_reuse_a_contacts_link(
    chat: OfflineChat, any_engine: Engine
) -> None:
    token = link_for(any_engine, new_agency(any_engine))
    await chat.send(ALICE, f"/start {token}")

    await chat.send(BOB, f"/start {token}")
    reply = chat.last_text(BOB)

    assert "已被其他人使用过" in reply
    with Session(any_engine) as session:
        assert contacts.contact_of(session, BOB) is None


async def test_a_deep_link_for_another_agency_is_refused_politely(
    chat: OfflineChat, any_engine: Engine
) -> None:
    first, second = new_agency(any_engine, "甲咨询公司"), new_agency(any_engine, "乙咨询公司")
    await chat.send(ALICE, f"/start {link_for(any_engine, first)}")
    other = link_for(any_engine, second)

    await chat.send(ALICE, f"/start {other}")
    reply = chat.last_text(ALICE)

    assert "您已经是“甲咨询公司”的联系人" in reply and "解除" in reply
    with Session(any_engine) as session:
        contact = contacts.contact_of(session, ALICE)
        link = contacts.find_link_token(session, other)
        assert contact is not None and contact.agency_id == first.id
        assert link is not None and link.used_by is None


async def test_an_unknown_token_gets_the_general_reply(
    chat: OfflineChat, any_engine: Engine
) -> None:
    await chat.send(ALICE, "/start " + "x" * 43)
    reply = chat.last_text(ALICE)
    assert "链接无效或已失效" in reply


# --- /status ----------------------------------------------------------------------------------


async def test_status_needs_a_bound_contact(chat: OfflineChat) -> None:
    await chat.send(BOB, "/status")
    reply = chat.last_text(BOB)
    assert "还没有绑定任何咨询服务机构" in reply


async def test_status_takes_no_arguments(chat: OfflineChat, any_engine: Engine) -> None:
    await chat.send(ALICE, f"/start {link_for(any_engine, new_agency(any_engine))}")
    await chat.send(ALICE, "/status 2026")
    assert "不需要参数" in chat.last_text(ALICE)


async def test_status_shows_state_dates_and_what_is_missing(
    chat: OfflineChat, any_engine: Engine
) -> None:
    await chat.send(ALICE, f"/start {link_for(any_engine, new_agency(any_engine))}")
    year = local_date(utcnow(), load_settings().zone).year

    await chat.send(ALICE, "/status")
    reply = chat.last_text(ALICE)

    assert "甲咨询公司" in reply
    assert "当前状态：已备案" in reply
    assert f"{year}-12-15" in reply and f"{year}-12-20" in reply
    assert "年度工作报告：未提交" in reply and "佐证材料：未提交" in reply
    assert "还缺：年度工作报告、佐证材料" in reply
    assert "创建单位问卷" in reply

    await chat.send_document(ALICE, "年度报告.pdf", PDF, caption="报告")
    await chat.send_photo(ALICE)
    await chat.tap_label(ALICE, "其他佐证材料")
    await chat.send(ALICE, "/status")
    after = chat.last_text(ALICE)
    assert "年度工作报告：已提交 1 份" in after and "佐证材料：已提交 1 份" in after
    assert "均已提交" in after


# --- documents and photos -----------------------------------------------------------------------


async def test_a_report_is_stored_under_year_and_agency_and_recorded(
    chat: OfflineChat, any_engine: Engine, policy: Settings
) -> None:
    agency = new_agency(any_engine)
    await chat.send(ALICE, f"/start {link_for(any_engine, agency)}")
    year = local_date(utcnow(), policy.zone).year

    await chat.send_document(
        ALICE, "2026年度工作报告.pdf", PDF, content=b"%PDF-1.7 the report", caption="报告"
    )
    reply = chat.last_text(ALICE)

    assert "记为" in reply and "年度工作报告" in reply
    (recorded,) = documents(any_engine)
    assert (recorded.agency_id, recorded.year, recorded.kind) == (agency.id, year, "report")
    assert (recorded.original_name, recorded.mime_type, recorded.size) == (
        "2026年度工作报告.pdf",
        PDF,
        19,
    )
    assert (recorded.telegram_user_id, recorded.submitted_by) == (ALICE, f"tg:{ALICE}")
    stored = Path(recorded.stored_path)
    assert stored.parent == Path(policy.upload_dir) / str(year) / str(agency.id)
    assert stored.read_bytes() == b"%PDF-1.7 the report"
    assert stored.name.startswith("report-") and stored.suffix == ".pdf"
    assert "2026年度" not in stored.name  # generated, safe name
    keyboard = chat.request.last_keyboard(ALICE)
    assert [row[0]["callback_data"] for row in keyboard] == [
        f"agdoc:{recorded.id}:{kind}" for kind in ("training_evidence", "risk_report", "evidence")
    ]


async def test_a_photo_or_an_uncaptioned_file_is_stored_as_what_the_contact_chooses(
    chat: OfflineChat, any_engine: Engine, policy: Settings
) -> None:
    """RULES, annual assessment: the agency says what each file is by choosing."""
    await chat.send(ALICE, f"/start {link_for(any_engine, new_agency(any_engine))}")

    await chat.send_photo(ALICE)
    asked = chat.last_text(ALICE)
    assert "请选择这是什么材料" in asked and "选择后才会保存" in asked
    assert documents(any_engine) == [] and stored_files(policy) == [] and chat.downloads() == 0
    await chat.tap_label(ALICE, "培训佐证材料（4.1）")
    await chat.send_document(ALICE, "签到表.xlsx", XLSX, office_file())
    await chat.tap_label(ALICE, "风险辨识及项目策划报告（4.2）")

    assert [(d.kind, Path(d.stored_path).suffix) for d in documents(any_engine)] == [
        ("training_evidence", ".jpg"),
        ("risk_report", ".xlsx"),
    ]
    assert "风险辨识及项目策划报告（4.2）" in chat.last_text(ALICE)


async def test_the_same_file_twice_is_recorded_once(chat: OfflineChat, any_engine: Engine) -> None:
    await chat.send(ALICE, f"/start {link_for(any_engine, new_agency(any_engine))}")
    await chat.send_document(ALICE, "报告.pdf", PDF)
    await chat.tap_label(ALICE, "其他佐证材料")

    await chat.send_document(ALICE, "报告.pdf", PDF)
    reply = chat.last_text(ALICE)

    assert "已经提交过了" in reply
    assert len(documents(any_engine)) == 1


async def test_uploads_from_someone_who_is_not_a_contact_are_not_stored(
    chat: OfflineChat, any_engine: Engine, policy: Settings
) -> None:
    await chat.send_document(BOB, "报告.pdf", PDF)
    reply = chat.last_text(BOB)
    await chat.send_photo(BOB)
    photo_reply = chat.last_text(BOB)

    assert "文件未保存" in reply and "文件未保存" in photo_reply
    assert documents(any_engine) == [] and stored_files(policy) == [] and chat.downloads() == 0


async def test_a_file_of_the_wrong_type_is_refused_before_download(
    chat: OfflineChat, any_engine: Engine, policy: Settings
) -> None:
    await chat.send(ALICE, f"/start {link_for(any_engine, new_agency(any_engine))}")

    await chat.send_document(ALICE, "setup.exe", "application/x-msdownload")
    reply = chat.last_text(ALICE)

    assert "不支持这种文件类型" in reply and "pdf" in reply
    assert documents(any_engine) == [] and stored_files(policy) == [] and chat.downloads() == 0


async def test_a_file_too_large_is_refused(
    chat: OfflineChat, any_engine: Engine, policy: Settings
) -> None:
    await chat.send(ALICE, f"/start {link_for(any_engine, new_agency(any_engine))}")

    await chat.send_document(ALICE, "大文件.pdf", PDF, size=2 * 1024 * 1024)
    declared = chat.last_text(ALICE)
    await chat.send_document(
        ALICE, "没写大小.pdf", PDF, content=b"x" * (1024 * 1024 + 1), unsized=True
    )
    await chat.tap_label(ALICE, "其他佐证材料")
    undeclared = chat.last_text(ALICE)

    assert "文件太大" in declared and "1 MB" in declared
    assert "文件太大" in undeclared
    assert chat.downloads() == 1  # the undeclared one had to be fetched to be measured
    assert documents(any_engine) == [] and stored_files(policy) == []


async def test_the_receipt_button_switches_between_report_and_evidence(
    chat: OfflineChat, any_engine: Engine
) -> None:
    await chat.send(ALICE, f"/start {link_for(any_engine, new_agency(any_engine))}")
    await chat.send_document(ALICE, "报告.pdf", PDF)
    await chat.tap_label(ALICE, "其他佐证材料")
    (recorded,) = documents(any_engine)
    assert recorded.kind == "evidence"

    await chat.tap(ALICE, f"agdoc:{recorded.id}:report")

    assert documents(any_engine)[0].kind == "report"
    assert "已改记为年度工作情况报告" in chat.last_text(ALICE)


async def test_only_the_agencys_contacts_may_press_the_switch(
    chat: OfflineChat, any_engine: Engine
) -> None:
    await chat.send(ALICE, f"/start {link_for(any_engine, new_agency(any_engine))}")
    await chat.send_document(ALICE, "报告.pdf", PDF)
    await chat.tap_label(ALICE, "其他佐证材料")
    (recorded,) = documents(any_engine)

    await chat.tap(BOB, f"agdoc:{recorded.id}:report", message_id=1)  # a message BOB never got

    assert documents(any_engine)[0].kind == "evidence"
    answers = chat.calls("answerCallbackQuery")
    assert "无权修改" in str(answers[-1].params.get("text"))


async def test_a_contact_in_the_middle_of_a_survey_can_still_hand_in_documents(
    chat: OfflineChat, any_engine: Engine
) -> None:
    agency = new_agency(any_engine)
    with Session(any_engine, expire_on_commit=False) as session:
        invitation = guided_units(session, count=1).invitations[0]
    await chat.send(ALICE, f"/start {link_for(any_engine, agency)}")
    await chat.send(ALICE, f"/start {invitation.token}")  # a survey opened, not submitted

    await chat.send_document(ALICE, "报告.pdf", PDF, caption="报告")
    await chat.send_photo(ALICE)
    await chat.tap_label(ALICE, "其他佐证材料")

    assert [d.kind for d in documents(any_engine)] == ["report", "evidence"]


# --- across the new year (Art. 15: a notice may move the dates into the next year) ----------


async def test_an_upload_in_january_counts_for_the_campaign_still_open_and_status_says_so(
    chat: OfflineChat, any_engine: Engine, policy: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """RULES, annual assessment: "documents and answers belong to the campaign they were
    handed in for, not to the calendar year of the upload"."""
    from datetime import date, datetime
    from zoneinfo import ZoneInfo

    from workflow.community.campaigns import set_campaign_dates

    agency = new_agency(any_engine)
    with transaction(any_engine) as session:
        set_campaign_dates(
            session,
            2026,
            policy,
            report_due=date(2027, 1, 15),
            questionnaire_closes=date(2027, 1, 20),
            results_published=date(2027, 3, 31),
        )
    await chat.send(ALICE, f"/start {link_for(any_engine, agency)}")
    january = datetime(2027, 1, 10, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    monkeypatch.setattr("bot.telegram.agency.utcnow", lambda: january)
    monkeypatch.setattr("bot.telegram.documents.utcnow", lambda: january)

    await chat.send_document(ALICE, "年度工作情况报告.pdf", PDF, caption="报告")
    (recorded,) = documents(any_engine)
    assert recorded.year == 2026
    assert Path(recorded.stored_path).parent == Path(policy.upload_dir) / "2026" / str(agency.id)
    assert re.search(r"记为\s?2026\s?年度", chat.last_text(ALICE))

    await chat.send(ALICE, "/status")
    reply = chat.last_text(ALICE)
    assert re.search(r"2026\s?年度考核", reply) and "2027-01-15" in reply and "2027-01-20" in reply
    assert "年度工作报告：已提交 1 份" in reply

    april = datetime(2027, 4, 1, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    monkeypatch.setattr("bot.telegram.agency.utcnow", lambda: april)
    monkeypatch.setattr("bot.telegram.documents.utcnow", lambda: april)
    await chat.send_photo(ALICE)
    await chat.tap_label(ALICE, "其他佐证材料")
    assert [d.year for d in documents(any_engine)] == [2026, 2027]  # the window has ended
