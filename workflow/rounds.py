"""Application rounds (Art. 10): scores, composite score, ranking, quota and closing.

Composite = `material_weight × material score + interview_weight × interview
score` (policy, default 0.5 / 0.5). Ranking: composite score descending, then
interview score descending, then application time ascending (then the
application's id, so the order is total). With a quota set on the round, at most
that many of its applications are filed; `close_round` files those of the
interviewed candidates that fit and rejects the rest as "outside quota" in one
transaction, and writes the publication list (xlsx and csv).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from openpyxl import Workbook
from sqlmodel import Session, col, select

from workflow.audit import append, unit_of_work
from workflow.clock import utcnow
from workflow.db import as_row_id
from workflow.errors import InvalidInput, NotFound, Refused
from workflow.i18n import workflow_texts
from workflow.models import Agency, Application, Round
from workflow.registry import current_application
from workflow.roles import Actor, Role, require_role
from workflow.settings import Settings, get_settings
from workflow.spreadsheets import csv_writer, save_workbook

RANKED_STATES = ("interviewed", "filed", "assessed", "retained")
"""An application in the round competes for a place once its agency is interviewed."""
FILED_STATES = ("filed", "assessed", "retained")
UNDECIDED_STATES = ("applied", "reviewed")
MATERIAL_STATES = ("applied", "reviewed", "interviewed")
INTERVIEW_STATES = ("reviewed", "interviewed")


@dataclass(frozen=True)
class Ranked:
    """One place in a round's ranking."""

    rank: int
    application: Application
    agency: Agency
    composite: float


@dataclass(frozen=True)
class RoundClosed:
    """What `close_round` did: who was filed, who was rejected, which files it wrote."""

    round: Round
    filed: list[Ranked]
    rejected: list[Ranked]
    files: list[Path]


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
        if agency.status in RANKED_STATES and composite is not None:
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
    filed = sum(1 for r in ranked if r.agency.status in FILED_STATES)
    return rank, the_round.quota, filed


def _open(the_round: Round) -> None:
    if the_round.closed_at is not None:
        raise Refused("lifecycle.round.closed", round=the_round.name)


def create_round(
    session: Session,
    name: str,
    actor: Actor,
    *,
    quota: int | None = None,
    settings: Settings | None = None,
) -> Round:
    """A new application round with an optional quota (admins only); committed."""
    settings = settings or get_settings()
    with unit_of_work(session):
        require_role(session, actor, Role.ADMIN, settings, "round.create")
        name = " ".join(name.split())
        if not name or len(name) > 100:
            raise InvalidInput("lifecycle.round.bad_name")
        if quota is not None and quota < 1:
            raise InvalidInput("lifecycle.round.bad_quota", quota=quota)
        if session.exec(select(Round).where(Round.name == name)).first() is not None:
            raise InvalidInput("lifecycle.round.duplicate", round=name)
        the_round = Round(name=name, quota=quota)
        session.add(the_round)
        session.flush()
        return the_round


def join_round(
    session: Session,
    round_ref: str | int,
    agency_id: int,
    actor: Actor,
    *,
    settings: Settings | None = None,
) -> Application:
    """Put the agency's current application into an open round (admins only); committed."""
    settings = settings or get_settings()
    with unit_of_work(session):
        require_role(session, actor, Role.ADMIN, settings, "round.join")
        the_round = find_round(session, round_ref)
        _open(the_round)
        agency = session.get(Agency, agency_id)
        if agency is None:
            raise NotFound("lifecycle.unknown_agency", agency=agency_id)
        application = current_application(session, agency_id)
        if application.closed or agency.status not in MATERIAL_STATES:
            raise Refused("lifecycle.round.cannot_join", agency=agency.name, state=agency.status)
        if application.round_id not in (None, the_round.id):
            other = session.get(Round, application.round_id)
            raise Refused(
                "lifecycle.round.already_in",
                agency=agency.name,
                round=other.name if other else application.round_id,
            )
        application.round_id = the_round.id
        session.add(application)
        session.flush()
        return application


