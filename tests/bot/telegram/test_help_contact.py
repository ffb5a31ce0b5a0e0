"""Help texts name a real contact (TERMS.md): the Association's phone and e-mail from the
settings, in every refusal that sends the user to the Association, in zh and en."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session
from telegram.ext import CallbackQueryHandler

from bot.texts import warn_without_help_contact
from tests.chat import OfflineChat
from tests.surveys.helpers import guided_units
from tests.workflow.lifecycle_steps import agency_in
from workflow.core.db import transaction
from workflow.core.i18n import set_help_contact
from workflow.core.settings import load_settings
from workflow.reminders import contacts

STAFF, STRANGER = 9001, 9002
PHONE, EMAIL = "010-65001234", "office@example.org.cn"
CONTACT = {
    "zh": f"文促会（电话 {PHONE}，邮箱 {EMAIL}）",
    "en": f"the Association (phone {PHONE}, e-mail {EMAIL})",
}


@pytest.fixture(params=["zh", "en"])
def language(request: pytest.FixtureRequest) -> str:
    language: str = request.param
    return language


@pytest.fixture
async def chat(engine: Engine, tmp_path: Path, language: str) -> AsyncIterator[OfflineChat]:
    settings = load_settings(
        database_url=f"sqlite:///{tmp_path / 'safecomm.db'}",
        language=language,
        help_phone=PHONE,
        help_email=EMAIL,
    )
    async with OfflineChat(settings, engine) as chat:
        yield chat


async def test_a_survey_link_taken_by_another_user_names_the_contact(
    chat: OfflineChat, engine: Engine, language: str
) -> None:
    with Session(engine, expire_on_commit=False) as session:
        token = guided_units(session, count=1).invitations[0].token
    await chat.send(STAFF, f"/start {token}")
    await chat.send(STRANGER, f"/start {token}")
    assert (
        chat.last_text(STRANGER)
        == {
            "zh": f"这个问卷链接已由另一位用户打开并绑定。如需更换填写人，请联系{CONTACT['zh']}。",
            "en": "This questionnaire link has already been opened and bound by another user."
            f" To change who answers, please contact {CONTACT['en']}.",
        }[language]
    )


async def test_an_unknown_link_names_the_contact(chat: OfflineChat, language: str) -> None:
    await chat.send(STRANGER, "/start " + "x" * 43)
    assert CONTACT[language] in chat.last_text(STRANGER)


async def test_an_agency_link_used_by_someone_else_names_the_contact(
    chat: OfflineChat, engine: Engine, language: str
) -> None:
    with transaction(engine) as session:
        agency = agency_in(session, "filed", load_settings(), name="甲咨询公司")
        token = contacts.issue_link_token(session, agency, "admin").token
    await chat.send(STAFF, f"/start {token}")
    await chat.send(STRANGER, f"/start {token}")
    reply = chat.last_text(STRANGER)
    assert ("已被其他人使用过" if language == "zh" else "already been used") in reply
    assert CONTACT[language] in reply


async def test_a_stranger_refused_an_admin_command_is_told_whom_to_ask(
    chat: OfflineChat, language: str
) -> None:
    await chat.send(STRANGER, "/agencies")
    assert CONTACT[language] in chat.last_text(STRANGER)


async def test_an_internal_error_names_the_contact(chat: OfflineChat, language: str) -> None:
    async def broken(_update: object, _context: object) -> None:
        raise RuntimeError("boom")

    chat.app.add_handler(CallbackQueryHandler(broken, pattern="^boom$"), group=-1)
    await chat.tap(STRANGER, "boom", message_id=5)
    assert CONTACT[language] in chat.last_text(STRANGER)
    assert [type(e) for e in chat.errors] == [RuntimeError]
    chat.errors.clear()  # the failure was the point of this test


def test_without_a_contact_the_bot_warns_once_and_texts_name_the_secretariat(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from surveys.errors import Refused

    warn_without_help_contact(load_settings())
    warning = capsys.readouterr().err
    assert warning.count("SAFECOMM_HELP_PHONE") == 1 and "文促会秘书处" in warning
    assert Refused("survey.taken").message("zh").endswith("请联系文促会秘书处。")

    warn_without_help_contact(load_settings(help_phone=PHONE))
    assert capsys.readouterr().err == ""
    set_help_contact(PHONE, "")
    assert Refused("survey.taken").message("zh").endswith(f"请联系文促会（电话 {PHONE}）。")
