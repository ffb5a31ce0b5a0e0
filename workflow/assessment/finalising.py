"""Finalising a score sheet: lock it and move the agency to `assessed`, in one unit of work.

Not while the year's questionnaire is still open (RULES: "An assessment is not
finalised while its questionnaire is still open"): a unit may still submit or
change its answers, and a sheet locked now would silently leave them out. An
admin may force it with a reason; the reason is kept in the `assess` audit
entry, with the questionnaire's closing date.

The sheet is locked first (flushed), so the lifecycle's `assess` guard
(`gate.has_finalised_sheet`) sees it; if the lifecycle refuses (wrong state,
no permission, changed meanwhile) the caller's transaction rolls back and the
sheet stays editable. The policy values of `settings` are stored on the sheet:
the finalised result is evaluated with them from then on, whatever the
settings say later.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from workflow.access.actors import Actor
from workflow.assessment.sheets import SheetView, lock
from workflow.community.campaigns import campaign_or_default, is_open
from workflow.core.clock import utcnow
from workflow.core.errors import InvalidInput, Refused
from workflow.core.i18n import workflow_texts
from workflow.core.settings import Settings, get_settings
from workflow.lifecycle.engine import advance
from workflow.lifecycle.models import AuditEntry


def finalise(
    session: Session,
    agency_id: int,
    year: int,
    actor: Actor,
    settings: Settings | None = None,
    *,
    force_reason: str | None = None,
    now: datetime | None = None,
) -> tuple[SheetView, AuditEntry]:
    """Lock the agency's complete sheet for `year` and fire `assess` (not committed).

    Refused while the year's questionnaire is still open at `now` (default: now; unless
    `force_reason` says why it cannot wait: then the reason is audited), while
    the questionnaire section is empty or any indicator is missing, when the
    sheet is already finalised, and whatever the lifecycle refuses.
    """
    settings = settings or get_settings()
    now = now or utcnow()
    reason = _reason_to_finalise(session, year, settings, now, force_reason)
    view = lock(session, agency_id, year, actor.name, settings)
    entry = advance(session, agency_id, "assess", actor, reason, year=year, settings=settings)
    return view, entry


def _reason_to_finalise(
    session: Session, year: int, settings: Settings, now: datetime, force_reason: str | None
) -> str | None:
    """None when the questionnaire has closed; the audited reason when an admin forces it."""
    closes = campaign_or_default(session, year, settings).questionnaire_closes
    forced = " ".join((force_reason or "").split())
    if force_reason is not None and not forced:
        raise InvalidInput("assessment.force_reason_required")
    if not is_open(closes, now, settings):
        return forced or None
    if not forced:
        raise Refused("assessment.questionnaire_open", year=year, closes=closes.isoformat())
    return workflow_texts.text(
        "assessment.forced_reason", settings.language, closes=closes.isoformat(), reason=forced
    )
