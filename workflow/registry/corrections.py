"""Correcting registered data and removing consultants who left (RULES.md
"Registration": "Registered data can be corrected and consultants removed (staff
leave: Art. 14(3)); every change is kept in the audit log with who and why, and
eligibility is re-checked after it").

Every field of the agency form, the Art. 8 facts and the consultant form can be
changed by an admin, with a reason; the new value is checked exactly as at
registration (`workflow.registry.forms`), the same credit code or ID number twice
is refused as there, and the audit entry names the field and the old and new
values with personal data masked. The caller shows the eligibility re-checked
(`workflow.registry.eligibility.check_eligibility`). Functions flush, never commit.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from sqlmodel import Session

from workflow.access.actors import Actor, Role
from workflow.access.roles import require_role
from workflow.core.clock import utcnow
from workflow.core.db import as_row_id
from workflow.core.errors import InvalidInput, NotFound
from workflow.core.i18n import workflow_texts
from workflow.core.privacy import mask_id, mask_phone, redact
from workflow.core.settings import Settings, get_settings
from workflow.core.spreadsheets import open_workbook, save_workbook
from workflow.core.text import check_characters
from workflow.lifecycle.audit import REASON_MAX, append
from workflow.registry.display import AGENCY_PHONES
from workflow.registry.forms import (
    FIELD_LABELS,
    FORMS,
    FormErrors,
    check_field,
    label,
    validate_consultant_fields,
)
from workflow.registry.models import Agency, Consultant, ConsultantPhoto
from workflow.registry.service import (
    consultants_of,
    duplicate_credit_code,
    duplicate_id_number,
    find_agency,
)

CORRECT = "registry.correct"
REMOVE = "registry.remove_consultant"
ALIASES: dict[str, dict[str, str]] = {
    "agency": {"邮政编码": "postcode", "负责人手机": "principal_mobile", "信用代码": "credit_code"},
    "consultant": {"职称": "title", "手机": "mobile", "邮政编码": "postcode", "邮箱": "email"},
}
"""Short names people type for a field besides its label on the form."""
IMAGE_TYPES: tuple[tuple[bytes, str], ...] = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
)
"""The photo formats accepted, by the first bytes of the file (not its name)."""
SHOWN_MAX = 24
"""Characters of an old or new value quoted in the audit entry (long texts are cut)."""


@dataclass(frozen=True)
class Change:
    """One field changed: its form, name, and the old and new values as shown (masked)."""

    form: str
    field: str
    old: str
    new: str

    @property
    def label(self) -> str:
        return label(self.form, self.field)


# ---------------------------------------------------------------------------
# Reading what the user typed
# ---------------------------------------------------------------------------


def field_name(form: str, text: str) -> str:
    """The field of `form` named by its attribute name or its Chinese (or English) label."""
    wanted = unicodedata.normalize("NFKC", text).strip()
    names = [f.name for f in FORMS[form]]
    if wanted in ALIASES[form]:
        return ALIASES[form][wanted]
    for name in names:
        if wanted.replace("-", "_") == name or wanted in (
            label(form, name, "zh"),
            label(form, name, "en"),
        ):
            return name
    known = workflow_texts.text("registry.separator").join(FIELD_LABELS[form].values())
    raise InvalidInput(f"registry.correct.unknown_field.{form}", field=text, known=known)


def find_consultant(session: Session, agency: Agency, ref: str | int) -> Consultant:
    """The agency's consultant by number (as `agency show` lists them) or by name."""
    assert agency.id is not None
    text = unicodedata.normalize("NFKC", str(ref)).strip()
    people = consultants_of(session, agency.id)
    row_id = as_row_id(text)
    found = [c for c in people if c.id == row_id] if row_id is not None else []
    if not found:
        found = [c for c in people if c.name == text]
    if len(found) > 1:
        raise InvalidInput("registry.correct.consultant_ambiguous", name=text, agency=agency.name)
    if not found:
        raise NotFound("registry.correct.consultant_not_found", ref=text, agency=agency.name)
    return found[0]


def _reason(reason: str | None) -> str:
    text = check_characters(" ".join((reason or "").split()), field="reason")
    if not text:
        raise InvalidInput("registry.correct.reason_required")
    if len(text) > REASON_MAX:
        raise InvalidInput("registry.correct.reason_too_long", limit=REASON_MAX)
    return text


# ---------------------------------------------------------------------------
# Showing a value (masked, short)
# ---------------------------------------------------------------------------


