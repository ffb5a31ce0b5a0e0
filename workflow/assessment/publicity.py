"""The 公示 period of a year's results and its objections, read only (Art. 15).

RULES.md "Publication (公示, Art. 15) and objections": results are published for a
period (policy `SAFECOMM_PUBLICITY_DAYS`, default 7 days from the results date);
during it an agency may object; exits on ground 1 are confirmed only after the
period has ended with no open objection. The lifecycle's ground-1 guard reads
`exit_hold` here; recording and deciding objections is `objections`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, col, select

from workflow.assessment.models import Objection, Publication
from workflow.core.i18n import current_language


def day_text(day: date, language: str | None = None) -> str:
    """A date as a published list writes it: "2027年1月7日" / "2027-01-07"."""
    if (language or current_language()) == "zh":
        return f"{day.year}年{day.month}月{day.day}日"
    return day.isoformat()


@dataclass(frozen=True)
class Period:
    """A year's 公示 period as plain values (first and last day included)."""

    year: int
    starts: date
    ends: date


@dataclass(frozen=True)
class OnDay:
    """The 公示 on a day: the period running then, else the last that ended and the next
    that has not begun (each None when there is none)."""

    running: Period | None
    last: Period | None
    next: Period | None


def periods(session: Session) -> list[Period]:
    """Every 公示 period opened so far, newest year first."""
    rows = session.exec(select(Publication).order_by(col(Publication.year).desc())).all()
    return [Period(row.year, row.starts, row.ends) for row in rows]


def on_day(session: Session, today: date) -> OnDay:
    """Which 公示 runs on `today` (its first and last day included)."""
    known = periods(session)
    running = next((p for p in known if p.starts <= today <= p.ends), None)
    if running is not None:
        return OnDay(running, None, None)
    last = next((p for p in known if p.ends < today), None)
    upcoming = next((p for p in reversed(known) if p.starts > today), None)
    return OnDay(None, last, upcoming)


def shown_on(session: Session, today: date) -> Period | None:
    """The 公示 whose results an agency sees on `today`: the one running, else the last
    that ended (one that has not begun is not public yet)."""
    found = on_day(session, today)
    return found.running or found.last


def period(session: Session, year: int) -> Publication | None:
    """The year's 公示 period, or None before `results` has opened it."""
    return session.get(Publication, year)


def open_objections(session: Session, agency_id: int, year: int) -> list[Objection]:
    """The agency's objections to its result of `year` still awaiting a decision."""
    query = select(Objection).where(
        Objection.agency_id == agency_id, Objection.year == year, Objection.status == "open"
    )
    return list(session.exec(query.order_by(col(Objection.id))).all())


def awaiting_refinalise(session: Session, agency_id: int, year: int) -> list[Objection]:
    """Upheld objections whose reopened sheet has not been finalised again."""
    query = select(Objection).where(
        Objection.agency_id == agency_id,
        Objection.year == year,
        Objection.status == "upheld",
        col(Objection.refinalised_at).is_(None),
    )
    return list(session.exec(query).all())


def exit_hold(
    session: Session, agency_id: int, year: int, today: date
) -> tuple[str, dict[str, object]] | None:
    """Why a ground-1 exit of `year` must wait (a catalogue key and its values), or None.

    Not before the results are published, not during the period (its last day
    included), not while an objection of the agency is open.
    """
    publication = period(session, year)
    if publication is None:
        return "lifecycle.unmet.not_published", {"year": year}
    if today <= publication.ends:
        return "lifecycle.unmet.in_publicity", {"ends": publication.ends}
    pending = open_objections(session, agency_id, year)
    if pending:
        ids = "、".join(f"#{o.id}" for o in pending)
        return "lifecycle.unmet.open_objection", {"count": len(pending), "ids": ids}
    return None


def latest_year(session: Session) -> int | None:
    """The newest year whose results have been published, or None."""
    return session.exec(select(Publication.year).order_by(col(Publication.year).desc())).first()
