"""Admin and expert commands in chat, through the same service functions as the CLI.

Only people with a role (the admin ids in the settings, or a `safecomm role
grant`) get an answer; everyone else gets a polite refusal and the attempt is
logged (Telegram user id only). Long lists are paged with ◀ ▶ buttons that
re-query the database, so pages never show stale data. `/advance` asks for a
confirmation that shows source → target before anything changes; the pending
confirmation is stored (`workflow.lifecycle.confirmations`), so a restart or
another process honours its ✅, and the decision itself goes through
`workflow.lifecycle.engine.advance`. Every look and change runs in a worker
thread (`bot.telegram.blocking`).
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from functools import partial
from typing import Any

from sqlmodel import Session, select
from telegram import (
    BotCommand,
    BotCommandScopeChat,
    BotCommandScopeDefault,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Update,
)
from telegram.error import BadRequest, Forbidden
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes

from bot.blocking import run_unit
from bot.telegram.blocking import in_thread
from bot.telegram.context import ENGINE, EXECUTOR, settings_of, texts
from bot.telegram.presses import answer_press
from bot.telegram.rendering import PAGE_SIZE, Listing, page_of
from bot.texts import LocalCatalogue
from surveys.coverage import by_agency, coverage, unit_facts
from workflow.access.actors import Actor, Role
from workflow.access.models import RoleGrant
from workflow.access.roles import role_of
from workflow.assessment import objections, publicity
from workflow.assessment.sheets import sheet_view
from workflow.community import campaigns
from workflow.core.clock import local_text, utcnow
from workflow.core.errors import DomainError, InvalidInput
from workflow.lifecycle import audit, confirmations, machine, states
from workflow.lifecycle import engine as lifecycle
from workflow.lifecycle.models import AuditEntry
from workflow.registry import register as the_register
from workflow.registry.eligibility import check_eligibility
from workflow.registry.models import Agency
from workflow.registry.service import find_agency
from workflow.reminders.cycle import current_plan

logger = logging.getLogger(__name__)
PAGE_DATA = re.compile(r"^ad:pg:(agencies|history|survey):([A-Za-z0-9_-]{1,30}):(\d{1,4})$")
CONFIRM_DATA = re.compile(r"^ad:(ok|no):([A-Za-z0-9_-]{8})$")
ADMIN_COMMANDS = (
    "agencies",
    "agency",
    "actions",
    "advance",
    "history",
    "score",
    "survey",
    "remind",
    "objection",
    "evidence",
)

BotApplication = Application[Any, Any, Any, Any, Any, Any]
Handler = Callable[[Update, ContextTypes.DEFAULT_TYPE, "Staff"], Awaitable[None]]


@dataclass(frozen=True)
class Staff:
    """An admin or expert writing to the bot, with the catalogue of their language."""

    actor: Actor
    role: Role
    texts: LocalCatalogue

    @property
    def language(self) -> str:
        return self.texts.language


def actor_of(update: Update) -> Actor | None:
    user = update.effective_user
    return None if user is None else Actor.telegram(user.id, user.full_name)


def staff_only(
    handler: Handler,
) -> Callable[[Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]]:
    """Run `handler` for admins and experts only; refuse and log everyone else.

    A refusal by the rules (`DomainError`) becomes a one-line reply in the
    user's language; nothing else is written.
    """

    async def guarded(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        local = texts(context)
        actor = actor_of(update)
        message, query = update.effective_message, update.callback_query
        if actor is None:
            return
        if message is None:  # a button on a message too old to edit: nothing to do there
            if query is not None:
                await answer_press(query, local.text("admin.stale"), show_alert=True)
            return
        settings = settings_of(context)
        role = await in_thread(
            context, lambda session: role_of(session, actor, settings), read_only=True
        )
        if role is None:
            logger.warning("refused staff command from %s", actor.key)
            if query is not None:
                await answer_press(query, local.text("admin.refused"), show_alert=True)
            else:
                await message.reply_text(local.text("admin.refused"))
            return
        try:
            await handler(update, context, Staff(actor, role, local))
        except DomainError as error:
            if query is not None:  # button handlers refuse before they answer the press
                await answer_press(query)
            await message.reply_text(error.message(local.language))

    return guarded


def _usage(staff: Staff, command: str) -> _Usage:
    """The reply to a malformed command: how to write it."""
    return _Usage(
        staff.texts.text("admin.usage", usage=staff.texts.text(f"admin.syntax.{command}"))
    )


def _agency_arg(context: ContextTypes.DEFAULT_TYPE, staff: Staff, command: str) -> str:
    if not context.args:
        raise _usage(staff, command)
    return context.args[0]


class _Usage(DomainError):
    """A malformed command: the reply shows how to write it."""

    def __init__(self, text: str) -> None:
        super().__init__("admin.usage")
        self.text = text

    def message(self, language: str | None = None) -> str:
        return self.text


def _agency_lines(session: Session, state: str, staff: Staff) -> Listing:
    query = select(Agency).order_by(Agency.id)  # type: ignore[arg-type]
    if state != "all":
        if state not in states.STATES:
            raise _Usage(
                staff.texts.text("admin.unknown_state", state=state, known=" ".join(states.STATES))
            )
        query = query.where(Agency.status == state)
    rows = session.exec(query).all()
    title = staff.texts.text(
        "admin.agencies_title", state=_state_name(state, staff), count=len(rows)
    )
    lines = [f"#{a.id} {a.name}（{states.state_label(a.status, staff.language)}）" for a in rows]
    return Listing(title, lines, state)


def _history_lines(session: Session, ref: str, staff: Staff, zone: Any) -> Listing:
    agency = find_agency(session, ref)
    assert agency.id is not None
    lines = []
    for entry in audit.history(session, agency.id):
        words = audit.in_words(entry, staff.language)
        moved = ""
        if entry.source and entry.target and entry.source != entry.target:
            moved = f" {words.source} → {words.target}"
        reason = f"：{words.note}" if words.note else ""
        lines.append(
            f"{local_text(entry.at, zone)} {entry.actor_name}（{words.role}）"
            f" {words.trigger}{moved}{reason}"
        )
    title = staff.texts.text("admin.history_title", agency=agency.name, count=len(lines))
    return Listing(title, lines, str(agency.id))


def _survey_lines(session: Session, arg: str, staff: Staff) -> Listing:
    year_text, _, agency_ref = arg.partition("-")
    year = _year(year_text, staff)
    rows = coverage(session, year)
    if agency_ref:
        agency = find_agency(session, agency_ref)
        rows = [row for row in rows if row.agency_id == agency.id]
        blocked = staff.texts.text("admin.unreachable")
        lines = [
            f"{row.unit}（{row.district}）：{row.status.label(staff.language)}"
            + (f" ⚠ {blocked}" if row.unreachable else "")
            for row in rows
        ]
        title = staff.texts.text("admin.survey_units_title", year=year, agency=agency.name)
        return Listing(title, lines, f"{year}-{agency.id}")
    lines = []
    for summary in by_agency(rows):
        counts = "，".join(
            f"{status.label(staff.language)} {count}"
            for status, count in summary.counts.items()
            if count
        )
        lines.append(f"#{summary.agency_id} {summary.agency}：{counts}")
    return Listing(staff.texts.text("admin.survey_title", year=year), lines, str(year))


def _year(text: str, staff: Staff) -> int:
    try:
        return campaigns.parse_year(text)
    except InvalidInput as error:
        raise _Usage(error.message(staff.language)) from None


def _state_name(state: str, staff: Staff) -> str:
    return (
        staff.texts.text("admin.all_states")
        if state == "all"
        else states.state_label(state, staff.language)
    )


async def _render_list(
    context: ContextTypes.DEFAULT_TYPE, staff: Staff, kind: str, arg: str, page: int
) -> tuple[str, InlineKeyboardMarkup | None]:
    zone = settings_of(context).zone

    def listing(session: Session) -> Listing:
        if kind == "agencies":
            return _agency_lines(session, arg, staff)
        if kind == "history":
            return _history_lines(session, arg, staff, zone)
        return _survey_lines(session, arg, staff)

    found = await in_thread(context, listing, read_only=True)
    return page_of(kind, found, page, staff.texts)


async def agencies(update: Update, context: ContextTypes.DEFAULT_TYPE, staff: Staff) -> None:
    """/agencies [state]: the agencies, optionally in one state, paged."""
    typed = context.args[0] if context.args else "all"
    state = (
        "all"
        if typed in ("all", "全部")
        else states.code_of(typed, states.STATES, states.state_label)
    )
    state = state or typed.lower()  # unknown: the listing refuses it with the known ones
    text, keyboard = await _render_list(context, staff, "agencies", state, 0)
    await _reply(update, text, keyboard)


async def history(update: Update, context: ContextTypes.DEFAULT_TYPE, staff: Staff) -> None:
    """/history ID: the agency's audit entries, paged."""
    ref = _agency_arg(context, staff, "history")
    text, keyboard = await _render_list(context, staff, "history", ref, 0)
    await _reply(update, text, keyboard)


