"""Survey invitations: one per (creation unit, agency, year) with a guidance record.

Each invitation carries an unguessable token (32 characters of `A-Za-z0-9_-`,
192 random bits) that is the Telegram deep-link payload:
`https://t.me/<bot username>?start=<token>`. The Association sends the link or
its QR code to the unit; the first Telegram user who opens it is bound to it
(see `surveys.answering.open_survey`), and only an admin can rebind it.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path

import segno
from openpyxl import Workbook
from sqlmodel import Session, col, select

from surveys.errors import InvalidInput, NotFound, survey_texts
from surveys.letters import LetterPage, letter_html
from surveys.models import Invitation, SurveyProgress
from workflow.community.campaigns import campaign_or_default
from workflow.community.models import CreationUnit
from workflow.community.units import find_guidance, guidance_for
from workflow.core.clock import utcnow
from workflow.core.settings import Settings, get_settings
from workflow.core.spreadsheets import save_workbook
from workflow.registry.models import Agency

TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,64}")
_UNSAFE_IN_FILE_NAME = re.compile(r'[\\/:*?"<>|\s\x00-\x1f\x7f]+')


def new_token() -> str:
    """32 URL-safe characters from 24 random bytes: fits Telegram's 64-character payload."""
    return secrets.token_urlsafe(24)


def invitation_link(token: str, bot_username: str) -> str:
    return f"https://t.me/{bot_username}?start={token}"


def web_link(token: str, base_url: str) -> str:
    """The same invitation in a phone browser: `https://<host>/s/<token>`."""
    return f"{base_url.rstrip('/')}/s/{token}"


def issue_invitations(session: Session, year: int) -> list[Invitation]:
    """Create the invitations still missing for `year`'s guidance records; return the new ones."""
    existing = {
        (inv.unit_id, inv.agency_id)
        for inv in session.exec(select(Invitation).where(Invitation.year == year)).all()
    }
    new = [
        Invitation(unit_id=g.unit_id, agency_id=g.agency_id, year=year, token=new_token())
        for g, _, _ in guidance_for(session, year)
        if (g.unit_id, g.agency_id) not in existing
    ]
    session.add_all(new)
    session.flush()
    return new


def by_token(session: Session, token: str, *, lock: bool = False) -> Invitation | None:
    """The invitation a deep-link payload names, if any (`lock`: for update, to bind it)."""
    if not TOKEN_PATTERN.fullmatch(token):
        return None
    query = select(Invitation).where(Invitation.token == token)
    return session.exec(query.with_for_update() if lock else query).first()


def find_invitation(session: Session, unit: CreationUnit, agency: Agency, year: int) -> Invitation:
    """The invitation of `unit` to rate `agency` in `year`, with a clear reason when there is none."""
    found = session.exec(
        select(Invitation).where(
            Invitation.unit_id == unit.id,
            Invitation.agency_id == agency.id,
            Invitation.year == year,
        )
    ).first()
    if found is not None:
        return found
    assert unit.id is not None and agency.id is not None
    guided = find_guidance(session, unit.id, agency.id, year)
    names = {"unit": unit.name, "agency": agency.name, "year": year}
    raise NotFound("survey.no_invitation" if guided else "survey.no_guidance", **names)


def invitations_of(session: Session, year: int) -> list[tuple[Invitation, CreationUnit, Agency]]:
    """`year`'s invitations with their unit and agency, by agency then unit."""
    query = (
        select(Invitation, CreationUnit, Agency)
        .join(CreationUnit, col(CreationUnit.id) == col(Invitation.unit_id))
        .join(Agency, col(Agency.id) == col(Invitation.agency_id))
        .where(Invitation.year == year)
        .order_by(col(Agency.id), col(CreationUnit.id))
    )
    return [(i, u, a) for i, u, a in session.exec(query).all()]


def rebind(session: Session, invitation: Invitation, user_id: int | None, actor: str) -> None:
    """Let another person answer: bind Telegram user `user_id`, or (None) let the next
    opener be bound, in Telegram or in a browser. The answers given so far stay; the
    chat screen on record is forgotten, so the new respondent's first press counts."""
    if user_id is not None and user_id <= 0:
        raise InvalidInput("survey.user_invalid", user=user_id)
    now = utcnow()
    invitation.respondent_channel = "telegram" if user_id is not None else None
    invitation.respondent_key = str(user_id) if user_id is not None else None
    invitation.bound_user_id = user_id
    invitation.bound_at = now if user_id is not None else None
    invitation.rebound_by = actor[:100]
    invitation.rebound_at = now
    session.add(invitation)
    progress = session.get(SurveyProgress, invitation.id)
    if progress is not None:
        progress.message_id = None
        progress.revision += 1
        session.add(progress)
    session.flush()


