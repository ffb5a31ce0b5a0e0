"""The agency's pages: the year's checklist, its Art. 11 records and Art. 15 report.

Signed in by a one-time link (`safecomm agency weblink`, or a contact's), an agency
sees only its own rows: every record or file id in a URL is looked up together with
the signed-in agency, and another agency's is "not found". Every change calls the
workflow functions the chat and the CLI call (`workflow.guidance`,
`workflow.reminders.contacts`, `workflow.assessment.objections`) with the web actor.
Uploads are read as a stream with a limit (`upload_max_mb`), spooled to disk, then
checked by extension, declared type and first bytes, and stored with their row in
one call in the worker thread (`evidence.attach_upload`, `evidence.hand_in_upload`):
a refused upload leaves nothing behind, a request cancelled meanwhile splits nothing.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, HTMLResponse, Response
from sqlmodel import Session, col, select
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException

from bot.web.files import INLINE_TYPES, file_response, safe_name
from bot.web.forms import BodyTooLarge, form_or_refusal, limited
from bot.web.pages import message_page, render, see_other, settings_of, text, unit
from bot.web.signin import AgencyUser, require_agency
from surveys.coverage import Status, by_agency, coverage
from workflow.access.models import WebForm
from workflow.access.weblogins import claim_form, new_form_id
from workflow.assessment import objections, publicity
from workflow.assessment.models import Objection
from workflow.assessment.results import year_results
from workflow.community.campaigns import DATE_FIELDS, campaign_or_default, current_campaign_year
from workflow.community.models import CreationUnit, Guidance
from workflow.core.clock import local_date, utcnow
from workflow.core.errors import DomainError, InvalidInput, NotFound
from workflow.core.i18n import workflow_texts
from workflow.core.settings import Settings
from workflow.guidance import activities, evidence, kinds, minimums
from workflow.guidance.models import EvidenceFile, GuidanceActivity
from workflow.lifecycle.states import state_label
from workflow.registry.models import Agency
from workflow.reminders import contacts
from workflow.reminders.models import SubmittedDocument
from workflow.reminders.plan import DOCUMENT_KINDS, FILE_KINDS

router = APIRouter(prefix="/agency")
MB = 1024 * 1024
FORM_SLACK = 64 * 1024
"""What an upload's form may carry besides the file (field names, boundaries)."""
ROW_ID_MAX = 2**31 - 1
"""The largest id a row may have (a 32-bit integer column on PostgreSQL)."""
RowId = Annotated[int, PathParam(ge=1, le=ROW_ID_MAX)]
"""A row id in a URL: a number beyond a column's range is a 400 page, not a 500."""
FIELDS = ("unit", "kind", "held_on", "topic", "programme", "title", "description", "attendance")


def _year(session: Session, settings: Settings) -> int:
    return current_campaign_year(session, utcnow(), settings)


def _today(settings: Settings) -> date:
    return local_date(utcnow(), settings.zone)


def _page(request: Request, template: str, context: Mapping[str, Any], **kw: Any) -> HTMLResponse:
    language = settings_of(request).language

    def wt(key: str, /, **params: object) -> str:
        return workflow_texts.text(key, language, **params)

    return render(request, template, {"kinds": kinds, "wt": wt, **context}, **kw)


# --- the start page ------------------------------------------------------------------------


@router.get("", response_class=HTMLResponse)
async def home(request: Request, who: AgencyUser = require_agency) -> HTMLResponse:
    settings = settings_of(request)
    language = settings.language

    def look(session: Session) -> dict[str, Any]:
        agency = session.get(Agency, who.agency_id)
        if agency is None:
            raise NotFound("assessment.no_agency", agency=who.agency_id)
        year = _year(session, settings)
        campaign = campaign_or_default(session, year, settings)
        survey = next(
            (r for r in by_agency(coverage(session, year)) if r.agency_id == who.agency_id),
            None,
        )
        records = minimums.unit_records(session, who.agency_id, year, _today(settings), settings)
        return {
            "agency": agency.name,
            "state": state_label(agency.status, language),
            "year": year,
            "dates": [(name, getattr(campaign, name)) for name in DATE_FIELDS],
            "documents": contacts.document_counts(session, who.agency_id, year),
            "survey": (survey.counts[Status.SUBMITTED], survey.guided) if survey else None,
            "units": [(r.unit.name, [s.message(language) for s in r.shortfalls]) for r in records],
        }

    facts = await unit(request, look, read_only=True)
    return _page(
        request,
        "agency_home.html",
        {**facts, "title": facts["agency"], "kinds_owed": DOCUMENT_KINDS},
    )