def _check_score(value: float | None) -> float | None:
    if value is None:
        return None
    if not math.isfinite(value) or not 0 <= value <= 100:
        raise InvalidInput("lifecycle.round.score_range", score=value)
    return float(value)


def record_scores(
    session: Session,
    agency_id: int,
    actor: Actor,
    *,
    material: float | None = None,
    interview: float | None = None,
    settings: Settings | None = None,
    now: datetime | None = None,
) -> Application:
    """Record the material-review and/or interview score (0-100) of the agency's
    current application (experts and admins); audited as `score` and committed.

    The material score can change until the agency is filed; the interview score
    once it passed material review, until it is filed."""
    settings = settings or get_settings()
    with unit_of_work(session):
        role = require_role(session, actor, Role.EXPERT, settings, "score")
        if material is None and interview is None:
            raise InvalidInput("lifecycle.round.no_score")
        material, interview = _check_score(material), _check_score(interview)
        agency = session.get(Agency, agency_id)
        if agency is None:
            raise NotFound("lifecycle.unknown_agency", agency=agency_id)
        application = current_application(session, agency_id)
        if application.round_id is not None:
            the_round = session.get(Round, application.round_id)
            if the_round is not None:
                _open(the_round)
        if material is not None and agency.status not in MATERIAL_STATES:
            raise Refused("lifecycle.round.material_not_now", state=agency.status)
        if interview is not None and agency.status not in INTERVIEW_STATES:
            raise Refused("lifecycle.round.interview_not_now", state=agency.status)
        parts = []
        if material is not None:
            application.material_score = material
            parts.append(f"material={material:g}")
        if interview is not None:
            application.interview_score = interview
            parts.append(f"interview={interview:g}")
        session.add(application)
        session.flush()
        append(
            session,
            actor=actor,
            role=role.value,
            trigger="score",
            agency_id=agency_id,
            application_id=application.id,
            source=agency.status,
            target=agency.status,
            subject=" ".join(parts),
            at=now,
        )
        return application


def close_round(
    session: Session,
    round_ref: str | int,
    actor: Actor,
    *,
    directory: Path,
    settings: Settings | None = None,
    now: datetime | None = None,
) -> RoundClosed:
    """File the interviewed candidates inside the quota, reject the rest as "outside
    quota", close the round and write the publication list — all in one transaction
    (admins only). Refused while any application of the round is still undecided."""
    from workflow.lifecycle import fire

    settings = settings or get_settings()
    now = now or utcnow()
    written: list[Path] = []
    try:
        with unit_of_work(session):
            require_role(session, actor, Role.ADMIN, settings, "round.close")
            the_round = find_round(session, round_ref)
            _open(the_round)
            assert the_round.id is not None
            undecided = [
                g.name for _, g in members(session, the_round.id) if g.status in UNDECIDED_STATES
            ]
            if undecided:
                separator = workflow_texts.text("lifecycle.list_separator")
                raise Refused(
                    "lifecycle.round.undecided",
                    round=the_round.name,
                    agencies=separator.join(undecided),
                )
            ranked = ranking(session, the_round.id, settings)
            places = math.inf
            if the_round.quota is not None:
                places = the_round.quota - sum(r.agency.status in FILED_STATES for r in ranked)
            reason = workflow_texts.text("lifecycle.reason.outside_quota", settings.language)
            filed: list[Ranked] = []
            rejected: list[Ranked] = []
            for place in ranked:
                if place.agency.status != "interviewed":
                    continue
                assert place.agency.id is not None
                if places > 0:
                    fire(session, place.agency.id, "file", actor, settings=settings, now=now)
                    filed.append(place)
                    places -= 1
                else:
                    fire(
                        session,
                        place.agency.id,
                        "reject",
                        actor,
                        reason,
                        settings=settings,
                        now=now,
                    )
                    rejected.append(place)
            the_round.closed_at = now
            session.add(the_round)
            session.flush()
            published = [
                r
                for r in ranking(session, the_round.id, settings)
                if r.agency.status in FILED_STATES
            ]
            written = write_publication(published, directory, the_round.name, settings.language)
            return RoundClosed(the_round, filed, rejected, written)
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise


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