async def survey(update: Update, context: ContextTypes.DEFAULT_TYPE, staff: Staff) -> None:
    """/survey YEAR [agency]: questionnaire coverage per agency, or per unit of one agency."""
    if not context.args:
        raise _usage(staff, "survey")
    arg = context.args[0] + (f"-{context.args[1]}" if len(context.args) > 1 else "")
    text, keyboard = await _render_list(context, staff, "survey", arg, 0)
    await _reply(update, text, keyboard)


async def turn_page(update: Update, context: ContextTypes.DEFAULT_TYPE, staff: Staff) -> None:
    """A ◀ / ▶ press: re-render that page in place."""
    query = update.callback_query
    assert query is not None and query.data is not None
    match = PAGE_DATA.match(query.data)
    if match is None:
        await answer_press(query, staff.texts.text("admin.stale"))
        return
    await answer_press(query)  # the answer is the same whatever the page shows: at once
    try:
        text, keyboard = await _render_list(context, staff, match[1], match[2], int(match[3]))
    except DomainError as error:  # e.g. the agency is gone: say so (the press is answered)
        await _reply(update, error.message(staff.language))
        return
    with contextlib.suppress(BadRequest):  # same page twice: "message is not modified"
        await query.edit_message_text(text, reply_markup=keyboard)


