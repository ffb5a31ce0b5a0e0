"""The admins' and experts' pages: progress, the evidence desk, scores, objections, results.

Every page checks the role on the server (`require_staff`, deny by default) and every
change goes through the same workflow functions as the CLI and the chat, which check
the role again and write the audit log: a line of the score sheet through
`assessment.entry.enter_line`, finalising through `finalising.finalise` (its guards:
questionnaire closed or a forced reason, a complete sheet, the lifecycle), an
objection through `objections.decide`. Reading is `read_only`; nothing here counts or
decides anything the workflow does not.

Files reach the browser only through `/staff/file/<agency>/<year>/<key>`, where `key`
names a file on that agency's desk for that year: a file of another agency or year, or
a path typed by hand, is not found.
"""

from __future__ import annotations

import hashlib
import mimetypes
import tempfile
import threading
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi import Path as InPath
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session, select
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException

from bot.web.files import file_response
from bot.web.forms import bounded_form
from bot.web.pages import message_page, render, see_other, settings_of, text, unit
from bot.web.signin import Staff, require_staff
from surveys.answering import latest_submissions
from surveys.coverage import Status, UnitCoverage, coverage
from surveys.errors import survey_texts
from surveys.models import CHANNELS, Invitation
from workflow.access.actors import Role, role_label
from workflow.assessment import objections
from workflow.assessment import results as year_results
from workflow.assessment.entry import enter_line
from workflow.assessment.evaluation import parse_whole, share_text
from workflow.assessment.finalising import finalise
from workflow.assessment.sheets import LineInput, SheetView, find_sheet, load_view
from workflow.assessment.standard import STANDARD
from workflow.community import campaigns
from workflow.core.clock import local_date, local_text, utcnow
from workflow.core.errors import Conflict, DomainError, InvalidInput, NotFound
from workflow.core.i18n import workflow_texts
from workflow.core.privacy import redact
from workflow.guidance.desk import MATERIALS, Desk, DeskFile, build_desk
from workflow.guidance.minimums import unit_records
from workflow.lifecycle.states import state_label
from workflow.registry.models import Agency
from workflow.reminders.contacts import agency_facts, document_counts
from workflow.reminders.plan import EVIDENCE, REPORT

router = APIRouter()
EXPERT = require_staff(Role.EXPERT)
ADMIN = require_staff(Role.ADMIN)
SHOWN_STATUSES = (
    Status.NOT_INVITED,
    Status.INVITED,
    Status.OPENED,
    Status.IN_PROGRESS,
    Status.SUBMITTED,
    Status.CLOSED,
)
TEXT_MAX = 500
"""The longest effect or note a line takes (the form's `maxlength`)."""
FORM_PART = 8 * 1024
"""One field: a text of `TEXT_MAX` characters percent-encoded (up to 12 bytes each)."""
FORM_BYTES = 16 * 1024
"""A whole form: at most two such texts and a few short fields."""
YEARS_BACK = 3
"""How many past years the year selector offers."""
RowId = Annotated[int, InPath(ge=1, le=2**31 - 1)]
"""A row id in a URL: what the database's INTEGER holds, so a huge number is the 400
page instead of an overflow in the driver."""
Year = Annotated[int, InPath(ge=1, le=9999)]
"""A year in a URL, bounded for the database; `campaigns.check_year` then names the
years the software keeps."""
_chart_lock = threading.Lock()
"""matplotlib's pyplot keeps global state: one chart drawn at a time."""


def _signed_in(request: Request, staff: Staff) -> str:
    """ "李专家（专家）" for the header: who the pages are acting as."""
    role = role_label(staff.role, settings_of(request).language)
    return text(request, "web.staff.signed_in", name=staff.actor.name, role=role)


# --- the progress dashboard ----------------------------------------------------------------


@dataclass
class Progress:
    """One line of the dashboard: an agency or a district."""

    name: str
    agency_id: int | None = None
    statuses: Counter[Status] = field(default_factory=Counter)
    channels: Counter[str] = field(default_factory=Counter)
    short_units: int = 0
    report: int | None = None
    evidence: int | None = None

    @property
    def guided(self) -> int:
        return sum(self.statuses.values())


