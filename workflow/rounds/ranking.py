"""Ranking an application round (Art. 10), read-only: composite score, pass marks,
order, quota place.

总成绩 (composite) = `material_weight × material score + interview_weight ×
interview score` (policy, default 0.5 / 0.5). The interview passes at
`interview_pass_score` (policy, default 60 of 100) and, when set, the 总成绩 must
reach `min_composite_score` (policy, default none): a candidate short of either
is rejected with the reason in words (`shortfall`). Ranking: 总成绩 descending,
then interview score descending, then the date the written application was
received (收件日期) ascending (then the application's id, so the order is total).
总量控制 (`quota_scope`, policy): the round's quota is the most agencies filed
from the round (`round`, default) or the most the whole register may hold, filed
+ assessed + retained (`register`); places go to the candidates who passed, in
rank order. The lifecycle's guards read this module, so it fires nothing.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from sqlmodel import Session, col, func, select

from workflow.core.clock import local_date
from workflow.core.db import as_row_id
from workflow.core.errors import NotFound
from workflow.core.i18n import workflow_texts
from workflow.core.settings import Settings
from workflow.lifecycle.states import HOLDING, RANKED
from workflow.registry.models import Agency, Application
from workflow.rounds.models import Round


@dataclass(frozen=True)
class Shortfall:
    """Why a candidate did not pass (Art. 10(2), 10(3)), rendered in words on demand."""

    key: str
    params: Mapping[str, object] = field(default_factory=dict)

    def message(self, language: str | None = None) -> str:
        return workflow_texts.text(self.key, language, **self.params)


@dataclass(frozen=True)
class Ranked:
    """One place in a round's ranking."""

    rank: int
    application: Application
    agency: Agency
    composite: float
    received_on: date | None = None
    shortfall: Shortfall | None = None
    """Set when the candidate is below a pass mark: it takes no place of the quota."""


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


def _points(value: float) -> str:
    return f"{value:g}"


def interview_shortfall(application: Application, settings: Settings) -> Shortfall | None:
    """The interview below `interview_pass_score` (Art. 10(2)), or None (also while the
    interview score is missing: the guards say so)."""
    score = application.interview_score
    if score is None or score >= settings.interview_pass_score:
        return None
    return Shortfall(
        "lifecycle.round.below_interview_pass",
        {"score": _points(score), "bar": _points(settings.interview_pass_score)},
    )


def shortfall(application: Application, settings: Settings) -> Shortfall | None:
    """Why the scored application did not pass, or None: the interview below
    `interview_pass_score` (Art. 10(2)), then the 总成绩 below `min_composite_score`
    (Art. 10(3)). None as well while a score is missing (the guards say so). The one
    rule `round close` rejects by and the guards of `interview` and `file` apply."""
    composite = composite_score(application, settings)
    if composite is None:
        return None
    if (short := interview_shortfall(application, settings)) is not None:
        return short
    if settings.min_composite_score is not None and composite < settings.min_composite_score:
        return Shortfall(
            "lifecycle.round.below_min_composite",
            {"score": f"{composite:.2f}", "bar": _points(settings.min_composite_score)},
        )
    return None


def received_date(application: Application, settings: Settings) -> date:
    """The application's 收件日期; one stored before it was recorded counts from the
    local day it was entered."""
    if application.received_on is not None:
        return application.received_on
    return local_date(application.applied_at, settings.zone)


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
    scored: list[tuple[Application, Agency, float, date]] = []
    for application, agency in members(session, round_id):
        composite = composite_score(application, settings)
        if agency.status in RANKED and composite is not None:
            scored.append((application, agency, composite, received_date(application, settings)))
    scored.sort(
        key=lambda row: (
            -row[2],
            -(row[0].interview_score or 0.0),
            row[3],
            row[0].id or 0,
        )
    )
    return [
        Ranked(index + 1, a, g, c, received, shortfall(a, settings))
        for index, (a, g, c, received) in enumerate(scored)
    ]


def places(session: Session, the_round: Round, ranked: list[Ranked], settings: Settings) -> float:
    """How many agencies the round may file in all (those it filed already included):
    the quota itself per round, or under a register cap the quota less the agencies
    the register holds from elsewhere; infinite without a quota."""
    if the_round.quota is None:
        return math.inf
    if settings.quota_scope == "round":
        return the_round.quota
    holding = session.exec(
        select(func.count()).select_from(Agency).where(col(Agency.status).in_(HOLDING))
    ).one()
    from_round = sum(r.agency.status in HOLDING for r in ranked)
    return max(the_round.quota - (holding - from_round), 0)


def quota_place(
    session: Session, application: Application, settings: Settings
) -> tuple[int, int, int] | None:
    """(place among the candidates who passed, the round's places, already filed from it)
    of an application in a round with a quota; None when there is no quota, the
    application is not ranked yet or did not pass (`shortfall` says why)."""
    if application.round_id is None:
        return None
    the_round = session.get(Round, application.round_id)
    if the_round is None or the_round.quota is None:
        return None
    ranked = ranking(session, application.round_id, settings)
    passed = [r for r in ranked if r.shortfall is None]
    rank = next((i + 1 for i, r in enumerate(passed) if r.application.id == application.id), None)
    if rank is None:
        return None
    filed = sum(1 for r in ranked if r.agency.status in HOLDING)
    return rank, int(places(session, the_round, ranked, settings)), filed