async def _reply(update: Update, text: str, keyboard: InlineKeyboardMarkup | None = None) -> None:
    message = update.effective_message
    assert message is not None
    await message.reply_text(text, reply_markup=keyboard)


# --- one agency ----------------------------------------------------------------------


async def agency(update: Update, context: ContextTypes.DEFAULT_TYPE, staff: Staff) -> None:
    """/agency ID: state, key facts (phones masked) and the Art. 8 check."""
    ref = _agency_arg(context, staff, "agency")

    def look(session: Session) -> list[str]:
        row = find_agency(session, ref)
        eligibility = check_eligibility(session, row)
        lines = [
            f"#{row.id} {row.name}",
            staff.texts.text(
                "admin.agency_state", state=states.state_label(row.status, staff.language)
            ),
            staff.texts.text("admin.agency_code", code=row.credit_code),
            staff.texts.text(
                "admin.eligibility",
                verdict=staff.texts.text(
                    "admin.yes"
                    if eligibility.passed
                    else "admin.pending"
                    if eligibility.review_passed
                    else "admin.no"
                ),
            ),
        ]
        return lines + [
            f"{'○' if c.pending else '✓' if c.passed else '✗'} {c.reason}"
            for c in eligibility.conditions
        ]

    await _reply(update, "\n".join(await in_thread(context, look, read_only=True)))