@dataclass(frozen=True)
class Dashboard:
    year: int
    years: tuple[int, ...]
    agencies: tuple[Progress, ...]
    districts: tuple[Progress, ...]


def _channels(session: Session, year: int) -> dict[tuple[int, int], str]:
    """Per (unit, agency): the channel of the latest submission, else of the bound
    respondent (a unit that opened its link but has not submitted)."""
    latest = latest_submissions(session, year)
    found = {}
    for invitation in session.exec(select(Invitation).where(Invitation.year == year)).all():
        submission = latest.get(invitation.id or 0)
        channel = submission.channel if submission else invitation.respondent_channel
        if channel:
            found[(invitation.unit_id, invitation.agency_id)] = channel
    return found


def _year(session: Session, request: Request, typed: str | None) -> tuple[int, tuple[int, ...]]:
    """The year asked for (default: the current campaign's) and the years to choose from."""
    current = campaigns.current_campaign_year(session, utcnow(), settings_of(request))
    year = campaigns.parse_year(typed) if typed else current
    choices = {*range(current, current - YEARS_BACK - 1, -1), year}
    return year, tuple(sorted(choices, reverse=True))


def _dashboard(session: Session, request: Request, typed: str | None) -> Dashboard:
    settings = settings_of(request)
    year, years = _year(session, request, typed)
    rows: list[UnitCoverage] = coverage(session, year)
    channels = _channels(session, year)
    agencies: dict[int, Progress] = {}
    districts: dict[str, Progress] = {}
    for row in rows:
        agency = agencies.setdefault(row.agency_id, Progress(row.agency, row.agency_id))
        district = districts.setdefault(row.district, Progress(row.district))
        channel = channels.get((row.unit_id, row.agency_id))
        for line in (agency, district):
            line.statuses[row.status] += 1
            if channel:
                line.channels[channel] += 1
    for facts in agency_facts(session, year):
        agencies.setdefault(facts.agency_id, Progress(facts.name, facts.agency_id))
    today = local_date(utcnow(), settings.zone)
    for agency_id, line in agencies.items():
        counts = document_counts(session, agency_id, year)
        line.report, line.evidence = counts[REPORT], counts[EVIDENCE]
        for record in unit_records(session, agency_id, year, today, settings):
            if record.shortfalls:
                line.short_units += 1
                districts.setdefault(record.unit.district, Progress(record.unit.district))
                districts[record.unit.district].short_units += 1
    return Dashboard(
        year,
        years,
        tuple(sorted(agencies.values(), key=lambda p: p.agency_id or 0)),
        tuple(districts[name] for name in sorted(districts)),
    )


@router.get("/staff", response_class=HTMLResponse)
async def dashboard(
    request: Request, year: str | None = None, staff: Staff = EXPERT
) -> HTMLResponse:
    board = await unit(request, lambda s: _dashboard(s, request, year), read_only=True)
    language = settings_of(request).language
    return render(
        request,
        "staff_dashboard.html",
        {
            "title": text(request, "web.staff.dashboard.title", year=board.year),
            "board": board,
            "staff": staff,
            "signed_in": _signed_in(request, staff),
            "statuses": [(s, s.label(language)) for s in SHOWN_STATUSES],
            "channels": [(c, survey_texts.text(f"survey.channel.{c}", language)) for c in CHANNELS],
        },
    )


# --- the evidence desk and the score sheet ------------------------------------------------


def file_key(item: DeskFile) -> str:
    """The name a desk file goes by in URLs (not its path, which stays on the server)."""
    return hashlib.sha256(item.stored_path.encode()).hexdigest()[:24]


def _mime(item: DeskFile) -> str:
    return item.mime_type or mimetypes.guess_type(item.original_name)[0] or ""


@dataclass(frozen=True)
class DeskPage:
    desk: Desk
    view: SheetView | None
    agency_status: str
    summary: str


