"""The minimums of Art. 11, counted from what was recorded: shortfalls per unit.

Art. 11 1(1) a kick-off meeting (启动会); 1(2) trainings "每家创建单位不少于5次" (the
kick-off is not counted among them); 1(3) "按季度组织召开工作推进会": a progress meeting
in every quarter of guidance — a quarter is due once it has ended, and the quarter the
report is due in is due at the report deadline; 2(1) the overall plan, the special work
plan, the training plan and the risk-identification plan; 2(4) at least 15 promotion
projects for a unit guided as a safe community, none for a disaster-reduction community.

The counts are facts for the agency (during the year, while it can act) and for the
experts (in December); they never score by themselves. Read only.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlmodel import Session, col, select

from workflow.community.campaigns import campaign_or_default
from workflow.community.models import CreationUnit, Guidance
from workflow.core.i18n import workflow_texts
from workflow.core.settings import Settings
from workflow.guidance import kinds
from workflow.guidance.models import EvidenceFile, GuidanceActivity

MIN_TRAININGS = 5
MIN_SAFE_COMMUNITY_PROJECTS = 15
REQUIRED_PLANS = kinds.TOPICS[kinds.PLAN]


@dataclass(frozen=True)
class Quarter:
    year: int
    number: int

    @property
    def first_day(self) -> date:
        return date(self.year, 3 * self.number - 2, 1)

    @property
    def last_day(self) -> date:
        if self.number == 4:
            return date(self.year, 12, 31)
        return date(self.year, 3 * self.number + 1, 1) - timedelta(days=1)

    def next(self) -> Quarter:
        return (
            Quarter(self.year + 1, 1) if self.number == 4 else Quarter(self.year, self.number + 1)
        )

    def label(self, language: str | None = None) -> str:
        return workflow_texts.text("guidance.quarter", language, year=self.year, n=self.number)


def quarter_of(day: date) -> Quarter:
    return Quarter(day.year, (day.month - 1) // 3 + 1)


def quarters_due(start: date, as_of: date, report_due: date) -> list[Quarter]:
    """The quarters of guidance that need their progress meeting by `as_of`: those ended,
    and the deadline's quarter at the deadline; never a quarter of the next year (a
    deadline moved into January leaves the guidance year's four)."""
    last = quarter_of(min(as_of, report_due, date(start.year, 12, 31)))
    due: list[Quarter] = []
    quarter = quarter_of(start)
    while (quarter.year, quarter.number) <= (last.year, last.number):
        if quarter.last_day < as_of or (quarter == last and as_of >= report_due):
            due.append(quarter)
        quarter = quarter.next()
    return due


@dataclass(frozen=True)
class Shortfall:
    """One minimum not met: a catalogue key and its figures."""

    code: str
    params: dict[str, object] = field(default_factory=dict)

    def message(self, language: str | None = None) -> str:
        return workflow_texts.text(f"guidance.shortfall.{self.code}", language, **self.params)


@dataclass(frozen=True)
class UnitRecord:
    """What was recorded for one guided unit, counted against Art. 11."""

    unit: CreationUnit
    guidance: Guidance
    counts: dict[str, int]
    """Activities per kind."""
    trainings: int
    quarters_missing: list[Quarter]
    projects_safe: int
    plans_missing: list[str]
    files: int
    shortfalls: list[Shortfall]


def _unit_record(
    unit: CreationUnit,
    guidance: Guidance,
    rows: list[GuidanceActivity],
    files: int,
    as_of: date,
    report_due: date,
) -> UnitRecord:
    counts = Counter(a.kind for a in rows)
    trainings = counts[kinds.TRAINING]
    start = guidance.started_on or date(guidance.year, 1, 1)
    met = {quarter_of(a.held_on) for a in rows if a.kind == kinds.PROGRESS_MEETING}
    missing_quarters = [q for q in quarters_due(start, as_of, report_due) if q not in met]
    projects = sum(
        1 for a in rows if a.kind == kinds.PROJECT and a.programme == kinds.SAFE_COMMUNITY
    )
    plans = {a.topic for a in rows if a.kind == kinds.PLAN}
    plans_missing = [p for p in REQUIRED_PLANS if p not in plans]
    shortfalls: list[Shortfall] = []
    if not counts[kinds.KICKOFF]:
        shortfalls.append(Shortfall("kickoff"))
    if trainings < MIN_TRAININGS:
        shortfalls.append(
            Shortfall(
                "trainings",
                {"n": trainings, "min": MIN_TRAININGS, "gap": MIN_TRAININGS - trainings},
            )
        )
    if missing_quarters:
        shortfalls.append(
            Shortfall("progress", {"quarters": "、".join(q.label() for q in missing_quarters)})
        )
    if plans_missing:
        names = "、".join(kinds.topic_label(kinds.PLAN, p) for p in plans_missing)
        shortfalls.append(Shortfall("plans", {"plans": names}))
    if guidance.safe_community and projects < MIN_SAFE_COMMUNITY_PROJECTS:
        shortfalls.append(
            Shortfall(
                "projects",
                {
                    "n": projects,
                    "min": MIN_SAFE_COMMUNITY_PROJECTS,
                    "gap": MIN_SAFE_COMMUNITY_PROJECTS - projects,
                },
            )
        )
    return UnitRecord(
        unit=unit,
        guidance=guidance,
        counts=dict(counts),
        trainings=trainings,
        quarters_missing=missing_quarters,
        projects_safe=projects,
        plans_missing=plans_missing,
        files=files,
        shortfalls=shortfalls,
    )


def unit_records(
    session: Session, agency_id: int, year: int, as_of: date, settings: Settings
) -> list[UnitRecord]:
    """Every unit the agency guides in `year`, with its counts and shortfalls as of `as_of`."""
    report_due = campaign_or_default(session, year, settings).report_due
    guided = session.exec(
        select(Guidance, CreationUnit)
        .join(CreationUnit, col(CreationUnit.id) == Guidance.unit_id)
        .where(Guidance.agency_id == agency_id, Guidance.year == year)
        .order_by(col(CreationUnit.district), col(CreationUnit.name))
    ).all()
    rows = session.exec(
        select(GuidanceActivity).where(
            GuidanceActivity.agency_id == agency_id, GuidanceActivity.year == year
        )
    ).all()
    by_unit: dict[int, list[GuidanceActivity]] = {}
    for row in rows:
        by_unit.setdefault(row.unit_id, []).append(row)
    files = _files_per_unit(session, agency_id, year)
    return [
        _unit_record(
            unit, guidance, by_unit.get(unit.id or 0, []), files[unit.id or 0], as_of, report_due
        )
        for guidance, unit in guided
    ]


def _files_per_unit(session: Session, agency_id: int, year: int) -> Counter[int]:
    unit_ids = session.exec(
        select(GuidanceActivity.unit_id)
        .join(EvidenceFile, col(EvidenceFile.activity_id) == GuidanceActivity.id)
        .where(EvidenceFile.agency_id == agency_id, EvidenceFile.year == year)
    ).all()
    return Counter(unit_ids)


def shortfall_count(records: list[UnitRecord]) -> int:
    """How many minimums are not met across the agency's units."""
    return sum(len(r.shortfalls) for r in records)
