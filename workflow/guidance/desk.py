"""The experts' desk: for an agency and year, per indicator of the standard, the recorded
facts and every file, so the experts judge the materials indicators (1.1–2.5, 4.1–4.3)
on what was recorded instead of blind.

The counts against Art. 11's minimums come from `minimums.unit_records` (never counted a
second way); an activity is a fact for the indicators `kinds.indicators_of` names, and its
files are evidence there too. The Art. 15 uploads (`SubmittedDocument`) join by their kind
(`DOCUMENT_INDICATOR`; a kind this module does not know counts as other evidence, 4.2),
the forum minutes join section 3, and education-base publicity is a hint for bonus B3.

Per materials indicator the desk suggests the score sheet's 有无此项内容 (any activity or
document recorded for it) and 有无证据 (any file): a suggestion the expert confirms or
changes, never a score. Read only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlmodel import Session, col, select

from workflow.assessment.standard import STANDARD
from workflow.community.forums import forums_of
from workflow.community.models import CreationUnit
from workflow.core.clock import local_date, utcnow
from workflow.core.errors import NotFound
from workflow.core.i18n import current_language, workflow_texts
from workflow.core.settings import Settings
from workflow.guidance import kinds
from workflow.guidance.evidence import files_of
from workflow.guidance.minimums import (
    MIN_SAFE_COMMUNITY_PROJECTS,
    MIN_TRAININGS,
    UnitRecord,
    unit_records,
)
from workflow.guidance.models import EvidenceFile, GuidanceActivity
from workflow.registry.models import Agency
from workflow.reminders.models import SubmittedDocument

MATERIALS = tuple(i.code for i in STANDARD.indicators if i.method == "materials")
FORUM = "3"
"""Section 3 (creation-unit evaluation): the forums the agency's units attended."""
EDUCATION_BASE = "B3"
"""A hint for bonus B3: publicity work recorded as an education base."""
CODES = (*MATERIALS[:9], FORUM, *MATERIALS[9:], EDUCATION_BASE)

DOCUMENT_INDICATOR = {
    "report": "4.3",
    "training_evidence": "4.1",
    "risk_report": "4.2",
    "evidence": "4.2",
    "other": "4.2",
}
"""Where an Art. 15 upload counts, by its kind; unknown kinds count as other evidence."""
OTHER_EVIDENCE = "4.2"
SHORTFALL_INDICATORS = {
    "kickoff": ("1.1",),
    "trainings": ("1.1", "1.2", "1.3"),
    "progress": ("1.4",),
    "plans": ("2.1",),
    "projects": ("2.4",),
}
"""Which indicator each minimum of `minimums` (its shortfall code) is a fact for."""
IMAGE_TYPES = ("image/jpeg", "image/png")


def _t(key: str, language: str | None = None, **params: object) -> str:
    return workflow_texts.text(f"desk.{key}", language, **params)


def document_indicator(kind: str) -> str:
    return DOCUMENT_INDICATOR.get(kind, OTHER_EVIDENCE)


def document_label(kind: str, language: str | None = None) -> str:
    known = kind if kind in DOCUMENT_INDICATOR else "other"
    return _t(f"document.{known}", language)


def activity_label(kind: str, topic: str, language: str | None = None) -> str:
    """ "培训（风险辨识）", "启动会"."""
    name = kinds.kind_label(kind, language)
    return f"{name}（{kinds.topic_label(kind, topic, language)}）" if topic else name


@dataclass(frozen=True)
class DeskFile:
    """A file laid before the experts under one indicator (the same file may stand under
    several): an activity's evidence, an Art. 15 upload or forum minutes."""

    indicator: str
    unit: str
    """The creation unit's name; '' for what the agency (or the Association) handed in."""
    day: date
    what: str
    description: str
    original_name: str
    stored_path: str
    size: int
    sha256: str
    mime_type: str
    source: str
    """`activity:ID`, `document:ID` or `forum:ID`."""

    @property
    def present(self) -> bool:
        return Path(self.stored_path).is_file()

    @property
    def extension(self) -> str:
        suffix = Path(self.original_name).suffix or Path(self.stored_path).suffix
        return suffix.lstrip(".").lower()

    @property
    def is_image(self) -> bool:
        return self.mime_type in IMAGE_TYPES or self.extension in {"jpg", "jpeg", "png"}


@dataclass(frozen=True)
class DeskActivity:
    """One recorded activity, as the experts read it."""

    id: int
    unit: str
    day: date
    what: str
    title: str
    description: str
    attendance: int | None
    on_behalf: bool
    files: int


