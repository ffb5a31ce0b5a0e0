"""`/evidence ID [indicator] [YEAR]`: the experts' desk in admin chat.

Without an indicator: one line per indicator with its counts and the suggested
有无此项内容 / 有无证据, short enough for a phone. With one (`/evidence 3 2.4`): its facts,
shortfalls and activities, then its files sent from where they are stored — photos as
photos, the rest as documents, at most `MAX_FILES` per command (the reply says how many
more and how to get them all), each within Telegram's upload limits; a missing or too
large file is named instead. Staff only (admins and experts, `admin.staff_only`), in a
private chat only (`app.private_only`): evidence holds personal photos and must not land in a group.
The desk is read in a worker thread; files are read off the event loop too.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from sqlmodel import Session
from telegram import Update
from telegram.error import TelegramError
from telegram.ext import CommandHandler, ContextTypes

from bot.telegram.admin import BotApplication, Staff, staff_only
from bot.telegram.blocking import in_thread
from bot.telegram.context import settings_of
from workflow.community import campaigns
from workflow.core.clock import utcnow
from workflow.guidance.desk import Desk, DeskFile, IndicatorDesk, build_desk
from workflow.registry.service import find_agency

MAX_FILES = 10
"""Files sent per command: ten messages stay within Telegram's burst per chat."""
MAX_ACTIVITIES = 10
PHOTO_LIMIT = 10 * 1024 * 1024
"""Telegram's limit for a photo a bot uploads; larger images go as documents."""
DOCUMENT_LIMIT = 50 * 1024 * 1024
"""Telegram's limit for any file a bot uploads."""
NAME_WIDTH = 12
_INDICATOR = re.compile(r"^(\d\.\d|3|B3)$", re.IGNORECASE)
_YEAR = re.compile(r"^\d{4}$")


def _short_name(name: str) -> str:
    return name if len(name) <= NAME_WIDTH else name[: NAME_WIDTH - 1] + "…"


def _overview(desk: Desk, staff: Staff) -> str:
    t = staff.texts.text
    lines = [t("evidence.chat_title", agency=desk.agency_name, year=desk.year, units=desk.units)]
    for item in desk.indicators:
        suggestion = ""
        if item.content is not None and item.evidence is not None:
            suggestion = t(
                "evidence.chat_suggestion",
                content=t("evidence.yes" if item.content else "evidence.no"),
                evidence=t("evidence.yes" if item.evidence else "evidence.no"),
            )
        lines.append(
            t(
                "evidence.chat_line",
                code=item.code,
                name=_short_name(item.name),
                activities=len(item.activities),
                files=len(item.files),
                shortfalls=f" ⚠{len(item.shortfalls)}" if item.shortfalls else "",
                suggestion=suggestion,
            )
        )
    lines.append(t("evidence.chat_hint", id=desk.agency_id))
    return "\n".join(lines)


def _details(desk: Desk, item: IndicatorDesk, staff: Staff) -> str:
    t = staff.texts.text
    lines = [t("evidence.chat_title", agency=desk.agency_name, year=desk.year, units=desk.units)]
    suggestion = item.suggestion(staff.language)
    lines.append(f"【{item.code}】{item.name}" + (f"\n{suggestion}" if suggestion else ""))
    lines.append(item.short(staff.language))
    lines.extend(f"⚠ {s}" for s in item.shortfalls)
    for activity in item.activities[:MAX_ACTIVITIES]:
        mark = t("evidence.on_behalf") if activity.on_behalf else ""
        lines.append(
            f"· {activity.day:%m-%d} {activity.unit} {activity.what}"
            f" {activity.title or activity.description}{mark}".rstrip()
        )
    if len(item.activities) > MAX_ACTIVITIES:
        lines.append(t("evidence.more_activities", n=len(item.activities) - MAX_ACTIVITIES))
    if not item.files:
        lines.append(t("evidence.no_files"))
    return "\n".join(lines)


def _caption(item: DeskFile) -> str:
    return " ".join(
        p
        for p in (item.indicator, item.unit, item.day.isoformat(), item.what, item.original_name)
        if p
    )[:1000]


async def _send(update: Update, item: DeskFile, staff: Staff) -> None:
    """One file from where it is stored; a missing, too large or refused file is named."""
    message = update.effective_message
    assert message is not None
    t = staff.texts.text
    if not item.present:
        await message.reply_text(t("evidence.file_missing", name=item.original_name))
        return
    if item.size > DOCUMENT_LIMIT:
        mb = f"{item.size / 1024 / 1024:.1f}"
        await message.reply_text(t("evidence.file_too_large", name=item.original_name, mb=mb))
        return
    content = await asyncio.to_thread(Path(item.stored_path).read_bytes)
    try:
        if item.is_image and len(content) <= PHOTO_LIMIT:
            await message.reply_photo(content, caption=_caption(item))
        else:
            await message.reply_document(
                content, filename=item.original_name or None, caption=_caption(item)
            )
    except TelegramError:
        await message.reply_text(t("evidence.file_failed", name=item.original_name))


async def evidence(update: Update, context: ContextTypes.DEFAULT_TYPE, staff: Staff) -> None:
    """/evidence ID [indicator] [YEAR]: the desk of one agency, and an indicator's files."""
    message = update.effective_message
    assert message is not None
    t = staff.texts.text
    args = list(context.args or [])
    if not args:
        await message.reply_text(t("admin.usage", usage=t("admin.syntax.evidence")))
        return
    ref, code, typed = args[0], None, None
    for arg in args[1:]:
        if _YEAR.match(arg):
            typed = int(arg)
        elif _INDICATOR.match(arg):
            code = arg.upper()
        else:
            await message.reply_text(t("admin.usage", usage=t("admin.syntax.evidence")))
            return
    settings = settings_of(context)

    def look(session: Session) -> Desk:
        year = typed or campaigns.current_campaign_year(session, utcnow(), settings)
        row = find_agency(session, ref)
        assert row.id is not None
        return build_desk(session, row.id, year, settings, language=staff.language)

    desk = await in_thread(context, look, read_only=True)
    if code is None:
        await message.reply_text(_overview(desk, staff))
        return
    item = desk.indicator(code)
    await message.reply_text(_details(desk, item, staff))
    for file in item.files[:MAX_FILES]:
        await _send(update, file, staff)
    if len(item.files) > MAX_FILES:
        await message.reply_text(
            t(
                "evidence.more_files",
                n=len(item.files) - MAX_FILES,
                id=desk.agency_id,
                year=desk.year,
                code=item.code,
            )
        )


def register(app: BotApplication) -> None:
    app.add_handler(CommandHandler("evidence", staff_only(evidence)))
