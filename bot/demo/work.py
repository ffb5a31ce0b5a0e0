"""The demo's year of guidance work (Art. 11): what each filed agency did for its units,
recorded through the same functions as the CLI, the import and the agency chat.

The record is deliberately uneven so the shortfalls show: one unit had one training
short of five, one safe community has 12 promotion projects instead of 15, and the
second agency recorded no risk identification and no projects at all (the experts
will find indicator 2.4 empty).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy.engine import Engine

from workflow.access.actors import Actor
from workflow.core.db import transaction
from workflow.core.settings import Settings
from workflow.guidance import activities, evidence, kinds
from workflow.guidance.minimums import unit_records

Say = Callable[..., None]


@dataclass(frozen=True)
class UnitPlan:
    """How much work the demo records for one guided unit."""

    trainings: int = 5
    projects: int = 15
    risk_work: bool = True


PLANS = {
    "幸福里社区": UnitPlan(),
    "和平街社区": UnitPlan(projects=12),
    "中关村社区": UnitPlan(trainings=4, projects=0, risk_work=False),
    "万柳社区": UnitPlan(projects=0, risk_work=False),
}
TOPICS = ("concept", "organisation", "risk_identification", "project_planning", "other")
FIELDS = ("消防安全", "交通安全", "居家安全", "社会治安", "安全生产")


def _entries(year: int, start: date, plan: UnitPlan) -> list[tuple[str, dict[str, object], str]]:
    """(kind, fields, evidence file suffix or '') for a unit's year."""
    day = start
    work: list[tuple[str, dict[str, object], str]] = [
        (kinds.KICKOFF, {"held_on": day + timedelta(days=9), "attendance": 46}, "jpg"),
    ]
    for n in range(plan.trainings):
        work.append(
            (
                kinds.TRAINING,
                {
                    "held_on": day + timedelta(days=20 + 30 * n),
                    "topic": TOPICS[n % len(TOPICS)],
                    "attendance": 30 + n,
                    "description": f"第 {n + 1} 次培训",
                },
                "jpg",
            )
        )
    for month in (5, 8, 11):
        work.append((kinds.PROGRESS_MEETING, {"held_on": date(year, month, 18)}, "pdf"))
    for n, topic in enumerate(kinds.TOPICS[kinds.PLAN]):
        work.append((kinds.PLAN, {"held_on": day + timedelta(days=14 + n), "topic": topic}, ""))
    members = {"departments": 6, "social_organisations": 2, "enterprises": 3, "residents": 4}
    work.append((kinds.LEADING_BODY, {"held_on": day + timedelta(days=12), "details": members}, ""))
    work.append((kinds.RULES, {"held_on": day + timedelta(days=40)}, ""))
    if plan.risk_work:
        counts = {"points": 24, "hazards": 37, "measures": 31}
        work.append((kinds.RISK_VISIT, {"held_on": date(year, 6, 12), "details": counts}, "pdf"))
    for n in range(plan.projects):
        work.append(
            (
                kinds.PROJECT,
                {
                    "held_on": date(year, 7, 1) + timedelta(days=3 * n),
                    "programme": kinds.SAFE_COMMUNITY,
                    "title": f"{FIELDS[n % len(FIELDS)]}促进项目 {n + 1}",
                    "details": {"field": FIELDS[n % len(FIELDS)], "status": "in_progress"},
                },
                "",
            )
        )
    work.append(
        (
            kinds.PUBLICITY,
            {"held_on": date(year, 9, 20), "topic": "campaign", "attendance": 120},
            "jpg",
        )
    )
    return work


def record_year(
    engine: Engine,
    settings: Settings,
    guided: Sequence[tuple[int, int, str]],
    year: int,
    start: date,
    actor: Actor,
    scratch: Path,
) -> int:
    """Record the year's work for each (agency id, unit id, unit name); returns the files."""
    scratch.mkdir(parents=True, exist_ok=True)
    files = 0
    for agency_id, unit_id, name in guided:
        for number, (kind, fields, suffix) in enumerate(_entries(year, start, PLANS[name])):
            held_on = fields.pop("held_on")
            given = activities.parse_fields(kind, held_on, **fields)  # type: ignore[arg-type]
            with transaction(engine) as session:
                activity = activities.record_activity(
                    session, agency_id, unit_id, year, given, actor, settings, today=given.held_on
                )
                activity_id = int(activity.id or 0)
            if suffix:
                source = scratch / f"{name}-{number}.{suffix}"
                source.write_bytes(_content(suffix, f"{name} {kind} {held_on}"))
                label = kinds.kind_label(kind)
                evidence.attach_file(
                    engine,
                    activity_id,
                    source,
                    f"{name}-{held_on}-{label}.{suffix}",
                    "application/pdf" if suffix == "pdf" else "image/jpeg",
                    actor,
                    settings,
                )
                files += 1
    return files


def _content(suffix: str, text: str) -> bytes:
    head = b"%PDF-1.7\n" if suffix == "pdf" else b"\xff\xd8\xff\xe0"
    return head + text.encode()


def show_shortfalls(
    engine: Engine, settings: Settings, agency_ids: Sequence[int], year: int, as_of: date, say: Say
) -> None:
    """Per unit what Art. 11 still asks for, as the agency and the experts see it."""
    with transaction(engine, read_only=True) as session:
        for agency_id in agency_ids:
            for record in unit_records(session, agency_id, year, as_of, settings):
                if record.shortfalls:
                    missing = "；".join(s.message() for s in record.shortfalls)
                    say("work_short", unit=record.unit.name, missing=missing)
                else:
                    say(
                        "work_complete",
                        unit=record.unit.name,
                        trainings=record.trainings,
                        projects=record.projects_safe,
                        files=record.files,
                    )