def shown(form: str, name: str, value: object) -> str:
    """A stored value as the audit log and the output quote it: ID numbers and phones
    masked, yes/no and blanks in words, long texts cut."""
    if value is None or value == "":
        return workflow_texts.text("registry.correct.blank")
    if isinstance(value, bool):
        return workflow_texts.text("registry.cli.yes" if value else "registry.cli.no")
    if isinstance(value, date | datetime):
        return value.isoformat()
    text = str(value)
    if name == "id_number":
        return mask_id(text)
    if (form == "agency" and name in AGENCY_PHONES) or (form == "consultant" and name == "mobile"):
        return mask_phone(text)
    text = redact(" ".join(text.split()))
    return text if len(text) <= SHOWN_MAX else text[: SHOWN_MAX - 1] + "…"


def _subject(whom: str, changes: list[Change]) -> str:
    """`移动电话：138****5678 → 139****1234` (the audit entry's 100 characters)."""
    parts = [
        workflow_texts.text("registry.correct.subject", label=c.label, old=c.old, new=c.new)
        for c in changes
    ]
    text = whom + workflow_texts.text("registry.separator").join(parts)
    return text if len(text) <= 100 else text[:99] + "…"


# ---------------------------------------------------------------------------
# Changing (flush, never commit)
# ---------------------------------------------------------------------------


def correct_agency(
    session: Session,
    agency_ref: str | int,
    actor: Actor,
    field: str,
    value: object,
    reason: str | None,
    *,
    settings: Settings | None = None,
    now: datetime | None = None,
    today: date | None = None,
) -> tuple[Agency, Change]:
    """Change one field of the agency form or the Art. 8 facts, checked as at
    registration; audited as `registry.correct` with who, why, old → new."""
    settings = settings or get_settings()
    role = require_role(session, actor, Role.ADMIN, settings, CORRECT)
    reason = _reason(reason)
    agency = find_agency(session, agency_ref)
    name = field_name("agency", field)
    new, error = check_field("agency", name, value, today=today)
    if error is None and name == "credit_code" and new != agency.credit_code:
        error = duplicate_credit_code(session, new)
    if error is not None:
        raise FormErrors([error])
    new = _stored(Agency, name, new)
    change = Change(
        "agency", name, shown("agency", name, getattr(agency, name)), shown("agency", name, new)
    )
    setattr(agency, name, new)
    session.add(agency)
    session.flush()
    _audit(session, actor, role.value, agency, reason, "", [change], CORRECT, now)
    return agency, change


def correct_consultant(
    session: Session,
    agency_ref: str | int,
    consultant_ref: str | int,
    actor: Actor,
    field: str,
    value: object,
    reason: str | None,
    *,
    settings: Settings | None = None,
    now: datetime | None = None,
    today: date | None = None,
) -> tuple[Agency, Consultant, list[Change]]:
    """Change one field of a consultant's form, checked as at registration together
    with the rest of the form (the ID number against the birth date and gender);
    a new title re-derives `senior_title` unless that is what is being set."""
    settings = settings or get_settings()
    role = require_role(session, actor, Role.ADMIN, settings, CORRECT)
    reason = _reason(reason)
    agency = find_agency(session, agency_ref)
    consultant = find_consultant(session, agency, consultant_ref)
    name = field_name("consultant", field)
    current: dict[str, Any] = {
        f.name: getattr(consultant, f.name) for f in FORMS["consultant"] if f.name != name
    }
    if name == "title":
        current.pop("senior_title", None)
    current[name] = value
    cleaned, errors = validate_consultant_fields(current, today=today)
    errors = [e for e in errors if e.field == name or e.key.startswith("registry.id_number.")]
    number = cleaned.get("id_number")
    if not errors and number and name == "id_number" and number != consultant.id_number:
        assert agency.id is not None
        duplicate = duplicate_id_number(session, agency.id, number)
        if duplicate:
            errors.append(duplicate)
    if errors:
        raise FormErrors(errors)
    changes: list[Change] = []
    for each in (name, "senior_title") if name == "title" else (name,):
        new = _stored(Consultant, each, cleaned.get(each))
        old = getattr(consultant, each)
        if each != name and new == old:
            continue
        changes.append(
            Change(
                "consultant", each, shown("consultant", each, old), shown("consultant", each, new)
            )
        )
        setattr(consultant, each, new)
    session.add(consultant)
    session.flush()
    whom = workflow_texts.text("registry.correct.whom", name=consultant.name, id=consultant.id)
    _audit(session, actor, role.value, agency, reason, whom, changes, CORRECT, now)
    return agency, consultant, changes