# --- Art. 11 records -----------------------------------------------------------------------


def _own_activity(session: Session, activity_id: int, agency_id: int) -> GuidanceActivity:
    """The agency's activity; another agency's is as unknown as a missing one."""
    found = session.get(GuidanceActivity, activity_id)
    if found is None or found.agency_id != agency_id:
        raise NotFound("guidance.not_found", activity=activity_id)
    return found


def _guided(session: Session, agency_id: int, year: int) -> list[tuple[Guidance, CreationUnit]]:
    rows = session.exec(
        select(Guidance, CreationUnit)
        .join(CreationUnit, col(CreationUnit.id) == Guidance.unit_id)
        .where(Guidance.agency_id == agency_id, Guidance.year == year)
        .order_by(col(CreationUnit.district), col(CreationUnit.name))
    ).all()
    return [(g, u) for g, u in rows]


@router.get("/records", response_class=HTMLResponse)
async def records(request: Request, who: AgencyUser = require_agency) -> HTMLResponse:
    settings = settings_of(request)

    def look(session: Session) -> dict[str, Any]:
        year = _year(session, settings)
        rows = activities.activities_of(session, who.agency_id, year)
        files = evidence.files_of(session, who.agency_id, year)
        counted: dict[int, int] = {}
        for each in files:
            counted[each.activity_id] = counted.get(each.activity_id, 0) + 1
        units = [
            (u, [(a, counted.get(a.id or 0, 0)) for a in rows if a.unit_id == u.id])
            for _, u in _guided(session, who.agency_id, year)
        ]
        return {"year": year, "units": units}

    found = await unit(request, look, read_only=True)
    return _page(
        request,
        "agency_records.html",
        {
            **found,
            "title": text(request, "web.agency.records.title"),
            "repeat": request.query_params.get("repeat"),
        },
    )


class _Repeat(Exception):
    """A form sent before (its one-time id is claimed): the unit rolls back."""


def _claim(session: Session, form_id: str) -> None:
    """Claim the form's one-time id after the change's first insert (on SQLite a
    savepoint opened before any write would commit on its own) or refuse a repeat."""
    if not claim_form(session, form_id):
        raise _Repeat


async def _record_form(request: Request, way_on: str) -> FormData:
    """A record's form: its fields and every kind's details, a few KB of text at most."""
    fields = len(FIELDS) + len(kinds.DETAIL_NAMES) + 5
    return await form_or_refusal(request, max_fields=fields, max_bytes=65_536, way_on=way_on)


def _form_values(form: FormData) -> dict[str, str]:
    values = {name: str(form.get(name) or "") for name in FIELDS}
    for name in kinds.DETAIL_NAMES:
        values[f"detail_{name}"] = str(form.get(f"detail_{name}") or "")
    values["revision"] = str(form.get("revision") or "")
    values["form_id"] = str(form.get("form_id") or "")
    return values


def _details(values: Mapping[str, str]) -> dict[str, str]:
    """The details of the chosen kind that were filled in (the form shows every kind's)."""
    try:
        kind = kinds.parse_kind(values["kind"])
    except InvalidInput:
        return {}  # parse_fields refuses the kind itself
    names = kinds.detail_names(kind)
    return {n: values[f"detail_{n}"] for n in names if values[f"detail_{n}"].strip()}


def _parsed(values: Mapping[str, str]) -> activities.ActivityInput:
    return activities.parse_fields(
        values["kind"],
        values["held_on"],
        topic=values["topic"],
        programme=values["programme"],
        title=values["title"],
        description=values["description"],
        attendance=values["attendance"],
        details=_details(values),
    )


def _unit_id(value: str) -> int:
    if not value.isdecimal() or len(value) > 12 or not 1 <= int(value) <= ROW_ID_MAX:
        raise InvalidInput("guidance.bad_unit", unit=value[:20])
    return int(value)


def _form_context(session: Session, agency_id: int, year: int) -> dict[str, Any]:
    return {"year": year, "guided": [u for _, u in _guided(session, agency_id, year)]}


