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

A sheet reopened by an upheld objection (Art. 15, `objections`) is finalised
again the same way, with the policy it was first finalised with; an agency
still `assessed` stays there (the step is audited as `assessment.refinalise`),
any other fires `assess` as usual.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from workflow.access.actors import Actor, Role
from workflow.access.roles import require_role
from workflow.assessment import publicity
from workflow.assessment.evaluation import GRADE_SCORES, PASS_SCORES, Policy, PolicyValues
from workflow.assessment.models import ScoreSheet
from workflow.assessment.sheets import SheetView, find_sheet, lock
from workflow.community.campaigns import campaign_or_default, is_open
from workflow.core.clock import utcnow
from workflow.core.errors import InvalidInput, Refused
from workflow.core.i18n import workflow_texts
from workflow.core.settings import Settings, get_settings
from workflow.core.text import check_characters
from workflow.lifecycle.audit import append
from workflow.lifecycle.engine import advance
from workflow.lifecycle.models import AuditEntry
from workflow.lifecycle.states import State
from workflow.registry.models import Agency


def _first_policy(sheet: ScoreSheet | None, settings: Settings) -> Policy:
    """The policy a reopened sheet was finalised with (kept on it), else `settings`."""
    if (
        sheet is None
        or sheet.policy_grade_score not in GRADE_SCORES
        or sheet.policy_pass_score not in PASS_SCORES
        or sheet.policy_b4_points is None
        or sheet.policy_no_evidence_fraction is None
    ):
        return settings
    return PolicyValues(
        grade_score=sheet.policy_grade_score,
        final_score_cap=sheet.policy_final_score_cap,
        bonus_cap=sheet.policy_bonus_cap,
        b4_points=sheet.policy_b4_points,
        pass_score=sheet.policy_pass_score,
        no_evidence_fraction=sheet.policy_no_evidence_fraction,
    )


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
    reopened = publicity.awaiting_refinalise(session, agency_id, year)
    if not reopened:
        view = lock(session, agency_id, year, actor.name, settings)
        entry = advance(session, agency_id, "assess", actor, reason, year=year, settings=settings)
        return view, entry
    label = workflow_texts.text("lifecycle.trigger.assessment.refinalise", settings.language)
    role = require_role(session, actor, Role.ADMIN, settings, label)
    policy = _first_policy(find_sheet(session, agency_id, year), settings)
    view = lock(session, agency_id, year, actor.name, policy)
    agency = session.get(Agency, agency_id)
    if agency is not None and agency.status == State.ASSESSED:
        entry = append(
            session,
            actor=actor,
            role=role.value,
            trigger="assessment.refinalise",
            agency_id=agency_id,
            source=agency.status,
            target=agency.status,
            reason=workflow_texts.text(
                "objection.refinalised",
                settings.language,
                year=year,
                ids="、".join(f"#{o.id}" for o in reopened),
            ),
            subject=f"objection:{reopened[0].id}",
        )
    else:
        entry = advance(session, agency_id, "assess", actor, reason, year=year, settings=settings)
    for objection in reopened:
        objection.refinalised_at = now
        session.add(objection)
    session.flush()
    return view, entry


def _reason_to_finalise(
    session: Session, year: int, settings: Settings, now: datetime, force_reason: str | None
) -> str | None:
    """None when the questionnaire has closed; the audited reason when an admin forces it."""
    closes = campaign_or_default(session, year, settings).questionnaire_closes
    forced = check_characters(" ".join((force_reason or "").split()), field="reason")
    if force_reason is not None and not forced:
        raise InvalidInput("assessment.force_reason_required")
    if not is_open(closes, now, settings):
        return forced or None
    if not forced:
        raise Refused("assessment.questionnaire_open", year=year, closes=closes.isoformat())
    return workflow_texts.text(
        "assessment.forced_reason", settings.language, closes=closes.isoformat(), reason=forced
    )