def remove_consultant(
    session: Session,
    agency_ref: str | int,
    consultant_ref: str | int,
    actor: Actor,
    reason: str | None,
    *,
    settings: Settings | None = None,
    now: datetime | None = None,
) -> tuple[Agency, str]:
    """Take a consultant who left off the agency's list (staff leave, Art. 14(3));
    audited as `registry.remove_consultant` with who and why. Returns the agency and
    the consultant's name."""
    settings = settings or get_settings()
    role = require_role(session, actor, Role.ADMIN, settings, REMOVE)
    reason = _reason(reason)
    agency = find_agency(session, agency_ref)
    consultant = find_consultant(session, agency, consultant_ref)
    person = workflow_texts.text(
        "registry.correct.removed_subject",
        name=consultant.name,
        id=consultant.id,
        id_number=mask_id(consultant.id_number),
        title=consultant.title or workflow_texts.text("registry.correct.blank"),
    )
    photo = session.get(ConsultantPhoto, consultant.id)
    if photo is not None:
        session.delete(photo)
        session.flush()
    session.delete(consultant)
    session.flush()
    at = now or utcnow()
    append(
        session,
        actor=actor,
        role=role.value,
        trigger=REMOVE,
        agency_id=agency.id,
        source=agency.status,
        target=agency.status,
        reason=reason,
        subject=person[:100],
        at=at,
    )
    return agency, consultant.name


def image_type(data: bytes) -> str:
    """The media type of a JPEG or PNG image by its magic bytes, or `InvalidInput`."""
    for magic, media_type in IMAGE_TYPES:
        if data.startswith(magic):
            return media_type
    raise InvalidInput("registry.photo.not_image")


