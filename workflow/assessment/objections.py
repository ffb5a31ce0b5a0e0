"""Objections (异议) to a year's published results (Art. 15), recorded by an admin or
filed by the agency itself (its contact, or its web pages).

RULES.md "Publication (公示, Art. 15) and objections": during the 公示 period an
agency may object; an admin records the objection, reviews it and decides it:
- upheld (成立): the agency's sheet is reopened (no longer finalised), so the
  experts re-score it with `assess enter` and an admin finalises it again with
  `assess finalise`, which keeps the policy it was first finalised with;
- dismissed (不成立): the published result stands; the reasons are recorded.
Every step is an audit entry (who, when, why). Objections are accepted only
with a day of receipt inside the period; decisions may come after it. While an
objection is open, or a reopened sheet is not finalised again, the agency's
exit on ground 1 waits (`publicity.exit_hold`, the lifecycle's guard).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Session, col, select

from workflow.access.actors import Actor, Role
from workflow.access.roles import require_role
from workflow.assessment import publicity
from workflow.assessment.models import Objection
from workflow.assessment.sheets import find_sheet
from workflow.core.clock import local_date, utcnow
from workflow.core.errors import InvalidInput, NotFound, Refused
from workflow.core.i18n import workflow_texts
from workflow.core.settings import Settings
from workflow.core.text import check_characters
from workflow.lifecycle.audit import REASON_MAX, append
from workflow.registry.models import Agency
from workflow.reminders.contacts import speaks_for

AGENCY_ROLE = "agency"
"""The audit role of an agency filing its own objection."""

UPHELD, DISMISSED = "upheld", "dismissed"


def _reason(text: str | None, missing: str = "objection.reason_required") -> str:
    reason = check_characters(" ".join((text or "").split()), field="reason")
    if not reason:
        raise InvalidInput(missing)
    if len(reason) > REASON_MAX:
        raise InvalidInput("lifecycle.reason_too_long", limit=REASON_MAX)
    return reason


def _admin(session: Session, actor: Actor, settings: Settings, trigger: str) -> Role:
    label = workflow_texts.text(f"lifecycle.trigger.{trigger}", settings.language)
    return require_role(session, actor, Role.ADMIN, settings, label)


def record(
    session: Session,
    agency_id: int,
    year: int,
    reason: str,
    actor: Actor,
    settings: Settings,
    *,
    received_on: date | None = None,
    now: datetime | None = None,
) -> Objection:
    """Record an agency's objection to its result of `year` (flushed): by an admin, or
    by the agency itself (a bound contact or its web sign-in; received today, one open
    objection at a time).

    Refused before the results are published, with a day of receipt outside the
    period or in the future, and for an agency without a published result.
    """
    now = now or utcnow()
    own = speaks_for(session, actor, agency_id)
    role = AGENCY_ROLE if own else _admin(session, actor, settings, "objection.record").value
    reason = _reason(reason, "objection.reason_of_agency" if own else "objection.reason_required")
    agency = session.get(Agency, agency_id)
    if agency is None:
        raise NotFound("assessment.no_agency", agency=agency_id)
    if own:
        received_on = None  # the agency files it now: received today
        if _open_of(session, agency_id, year):
            raise Refused("objection.already_open", year=year)
    publication = publicity.period(session, year)
    if publication is None:
        raise Refused("objection.not_published", year=year)
    today = local_date(now, settings.zone)
    day = received_on or today
    if day > today:
        raise InvalidInput("objection.received_in_future", day=publicity.day_text(day))
    if not publication.starts <= day <= publication.ends:
        raise Refused(
            "objection.outside_period",
            year=year,
            day=publicity.day_text(day),
            starts=publicity.day_text(publication.starts),
            ends=publicity.day_text(publication.ends),
        )
    sheet = find_sheet(session, agency_id, year)
    if sheet is None or (sheet.finalised_at is None and not _reopened(session, agency_id, year)):
        raise Refused("objection.no_result", agency=agency.name, year=year)
    objection = Objection(
        agency_id=agency_id,
        year=year,
        received_on=day,
        reason=reason,
        recorded_by=actor.key,
        recorded_at=now,
    )
    session.add(objection)
    session.flush()
    append(
        session,
        actor=actor,
        role=role,
        trigger="objection.record",
        agency_id=agency_id,
        reason=reason,
        subject=f"objection:{objection.id}",
        at=now,
    )
    return objection


def may_object(session: Session, agency_id: int, year: int, today: date) -> bool:
    """Whether the agency itself may file an objection to its result of `year` on `today`
    (what `record` accepts from it): during the period, with a result, none open."""
    publication = publicity.period(session, year)
    if publication is None or not publication.starts <= today <= publication.ends:
        return False
    if _open_of(session, agency_id, year):
        return False
    sheet = find_sheet(session, agency_id, year)
    return sheet is not None and (
        sheet.finalised_at is not None or _reopened(session, agency_id, year)
    )


def _open_of(session: Session, agency_id: int, year: int) -> list[Objection]:
    return list(
        session.exec(
            select(Objection).where(
                Objection.agency_id == agency_id,
                Objection.year == year,
                Objection.status == "open",
            )
        ).all()
    )


def of_agency(session: Session, agency_id: int, year: int) -> list[Objection]:
    """The agency's objections to its result of `year`, oldest first."""
    return list(
        session.exec(
            select(Objection)
            .where(Objection.agency_id == agency_id, Objection.year == year)
            .order_by(col(Objection.id))
        ).all()
    )


def _reopened(session: Session, agency_id: int, year: int) -> bool:
    return bool(publicity.awaiting_refinalise(session, agency_id, year))


def decide(
    session: Session,
    objection_id: int,
    outcome: str,
    reason: str,
    actor: Actor,
    settings: Settings,
    *,
    now: datetime | None = None,
) -> Objection:
    """Uphold (reopen the sheet) or dismiss an open objection, with reasons (admins only)."""
    if outcome not in (UPHELD, DISMISSED):
        raise InvalidInput("objection.unknown_outcome", outcome=outcome)
    now = now or utcnow()
    trigger = "objection.uphold" if outcome == UPHELD else "objection.dismiss"
    role = _admin(session, actor, settings, trigger)
    reason = _reason(reason)
    objection = session.get(Objection, objection_id, with_for_update=True)
    if objection is None:
        raise NotFound("objection.unknown", id=objection_id)
    if objection.status != "open":
        raise Refused(
            "objection.already_decided",
            id=objection_id,
            status=workflow_texts.text(f"objection.status.{objection.status}"),
        )
    if outcome == UPHELD:
        sheet = find_sheet(session, objection.agency_id, objection.year, for_update=True)
        if sheet is not None and sheet.finalised_at is not None:
            # reopened; the stored policy stays for the second finalising
            sheet.finalised_at = None
            sheet.finalised_by = ""
            session.add(sheet)
    objection.status = outcome
    objection.decided_by = actor.key
    objection.decided_at = now
    objection.decision_reason = reason
    session.add(objection)
    session.flush()
    append(
        session,
        actor=actor,
        role=role.value,
        trigger=trigger,
        agency_id=objection.agency_id,
        reason=reason,
        subject=f"objection:{objection.id}",
        at=now,
    )
    return objection


def for_year(session: Session, year: int) -> list[tuple[Objection, str]]:
    """The year's objections with the agency's name, oldest first."""
    rows = session.exec(
        select(Objection, Agency.name)
        .join(Agency, col(Agency.id) == col(Objection.agency_id))
        .where(Objection.year == year)
        .order_by(col(Objection.id))
    ).all()
    return [(objection, name) for objection, name in rows]