def _summary(view: SheetView | None, request: Request) -> str:
    if view is None:
        return text(request, "web.staff.sheet.none")
    evaluation = view.evaluation(settings_of(request))
    if evaluation is None:
        return text(request, "web.staff.sheet.missing", codes="、".join(view.missing))
    language = settings_of(request).language
    return text(
        request,
        "web.staff.sheet.summary",
        base=evaluation.base,
        bonus=evaluation.bonus,
        final=evaluation.final,
        grade=evaluation.grade_text(language),
        result=evaluation.result_text(language),
        reason=evaluation.reason(language),
    )


def _desk_page(session: Session, request: Request, agency_id: int, year: int) -> DeskPage:
    settings = settings_of(request)
    year = campaigns.check_year(year)
    desk = build_desk(session, agency_id, year, settings, language=settings.language)
    sheet = find_sheet(session, agency_id, year)
    view = load_view(session, sheet) if sheet is not None else None
    agency = session.get(Agency, agency_id)
    status = state_label(agency.status, settings.language) if agency else ""
    return DeskPage(desk, view, status, _summary(view, request))


def desk_url(agency_id: int, year: int, code: str | None = None) -> str:
    anchor = f"#i-{code.replace('.', '-')}" if code else ""
    return f"/staff/desk/{agency_id}/{year}{anchor}"


@router.get("/staff/desk/{agency_id}/{year}", response_class=HTMLResponse)
async def desk_page(
    request: Request,
    agency_id: RowId,
    year: Year,
    saved: str | None = None,
    finalised: str | None = None,
    staff: Staff = EXPERT,
) -> HTMLResponse:
    page = await unit(request, lambda s: _desk_page(s, request, agency_id, year), read_only=True)
    language = settings_of(request).language
    zone = settings_of(request).zone
    sheet = page.view.sheet if page.view else None
    notice = ""
    if saved in STANDARD.codes:
        notice = text(request, "web.staff.sheet.saved", code=saved)
    elif finalised:
        notice = text(request, "web.staff.sheet.finalised_now")
    return render(
        request,
        "staff_desk.html",
        {
            "title": text(
                request, "web.staff.desk.title", agency=page.desk.agency_name, year=page.desk.year
            ),
            "page": page,
            "desk": page.desk,
            "lines": page.view.lines if page.view else {},
            "finalised": sheet is not None and sheet.finalised_at is not None,
            "finalised_text": (
                text(
                    request,
                    "web.staff.sheet.finalised_by",
                    by=sheet.finalised_by,
                    at=local_text(sheet.finalised_at, zone),
                )
                if sheet is not None and sheet.finalised_at is not None
                else ""
            ),
            "notice": notice,
            "materials": set(MATERIALS),
            "questionnaire": STANDARD.questionnaire_codes,
            "maximum": {i.code: i.max for i in STANDARD.indicators},
            "share": share_text(settings_of(request).no_evidence_fraction),
            "key": file_key,
            "mime": _mime,
            "redact": redact,
            "staff": staff,
            "signed_in": _signed_in(request, staff),
            "is_admin": staff.role == Role.ADMIN,
            "language": language,
            "anchor": lambda code: f"i-{code.replace('.', '-')}",
            "file_url": lambda item: f"/staff/file/{agency_id}/{page.desk.year}/{file_key(item)}",
        },
    )


@router.get("/staff/file/{agency_id}/{year}/{key}")
async def desk_file(
    request: Request, agency_id: RowId, year: Year, key: str, staff: Staff = EXPERT
) -> Response:
    """A file of this agency's desk for this year, inline where the browser can show it."""

    def find(session: Session) -> DeskFile | None:
        settings = settings_of(request)
        desk = build_desk(session, agency_id, campaigns.check_year(year), settings)
        return next((f for f in desk.files if file_key(f) == key), None)

    item = await unit(request, find, read_only=True)
    if item is None:
        raise HTTPException(404)
    return file_response(Path(item.stored_path), _mime(item), redact(item.original_name))


def _choice(value: object) -> bool | None:
    """A yes/no radio button: None when neither was chosen (the rules then refuse)."""
    return {"yes": True, "no": False}.get(str(value or ""))