async def actions(update: Update, context: ContextTypes.DEFAULT_TYPE, staff: Staff) -> None:
    """/actions ID: what this person may do now, and why not for the rest."""
    ref = _agency_arg(context, staff, "actions")
    settings = settings_of(context)

    def look(session: Session) -> list[str]:
        row = find_agency(session, ref)
        options = lifecycle.available_triggers(session, row, staff.actor, settings=settings)
        lines = [
            staff.texts.text(
                "admin.actions_title",
                agency=row.name,
                state=states.state_label(row.status, staff.language),
            )
        ]
        for action in options:
            label = (
                f"{states.trigger_label(action.trigger, staff.language)}"
                f" → {states.state_label(action.dest, staff.language)}"
            )
            if action.allowed:
                lines.append(f"✓ {label}")
            else:
                lines.append(
                    f"✗ {label}：" + "；".join(u.message(staff.language) for u in action.unmet)
                )
        if not options:
            lines.append(staff.texts.text("admin.no_actions"))
        return lines

    await _reply(update, "\n".join(await in_thread(context, look, read_only=True)))


async def score(update: Update, context: ContextTypes.DEFAULT_TYPE, staff: Staff) -> None:
    """/score ID [YEAR]: the agency's score sheet for the year (default: the current
    campaign, `current_campaign_year`)."""
    ref = _agency_arg(context, staff, "score")
    settings = settings_of(context)
    typed = _year(context.args[1], staff) if context.args and len(context.args) > 1 else None

    def look(session: Session) -> list[str]:
        year = typed or campaigns.current_campaign_year(session, utcnow(), settings)
        row = find_agency(session, ref)
        assert row.id is not None
        view = sheet_view(session, row.id, year)
        evaluation = view.evaluation(settings)
        lines = [staff.texts.text("admin.score_title", agency=row.name, year=year)]
        if evaluation is None:
            lines.append(staff.texts.text("admin.score_incomplete", missing=" ".join(view.missing)))
        else:
            lines.append(
                staff.texts.text(
                    "admin.score_line",
                    base=evaluation.base,
                    bonus=evaluation.bonus,
                    final=evaluation.final,
                    grade=staff.texts.text(f"admin.grade.{evaluation.grade}"),
                    passed=staff.texts.text(
                        f"admin.score_{'passed' if evaluation.passed else 'failed'}"
                    ),
                )
            )
            lines.append(staff.texts.text("admin.score_why", why=evaluation.reason(staff.language)))
        state = "admin.sheet_final" if view.sheet.finalised_at else "admin.sheet_draft"
        return [*lines, staff.texts.text(state)]

    await _reply(update, "\n".join(await in_thread(context, look, read_only=True)))


async def remind(update: Update, context: ContextTypes.DEFAULT_TYPE, staff: Staff) -> None:
    """/remind: the reminders still to come, and when each falls due."""
    settings = settings_of(context)
    now = utcnow()
    plan = await in_thread(
        context, lambda session: current_plan(session, now, settings, unit_facts), read_only=True
    )
    lines = [staff.texts.text("admin.remind_title", count=len(plan))]
    for reminder in plan[: PAGE_SIZE * 3]:
        lines.append(
            staff.texts.text(
                "admin.remind_line",
                due=local_text(reminder.due_at, settings.zone),
                kind=staff.texts.text(f"admin.kind.{reminder.kind}"),
                chat=reminder.chat_id,
            )
        )
    if len(plan) > PAGE_SIZE * 3:
        lines.append(staff.texts.text("admin.more", count=len(plan) - PAGE_SIZE * 3))
    await _reply(update, "\n".join(lines))


# --- objections during the 公示 period (Art. 15) ----------------------------------------------


async def objection(update: Update, context: ContextTypes.DEFAULT_TYPE, staff: Staff) -> None:
    """/objection AGENCY REASON…: record an agency's objection to the results being
    published now (admins only; the rules refuse it outside the period)."""
    if not context.args or len(context.args) < 2:
        raise _usage(staff, "objection")
    ref, *words = context.args
    reason = " ".join(words)
    settings = settings_of(context)

    def record(session: Session) -> str:
        row = find_agency(session, ref)
        assert row.id is not None
        year = publicity.latest_year(session)
        if year is None:
            raise _Usage(staff.texts.text("admin.no_publication"))
        made = objections.record(session, row.id, year, reason, staff.actor, settings)
        return staff.texts.text(
            "admin.objection_recorded",
            id=made.id,
            agency=row.name,
            year=year,
            day=publicity.day_text(made.received_on, staff.language),
        )

    await _reply(update, await in_thread(context, record))