@dataclass(frozen=True)
class IndicatorDesk:
    """What was recorded for one indicator."""

    code: str
    name: str
    facts: tuple[str, ...]
    """Counts in words, e.g. "培训合计 4 次（每家创建单位不少于 5 次，1 家不足）"."""
    shortfalls: tuple[str, ...]
    """"<unit>：<shortfall>" for each minimum of this indicator not met."""
    activities: tuple[DeskActivity, ...]
    files: tuple[DeskFile, ...]
    documents: int
    content: bool | None
    """Suggested 有无此项内容 (materials indicators only, else None)."""
    evidence: bool | None
    """Suggested 有无证据."""

    def short(self, language: str | None = None) -> str:
        """One line for the score sheet and the phone: "培训 4 次（…）；文件 12 个"."""
        parts = [*self.facts, _t("files", language, n=len(self.files))]
        return "；".join(parts)

    def suggestion(self, language: str | None = None) -> str:
        """ "建议：有此项内容，有证据" ('' where the sheet has no such judgement)."""
        if self.content is None or self.evidence is None:
            return ""
        return _t(
            "suggestion",
            language,
            content=_t("content_yes" if self.content else "content_no", language),
            evidence=_t("evidence_yes" if self.evidence else "evidence_no", language),
        )


@dataclass(frozen=True)
class Desk:
    """An agency's year, indicator by indicator (`CODES` order)."""

    agency_id: int
    agency_name: str
    year: int
    as_of: date
    units: int
    indicators: tuple[IndicatorDesk, ...]

    def indicator(self, code: str) -> IndicatorDesk:
        wanted = code.strip().upper()
        for item in self.indicators:
            if item.code == wanted:
                return item
        raise NotFound("desk.unknown_indicator", code=code, codes="、".join(CODES))

    @property
    def files(self) -> tuple[DeskFile, ...]:
        """Every file under every indicator (a file standing under two indicators twice)."""
        return tuple(f for item in self.indicators for f in item.files)


def _name(code: str, language: str | None) -> str:
    if code in (FORUM, EDUCATION_BASE):
        return _t(f"name.{code}", language)
    return STANDARD.indicator(code).short_text(language or current_language())


def build_desk(
    session: Session,
    agency_id: int,
    year: int,
    settings: Settings,
    *,
    as_of: date | None = None,
    language: str | None = None,
) -> Desk:
    """The desk of `agency_id` for `year`, counted as of `as_of` (default: today)."""
    agency = session.get(Agency, agency_id)
    if agency is None:
        raise NotFound("registry.agency_not_found", ref=agency_id)
    zone = settings.zone
    as_of = as_of or local_date(utcnow(), zone)
    records = unit_records(session, agency_id, year, as_of, settings)
    names = {r.unit.id: r.unit.name for r in records}
    rows = list(
        session.exec(
            select(GuidanceActivity)
            .where(GuidanceActivity.agency_id == agency_id, GuidanceActivity.year == year)
            .order_by(col(GuidanceActivity.held_on), col(GuidanceActivity.id))
        ).all()
    )
    for unit_id in {a.unit_id for a in rows} - set(names):
        unit = session.get(CreationUnit, unit_id)
        names[unit_id] = unit.name if unit else ""
    files_by_activity: dict[int, list[EvidenceFile]] = {}
    for row in files_of(session, agency_id, year):
        files_by_activity.setdefault(row.activity_id, []).append(row)

    def activity_files(activity: GuidanceActivity, code: str) -> list[DeskFile]:
        return [
            DeskFile(
                indicator=code,
                unit=names[activity.unit_id],
                day=activity.held_on,
                what=activity_label(activity.kind, activity.topic, language),
                description=activity.title or activity.description,
                original_name=row.original_name,
                stored_path=row.stored_path,
                size=row.size,
                sha256=row.sha256,
                mime_type=row.mime_type,
                source=f"activity:{activity.id}",
            )
            for row in files_by_activity.get(activity.id or 0, [])
        ]

    per_code: dict[str, list[GuidanceActivity]] = {code: [] for code in CODES}
    for activity in rows:
        for code in kinds.indicators_of(activity.kind, activity.topic):
            per_code[code].append(activity)
        if activity.kind == kinds.PUBLICITY and activity.topic == "education_base":
            per_code[EDUCATION_BASE].append(activity)

    documents: dict[str, list[DeskFile]] = {code: [] for code in CODES}
    for document in session.exec(
        select(SubmittedDocument)
        .where(SubmittedDocument.agency_id == agency_id, SubmittedDocument.year == year)
        .order_by(col(SubmittedDocument.submitted_at), col(SubmittedDocument.id))
    ).all():
        code = document_indicator(document.kind)
        documents[code].append(
            DeskFile(
                indicator=code,
                unit="",
                day=local_date(document.submitted_at, zone),
                what=document_label(document.kind, language),
                description="",
                original_name=document.original_name,
                stored_path=document.stored_path,
                size=document.size,
                sha256="",
                mime_type=document.mime_type,
                source=f"document:{document.id}",
            )
        )
    forum_facts, forum_files = _forums(session, year, set(names), language)
    documents[FORUM] = forum_files

    shortfalls: dict[str, list[str]] = {code: [] for code in CODES}
    for record in records:
        for shortfall in record.shortfalls:
            for code in SHORTFALL_INDICATORS.get(shortfall.code, ()):
                shortfalls[code].append(f"{record.unit.name}：{shortfall.message(language)}")
    minimum = _minimum_facts(records, language)

    indicators = []
    for code in CODES:
        activities = per_code[code]
        facts = _group_counts(activities, language)
        if code == FORUM:
            facts = forum_facts
        elif documents[code]:
            facts.append(_t("documents", language, n=len(documents[code])))
        facts.extend(minimum.get(code, ()))
        files = [f for a in activities for f in activity_files(a, code)]
        files.extend(documents[code])
        materials = code in MATERIALS
        indicators.append(
            IndicatorDesk(
                code=code,
                name=_name(code, language),
                facts=tuple(facts),
                shortfalls=tuple(shortfalls[code]),
                activities=tuple(
                    DeskActivity(
                        id=a.id or 0,
                        unit=names[a.unit_id],
                        day=a.held_on,
                        what=activity_label(a.kind, a.topic, language),
                        title=a.title,
                        description=a.description,
                        attendance=a.attendance,
                        on_behalf=a.on_behalf,
                        files=len(files_by_activity.get(a.id or 0, [])),
                    )
                    for a in activities
                ),
                files=tuple(files),
                documents=len(documents[code]),
                content=bool(activities or documents[code]) if materials else None,
                evidence=bool(files) if materials else None,
            )
        )
    return Desk(agency_id, agency.name, year, as_of, len(records), tuple(indicators))