def set_photo(
    session: Session,
    agency_ref: str | int,
    consultant_ref: str | int,
    actor: Actor,
    data: bytes,
    reason: str | None,
    *,
    settings: Settings | None = None,
    now: datetime | None = None,
) -> tuple[Agency, Consultant, ConsultantPhoto]:
    """Store the consultant's photo (人员登记表 照片) as the image itself, JPEG or PNG by
    its first bytes, at most `upload_max_mb`; replaces the one before, audited with who
    and why."""
    settings = settings or get_settings()
    role = require_role(session, actor, Role.ADMIN, settings, CORRECT)
    reason = _reason(reason)
    agency = find_agency(session, agency_ref)
    consultant = find_consultant(session, agency, consultant_ref)
    if not data:
        raise InvalidInput("registry.photo.empty")
    if len(data) > settings.upload_max_mb * 1024 * 1024:
        raise InvalidInput("registry.photo.too_large", limit=settings.upload_max_mb)
    media_type = image_type(data)
    at = now or utcnow()
    photo = session.get(ConsultantPhoto, consultant.id)
    before = (
        workflow_texts.text(
            "registry.photo.shown", type=photo.media_type, kb=len(photo.data) // 1024
        )
        if photo is not None
        else workflow_texts.text("registry.correct.blank")
    )
    if photo is None:
        assert consultant.id is not None
        photo = ConsultantPhoto(
            consultant_id=consultant.id, media_type=media_type, data=data, stored_by=""
        )
    photo.media_type, photo.data = media_type, data
    photo.stored_at, photo.stored_by = at, actor.name[:100]
    session.add(photo)
    session.flush()
    after = workflow_texts.text("registry.photo.shown", type=media_type, kb=len(data) // 1024)
    whom = workflow_texts.text("registry.correct.whom", name=consultant.name, id=consultant.id)
    change = Change("consultant", "photo", before, after)
    _audit(session, actor, role.value, agency, reason, whom, [change], CORRECT, at)
    return agency, consultant, photo


def _stored(model: type[Agency] | type[Consultant], name: str, value: object) -> object:
    """A blank value as the model stores it: its default (`""`, False or None)."""
    if value is not None:
        return value
    default = model.model_fields[name].default
    return None if default is ... else default


def _audit(
    session: Session,
    actor: Actor,
    role: str,
    agency: Agency,
    reason: str,
    whom: str,
    changes: list[Change],
    trigger: str,
    now: datetime | None,
) -> None:
    append(
        session,
        actor=actor,
        role=role,
        trigger=trigger,
        agency_id=agency.id,
        source=agency.status,
        target=agency.status,
        reason=reason,
        subject=_subject(whom, changes),
        at=now or utcnow(),
    )


# ---------------------------------------------------------------------------
# A workbook of changes (all or nothing)
# ---------------------------------------------------------------------------

CHANGES_SHEET = "更正登记"
CHANGE_COLUMNS: tuple[str, ...] = ("统一代码", "咨询人员", "栏目", "新值", "原因")
"""One row per change: the agency, the consultant (number or name; blank: the agency's
own field), the field (label or name; `移除` takes the consultant off), the new value,
and the reason."""
REMOVE_WORD = "移除"
EXAMPLE_MARK = "示例："


def write_changes_template(path: Path) -> Path:
    """The changes sheet with its header and two sample rows marked `示例：` (never read)."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = CHANGES_SHEET
    sheet.append(list(CHANGE_COLUMNS))
    sheet.append([EXAMPLE_MARK + "91110105MA01C8K292", "", "办公电话", "010-65009876", "电话变更"])
    sheet.append([EXAMPLE_MARK + "91110105MA01C8K292", "3", REMOVE_WORD, "", "已离职"])
    for row in (2, 3):
        for cell in sheet[row]:
            cell.font = Font(italic=True, color="808080")
    for letter, width in zip("ABCDE", (24, 14, 24, 30, 30), strict=True):
        sheet.column_dimensions[letter].width = width
    save_workbook(book, path)
    return path


def import_changes(
    session: Session,
    path: Path,
    actor: Actor,
    *,
    settings: Settings | None = None,
    today: date | None = None,
) -> list[Agency]:
    """Apply every row of the changes sheet in order, or none: each bad cell is named
    (`ImportErrors`) and the caller's transaction then writes nothing. Returns the
    agencies changed, for the eligibility re-check."""
    from workflow.registry.xlsx import CellError, ImportErrors

    settings = settings or get_settings()
    with open_workbook(path) as book:
        sheet = book[CHANGES_SHEET] if CHANGES_SHEET in book.sheetnames else book.worksheets[0]
        rows = list(sheet.iter_rows(values_only=True))
    headers = [str(h).strip() if h is not None else "" for h in (rows[0] if rows else ())]
    missing = [c for c in CHANGE_COLUMNS if c not in headers]
    if missing:
        raise InvalidInput(
            "registry.xlsx.missing_columns",
            sheet=CHANGES_SHEET,
            columns="、".join(missing),
            extra="、".join(h for h in headers if h and h not in CHANGE_COLUMNS)
            or workflow_texts.text("registry.xlsx.none"),
        )
    where = {c: headers.index(c) for c in CHANGE_COLUMNS}
    errors: list[CellError] = []
    changed: dict[int, Agency] = {}
    for number, raw in enumerate(rows[1:], start=2):
        cells = {c: raw[i] if i < len(raw) else None for c, i in where.items()}
        texts = {c: "" if v is None else str(v).strip() for c, v in cells.items()}
        if not any(texts.values()) or texts["统一代码"].startswith(EXAMPLE_MARK):
            continue

        def bad(column: str, message: str, row: int = number) -> None:
            errors.append(CellError(CHANGES_SHEET, row, column, message))

        if not texts["原因"]:
            bad("原因", workflow_texts.text("registry.correct.reason_required"))
            continue
        try:
            agency = find_agency(session, texts["统一代码"])
        except NotFound as error:
            bad("统一代码", error.message())
            continue
        try:
            if texts["栏目"] == REMOVE_WORD:
                remove_consultant(
                    session,
                    agency.credit_code,
                    texts["咨询人员"],
                    actor,
                    texts["原因"],
                    settings=settings,
                )
            elif texts["咨询人员"]:
                correct_consultant(
                    session,
                    agency.credit_code,
                    texts["咨询人员"],
                    actor,
                    texts["栏目"],
                    cells["新值"],
                    texts["原因"],
                    settings=settings,
                    today=today,
                )
            else:
                correct_agency(
                    session,
                    agency.credit_code,
                    actor,
                    texts["栏目"],
                    cells["新值"],
                    texts["原因"],
                    settings=settings,
                    today=today,
                )
        except FormErrors as failed:
            for field_error in failed.errors:
                bad("新值", field_error.text())
            continue
        except NotFound as error:
            bad("咨询人员", error.message())
            continue
        except InvalidInput as error:
            column = (
                "栏目" if error.key.startswith("registry.correct.unknown_field") else "咨询人员"
            )
            bad(column, error.message())
            continue
        assert agency.id is not None
        changed[agency.id] = agency
    if errors:
        raise ImportErrors(errors)
    if not changed:
        raise InvalidInput("registry.xlsx.empty", path=path.name)
    return list(changed.values())
