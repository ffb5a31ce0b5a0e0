"""What the lifecycle asks of the assessment: is there a finalised sheet?

Kept apart so `workflow.lifecycle` can guard the `assess` trigger without
importing the whole assessment package.
"""

from __future__ import annotations

from sqlmodel import Session


def has_finalised_sheet(session: Session, agency_id: int, year: int) -> bool:
    """True when the agency's score sheet for `year` is finalised.

    Until score sheets exist there is never one, so `assess` is refused with
    "no finalised assessment".
    """
    return False
