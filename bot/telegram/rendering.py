"""What people see in the chat, built from plain values: the survey's screens and
the payloads of its buttons, and the admins' paged lists. Handlers gather the
values and send what this module builds, so they stay short."""

from __future__ import annotations

import re
from dataclasses import dataclass

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
)

from bot.texts import LocalCatalogue
from surveys.answering import Action, Press, Survey
from surveys.questionnaire import ITEM_NUMBERS, POINTS, questionnaire
from workflow.core.db import as_row_id

CALLBACK_PREFIX = "sv:"
CALLBACK = re.compile(
    r"^sv:(?P<invitation>[1-9]\d{0,9}):"
    r"(?:(?P<answer>a):(?P<item_a>[1-5]):(?P<points>[0-4])"
    r"|(?P<step>[bc]):(?P<item_s>[1-5])"
    r"|(?P<submit>s))\Z"
)


# ---------------------------------------------------------------------------
# Callback data
# ---------------------------------------------------------------------------


def callback_data(press: Press) -> str:
    """The button payload for a press (checked against Telegram's 64-byte limit)."""
    parts = [CALLBACK_PREFIX + str(press.invitation_id), press.action.value]
    parts += [str(value) for value in (press.item, press.points) if value is not None]
    data = ":".join(parts)
    assert len(data.encode()) <= 64, data
    return data


def parse_press(data: str | None) -> Press | None:
    """The press a button payload stands for, or None for anything malformed or forged."""
    match = CALLBACK.fullmatch(data or "")
    if match is None:
        return None
    invitation = as_row_id(match["invitation"])
    if invitation is None:  # e.g. 999999999999, beyond any row id the database can hold
        return None
    if match["answer"]:
        return Press(invitation, Action.ANSWER, int(match["item_a"]), int(match["points"]))
    if match["step"]:
        return Press(invitation, Action(match["step"]), int(match["item_s"]))
    return Press(invitation, Action.SUBMIT)


# ---------------------------------------------------------------------------
# The survey's screens
# ---------------------------------------------------------------------------


def _button(text: str, press: Press) -> InlineKeyboardButton:
    return InlineKeyboardButton(text, callback_data=callback_data(press))


def question_screen(
    survey: Survey, number: int, t: LocalCatalogue, language: str
) -> tuple[str, InlineKeyboardMarkup]:
    """Question `number`: its text, the current answer if any, 4…0 and "back"."""
    form = questionnaire()
    item = form.item(number)
    text = t.text(
        "survey.question", number=number, short=item.short[language], text=item.text[language]
    )
    current = survey.answers.get(number)
    if current is not None:
        label = form.label(current, language)
        text += "\n\n" + t.text("survey.question_current", points=current, label=label)
    rows = []
    for points in reversed(POINTS):
        label = t.text("survey.button.points", points=points, label=form.label(points, language))
        mark = "✓ " if points == current else ""
        rows.append(
            [_button(mark + label, Press(survey.invitation_id, Action.ANSWER, number, points))]
        )
    if number > 1:
        back = Press(survey.invitation_id, Action.BACK, number)
        rows.append([_button(t.text("survey.button.back"), back)])
    return text, InlineKeyboardMarkup(rows)


def review_screen(
    survey: Survey, t: LocalCatalogue, language: str
) -> tuple[str, InlineKeyboardMarkup]:
    """All five answers, a button to change each, and "submit"."""
    form = questionnaire()
    lines = "\n".join(
        t.text(
            "survey.review_line",
            number=number,
            short=form.item(number).short[language],
            points=survey.answers[number],
            label=form.label(survey.answers[number], language),
        )
        for number in ITEM_NUMBERS
    )
    change = [
        _button(
            t.text("survey.button.change", number=number),
            Press(survey.invitation_id, Action.CHANGE, number),
        )
        for number in ITEM_NUMBERS
    ]
    submit = _button(t.text("survey.button.submit"), Press(survey.invitation_id, Action.SUBMIT))
    return t.text("survey.review", lines=lines), InlineKeyboardMarkup(
        [change[:3], change[3:], [submit]]
    )


# ---------------------------------------------------------------------------
# The admins' paged lists
# ---------------------------------------------------------------------------

PAGE_SIZE = 10


# --- paged lists -------------------------------------------------------------------


@dataclass(frozen=True)
class Listing:
    """One paged list: its title, its lines, and the argument its ◀ ▶ buttons carry
    (canonical, e.g. the agency id however the admin named the agency)."""

    title: str
    lines: list[str]
    arg: str


def page_of(
    kind: str, listing: Listing, page: int, t: LocalCatalogue
) -> tuple[str, InlineKeyboardMarkup | None]:
    """One page of `listing`, with ◀ ▶ buttons that name the page to show next."""
    lines, arg = listing.lines, listing.arg
    pages = max(1, -(-len(lines) // PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    shown = lines[page * PAGE_SIZE : (page + 1) * PAGE_SIZE] or [t.text("admin.empty")]
    text = f"{listing.title}\n" + "\n".join(shown)
    if pages > 1:
        text += "\n" + t.text("admin.page", page=page + 1, pages=pages)
    buttons = []
    if page > 0:
        buttons.append(InlineKeyboardButton("◀", callback_data=f"ad:pg:{kind}:{arg}:{page - 1}"))
    if page < pages - 1:
        buttons.append(InlineKeyboardButton("▶", callback_data=f"ad:pg:{kind}:{arg}:{page + 1}"))
    return text, InlineKeyboardMarkup([buttons]) if buttons else None