# --- advancing with a confirmation -------------------------------------------------------


async def advance(update: Update, context: ContextTypes.DEFAULT_TYPE, staff: Staff) -> None:
    """/advance ID TRIGGER [GROUND] [reason…]: show source → target and ask to confirm."""
    if not context.args or len(context.args) < 2:
        raise _usage(staff, "advance")
    ref, typed, *rest = context.args
    trigger = states.code_of(typed, machine.TRIGGER_NAMES, states.trigger_label) or typed
    ground = None
    if trigger == "withdraw" and rest:
        ground = states.code_of(rest[0], states.GROUNDS, states.ground_label)
        rest = rest[1:] if ground else rest
    reason = " ".join(rest).strip() or None
    settings = settings_of(context)

    def ask(session: Session) -> tuple[str, str]:
        """The confirmation's text and its nonce (stored), or a refusal."""
        row = find_agency(session, ref)
        assert row.id is not None
        if trigger not in machine.TRIGGER_NAMES:
            raise _Usage(
                staff.texts.text(
                    "admin.unknown_trigger",
                    trigger=trigger,
                    known=" ".join(machine.TRIGGER_NAMES),
                )
            )
        options = {
            a.trigger: a
            for a in lifecycle.available_triggers(session, row, staff.actor, settings=settings)
        }
        action = options.get(trigger)
        if action is None:
            raise _Usage(
                staff.texts.text(
                    "admin.not_from_state",
                    trigger=trigger,
                    state=states.state_label(row.status, staff.language),
                )
            )
        if not action.allowed:
            raise _Usage("；".join(u.message(staff.language) for u in action.unmet))
        if action.needs_reason and not reason:
            raise _Usage(
                staff.texts.text(
                    "admin.reason_needed", usage=staff.texts.text("admin.syntax.advance")
                )
            )
        if trigger == "withdraw" and ground is None:
            raise _Usage(staff.texts.text("admin.ground_needed", grounds=" ".join(action.grounds)))
        pending = confirmations.propose(
            session,
            staff.actor,
            row.id,
            trigger,
            reason=reason,
            ground=ground,
            seen_status=row.status,
            now=utcnow(),
        )
        text = staff.texts.text(
            "admin.confirm",
            agency=row.name,
            trigger=states.trigger_label(trigger, staff.language),
            source=states.state_label(row.status, staff.language),
            target=states.state_label(action.dest, staff.language),
            reason=reason or "—",
        )
        return text, pending.nonce

    text, nonce = await in_thread(context, ask)
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    staff.texts.text("admin.confirm_yes"), callback_data=f"ad:ok:{nonce}"
                ),
                InlineKeyboardButton(
                    staff.texts.text("admin.confirm_no"), callback_data=f"ad:no:{nonce}"
                ),
            ]
        ]
    )
    await _reply(update, text, keyboard)


