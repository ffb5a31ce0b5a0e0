"""Feeding the questionnaire points (3.1–3.5) into the agencies' score sheets.

For every agency that guided units in the year, the latest submission of each
responding unit is aggregated with `indicator_points` and written with
`set_questionnaire_points(source="survey")`. An agency with no responses is
reported, never given zeros: the rules leave its questionnaire section to an
explicit admin entry. A sheet already finalised, or whose questionnaire
section an admin entered by hand, is left as it is and reported.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlmodel import Session, select

from surveys.aggregate import indicator_points
from surveys.answering import latest_submissions
from surveys.errors import survey_texts
from surveys.models import Invitation, answers_of
from workflow.assessment.sheets import find_sheet, set_questionnaire_points
from workflow.community.campaigns import campaign_for, is_open
from workflow.community.units import guidance_for
from workflow.core.clock import utcnow
from workflow.core.settings import Settings
from workflow.lifecycle.states import join_words


@dataclass(frozen=True)
class Filled:
    agency_id: int
    agency: str
    responses: int
    points: dict[str, int]

    def points_in_words(self, language: str | None = None) -> str:
        """ "3.1 得 4 分、3.2 得 3 分…" (TERMS.md: results in words, not "3.1:4")."""
        return join_words(
            (
                survey_texts.text("survey.indicator_points", language, code=code, points=value)
                for code, value in self.points.items()
            ),
            language,
        )


@dataclass(frozen=True)
class Skipped:
    agency_id: int
    agency: str
    reason: str  # "no_responses" | "finalised" | "admin_entered"


@dataclass
class FillReport:
    year: int
    still_open: bool | None  # None when no settings were given to look at the campaign
    filled: list[Filled] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


def answers_by_agency(session: Session, year: int) -> dict[int, list[dict[int, int]]]:
    """The latest submitted answer set of every responding unit, per agency."""
    invitations = {
        inv.id: inv for inv in session.exec(select(Invitation).where(Invitation.year == year))
    }
    grouped: dict[int, list[dict[int, int]]] = defaultdict(list)
    for invitation_id, submission in latest_submissions(session, year).items():
        grouped[invitations[invitation_id].agency_id].append(answers_of(submission))
    return grouped


def fill_sheets(
    session: Session, year: int, actor: str, *, settings: Settings | None = None
) -> FillReport:
    """Write every responding agency's questionnaire points for `year`; report the others.

    With `settings`, the report also says whether the questionnaire is still
    open (the points may still change then).
    """
    still_open = None
    if settings is not None:
        closes = campaign_for(session, year, settings).questionnaire_closes
        still_open = is_open(closes, utcnow(), settings)
    report = FillReport(year=year, still_open=still_open)
    answers = answers_by_agency(session, year)
    agencies = {agency.id: agency for _, _, agency in guidance_for(session, year)}
    for agency_id, agency in agencies.items():
        assert agency_id is not None
        sheet = find_sheet(session, agency_id, year)
        reason = None
        if not answers.get(agency_id):
            reason = "no_responses"
        elif sheet is not None and sheet.finalised_at is not None:
            reason = "finalised"
        elif sheet is not None and sheet.questionnaire_source == "admin":
            reason = "admin_entered"
        if reason:
            report.skipped.append(Skipped(agency_id, agency.name, reason))
            continue
        points = indicator_points(answers[agency_id])
        set_questionnaire_points(session, agency_id, year, points, source="survey", actor=actor)
        report.filled.append(Filled(agency_id, agency.name, len(answers[agency_id]), points))
    return report
