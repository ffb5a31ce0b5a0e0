"""The exit rules of Art. 14 after an annual assessment: proposals, then an admin's confirmation.

Proposals are derived, never stored. For a year, every agency with a
finalised sheet of that year gets:
- `withdraw`, ground `unqualified`, when its result did not pass (ground 1);
- `withdraw`, ground `inactive_two_years`, when ground 2 holds
  (`gate.inactive_two_years`: no guidance record in that year nor in the
  year before, and already filed in the year before);
- `retain` otherwise.

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
from workflow.lifecycle.states import Ground
from workflow.registry.models import Agency


@dataclass(frozen=True)
class ExitProposal:
    """What the rules propose for one assessed agency, and why."""

    agency_id: int
    agency_name: str
    status: str
    year: int
    decision: str  # "retain" or "withdraw"
    ground: str | None
    evaluation: Evaluation
    filed_year: int | None
    open: bool  # still awaiting the decision (agency `assessed`, this is its latest assessment)

    def reason(self, language: str | None = None) -> str:
        """The text recorded with the decision, e.g. "2026 年度考核不合格：指标 2.4 为 0 分"."""
        language = language or current_language()
        if self.ground == Ground.UNQUALIFIED:
            return workflow_texts.text(
                "exits.reason.unqualified",
                language,
                year=self.year,
                why=self.evaluation.reason(language),
            )
        if self.ground == Ground.INACTIVE_TWO_YEARS:
            return workflow_texts.text(
                "exits.reason.inactive", language, first=self.year - 1, last=self.year
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
    """A proposal for every agency assessed in `year`, by agency name."""
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
    return sorted(proposals, key=lambda p: p.agency_name)


def confirm(
    session: Session,
    year: int,
    actor: Actor,
    settings: Settings,
    agency_id: int | None = None,
) -> list[AuditEntry]:
    """Fire the proposed `retain` / `withdraw` for one agency or every open proposal of `year`.

    Not committed: the caller's unit of work commits all decisions together or none.
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
            expected_status="assessed",
        )
        for p in proposals
    ]
