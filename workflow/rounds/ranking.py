"""Ranking an application round (Art. 10), read-only: composite score, order, quota place.

Composite = `material_weight × material score + interview_weight × interview
score` (policy, default 0.5 / 0.5). Ranking: composite score descending, then
interview score descending, then application time ascending (then the
application's id, so the order is total). With a quota set on the round, at most
that many of its applications are filed (`closing.close_round`). The lifecycle's
guards read this module, so it fires nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from workflow.core.db import as_row_id
from workflow.core.errors import NotFound
from workflow.core.settings import Settings
from workflow.lifecycle.states import HOLDING, RANKED
from workflow.registry.models import Agency, Application
from workflow.rounds.models import Round


@dataclass(frozen=True)
class Ranked:
    """One place in a round's ranking."""

    rank: int
    application: Application
    agency: Agency
    composite: float


def composite_score(application: Application, settings: Settings) -> float | None:
    """The weighted total, or None while a score is missing (rounded to 4 places so
    equal totals compare equal)."""
    if application.material_score is None or application.interview_score is None:
        return None
    total = (
        settings.material_weight * application.material_score
        + settings.interview_weight * application.interview_score
    )
    return round(total, 4)


def find_round(session: Session, ref: str | int) -> Round:
    """A round by id or by name."""
    found: Round | None = None
    text = str(ref).strip()
    if (row_id := as_row_id(text)) is not None:
        found = session.get(Round, row_id)
    if found is None and text:
        found = session.exec(select(Round).where(Round.name == text)).first()
    if found is None:
        raise NotFound("lifecycle.round.not_found", round=ref)
    return found


def members(session: Session, round_id: int) -> list[tuple[Application, Agency]]:
    """The round's open applications with their agencies, oldest application first."""
    query = (
        select(Application, Agency)
        .join(Agency, col(Agency.id) == col(Application.agency_id))
        .where(Application.round_id == round_id, col(Application.closed).is_(False))
        .order_by(col(Application.applied_at), col(Application.id))
    )
    return [(application, agency) for application, agency in session.exec(query).all()]


def ranking(session: Session, round_id: int, settings: Settings) -> list[Ranked]:
    """The interviewed (or already filed) applications of the round, best first."""
    scored: list[tuple[Application, Agency, float]] = []
    for application, agency in members(session, round_id):
        composite = composite_score(application, settings)
        if agency.status in RANKED and composite is not None:
            scored.append((application, agency, composite))
    scored.sort(
        key=lambda row: (
            -row[2],
            -(row[0].interview_score or 0.0),
            row[0].applied_at,
            row[0].id or 0,
        )
    )
    return [Ranked(index + 1, a, g, c) for index, (a, g, c) in enumerate(scored)]


def quota_place(
    session: Session, application: Application, settings: Settings
) -> tuple[int, int, int] | None:
    """(rank, quota, already filed) of an application in a round with a quota;
    None when there is no quota or the application is not ranked yet."""
    if application.round_id is None:
        return None
    the_round = session.get(Round, application.round_id)
    if the_round is None or the_round.quota is None:
        return None
    ranked = ranking(session, application.round_id, settings)
    rank = next((r.rank for r in ranked if r.application.id == application.id), None)
    if rank is None:
        return None
    filed = sum(1 for r in ranked if r.agency.status in HOLDING)
    return rank, the_round.quota, filed