async def confirm(update: Update, context: ContextTypes.DEFAULT_TYPE, staff: Staff) -> None:
    """The ✅ / ✖ press on an /advance confirmation: claim it once, then advance or drop it.

    The claim and the advance are one unit of work: a refusal by the rules rolls
    both back, and the confirmation is then marked failed in a second one."""
    query = update.callback_query
    assert query is not None and query.data is not None
    match = CONFIRM_DATA.match(query.data)
    if match is None:
        await answer_press(query, staff.texts.text("admin.confirm_expired"), show_alert=True)
        return
    nonce, settings = match[2], settings_of(context)
    decision = confirmations.CONFIRMED if match[1] == "ok" else confirmations.CANCELLED

    def decide(session: Session) -> AuditEntry | None:
        pending = confirmations.decide(session, nonce, staff.actor, decision, utcnow())
        if decision == confirmations.CANCELLED:
            return None
        return lifecycle.advance(
            session,
            pending.agency_id,
            pending.trigger,
            staff.actor,
            pending.reason,
            ground=pending.ground,
            settings=settings,
            expected_status=pending.seen_status,
        )

    try:
        entry = await in_thread(context, decide)
    except confirmations.NotPending as refusal:
        await answer_press(query, refusal.message(staff.language), show_alert=True)
        return
    except DomainError as error:  # the rules refused the advance: nothing changed
        await answer_press(query)
        await _mark_failed(context, nonce, staff)
        await query.edit_message_text(
            staff.texts.text("admin.advance_failed", error=error.message(staff.language))
        )
        return
    await answer_press(query)
    if entry is None:
        await query.edit_message_text(staff.texts.text("admin.cancelled"))
        return
    text = staff.texts.text(
        "admin.advanced",
        source=states.state_label(entry.source, staff.language),
        target=states.state_label(entry.target, staff.language),
        seq=entry.seq,
    )
    if the_register.due([entry], settings):  # onto the register or off it (Art. 6)
        done = await in_thread(
            context, partial(the_register.refresh, settings=settings), read_only=True
        )
        if done.error is not None:
            text = f"{text}\n{done.message(staff.language)}"
    await query.edit_message_text(text)


async def _mark_failed(context: ContextTypes.DEFAULT_TYPE, nonce: str, staff: Staff) -> None:
    """Record that the confirmed advance failed, so a second ✅ says so (if nobody decided it
    meanwhile)."""
    with contextlib.suppress(confirmations.NotPending):
        await in_thread(
            context,
            lambda session: confirmations.decide(
                session, nonce, staff.actor, confirmations.FAILED, utcnow()
            ),
        )


# --- command menus per role ------------------------------------------------------------------


async def publish_commands(app: BotApplication) -> None:
    """Register the command menu: everyone sees /start and /status; staff also see theirs."""
    settings = app.bot_data["settings"]
    local = LocalCatalogue(settings.language)
    public = [
        BotCommand(c, local.text(f"menu.{c}"))
        for c in ("start", "status", "record", "weblink", "help")
    ]
    staff = public + [BotCommand(c, local.text(f"menu.{c}")) for c in ADMIN_COMMANDS]
    await app.bot.set_my_commands(public, scope=BotCommandScopeDefault())
    granted = await run_unit(
        app.bot_data[ENGINE],
        lambda session: [
            int(g.actor_key[3:])
            for g in session.exec(select(RoleGrant)).all()
            if g.actor_key.startswith("tg:")
        ],
        read_only=True,
        executor=app.bot_data[EXECUTOR],
    )
    for chat_id in sorted(set(settings.admin_ids) | set(granted)):
        try:
            await app.bot.set_my_commands(staff, scope=BotCommandScopeChat(chat_id))
        except (BadRequest, Forbidden):  # the person never opened a chat with the bot
            logger.info("staff menu not set for %s (no chat yet)", chat_id)


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/help: what this person can do here, by role."""
    actor = actor_of(update)
    if actor is None or update.effective_message is None:
        return
    settings = settings_of(context)
    role = await in_thread(
        context, lambda session: role_of(session, actor, settings), read_only=True
    )
    local = texts(context)
    if role is None:
        reply = local.text("admin.help_public")
    else:
        reply = local.text("admin.help_staff") + "\n" + local.text("admin.help_objection")
    await update.effective_message.reply_text(reply)


def register(app: BotApplication) -> None:
    for name, handler in {
        "agencies": agencies,
        "agency": agency,
        "actions": actions,
        "advance": advance,
        "history": history,
        "score": score,
        "survey": survey,
        "remind": remind,
        "objection": objection,
    }.items():
        app.add_handler(CommandHandler(name, staff_only(handler)))
    app.add_handler(CommandHandler("help", help_command))
    app.add_handler(CallbackQueryHandler(staff_only(turn_page), pattern=r"^ad:pg:"))
    app.add_handler(CallbackQueryHandler(staff_only(confirm), pattern=r"^ad:(ok|no):"))
