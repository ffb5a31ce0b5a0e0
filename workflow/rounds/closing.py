"""Closing a round: file the interviewed candidates inside the quota, reject the
rest, and write the publication list (xlsx and csv).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from openpyxl import Workbook
from sqlmodel import Session

from workflow.access.actors import Actor, Role
from workflow.access.roles import require_role
from workflow.core.clock import utcnow
from workflow.core.errors import Refused
from workflow.core.i18n import workflow_texts
from workflow.core.settings import Settings, get_settings
from workflow.core.spreadsheets import csv_writer, save_workbook
from workflow.lifecycle.engine import advance
from workflow.lifecycle.states import HOLDING, UNDECIDED, State
from workflow.rounds.models import Round
from workflow.rounds.ranking import Ranked, find_round, members, ranking
from workflow.rounds.service import check_open


@dataclass(frozen=True)
class RoundClosed:
    """What `close_round` did: who was filed, who was rejected, and the filing list
    to publish (every agency of the round now holding the status, by rank)."""

    round: Round
    filed: list[Ranked]
    rejected: list[Ranked]
    published: list[Ranked]


def close_round(
    session: Session,
    round_ref: str | int,
    actor: Actor,
    *,
    settings: Settings | None = None,
    now: datetime | None = None,
) -> RoundClosed:
    """File the interviewed candidates inside the quota, reject the rest as "outside
    quota" and close the round, in the caller's unit of work (admins only). Refused
    while any application of the round is still undecided.

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
    places = math.inf
    if the_round.quota is not None:
        places = the_round.quota - sum(r.agency.status in HOLDING for r in ranked)
    reason = workflow_texts.text("lifecycle.reason.outside_quota", settings.language)
    filed: list[Ranked] = []
    rejected: list[Ranked] = []
    for place in ranked:
        if place.agency.status != State.INTERVIEWED:
            continue
        assert place.agency.id is not None
        if places > 0:
            advance(session, place.agency.id, "file", actor, settings=settings, now=now)
            filed.append(place)
            places -= 1
        else:
            advance(session, place.agency.id, "reject", actor, reason, settings=settings, now=now)
            rejected.append(place)
    the_round.closed_at = now
    session.add(the_round)
    session.flush()
    return RoundClosed(the_round, filed, rejected, filing_list(session, the_round, settings))


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
    published: list[Ranked], directory: Path, round_name: str, language: str | None = None
) -> list[Path]:
    """The publication list as xlsx and as csv (UTF-8 with BOM, so Excel reads the Chinese)."""
    directory.mkdir(parents=True, exist_ok=True)
    stem = re.sub(r'[\\/:*?"<>|\s]+', "_", round_name).strip("_") or "round"
    headers = [
        workflow_texts.text(f"lifecycle.publication.{name}", language)
        for name in ("rank", "agency", "credit_code", "composite")
    ]
    rows = publication_rows(published)
    xlsx = directory / f"{stem}-filed.xlsx"
    csv_path = directory / f"{stem}-filed.csv"
    try:
        book = Workbook()
        sheet = book.active
        assert sheet is not None
        sheet.title = workflow_texts.text("lifecycle.publication.sheet", language)
        sheet.append(headers)
        for row in rows:
            sheet.append(list(row))
        for letter, width in zip("ABCD", (8, 40, 24, 12), strict=True):
            sheet.column_dimensions[letter].width = width
        save_workbook(book, xlsx)
        with csv_path.open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv_writer(handle)
            writer.writerow(headers)
            for rank, name, code, composite in rows:
                writer.writerow([rank, name, code, f"{composite:.2f}"])
    except BaseException:
        xlsx.unlink(missing_ok=True)
        csv_path.unlink(missing_ok=True)
        raise
    return [xlsx, csv_path]
