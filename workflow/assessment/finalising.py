"""Finalising a score sheet: lock it and move the agency to `assessed`, in one unit of work.

The sheet is locked first (flushed), so the lifecycle's `assess` guard
(`gate.has_finalised_sheet`) sees it; if the lifecycle refuses (wrong state,
no permission, changed meanwhile) the caller's transaction rolls back and the
sheet stays editable. The policy values of `settings` are stored on the sheet:
the finalised result is evaluated with them from then on, whatever the
settings say later.
"""

from __future__ import annotations

from sqlmodel import Session

from workflow.access.actors import Actor
from workflow.assessment.sheets import SheetView, lock
from workflow.core.settings import Settings, get_settings
from workflow.lifecycle.engine import advance
from workflow.lifecycle.models import AuditEntry


def finalise(
    session: Session, agency_id: int, year: int, actor: Actor, settings: Settings | None = None
) -> tuple[SheetView, AuditEntry]:
    """Lock the agency's complete sheet for `year` and fire `assess` (not committed).

    Refused while the questionnaire section is empty or any indicator is
    missing, when the sheet is already finalised, and whatever the lifecycle refuses.
    """
    settings = settings or get_settings()
    view = lock(session, agency_id, year, actor.name, settings)
    entry = advance(session, agency_id, "assess", actor, year=year, settings=settings)
    return view, entry