def _line_input(form: Any, code: str) -> LineInput:
    content, evidence = _choice(form.get("content")), _choice(form.get("evidence"))
    typed = str(form.get("points") or "").strip()
    points = None
    if typed:
        points = parse_whole(typed)
        if points is None:
            raise InvalidInput("assessment.not_whole", code=code, value=typed[:20])
    effect, note = str(form.get("effect") or ""), str(form.get("note") or "")
    return LineInput(points, content, evidence, effect, note)


def _too_long(request: Request, code: str, line: LineInput) -> str | None:
    """What is longer than the form allows (its `maxlength`), in words; None if nothing."""
    for name, value in (("effect", line.effect), ("note", line.note)):
        if len(value) > TEXT_MAX:
            field_name = text(request, f"web.staff.line.{name}")
            return text(
                request,
                "web.staff.line.too_long",
                code=code,
                field=field_name,
                limit=TEXT_MAX,
                n=len(value),
            )
    return None


def _refused(request: Request, error: DomainError, way_on: str) -> HTMLResponse:
    """A refusal by the rules as a page with the way back to where the person was."""
    status = 403
    if isinstance(error, NotFound):
        status = 404
    elif isinstance(error, InvalidInput):
        status = 400
    elif isinstance(error, Conflict):
        status = 409
    return message_page(
        request,
        "web.error.refused",
        error.message(settings_of(request).language),
        status_code=status,
        way_on=way_on,
    )


async def _form(request: Request, fields: int, way_on: str) -> FormData | HTMLResponse:
    """The form of one of our pages (`fields` it has, a few more allowed), or the 400
    page when it cannot be: too large, a file, many more fields."""
    form = await bounded_form(
        request, max_fields=fields + 3, max_bytes=FORM_BYTES, max_part=FORM_PART
    )
    if form is not None:
        return form
    body = text(request, "web.staff.form_refused", limit=TEXT_MAX)
    return message_page(request, "web.error.invalid", body, status_code=400, way_on=way_on)


@router.post("/staff/desk/{agency_id}/{year}/line/{code}", response_model=None)
async def save_line(
    request: Request, agency_id: RowId, year: Year, code: str, staff: Staff = EXPERT
) -> RedirectResponse | HTMLResponse:
    """One indicator's three-part judgement and points, as `assess enter` takes them."""
    back = desk_url(agency_id, year, code)
    form = await _form(request, 5, back)
    if isinstance(form, HTMLResponse):
        return form
    try:
        line = _line_input(form, code)
        too_long = _too_long(request, code, line)
        if too_long is not None:
            return message_page(
                request, "web.error.invalid", too_long, status_code=400, way_on=back
            )
        await unit(
            request,
            lambda s: enter_line(s, agency_id, year, code, line, staff.actor, settings_of(request)),
        )
    except DomainError as error:
        return _refused(request, error, back)
    code = code.strip().upper()
    return see_other(f"/staff/desk/{agency_id}/{year}?saved={code}#i-{code.replace('.', '-')}")


@router.post("/staff/desk/{agency_id}/{year}/finalise", response_model=None)
async def finalise_sheet(
    request: Request, agency_id: RowId, year: Year, staff: Staff = ADMIN
) -> RedirectResponse | HTMLResponse:
    """Finalise with the CLI's guards; a forced reason only when one is typed."""
    form = await _form(request, 1, desk_url(agency_id, year) + "#finalise")
    if isinstance(form, HTMLResponse):
        return form
    reason = str(form.get("force_reason") or "").strip() or None
    try:
        await unit(
            request,
            lambda s: finalise(
                s, agency_id, year, staff.actor, settings_of(request), force_reason=reason
            ),
        )
    except DomainError as error:
        return _refused(request, error, desk_url(agency_id, year) + "#finalise")
    return see_other(f"/staff/desk/{agency_id}/{year}?finalised=1")


# --- objections ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ObjectionLine:
    id: int
    agency_id: int
    agency: str
    received: str
    reason: str
    status: str
    open: bool
    decision: str
    decided: str