def write_qr(link: str, path: Path) -> Path:
    """A QR code PNG of `link`, large enough to print on a notice."""
    segno.make(link, error="m").save(str(path), scale=8, border=4)
    return path


def qr_file_name(invitation: Invitation, unit: CreationUnit, agency: Agency) -> str:
    """`2026-朝阳区-建外街道-某机构-12.png`: readable, short enough, unique by the invitation id."""
    names = (unit.district, unit.name[:24], agency.name[:24])
    parts = (str(invitation.year), *names, str(invitation.id))
    return _UNSAFE_IN_FILE_NAME.sub("_", "-".join(parts)) + ".png"


@dataclass
class Export:
    """What `export_invitations` wrote."""

    sheet: Path
    qr_codes: list[Path] = field(default_factory=list)
    letters: list[Path] = field(default_factory=list)


def letter_file_name(year: int, unit: CreationUnit) -> str:
    """`2026-朝阳区-建外街道-7.html`: one letter per unit, unique by the unit's id."""
    parts = (str(year), unit.district, unit.name[:24], str(unit.id))
    return _UNSAFE_IN_FILE_NAME.sub("_", "-".join(parts)) + ".html"


def export_invitations(
    session: Session,
    year: int,
    out_dir: Path,
    bot_username: str,
    language: str = "zh",
    *,
    settings: Settings | None = None,
) -> Export:
    """A sheet (unit, agency, both links, QR and letter files) of every invitation of
    `year`, a sheet of notes for the units (who answers, how, confidentiality, the help
    contact), the QR PNGs of the web links (WeChat scans them; Telegram opens the web
    link too) and a printable A4 letter per unit (`surveys.letters`)."""
    settings = settings or get_settings()
    qr_dir = out_dir / survey_texts.text("survey.file.qr", language, year=year)
    letter_dir = out_dir / survey_texts.text("survey.file.letters", language, year=year)
    qr_dir.mkdir(parents=True, exist_ok=True)
    letter_dir.mkdir(parents=True, exist_ok=True)
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = survey_texts.text("survey.sheet.invitations", language, year=year)
    columns = ("year", "district", "unit", "agency", "web_link", "telegram_link", "qr", "letter")
    sheet.append([survey_texts.text(f"survey.col.{c}", language) for c in columns])
    name = survey_texts.text("survey.file.invitations", language, year=year)
    export = Export(sheet=out_dir / f"{name}.xlsx")
    closes = campaign_or_default(session, year, settings).questionnaire_closes
    pages: dict[int, tuple[CreationUnit, list[LetterPage]]] = {}
    for invitation, unit, agency in invitations_of(session, year):
        web = web_link(invitation.token, settings.public_url)
        telegram = invitation_link(invitation.token, bot_username)
        png = write_qr(web, qr_dir / qr_file_name(invitation, unit, agency))
        export.qr_codes.append(png)
        letter = f"{letter_dir.name}/{letter_file_name(year, unit)}"
        qr = f"{qr_dir.name}/{png.name}"
        sheet.append([year, unit.district, unit.name, agency.name, web, telegram, qr, letter])
        page = LetterPage(year, unit.district, unit.name, agency.name, closes, web, telegram)
        assert unit.id is not None
        pages.setdefault(unit.id, (unit, []))[1].append(page)
    for unit, unit_pages in pages.values():
        path = letter_dir / letter_file_name(year, unit)
        path.write_text(letter_html(unit_pages, language), encoding="utf-8")
        export.letters.append(path)
    for letter, width in zip("ABCDEFGH", (8, 12, 28, 32, 60, 70, 60, 40), strict=True):
        sheet.column_dimensions[letter].width = width
    notes = workbook.create_sheet(survey_texts.text("survey.sheet.notes", language))
    for key in ("notes.who", "notes.how", "notes.change", "confidential", "notes.help"):
        notes.append([survey_texts.text(f"survey.{key}", language)])
    notes.column_dimensions["A"].width = 120
    save_workbook(workbook, export.sheet)
    return export
