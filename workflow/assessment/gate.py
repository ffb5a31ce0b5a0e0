"""What the lifecycle asks of the assessment: the facts behind Art. 14.

Kept apart so `workflow.lifecycle` can guard `assess`, `retain` and `withdraw`
without importing the exit proposals (`exits` imports the lifecycle) or the
spreadsheet and results code. `exits.propose` and the lifecycle's guards read
the same functions here, so a proposal always satisfies the guards.

Ground 2 ("no guidance work in 2 consecutive years", Art. 14(2)), the one
rule: an agency is inactive for `year` when it has no guidance record
(`Guidance`) in `year` nor in `year - 1`, and both of those calendar years
were full years of holding the status, i.e. it was filed in `year - 2` or
earlier. Its filing year is the local year (settings' zone) of its latest
audit entry that moved it into `filed`, up to the end of `year`; a filing in
`year - 1` or `year` leaves a partial year inside the window, so it does not
count, and an agency with no filing entry at all (e.g. seeded straight into
`retained`) never counts as inactive. The rule reads no score sheet: an idle
agency has none, and it holds in every holding state (filed, assessed,
retained).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from sqlmodel import Session, col, select

from workflow.assessment.evaluation import Evaluation, Policy
from workflow.assessment.models import ScoreSheet
from workflow.assessment.sheets import load_view
from workflow.community.models import Guidance
from workflow.core.clock import to_local
from workflow.core.settings import Settings
from workflow.lifecycle.models import AuditEntry


def has_finalised_sheet(session: Session, agency_id: int, year: int) -> bool:
    """True when the agency's score sheet for `year` is finalised (sees flushed changes)."""
    finalised = session.exec(
        select(ScoreSheet.finalised_at).where(
            ScoreSheet.agency_id == agency_id, ScoreSheet.year == year
        )
    ).first()
    return finalised is not None


def latest_finalised_year(session: Session, agency_id: int) -> int | None:
    """The year of the agency's newest finalised assessment, or None without one."""
    return session.exec(
        select(ScoreSheet.year)
        .where(ScoreSheet.agency_id == agency_id, col(ScoreSheet.finalised_at).is_not(None))
        .order_by(col(ScoreSheet.year).desc())
    ).first()


def finalised_evaluation(
    session: Session, agency_id: int, year: int, policy: Policy | None = None
) -> Evaluation | None:
    """The result of the agency's finalised assessment of `year`, or None without one.

    Evaluated with the policy stored when the sheet was finalised, so the guards of
    `retain` / `withdraw` judge the result that was published; `policy` (the current
    settings) does not change it.
    """
    sheet = session.exec(
        select(ScoreSheet).where(
            ScoreSheet.agency_id == agency_id,
            ScoreSheet.year == year,
            col(ScoreSheet.finalised_at).is_not(None),
        )
    ).first()
    return None if sheet is None else load_view(session, sheet).evaluation(policy)


def filing_year(session: Session, agency_id: int, up_to: int, settings: Settings) -> int | None:
    """The local year of the agency's latest move into `filed` on or before the end of `up_to`."""
    end = datetime.combine(date(up_to, 12, 31), time.max, tzinfo=settings.zone)
    moments = session.exec(
        select(AuditEntry.at).where(
            AuditEntry.agency_id == agency_id,
            AuditEntry.target == "filed",
            col(AuditEntry.at) <= end,
        )
    ).all()
    return max(to_local(moment, settings.zone).year for moment in moments) if moments else None


def guided_years(session: Session, agency_id: int, years: tuple[int, ...]) -> list[int]:
    """The years among `years` in which the agency has a guidance record, latest first."""
    rows = session.exec(
        select(Guidance.year)
        .where(Guidance.agency_id == agency_id, col(Guidance.year).in_(years))
        .distinct()
    ).all()
    return sorted(rows, reverse=True)


@dataclass(frozen=True)
class Activity:
    """What ground 2 looks at for one agency and year."""

    year: int
    guided_in: int | None  # the latest of `year - 1`, `year` with a guidance record
    filed_in: int | None  # filing year, see the module docstring

    @property
    def first(self) -> int:
        """The first of the two calendar years ground 2 looks at."""
        return self.year - 1

    @property
    def filed_long_enough(self) -> bool:
        """Both years of the window were full years on the register (filed before it)."""
        return self.filed_in is not None and self.filed_in < self.first

    @property
    def inactive_two_years(self) -> bool:
        return self.guided_in is None and self.filed_long_enough


def activity(session: Session, agency_id: int, year: int, settings: Settings) -> Activity:
    """The guidance and filing facts of ground 2 for `year`."""
    guided = guided_years(session, agency_id, (year - 1, year))
    return Activity(
        year, guided[0] if guided else None, filing_year(session, agency_id, year, settings)
    )


def inactive_two_years(session: Session, agency_id: int, year: int, settings: Settings) -> bool:
    """Ground 2 holds for `year` (see the module docstring for the rule)."""
    return activity(session, agency_id, year, settings).inactive_two_years
