"""What the lifecycle asks of the assessment: is there a finalised sheet?

Kept apart so `workflow.lifecycle` can guard the `assess` trigger without
importing the spreadsheet and results code.
"""

from __future__ import annotations

from sqlmodel import Session, select

from workflow.assessment.sheets import ScoreSheet


def has_finalised_sheet(session: Session, agency_id: int, year: int) -> bool:
    """True when the agency's score sheet for `year` is finalised (sees flushed changes)."""
    finalised = session.exec(
        select(ScoreSheet.finalised_at).where(
            ScoreSheet.agency_id == agency_id, ScoreSheet.year == year
        )
    ).first()
    return finalised is not None
