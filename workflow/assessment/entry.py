"""An expert's judgement of one indicator, entered by a person in a channel (the web's
evidence desk): the role checked here, the line written by `sheets.enter_lines`, the
entry audited.

The CLI's `assess enter` calls `enter_lines` directly (a CLI operator acts as admin and
is recorded by login); a channel where anybody can knock first needs the role checked
by the rules themselves, not only by the page, and a trail in the audit log.
"""

from __future__ import annotations

from sqlmodel import Session

from workflow.access.actors import Actor, Role
from workflow.access.roles import require_role
from workflow.assessment.sheets import LineInput, check_line, enter_lines
from workflow.core.i18n import workflow_texts
from workflow.core.settings import Settings
from workflow.lifecycle.audit import append
from workflow.registry.models import Agency

TRIGGER = "score"
"""The audit trigger of a score entered by an expert ("录入评分")."""


def enter_line(
    session: Session,
    agency_id: int,
    year: int,
    code: str,
    line: LineInput,
    actor: Actor,
    settings: Settings,
) -> int:
    """Record `line` for indicator `code` (experts and admins; flushed, not committed) and
    return the points stored. Refused like `enter_lines` (a finalised sheet, content or
    evidence not recorded, points outside the indicator or above the no-evidence cap)."""
    label = workflow_texts.text(f"lifecycle.trigger.{TRIGGER}", settings.language)
    role = require_role(session, actor, Role.EXPERT, settings, label)
    code = code.strip().upper()
    points = check_line(code, line, settings)
    enter_lines(session, agency_id, year, {code: line}, actor=actor.name, policy=settings)
    agency = session.get(Agency, agency_id)
    status = agency.status if agency is not None else ""
    append(
        session,
        actor=actor,
        role=role.value,
        trigger=TRIGGER,
        agency_id=agency_id,
        source=status,
        target=status,
        subject=f"sheet:{year}:{code}={points}",
    )
    return points