def _group_counts(activities: list[GuidanceActivity], language: str | None) -> list[str]:
    """ "培训（风险辨识） 2 次" per kind and topic, in first-seen order."""
    counts: dict[tuple[str, str], int] = {}
    for a in activities:
        counts[(a.kind, a.topic)] = counts.get((a.kind, a.topic), 0) + 1
    return [
        _t(f"count.{kind}", language, what=activity_label(kind, topic, language), n=n)
        for (kind, topic), n in counts.items()
    ]


def _minimum_facts(records: list[UnitRecord], language: str | None) -> dict[str, list[str]]:
    """The agency-wide figures of the minimums, from the unit records."""
    if not records:
        return {}
    short = sum(1 for r in records if r.trainings < MIN_TRAININGS)
    trainings = _t(
        "minimum.trainings",
        language,
        n=sum(r.trainings for r in records),
        min=MIN_TRAININGS,
        short=short,
    )
    facts: dict[str, list[str]] = {code: [trainings] for code in ("1.1", "1.2", "1.3")}
    facts["1.1"].insert(
        0,
        _t(
            "minimum.kickoff",
            language,
            met=sum(1 for r in records if r.counts.get(kinds.KICKOFF)),
            units=len(records),
        ),
    )
    late = sum(1 for r in records if r.quarters_missing)
    facts["1.4"] = [
        _t(
            "minimum.progress",
            language,
            short=late,
            quarters=sum(len(r.quarters_missing) for r in records),
        )
        if late
        else _t("minimum.progress_met", language)
    ]
    unplanned = sum(1 for r in records if r.plans_missing)
    facts["2.1"] = [
        _t("minimum.plans", language, short=unplanned)
        if unplanned
        else _t("minimum.plans_met", language)
    ]
    safe = [r for r in records if r.guidance.safe_community]
    if safe:
        facts["2.4"] = [
            _t(
                "minimum.projects",
                language,
                n=sum(r.projects_safe for r in safe),
                min=MIN_SAFE_COMMUNITY_PROJECTS,
                units=len(safe),
                short=sum(1 for r in safe if r.projects_safe < MIN_SAFE_COMMUNITY_PROJECTS),
            )
        ]
    return facts


def _forums(
    session: Session, year: int, unit_ids: set[int | None], language: str | None
) -> tuple[list[str], list[DeskFile]]:
    """The year's forums the agency's units attended, and their minutes files."""
    attended = [v for v in forums_of(session, year) if {u.id for u in v.units} & unit_ids]
    presences = sum(len({u.id for u in v.units} & unit_ids) for v in attended)
    files = [
        DeskFile(
            indicator=FORUM,
            unit="",
            day=v.forum.held_on,
            what=_t("forum", language),
            description=v.forum.notes[:200],
            original_name=Path(v.forum.minutes_path).name,
            stored_path=v.forum.minutes_path,
            size=_size(v.forum.minutes_path),
            sha256="",
            mime_type="",
            source=f"forum:{v.forum.id}",
        )
        for v in attended
        if v.forum.minutes_path
    ]
    return [_t("forums", language, n=len(attended), presences=presences)], files


def _size(path: str) -> int:
    try:
        return Path(path).stat().st_size
    except OSError:
        return 0
