"""Time: timestamps are aware UTC (SQLModel's UTCDateTime stores and returns them
so on SQLite and PostgreSQL alike); people see them in the configured zone."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo


def utcnow() -> datetime:
    """Now, aware, in UTC: the form every timestamp column stores."""
    return datetime.now(UTC)


def to_local(moment: datetime, zone: ZoneInfo) -> datetime:
    """A stored timestamp in the given zone (naive values are taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(zone)


def local_date(moment: datetime, zone: ZoneInfo) -> date:
    """The local calendar day of `moment` in `zone` (naive values are taken as UTC)."""
    return to_local(moment, zone).date()


def local_text(moment: datetime | None, zone: ZoneInfo) -> str:
    """`2026-12-15 09:30` in the given zone, or empty for None."""
    return "" if moment is None else to_local(moment, zone).strftime("%Y-%m-%d %H:%M")