def _objections(
    session: Session, request: Request, typed: str | None
) -> tuple[tuple[int, tuple[int, ...]], list[ObjectionLine]]:
    settings = settings_of(request)
    year, years = _year(session, request, typed)
    lines = [
        ObjectionLine(
            id=o.id or 0,
            agency_id=o.agency_id,
            agency=name,
            received=o.received_on.isoformat(),
            reason=redact(o.reason),
            status=workflow_texts.text(f"objection.status.{o.status}", settings.language),
            open=o.status == "open",
            decision=redact(o.decision_reason),
            decided=local_text(o.decided_at, settings.zone) if o.decided_at else "",
        )
        for o, name in objections.for_year(session, year)
    ]
    return (year, years), lines


@router.get("/staff/objections", response_class=HTMLResponse)
async def objection_list(
    request: Request, year: str | None = None, decided: int | None = None, staff: Staff = EXPERT
) -> HTMLResponse:
    (shown, years), lines = await unit(
        request, lambda s: _objections(s, request, year), read_only=True
    )
    return render(
        request,
        "staff_objections.html",
        {
            "title": text(request, "web.staff.objections.title", year=shown),
            "year": shown,
            "years": years,
            "lines": lines,
            "staff": staff,
            "signed_in": _signed_in(request, staff),
            "is_admin": staff.role == Role.ADMIN,
            "notice": text(request, "web.staff.objections.decided", id=decided) if decided else "",
        },
    )


@router.post("/staff/objections/{objection_id}", response_model=None)
async def decide_objection(
    request: Request, objection_id: RowId, staff: Staff = ADMIN
) -> RedirectResponse | HTMLResponse:
    """Uphold (the sheet reopens) or dismiss, with reasons, as `objection uphold|dismiss`."""
    form = await _form(request, 3, "/staff/objections")
    if isinstance(form, HTMLResponse):
        return form
    outcome = str(form.get("outcome") or "")
    reason = str(form.get("reason") or "")
    year = str(form.get("year") or "")
    back = f"/staff/objections?year={year}" if year.isdigit() else "/staff/objections"
    try:
        decided = await unit(
            request,
            lambda s: objections.decide(
                s, objection_id, outcome, reason, staff.actor, settings_of(request)
            ),
        )
    except DomainError as error:
        return _refused(request, error, back)
    return see_other(f"/staff/objections?year={decided.year}&decided={decided.id}")


# --- results ------------------------------------------------------------------------------


def _results(
    session: Session, request: Request, typed: str | None
) -> tuple[tuple[int, tuple[int, ...]], list[year_results.ResultRow]]:
    year, years = _year(session, request, typed)
    return (year, years), year_results.year_results(session, year, settings_of(request))


@router.get("/staff/results", response_class=HTMLResponse)
async def results_page(
    request: Request, year: str | None = None, staff: Staff = EXPERT
) -> HTMLResponse:
    """The ranked finalised sheets (read only: publishing stays `safecomm results`)."""
    (shown, years), rows = await unit(request, lambda s: _results(s, request, year), read_only=True)
    language = settings_of(request).language
    return render(
        request,
        "staff_results.html",
        {
            "title": text(request, "web.staff.results.title", year=shown),
            "year": shown,
            "years": years,
            "headers": year_results.headers(language),
            "rows": [row.cells(language) for row in rows],
            "staff": staff,
            "signed_in": _signed_in(request, staff),
        },
    )


def chart_png(rows: list[year_results.ResultRow], year: int, language: str) -> bytes:
    """The results chart (`write_chart`, Chinese labels with the `cjk` font) as PNG bytes."""
    with _chart_lock, tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "chart.png"
        year_results.write_chart(rows, year, path, language)
        return path.read_bytes()


@router.get("/staff/results/{year}/chart.png")
async def results_chart(request: Request, year: Year, staff: Staff = EXPERT) -> Response:
    _, rows = await unit(request, lambda s: _results(s, request, str(year)), read_only=True)
    png = await run_in_threadpool(chart_png, rows, year, settings_of(request).language)
    return Response(png, media_type="image/png")