async def _form_page(
    request: Request,
    who: AgencyUser,
    values: Mapping[str, str],
    *,
    action: str,
    error: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    settings = settings_of(request)

    def look(session: Session) -> dict[str, Any]:
        return _form_context(session, who.agency_id, _year(session, settings))

    context = await unit(request, look, read_only=True)
    title = text(
        request, "web.agency.form.edit" if values.get("revision") else "web.agency.form.new"
    )
    return _page(
        request,
        "agency_record_form.html",
        {**context, "values": values, "action": action, "error": error, "title": title},
        status_code=status_code,
    )


@router.get("/records/new", response_class=HTMLResponse)
async def new_record(
    request: Request, unit_id: str = "", who: AgencyUser = require_agency
) -> HTMLResponse:
    values = dict.fromkeys(FIELDS, "")
    values.update(
        unit=unit_id,
        kind=kinds.TRAINING,
        held_on=_today(settings_of(request)).isoformat(),
        form_id=new_form_id(),
    )
    return await _form_page(request, who, values, action="/agency/records")


@router.post("/records", response_model=None)
async def add_record(request: Request, who: AgencyUser = require_agency) -> Response:
    settings = settings_of(request)
    values = _form_values(await _record_form(request, "/agency/records"))

    def save(session: Session) -> int:
        year = _year(session, settings)
        made = activities.record_activity(
            session,
            who.agency_id,
            _unit_id(values["unit"]),
            year,
            _parsed(values),
            who.actor,
            settings,
        )
        _claim(session, values["form_id"])
        assert made.id is not None
        return made.id

    try:
        activity_id = await unit(request, save)
    except _Repeat:
        return see_other("/agency/records?repeat=1")
    except DomainError as refusal:
        return await _form_page(
            request,
            who,
            values,
            action="/agency/records",
            error=refusal.message(settings.language),
            status_code=400,
        )
    return see_other(f"/agency/records/{activity_id}?saved=1")


@dataclass(frozen=True)
class Shown:
    activity: GuidanceActivity
    unit: str
    files: list[EvidenceFile]


@router.get("/records/{activity_id}", response_class=HTMLResponse)
async def show_record(
    request: Request, activity_id: RowId, who: AgencyUser = require_agency
) -> HTMLResponse:
    def look(session: Session) -> Shown:
        activity = _own_activity(session, activity_id, who.agency_id)
        place = session.get(CreationUnit, activity.unit_id)
        files = evidence.files_of(session, who.agency_id, activity.year, activity_id=activity_id)
        session.expunge_all()
        return Shown(activity, place.name if place else "", files)

    shown = await unit(request, look, read_only=True)
    settings = settings_of(request)
    return _page(
        request,
        "agency_record.html",
        {
            "shown": shown,
            "title": kinds.described(shown.activity.kind, shown.activity.topic, settings.language),
            "saved": request.query_params.get("saved"),
            "removed": request.query_params.get("removed"),
            "inline": evidence_inline,
            "max_mb": settings.upload_max_mb,
            "allowed": ", ".join(sorted(contacts.ALLOWED_TYPES)),
        },
    )


def evidence_inline(mime_type: str) -> bool:
    """A file the page shows as a picture (one the browser is given inline, an image)."""
    return mime_type in INLINE_TYPES and mime_type.startswith("image/")


def _values_of(activity: GuidanceActivity) -> dict[str, str]:
    values = {
        "unit": str(activity.unit_id),
        "kind": activity.kind,
        "held_on": activity.held_on.isoformat(),
        "topic": activity.topic,
        "programme": activity.programme,
        "title": activity.title,
        "description": activity.description,
        "attendance": "" if activity.attendance is None else str(activity.attendance),
        "revision": str(activity.revision),
    }
    for name in kinds.DETAIL_NAMES:
        value = (activity.details or {}).get(name)
        values[f"detail_{name}"] = "" if value is None else str(value)
    return values


@router.get("/records/{activity_id}/edit", response_class=HTMLResponse)
async def edit_form(
    request: Request, activity_id: RowId, who: AgencyUser = require_agency
) -> HTMLResponse:
    values = await unit(
        request,
        lambda s: _values_of(_own_activity(s, activity_id, who.agency_id)),
        read_only=True,
    )
    return await _form_page(request, who, values, action=f"/agency/records/{activity_id}/edit")


@router.post("/records/{activity_id}/edit", response_model=None)
async def edit_record(
    request: Request, activity_id: RowId, who: AgencyUser = require_agency
) -> Response:
    settings = settings_of(request)
    values = _form_values(await _record_form(request, f"/agency/records/{activity_id}"))

    def save(session: Session) -> None:
        _own_activity(session, activity_id, who.agency_id)
        revision = int(values["revision"]) if values["revision"].isdecimal() else -1
        activities.edit_activity(
            session, activity_id, _parsed(values), who.actor, settings, revision=revision
        )

    try:
        await unit(request, save)
    except NotFound:
        raise
    except DomainError as refusal:
        return await _form_page(
            request,
            who,
            values,
            action=f"/agency/records/{activity_id}/edit",
            error=refusal.message(settings.language),
            status_code=400,
        )
    return see_other(f"/agency/records/{activity_id}?saved=1")


# --- uploads --------------------------------------------------------------------------------


@dataclass
class Upload:
    """An uploaded file spooled to a temporary file of our own, with its form fields."""

    path: Path
    name: str
    mime: str
    fields: dict[str, str]


async def read_upload(request: Request, settings: Settings, folder: Path) -> Upload:
    """The one file of a multipart form, at most `upload_max_mb` (checked while reading),
    copied into `folder`; a clear refusal when it is missing or too large."""
    limit = settings.upload_max_mb * MB + FORM_SLACK
    declared = request.headers.get("content-length", "")
    if declared.isdecimal() and int(declared) > limit:
        contacts.check_size(int(declared), settings)
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise InvalidInput("contacts.upload_missing")
    try:
        form = await limited(request, limit).form(
            max_files=1, max_fields=20, max_part_size=FORM_SLACK
        )
    except BodyTooLarge as too_large:
        contacts.check_size(too_large.read, settings)
        raise
    except HTTPException:  # Starlette's 400 for a malformed body or a second file
        raise InvalidInput("contacts.upload_missing") from None
    try:
        upload = form.get("file")
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise InvalidInput("contacts.upload_missing")
        contacts.check_size(upload.size, settings)
        path = folder / "upload"

        def copy() -> None:
            upload.file.seek(0)
            with path.open("wb") as target:
                shutil.copyfileobj(upload.file, target, evidence.CHUNK)

        await asyncio.to_thread(copy)
        fields = {k: v for k, v in form.items() if isinstance(v, str)}
        return Upload(path, safe_name(upload.filename), upload.content_type or "", fields)
    finally:
        await form.close()


@router.post("/records/{activity_id}/files", response_model=None)
async def attach(
    request: Request, activity_id: RowId, who: AgencyUser = require_agency
) -> Response:
    await unit(request, lambda s: _own_activity(s, activity_id, who.agency_id), read_only=True)
    try:
        await _attach(request, who, activity_id)
    except NotFound:
        raise
    except DomainError as refusal:
        return refused_page(request, refusal, f"/agency/records/{activity_id}")
    return see_other(f"/agency/records/{activity_id}?saved=1")


async def _attach(request: Request, who: AgencyUser, activity_id: int) -> None:
    settings = settings_of(request)
    with tempfile.TemporaryDirectory() as folder:
        upload = await read_upload(request, settings, Path(folder))

        def record(session: Session) -> None:
            _own_activity(session, activity_id, who.agency_id)
            evidence.attach_upload(
                session, activity_id, upload.path, upload.name, upload.mime, who.actor, settings
            )

        await unit(request, record)


@router.get("/files/{file_id}", response_class=FileResponse)
async def show_file(
    request: Request, file_id: RowId, who: AgencyUser = require_agency
) -> FileResponse:
    def look(session: Session) -> EvidenceFile:
        row = session.get(EvidenceFile, file_id)
        if row is None or row.agency_id != who.agency_id:
            raise NotFound("guidance.file_not_found", file=file_id)
        session.expunge(row)
        return row

    row = await unit(request, look, read_only=True)
    return file_response(Path(row.stored_path), row.mime_type, row.original_name)


@router.post("/files/{file_id}/delete", response_model=None)
async def remove_file(
    request: Request, file_id: RowId, who: AgencyUser = require_agency
) -> Response:
    """Take a file off its record (audited); the stored file goes once the row has gone."""
    settings = settings_of(request)

    def remove(session: Session) -> tuple[int, str]:
        row = session.get(EvidenceFile, file_id)
        if row is None or row.agency_id != who.agency_id:
            raise NotFound("guidance.file_not_found", file=file_id)
        activity_id = row.activity_id
        return activity_id, evidence.remove_evidence(session, file_id, who.actor, settings)

    try:
        activity_id, path = await unit(request, remove)
    except NotFound:
        raise
    except DomainError as refusal:
        return refused_page(request, refusal, "/agency/records")
    Path(path).unlink(missing_ok=True)
    return see_other(f"/agency/records/{activity_id}?removed=1")


# --- Art. 15 documents ---------------------------------------------------------------------


@router.get("/documents", response_class=HTMLResponse)
async def documents(request: Request, who: AgencyUser = require_agency) -> HTMLResponse:
    settings = settings_of(request)

    def look(session: Session) -> tuple[int, list[SubmittedDocument]]:
        year = _year(session, settings)
        rows = contacts.documents_of(session, who.agency_id, year)
        session.expunge_all()
        return year, rows

    year, rows = await unit(request, look, read_only=True)
    return _page(
        request,
        "agency_documents.html",
        {
            "title": text(request, "web.agency.documents.title"),
            "year": year,
            "rows": rows,
            "file_kinds": FILE_KINDS,
            "saved": request.query_params.get("saved"),
            "max_mb": settings.upload_max_mb,
            "allowed": ", ".join(sorted(contacts.ALLOWED_TYPES)),
        },
    )


@router.post("/documents", response_model=None)
async def hand_in(request: Request, who: AgencyUser = require_agency) -> Response:
    settings = settings_of(request)
    year = await unit(request, lambda s: _year(s, settings), read_only=True)
    try:
        await _hand_in(request, who, year)
    except DomainError as refusal:
        return refused_page(request, refusal, "/agency/documents")
    return see_other("/agency/documents?saved=1")


async def _hand_in(request: Request, who: AgencyUser, year: int) -> None:
    settings = settings_of(request)
    with tempfile.TemporaryDirectory() as folder:
        upload = await read_upload(request, settings, Path(folder))
        kind = upload.fields.get("kind", "")
        if kind not in FILE_KINDS:
            raise InvalidInput("contacts.document_kind", kind=kind[:20])

        def record(session: Session) -> None:
            evidence.hand_in_upload(
                session,
                who.agency_id,
                year,
                kind,
                upload.path,
                upload.name,
                upload.mime,
                who.actor,
                settings,
            )

        await unit(request, record)


@router.get("/documents/{document_id}", response_class=FileResponse)
async def show_document(
    request: Request, document_id: RowId, who: AgencyUser = require_agency
) -> FileResponse:
    def look(session: Session) -> SubmittedDocument:
        row = session.get(SubmittedDocument, document_id)
        if row is None or row.agency_id != who.agency_id:
            raise NotFound("contacts.document_unknown")
        session.expunge(row)
        return row

    row = await unit(request, look, read_only=True)
    return file_response(Path(row.stored_path), row.mime_type, row.original_name)


# --- the result and objections -------------------------------------------------------------


@dataclass(frozen=True)
class Result:
    year: int
    publication: publicity.Period | None
    row: Any
    objections: list[Objection]
    may_object: bool


@router.get("/result", response_class=HTMLResponse)
async def result(request: Request, who: AgencyUser = require_agency) -> HTMLResponse:
    settings = settings_of(request)
    today = _today(settings)

    def look(session: Session) -> Result:
        published = publicity.shown_on(session, today)
        year = published.year if published else _year(session, settings)
        row = None
        if published is not None:
            row = next(
                (r for r in year_results(session, year) if r.agency_id == who.agency_id), None
            )
        filed = objections.of_agency(session, who.agency_id, year)
        may = objections.may_object(session, who.agency_id, year, today)
        session.expunge_all()
        return Result(year, published, row, filed, may)

    found = await unit(request, look, read_only=True)
    return _page(
        request,
        "agency_result.html",
        {
            "title": text(request, "web.agency.result.title", year=found.year),
            "found": found,
            "day": lambda d: publicity.day_text(d, settings.language),
            "filed": request.query_params.get("filed"),
            "repeat": request.query_params.get("repeat"),
            "form_id": new_form_id(),
        },
    )


@router.post("/objection", response_model=None)
async def object_to_result(request: Request, who: AgencyUser = require_agency) -> Response:
    settings = settings_of(request)
    form = await form_or_refusal(request, max_fields=6, max_bytes=16_384, way_on="/agency/result")
    reason = str(form.get("reason") or "")
    form_id = str(form.get("form_id") or "")

    def save(session: Session) -> None:
        published = publicity.shown_on(session, _today(settings))
        year = published.year if published else _year(session, settings)
        try:
            objections.record(session, who.agency_id, year, reason, who.actor, settings)
        except DomainError:  # the repeat of a form that was filed meets "already open"
            if session.get(WebForm, form_id) is not None:
                raise _Repeat from None
            raise
        _claim(session, form_id)

    try:
        await unit(request, save)
    except _Repeat:
        return see_other("/agency/result?repeat=1")
    except DomainError as refusal:
        return refused_page(request, refusal, "/agency/result")
    return see_other("/agency/result?filed=1")


def refused_page(request: Request, refusal: DomainError, way_on: str) -> HTMLResponse:
    return message_page(
        request,
        "web.error.refused",
        refusal.message(settings_of(request).language),
        status_code=400,
        way_on=way_on,
    )
