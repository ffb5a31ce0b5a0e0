"""The exit rules of Art. 14 for a year: proposals, then an admin's confirmation.

Proposals are derived, never stored. For a year, every agency with a
finalised sheet of that year gets:
- `withdraw`, ground `unqualified`, when its result did not pass (ground 1);
- `withdraw`, ground `inactive_two_years`, when ground 2 holds
  (`gate.activity`: no guidance record in that year nor in the year before,
  and filed before that year: two full calendar years idle);
- `retain` otherwise.
Every other agency on the register (filed, assessed, retained) with no
finalised sheet of that year gets `withdraw` on ground 2 when ground 2 holds:
an idle agency has no score sheet, so ground 2 never waits for one.

The facts come from `workflow.assessment.gate`, which the lifecycle's guards
of `retain` and `withdraw` read too: a proposal always satisfies them. Results
are evaluated with the policy stored when each sheet was finalised, so a later
change of the policy settings changes neither.

Grounds 3 and 4 (staff change, convention violation) are admin decisions at
any time of year, fired through the lifecycle directly. `confirm` fires the
proposed triggers through the lifecycle service, so each decision is in the
audit trail; confirming several agencies is all or nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from workflow.access.actors import Actor
from workflow.assessment import gate
from workflow.assessment.evaluation import Evaluation
from workflow.assessment.models import ScoreSheet
from workflow.assessment.sheets import finalised_views
from workflow.core.errors import NotFound
from workflow.core.i18n import current_language, workflow_texts
from workflow.core.settings import Settings
from workflow.lifecycle.engine import advance
from workflow.lifecycle.models import AuditEntry
from workflow.lifecycle.states import HOLDING, Ground
from workflow.registry.models import Agency


@dataclass(frozen=True)
class ExitProposal:
    """What the rules propose for one agency, and why."""

    agency_id: int
    agency_name: str
    status: str
    year: int
    decision: str  # "retain" or "withdraw"
    ground: str | None
    evaluation: Evaluation | None  # None: an idle agency, not assessed in `year` (ground 2)
    filed_year: int | None
    open: bool
    """Still awaiting the decision: an assessed agency whose latest assessment is this
    one, or an idle agency still on the register."""

    def reason(self, language: str | None = None) -> str:
        """The text recorded with the decision, e.g. "2026年度考核不合格：基本分 65 分，
        低于合格线 70 分" or "2025年、2026年连续两年未开展指导工作"."""
        language = language or current_language()
        if self.ground == Ground.INACTIVE_TWO_YEARS:
            return workflow_texts.text(
                "exits.reason.inactive", language, first=self.year - 1, last=self.year
            )
        assert self.evaluation is not None  # only ground 2 is proposed without a sheet
        if self.ground == Ground.UNQUALIFIED:
            return workflow_texts.text(
                "exits.reason.unqualified",
                language,
                year=self.year,
                why=self.evaluation.reason(language),
            )
        return workflow_texts.text(
            "exits.reason.retain",
            language,
            year=self.year,
            grade=self.evaluation.grade_text(language),
        )


def _latest_assessed_year(session: Session, agency_ids: list[int]) -> dict[int, int]:
    rows = session.exec(
        select(ScoreSheet.agency_id, ScoreSheet.year).where(
            col(ScoreSheet.agency_id).in_(agency_ids), col(ScoreSheet.finalised_at).is_not(None)
        )
    ).all()
    latest: dict[int, int] = {}
    for agency_id, year in rows:
        latest[agency_id] = max(year, latest.get(agency_id, year))
    return latest


def propose(session: Session, year: int, settings: Settings) -> list[ExitProposal]:
    """A proposal for every agency assessed in `year`, and a ground-2 withdrawal for every
    other agency on the register idle in `year - 1` and `year`; by agency name."""
    views = finalised_views(session, year)
    ids = [view.sheet.agency_id for view in views]
    agencies = {a.id: a for a in session.exec(select(Agency).where(col(Agency.id).in_(ids))).all()}
    latest = _latest_assessed_year(session, ids)
    proposals = []
    for view in views:
        agency = agencies[view.sheet.agency_id]
        assert agency.id is not None
        evaluation = view.evaluation(settings)
        assert evaluation is not None  # a finalised sheet is complete
        facts = gate.activity(session, agency.id, year, settings)
        if not evaluation.passed:
            decision, ground = "withdraw", Ground.UNQUALIFIED.value
        elif facts.inactive_two_years:
            decision, ground = "withdraw", Ground.INACTIVE_TWO_YEARS.value
        else:
            decision, ground = "retain", None
        proposals.append(
            ExitProposal(
                agency_id=agency.id,
                agency_name=agency.name,
                status=agency.status,
                year=year,
                decision=decision,
                ground=ground,
                evaluation=evaluation,
                filed_year=facts.filed_in,
                open=agency.status == "assessed" and latest[agency.id] == year,
            )
        )
    proposals.extend(_idle_unassessed(session, year, settings, assessed=set(ids)))
    return sorted(proposals, key=lambda p: p.agency_name)


def _idle_unassessed(
    session: Session, year: int, settings: Settings, *, assessed: set[int]
) -> list[ExitProposal]:
    """Art. 14(2) for agencies on the register without a finalised sheet of `year`."""
    holders = session.exec(
        select(Agency).where(col(Agency.status).in_(HOLDING), col(Agency.id).not_in(assessed))
    ).all()
    proposals = []
    for agency in holders:
        assert agency.id is not None
        facts = gate.activity(session, agency.id, year, settings)
        if not facts.inactive_two_years:
            continue
        proposals.append(
            ExitProposal(
                agency_id=agency.id,
                agency_name=agency.name,
                status=agency.status,
                year=year,
                decision="withdraw",
                ground=Ground.INACTIVE_TWO_YEARS.value,
                evaluation=None,
                filed_year=facts.filed_in,
                open=True,
            )
        )
    return proposals


def confirm(
    session: Session,
    year: int,
    actor: Actor,
    settings: Settings,
    agency_id: int | None = None,
    *,
    now: datetime | None = None,
) -> list[AuditEntry]:
    """Fire the proposed `retain` / `withdraw` for one agency or every open proposal of `year`.

    Not committed: the caller's unit of work commits all decisions together or none.
    A withdrawal on ground 1 waits until the year's 公示 period has ended with no open
    objection of that agency (Art. 15; the lifecycle's guard says so).
    """
    proposals = [p for p in propose(session, year, settings) if p.open]
    if agency_id is not None:
        proposals = [p for p in proposals if p.agency_id == agency_id]
        if not proposals:
            raise NotFound("exits.nothing_open", agency=agency_id, year=year)
    return [
        advance(
            session,
            p.agency_id,
            p.decision,
            actor,
            p.reason(settings.language),
            ground=p.ground,
            year=year,
            settings=settings,
            expected_status=p.status,
            now=now,
        )
        for p in proposals
    ]
