"""Creating a round, adding an application to it with the date its written
application was received (收件日期), and recording its material and interview
scores (admins and experts), the date and the scores audited.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime, time

from sqlmodel import Session, select

from workflow.access.actors import Actor, Role
from workflow.access.roles import require_role
from workflow.core.clock import local_date, utcnow
from workflow.core.errors import InvalidInput, NotFound, Refused
from workflow.core.i18n import workflow_texts
from workflow.core.settings import Settings, get_settings
from workflow.core.text import check_characters
from workflow.lifecycle.audit import append
from workflow.lifecycle.states import INTERVIEW_SCORING, MATERIAL_SCORING, state_label
from workflow.registry.models import Agency, Application
from workflow.registry.service import current_application
from workflow.rounds.models import Round
from workflow.rounds.ranking import find_round

_DAY = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")


def parse_received(text: str, key: str = "lifecycle.round.bad_received") -> date:
    """A 收件日期 (or another day, refused with `key`) as people type it: 2026-03-05,
    2026/3/5 or 2026年3月5日."""
    match = _DAY.match(text.strip())
    try:
        if match:
            return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        pass
    raise InvalidInput(key, value=text)


def check_open(the_round: Round) -> None:
    if the_round.closed_at is not None:
        raise Refused("lifecycle.round.closed", round=the_round.name)


def create_round(
    session: Session,
    name: str,
    actor: Actor,
    *,
    quota: int | None = None,
    opens_on: date | None = None,
    settings: Settings | None = None,
    now: datetime | None = None,
) -> Round:
    """A new application round with an optional quota (admins only), opened now or at the
    start of `opens_on` in the settings' zone (a round entered after its applications
    began to arrive; not in the future); the caller commits."""
    settings = settings or get_settings()
    now = now or utcnow()
    require_role(session, actor, Role.ADMIN, settings, "round.create")
    name = check_characters(" ".join(name.split()), field="round_name")
    if not name or len(name) > 100:
        raise InvalidInput("lifecycle.round.bad_name")
    if quota is not None and quota < 1:
        raise InvalidInput("lifecycle.round.bad_quota", quota=quota)
    if session.exec(select(Round).where(Round.name == name)).first() is not None:
        raise InvalidInput("lifecycle.round.duplicate", round=name)
    opened_at = now
    if opens_on is not None:
        if opens_on > local_date(now, settings.zone):
            raise InvalidInput("lifecycle.round.opens_future", date=opens_on)
        opened_at = datetime.combine(opens_on, time(), settings.zone).astimezone(UTC)
    the_round = Round(name=name, quota=quota, opened_at=opened_at)
    session.add(the_round)
    session.flush()
    return the_round


def join_round(
    session: Session,
    round_ref: str | int,
    agency_id: int,
    actor: Actor,
    *,
    received_on: date | None = None,
    settings: Settings | None = None,
    now: datetime | None = None,
) -> Application:
    """Put the agency's current application into an open round with the date its written
    application was received (收件日期; default today in the settings' zone), admins
    only; the caller commits. Joining the same round again corrects the date when one
    is given. The date may not lie in the future nor before the round opened; a new or
    changed date is audited."""
    settings = settings or get_settings()
    now = now or utcnow()
    role = require_role(session, actor, Role.ADMIN, settings, "round.join")
    the_round = find_round(session, round_ref)
    check_open(the_round)
    agency = session.get(Agency, agency_id)
    if agency is None:
        raise NotFound("lifecycle.unknown_agency", agency=agency_id)
    application = current_application(session, agency_id)
    if application.closed or agency.status not in MATERIAL_SCORING:
        raise Refused(
            "lifecycle.round.cannot_join", agency=agency.name, state=state_label(agency.status)
        )
    if application.round_id not in (None, the_round.id):
        other = session.get(Round, application.round_id)
        raise Refused(
            "lifecycle.round.already_in",
            agency=agency.name,
            round=other.name if other else application.round_id,
        )
    today = local_date(now, settings.zone)
    if received_on is None:
        received_on = application.received_on if application.round_id is not None else None
    received_on = received_on or today
    if received_on > today:
        raise InvalidInput("lifecycle.round.received_future", date=received_on, today=today)
    opened = local_date(the_round.opened_at, settings.zone)
    if received_on < opened:
        raise InvalidInput(
            "lifecycle.round.received_before_open",
            date=received_on,
            round=the_round.name,
            opened=opened,
        )
    changed = application.round_id is None or application.received_on != received_on
    application.round_id = the_round.id
    application.received_on = received_on
    session.add(application)
    session.flush()
    if changed:
        append(
            session,
            actor=actor,
            role=role.value,
            trigger="round.join",
            agency_id=agency_id,
            application_id=application.id,
            source=agency.status,
            target=agency.status,
            subject=_words("received", round=the_round.name, date=received_on.isoformat()),
            at=now,
        )
    return application


def _words(what: str, **params: object) -> str:
    """The audit subject of a join or a score in words (TERMS.md: no codes shown)."""
    return workflow_texts.text(f"lifecycle.subject.{what}", None, **params)


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
    current application (experts and admins); audited as `score`; the caller commits.

    The material score can change until the agency is filed; the interview score
    once it passed material review, until it is filed."""
    settings = settings or get_settings()
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
            check_open(the_round)
    if material is not None and agency.status not in MATERIAL_SCORING:
        raise Refused("lifecycle.round.material_not_now", state=state_label(agency.status))
    if interview is not None and agency.status not in INTERVIEW_SCORING:
        raise Refused("lifecycle.round.interview_not_now", state=state_label(agency.status))
    parts = []
    if material is not None:
        application.material_score = material
        parts.append(_words("material", score=f"{material:g}"))
    if interview is not None:
        application.interview_score = interview
        parts.append(_words("interview", score=f"{interview:g}"))
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
        subject=_words("separator").join(parts),
        at=now,
    )
    return application
