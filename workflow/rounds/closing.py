"""Closing a round: file the interviewed candidates who passed and are inside the
quota, reject the rest (below a pass mark, with the reason in words; left out by
总量控制, told so), and write the publication list (xlsx and csv).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlmodel import Session

from workflow.access.actors import Actor, Role
from workflow.access.roles import require_role
from workflow.core.clock import utcnow
from workflow.core.errors import Refused
from workflow.core.i18n import workflow_texts
from workflow.core.settings import Settings, get_settings
from workflow.lifecycle.engine import advance
from workflow.lifecycle.states import HOLDING, UNDECIDED, State
from workflow.rounds.lists import file_stem, write_list
from workflow.rounds.models import Round
from workflow.rounds.ranking import Ranked, find_round, members, places, ranking
from workflow.rounds.service import check_open


@dataclass(frozen=True)
class RoundClosed:
    """What `close_round` did: who was filed, who was left out by the quota only
    (`rejected`), who was below a pass mark (`failed`), and the filing list to publish
    (every agency of the round now holding the status, by rank)."""

    round: Round
    filed: list[Ranked]
    rejected: list[Ranked]
    published: list[Ranked]
    failed: list[Ranked]


def close_round(
    session: Session,
    round_ref: str | int,
    actor: Actor,
    *,
    settings: Settings | None = None,
    now: datetime | None = None,
) -> RoundClosed:
    """Close the round in the caller's unit of work (admins only): an interviewed
    candidate below a pass mark is rejected with the reason in words (Art. 10(2),
    10(3)); the others are filed in rank order while places last and the rest are
    rejected as left out by 总量控制 ("因总量控制未列入本批次备案名单"). Refused while any
    application of the round is still undecided.

    The publication list is written by the caller with `write_publication` once the
    transaction has committed, so no file names an agency the database does not hold
    as filed, and no file is written while the audit log's lock is held."""
    settings = settings or get_settings()
    now = now or utcnow()
    require_role(session, actor, Role.ADMIN, settings, "round.close")
    the_round = find_round(session, round_ref)
    check_open(the_round)
    assert the_round.id is not None
    undecided = [g.name for _, g in members(session, the_round.id) if g.status in UNDECIDED]
    if undecided:
        separator = workflow_texts.text("lifecycle.list_separator")
        raise Refused(
            "lifecycle.round.undecided", round=the_round.name, agencies=separator.join(undecided)
        )
    ranked = ranking(session, the_round.id, settings)
    left = places(session, the_round, ranked, settings)
    left -= sum(r.agency.status in HOLDING for r in ranked)
    outside_quota = workflow_texts.text("lifecycle.reason.outside_quota", settings.language)
    filed: list[Ranked] = []
    rejected: list[Ranked] = []
    failed: list[Ranked] = []
    for place in ranked:
        if place.agency.status != State.INTERVIEWED:
            continue
        assert place.agency.id is not None
        if place.shortfall is not None:
            why = place.shortfall.message(settings.language)
            advance(session, place.agency.id, "reject", actor, why, settings=settings, now=now)
            failed.append(place)
        elif left > 0:
            advance(session, place.agency.id, "file", actor, settings=settings, now=now)
            filed.append(place)
            left -= 1
        else:
            advance(
                session, place.agency.id, "reject", actor, outside_quota, settings=settings, now=now
            )
            rejected.append(place)
    the_round.closed_at = now
    session.add(the_round)
    session.flush()
    published = filing_list(session, the_round, settings)
    return RoundClosed(the_round, filed, rejected, published, failed)


def filing_list(session: Session, the_round: Round, settings: Settings) -> list[Ranked]:
    """The round's agencies that hold the status now, by rank: what its list publishes."""
    assert the_round.id is not None
    return [r for r in ranking(session, the_round.id, settings) if r.agency.status in HOLDING]


def closed_round_list(
    session: Session, round_ref: str | int, settings: Settings | None = None
) -> tuple[Round, list[Ranked]]:
    """A closed round and its filing list, to write the publication list again (when
    writing it after the closing failed, or a copy is needed). Refused while open."""
    settings = settings or get_settings()
    the_round = find_round(session, round_ref)
    if the_round.closed_at is None:
        raise Refused("lifecycle.round.still_open", round=the_round.name)
    return the_round, filing_list(session, the_round, settings)


def publication_rows(published: list[Ranked]) -> list[tuple[int, str, str, float]]:
    """(rank, agency name, credit code, composite score) of every filed agency."""
    return [(r.rank, r.agency.name, r.agency.credit_code, r.composite) for r in published]


def write_publication(
    published: list[Ranked],
    directory: Path,
    round_name: str,
    language: str | None = None,
    anchor: str = "",
) -> list[Path]:
    """The filing list as `<round>-备案名单.xlsx` and `.csv` (`-filed` in English): rank,
    agency, credit code, 总成绩; then the audit `anchor` line."""
    headers = [
        workflow_texts.text(f"lifecycle.publication.{name}", language)
        for name in ("rank", "agency", "credit_code", "composite")
    ]
    rows = publication_rows(published)
    return write_list(
        directory,
        workflow_texts.text("lifecycle.publication.file", language, round=file_stem(round_name)),
        workflow_texts.text("lifecycle.publication.sheet", language),
        headers,
        rows,
        [(rank, name, code, f"{composite:.2f}") for rank, name, code, composite in rows],
        (8, 40, 24, 12),
        anchor,
    )
