"""The agency contact's guided flow for guidance work (Art. 11): `/record` (记录工作).

unit → kind → topic (kinds that have one) → date → one line of description (or 跳过)
→ saved → photos and files as its evidence → 完成 shows the summary. The steps live
in the database (`workflow.guidance.drafts`), so after a restart the flow goes on
where it was; a press on an older screen changes nothing. Every rule (the unit is
guided this year, the date, the file's type, size and checksum) is the domain's.

Callback data: `rec:start` (the button under /status) and `rec:<step>:<value>`.
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlmodel import Session
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import TelegramError
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes, filters

from bot.telegram import documents
from bot.telegram.blocking import in_thread
from bot.telegram.context import settings_of, texts
from bot.telegram.presses import answer_press
from bot.texts import LocalCatalogue
from workflow.access.actors import Actor
from workflow.community.campaigns import current_campaign_year
from workflow.community.models import CreationUnit
from workflow.core.clock import local_date, utcnow
from workflow.core.db import as_row_id
from workflow.core.errors import DomainError
from workflow.core.settings import Settings
from workflow.guidance import activities, drafts, evidence, kinds, minimums
from workflow.guidance.models import ActivityDraft
from workflow.reminders import contacts
from workflow.reminders.plan import FILE_KINDS

logger = logging.getLogger(__name__)

PREFIX = "rec"
START = f"{PREFIX}:start"
PAGE = 8
"""Units per screen."""
RECORD = "record"
"""The file choice that starts the flow with the file kept."""

Screen = tuple[str, InlineKeyboardMarkup | None]


def actor_of(user_id: int, name: str) -> Actor:
    return Actor.telegram(user_id, name)


def today(settings: Settings) -> date:
    return local_date(utcnow(), settings.zone)


def data(step: str, value: str | int) -> str:
    text = f"{PREFIX}:{step}:{value}"
    assert len(text.encode()) <= 64, "callback data above Telegram's 64 bytes"
    return text


def _button(label: str, step: str, value: str | int) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=data(step, value))


# --- screens ----------------------------------------------------------------------------


def screen(
    session: Session, draft: ActivityDraft, catalogue: LocalCatalogue, page: int = 0
) -> Screen:
    """The text and buttons of the draft's current step."""
    step, cancel = draft.step, catalogue.text("recording.cancel")
    rows: list[list[InlineKeyboardButton]] = []
    if step == drafts.UNIT:
        units = drafts.units_of(session, draft.agency_id, draft.year)
        pages = max(1, -(-len(units) // PAGE))
        page = min(max(page, 0), pages - 1)
        rows = [
            [_button(unit.name, step, unit.id or 0)]
            for unit in units[page * PAGE : (page + 1) * PAGE]
        ]
        turn = []
        if page > 0:
            turn.append(_button(catalogue.text("recording.previous"), step, f"p{page - 1}"))
        if page < pages - 1:
            turn.append(_button(catalogue.text("recording.next"), step, f"p{page + 1}"))
        rows += [turn] if turn else []
        text = catalogue.text("recording.ask_unit", year=draft.year)
        if pages > 1:
            text += catalogue.text("recording.page", page=page + 1, pages=pages)
    elif step == drafts.KIND:
        labels = [_button(kinds.kind_label(k), step, k) for k in kinds.KINDS]
        rows = [labels[i : i + 2] for i in range(0, len(labels), 2)]
        text = catalogue.text("recording.ask_kind", unit=_unit_name(session, draft))
    elif step == drafts.TOPIC:
        labels = [
            _button(kinds.topic_label(draft.kind, t), step, t) for t in kinds.TOPICS[draft.kind]
        ]
        rows = [labels[i : i + 2] for i in range(0, len(labels), 2)]
        text = catalogue.text("recording.ask_topic", what=_what(draft))
    elif step == drafts.PROGRAMME:
        rows = [[_button(kinds.programme_label(p), step, p)] for p in kinds.PROGRAMMES]
        text = catalogue.text("recording.ask_programme", unit=_unit_name(session, draft))
    elif step == drafts.DATE:
        rows = [
            [
                _button(catalogue.text("recording.today"), step, "today"),
                _button(catalogue.text("recording.yesterday"), step, "yesterday"),
            ]
        ]
        text = catalogue.text("recording.ask_date", what=_what(draft), year=draft.year)
    elif step == drafts.DESCRIPTION:
        rows = [[_button(catalogue.text("recording.skip"), step, "skip")]]
        text = catalogue.text(
            "recording.ask_description", what=_what(draft), day=draft.held_on, limit=500
        )
    elif step == drafts.FILES:
        files = _file_count(session, draft)
        text = catalogue.text("recording.ask_files", summary=_summary(session, draft), n=files)
        return text, files_keyboard(catalogue)
    else:  # CHOICE
        rows = [
            [_button(catalogue.text(f"recording.choice.{kind}"), step, kind)]
            for kind in (*FILE_KINDS, RECORD)
        ]
        cancel = catalogue.text("recording.cancel_file")
        text = catalogue.text("recording.ask_choice", name=draft.file_name)
    rows.append([_button(cancel, step, "cancel")])
    return text, InlineKeyboardMarkup(rows)


def files_keyboard(catalogue: LocalCatalogue) -> InlineKeyboardMarkup:
    """完成 and 取消本条记录, under the files step and under each file's receipt."""
    return InlineKeyboardMarkup(
        [
            [_button(catalogue.text("recording.done"), drafts.FILES, "done")],
            [_button(catalogue.text("recording.cancel_saved"), drafts.FILES, "cancel")],
        ]
    )


def _unit_name(session: Session, draft: ActivityDraft) -> str:
    unit = session.get(CreationUnit, draft.unit_id) if draft.unit_id else None
    return unit.name if unit else ""


def _what(draft: ActivityDraft) -> str:
    return kinds.described(draft.kind, draft.topic)


def _summary(session: Session, draft: ActivityDraft) -> str:
    return f"{_what(draft)}，{_unit_name(session, draft)}，{draft.held_on}"


def _file_count(session: Session, draft: ActivityDraft) -> int:
    if draft.activity_id is None:
        return 0
    return len(
        evidence.files_of(session, draft.agency_id, draft.year, activity_id=draft.activity_id)
    )


# --- starting and resuming ----------------------------------------------------------------


async def record(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """`/record`: start the flow, or show where an unfinished one stands."""
    message, user = update.effective_message, update.effective_user
    if message is not None and user is not None:
        await begin(context, message.chat_id, user.id)


async def begin(context: ContextTypes.DEFAULT_TYPE, chat_id: int, user_id: int) -> None:
    catalogue, settings = texts(context), settings_of(context)
    recorder = actor_of(user_id, "").key

    def open_draft(session: Session) -> Screen | str:
        contact = contacts.contact_of(session, user_id)
        if contact is None:
            return catalogue.text("agency.not_contact")
        draft = drafts.draft_of(session, recorder, for_update=True)
        if draft is None or draft.step == drafts.CHOICE:
            year = current_campaign_year(session, utcnow(), settings)
            if not drafts.units_of(session, contact.agency_id, year):
                drafts.clear(session, recorder)
                return catalogue.text("recording.no_units", year=year)
            held = drafts.pending_file(draft) if draft is not None else None
            draft = drafts.start(session, recorder, contact.agency_id, year, pending=held)
        return screen(session, draft, catalogue)

    shown = await in_thread(context, open_draft)
    if isinstance(shown, str):
        await context.bot.send_message(chat_id, shown)
        return
    await show_new(context, chat_id, recorder, shown)


async def show_new(
    context: ContextTypes.DEFAULT_TYPE, chat_id: int, recorder: str, shown: Screen
) -> None:
    """Send a screen as a new message and make it the draft's current one."""
    text, keyboard = shown
    sent = await context.bot.send_message(chat_id, text, reply_markup=keyboard)
    await in_thread(context, lambda session: drafts.set_message(session, recorder, sent.message_id))


async def resume(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """A message from a contact with a draft at a button step: show the step again."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return False
    recorder, catalogue = actor_of(user.id, "").key, texts(context)

    def look(session: Session) -> Screen | None:
        draft = drafts.draft_of(session, recorder)
        return screen(session, draft, catalogue) if draft is not None else None

    shown = await in_thread(context, look, read_only=True)
    if shown is None:
        return False
    await message.reply_text(catalogue.text("recording.use_buttons"))
    await show_new(context, message.chat_id, recorder, shown)
    return True


# --- presses ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """What a press did: a screen to show, a closing text, or a file to store or attach."""

    screen: Screen | None = None
    text: str = ""
    store: tuple[str, drafts.PendingFile] | None = None
    attach: drafts.PendingFile | None = None
    unlink: tuple[str, ...] = ()


async def press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A button of the flow: apply it if it is on the current screen, else change nothing."""
    query = update.callback_query
    if query is None or query.data is None:
        return
    user, catalogue, settings = query.from_user, texts(context), settings_of(context)
    message = query.message if isinstance(query.message, Message) else None
    chat_id = message.chat_id if message is not None else user.id
    if query.data == START:
        await answer_press(query)
        await begin(context, chat_id, user.id)
        return
    parts = query.data.split(":", 2)
    if len(parts) != 3:
        await answer_press(query, catalogue.text("button.expired"), show_alert=True)
        return
    _, step, value = parts
    actor = actor_of(user.id, user.full_name)
    message_id = message.message_id if message is not None else None

    def apply(session: Session) -> Outcome | None:
        draft = drafts.draft_of(session, actor.key, for_update=True)
        if not drafts.is_current(draft, step, message_id):
            return None
        assert draft is not None
        return _apply(session, draft, step, value, actor, settings, catalogue)

    try:
        outcome = await in_thread(context, apply)
    except DomainError as refusal:
        await answer_press(query, refusal.message(settings.language), show_alert=True)
        return
    if outcome is None:
        await answer_press(query, catalogue.text("recording.stale"), show_alert=True)
        return
    await answer_press(query)
    for path in outcome.unlink:
        Path(path).unlink(missing_ok=True)
    if outcome.store is not None:
        kind, held = outcome.store
        await _edit(
            message,
            catalogue.text(
                "recording.choice_made", kind=documents.file_kind_label(kind, catalogue)
            ),
        )
        await documents.store_document(context, chat_id, user.id, held, kind, clear_draft=actor.key)
        return
    if outcome.attach is not None:
        await attach(context, chat_id, actor, outcome.attach, from_draft=True)
        await show_current(context, chat_id, actor.key)
        return
    if outcome.screen is not None:
        await _edit(message, *outcome.screen)
    else:
        await _edit(message, outcome.text)


async def _edit(
    message: Message | None, text: str, keyboard: InlineKeyboardMarkup | None = None
) -> None:
    if message is None:
        return
    try:
        await message.edit_text(text, reply_markup=keyboard)
    except TelegramError as error:  # e.g. unchanged text after a double press
        logger.info("screen not edited: %s", type(error).__name__)


def _apply(
    session: Session,
    draft: ActivityDraft,
    step: str,
    value: str,
    actor: Actor,
    settings: Settings,
    catalogue: LocalCatalogue,
) -> Outcome:
    """One press on the current screen (the transaction rolls back on a refusal)."""
    if value == "cancel":
        return _cancel(session, draft, actor, settings, catalogue)
    if step == drafts.UNIT:
        if value.startswith("p") and value[1:].isascii() and value[1:].isdigit():  # not "p²"
            return Outcome(screen=screen(session, draft, catalogue, page=int(value[1:])))
        unit_id = as_row_id(value)
        if unit_id is None:  # forged ("²", a 20-digit id): show the units again
            return Outcome(screen=screen(session, draft, catalogue))
        drafts.choose_unit(session, draft, unit_id)
    elif step == drafts.KIND:
        drafts.choose_kind(session, draft, value)
    elif step == drafts.TOPIC:
        drafts.choose_topic(session, draft, value)
    elif step == drafts.PROGRAMME:
        drafts.choose_programme(session, draft, value)
    elif step == drafts.DATE:
        day = today(settings) - timedelta(days=1 if value == "yesterday" else 0)
        drafts.choose_date(session, draft, day, settings, today(settings))
    elif step == drafts.DESCRIPTION:
        return _save(session, draft, "", actor, settings, catalogue)
    elif step == drafts.FILES:
        held = drafts.pending_file(draft)
        if held is not None:  # its attach never finished (a kill after the save): now
            return Outcome(attach=held)
        summary, files = _summary(session, draft), _file_count(session, draft)
        drafts.clear(session, draft.recorder)
        return Outcome(text=catalogue.text("recording.finished", summary=summary, n=files))
    elif step == drafts.CHOICE:
        held = drafts.pending_file(draft)
        if held is None:
            drafts.clear(session, draft.recorder)
            return Outcome(text=catalogue.text("recording.cancelled_file"))
        if value == RECORD:
            draft = drafts.start(session, draft.recorder, draft.agency_id, draft.year, pending=held)
        if value in FILE_KINDS:
            return Outcome(store=(value, held))
    return Outcome(screen=screen(session, draft, catalogue))


def _save(
    session: Session,
    draft: ActivityDraft,
    description: str,
    actor: Actor,
    settings: Settings,
    catalogue: LocalCatalogue,
) -> Outcome:
    drafts.save(session, draft, description, actor, settings, today(settings))
    held = drafts.pending_file(draft)
    if held is not None:
        return Outcome(attach=held)
    return Outcome(screen=screen(session, draft, catalogue))


def _cancel(
    session: Session,
    draft: ActivityDraft,
    actor: Actor,
    settings: Settings,
    catalogue: LocalCatalogue,
) -> Outcome:
    """取消: forget the draft; at the files step the saved activity and its files go too."""
    paths: list[str] = []
    key = "recording.cancelled_file" if draft.step == drafts.CHOICE else "recording.cancelled"
    activity_id = draft.activity_id
    drafts.clear(session, draft.recorder)  # first: the activity's delete would cascade to it
    if activity_id is not None:
        paths = activities.delete_activity(
            session, activity_id, actor, settings, reason=catalogue.text("recording.reason")
        )
        key = "recording.cancelled_saved"
    return Outcome(text=catalogue.text(key), unlink=tuple(paths))


async def show_current(context: ContextTypes.DEFAULT_TYPE, chat_id: int, recorder: str) -> None:
    catalogue = texts(context)

    def look(session: Session) -> Screen | None:
        draft = drafts.draft_of(session, recorder)
        return screen(session, draft, catalogue) if draft is not None else None

    shown = await in_thread(context, look, read_only=True)
    if shown is not None:
        await show_new(context, chat_id, recorder, shown)


# --- typed answers (date, description) ----------------------------------------------------


async def take_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """Text from a contact whose draft waits for a date or a description; False otherwise."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None or message.text is None:
        return False
    settings, catalogue = settings_of(context), texts(context)
    actor, typed = actor_of(user.id, user.full_name), message.text

    def answer(session: Session) -> Outcome | None:
        draft = drafts.draft_of(session, actor.key, for_update=True)
        if draft is None or draft.step not in (drafts.DATE, drafts.DESCRIPTION):
            return None
        if draft.step == drafts.DATE:
            day = drafts.read_day(typed, draft.year)
            drafts.choose_date(session, draft, day, settings, today(settings))
            return Outcome(screen=screen(session, draft, catalogue))
        return _save(session, draft, typed, actor, settings, catalogue)

    try:
        outcome = await in_thread(context, answer)
    except DomainError as refusal:
        await message.reply_text(refusal.message(settings.language))
        await show_current(context, message.chat_id, actor.key)
        return True
    if outcome is None:
        return False
    if outcome.attach is not None:
        await attach(context, message.chat_id, actor, outcome.attach, from_draft=True)
        await show_current(context, message.chat_id, actor.key)
    elif outcome.screen is not None:
        await show_new(context, message.chat_id, actor.key, outcome.screen)
    return True


# --- files ----------------------------------------------------------------------------------


async def attach(
    context: ContextTypes.DEFAULT_TYPE,
    chat_id: int,
    actor: Actor,
    held: drafts.PendingFile,
    *,
    from_draft: bool = False,
) -> None:
    """Download a file, stage it and record it as evidence of the draft's activity, or
    refuse it; the staged file goes when its row does not come. `from_draft`: the file
    held on the draft, dropped from it once recorded."""
    settings, catalogue = settings_of(context), texts(context)
    found = await in_thread(
        context, lambda session: drafts.draft_of(session, actor.key), read_only=True
    )
    if found is None or found.activity_id is None:  # finished or cancelled meanwhile
        await context.bot.send_message(
            chat_id, catalogue.text("recording.file_not_kept", name=held.name)
        )
        return
    activity_id, agency_id, year = found.activity_id, found.agency_id, found.year
    try:
        with evidence.staging() as staged:
            with tempfile.TemporaryDirectory() as folder:
                source = Path(folder) / "upload"
                telegram_file = await context.bot.get_file(held.file_id)
                await telegram_file.download_to_drive(source)
                stored = await asyncio.to_thread(  # hashing and copying: off the loop
                    evidence.stage, source, held.name, held.mime, agency_id, year, settings
                )
                staged.append(stored)

            def record_file(session: Session) -> int:
                evidence.add_evidence(
                    session, activity_id, staged[0], held.name, held.mime, actor, settings
                )
                draft = drafts.draft_of(session, actor.key)
                if from_draft and draft is not None:
                    drafts.drop_file(session, draft)
                return len(evidence.files_of(session, agency_id, year, activity_id=activity_id))

            count = await in_thread(context, record_file)
    except DomainError as refusal:  # the staged file is gone already (`staging`)
        if from_draft:
            await in_thread(context, lambda session: _drop(session, actor.key))
        await context.bot.send_message(chat_id, refusal.message(settings.language))
        return
    except (TelegramError, OSError) as error:
        logger.warning("agency %s: evidence upload failed: %s", agency_id, type(error).__name__)
        await context.bot.send_message(chat_id, catalogue.text("agency.upload_failed"))
        return
    logger.info("agency %s: evidence file recorded for activity %s", agency_id, activity_id)
    receipt = catalogue.text("recording.file_saved", name=held.name, n=count)
    await show_new(context, chat_id, actor.key, (receipt, files_keyboard(catalogue)))


def _drop(session: Session, recorder: str) -> None:
    draft = drafts.draft_of(session, recorder)
    if draft is not None:
        drafts.drop_file(session, draft)


# --- /status ---------------------------------------------------------------------------------


def shortfall_lines(
    session: Session,
    agency_id: int,
    year: int,
    settings: Settings,
    catalogue: LocalCatalogue,
    as_of: date,
) -> list[str]:
    """The Art. 11 shortfalls per unit as of `as_of`, one short line per unit."""
    records = minimums.unit_records(session, agency_id, year, as_of, settings)
    if not records:
        return []
    short = [r for r in records if r.shortfalls]
    lines = [catalogue.text("recording.status_head", units=len(records), short=len(short))]
    separator = catalogue.text("reminder.separator")
    for each in short:
        missing = separator.join(s.message(settings.language) for s in each.shortfalls)
        lines.append(catalogue.text("recording.status_unit", unit=each.unit.name, missing=missing))
    return lines


def status_keyboard(catalogue: LocalCatalogue) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(catalogue.text("recording.start"), callback_data=START)]]
    )


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Add this topic's handlers to the application."""
    app.add_handler(CommandHandler("record", record, filters=filters.ChatType.PRIVATE))
    app.add_handler(CallbackQueryHandler(press, pattern=rf"^{PREFIX}:"))
