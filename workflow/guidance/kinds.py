"""The kinds of guidance work Art. 11 names, what each records, and which indicators of
the standard it is a fact for (the experts' desk groups activities and files by them).

Kinds and their topics are codes; people read and type their Chinese names
(`kind_label`, `parse_kind`), as with every other code.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from typing import Any

from workflow.core.errors import InvalidInput
from workflow.core.i18n import workflow_texts
from workflow.lifecycle.states import code_of

KICKOFF = "kickoff"
TRAINING = "training"
PROGRESS_MEETING = "progress_meeting"
PLAN = "plan"
LEADING_BODY = "leading_body"
RULES = "rules"
RISK_VISIT = "risk_visit"
PROJECT = "project"
PUBLICITY = "publicity"
KINDS = (
    KICKOFF,
    TRAINING,
    PROGRESS_MEETING,
    PLAN,
    LEADING_BODY,
    RULES,
    RISK_VISIT,
    PROJECT,
    PUBLICITY,
)

SAFE_COMMUNITY = "safe_community"
DISASTER_REDUCTION = "disaster_reduction"
PROGRAMMES = (SAFE_COMMUNITY, DISASTER_REDUCTION)

TOPICS: Mapping[str, tuple[str, ...]] = {
    TRAINING: ("concept", "organisation", "risk_identification", "project_planning", "other"),
    PLAN: ("overall", "special", "training", "risk_identification"),
    PUBLICITY: ("campaign", "materials", "education_base"),
}
"""Kinds that need a topic, and the topics each allows (Art. 11 1(2), 2(1), 2(5))."""

WITH_ATTENDANCE = frozenset({KICKOFF, TRAINING, PROGRESS_MEETING, PUBLICITY})
"""Kinds where the number of people present is recorded (optional)."""

MEMBER_CATEGORIES = (
    "departments",
    "social_organisations",
    "enterprises",
    "residents",
    "deputies",
    "other",
)
"""Art. 11 2(2): who sits on the leading body."""
RISK_COUNTS = ("points", "hazards", "measures")
"""A risk-identification visit: points visited, hazards found, measures proposed."""
PROJECT_DETAILS = ("field", "status")
"""A project: its field (free text) and how far it has come (`PROJECT_STATUSES`)."""
DETAILS: Mapping[str, tuple[str, ...]] = {
    LEADING_BODY: MEMBER_CATEGORIES,
    RISK_VISIT: RISK_COUNTS,
    PROJECT: PROJECT_DETAILS,
}
"""The kinds that record details, and which."""
DETAIL_NAMES = tuple(name for names in DETAILS.values() for name in names)
"""Every detail of every kind (a form that offers them all)."""
PROJECT_STATUSES = ("planned", "in_progress", "completed")
COUNT_MAX = 100_000
"""The largest count a detail may hold (people, points, hazards)."""
FIELD_MAX = 50

INDICATORS: Mapping[str, tuple[str, ...]] = {
    KICKOFF: ("1.1",),
    PROGRESS_MEETING: ("1.4",),
    PLAN: ("2.1",),
    LEADING_BODY: ("2.2",),
    RULES: ("2.3",),
    RISK_VISIT: ("2.4",),
    PROJECT: ("2.4",),
    PUBLICITY: ("2.5",),
}
TRAINING_INDICATORS: Mapping[str, tuple[str, ...]] = {
    "concept": ("1.1",),
    "organisation": ("1.1",),
    "risk_identification": ("1.2",),
    "project_planning": ("1.3",),
    "other": (),
}
EVIDENCE_INDICATOR: Mapping[str, str] = {
    KICKOFF: "4.1",
    TRAINING: "4.1",
    RISK_VISIT: "4.2",
    PROJECT: "4.2",
}
"""Where an activity's files count as evidence besides its own indicator (4.1: training
photos, records, sign-in sheets; 4.2: risk identification and project planning)."""


def indicators_of(kind: str, topic: str = "") -> tuple[str, ...]:
    """The standard's indicators an activity is a fact for (its files: plus `EVIDENCE_INDICATOR`)."""
    own = TRAINING_INDICATORS.get(topic, ()) if kind == TRAINING else INDICATORS.get(kind, ())
    evidence = EVIDENCE_INDICATOR.get(kind)
    return (*own, evidence) if evidence else own


def kind_label(kind: str, language: str | None = None) -> str:
    return workflow_texts.text(f"guidance.kind.{kind}", language)


def topic_label(kind: str, topic: str, language: str | None = None) -> str:
    return workflow_texts.text(f"guidance.topic.{kind}.{topic}", language) if topic else ""


def described(kind: str, topic: str = "", language: str | None = None) -> str:
    """An activity's kind with its topic, as every text names it: 培训（风险辨识）."""
    if not topic:
        return kind_label(kind, language)
    return workflow_texts.text(
        "guidance.described",
        language,
        kind=kind_label(kind, language),
        topic=topic_label(kind, topic, language),
    )


def programme_label(programme: str, language: str | None = None) -> str:
    return workflow_texts.text(f"guidance.programme.{programme}", language)


def parse_kind(text: str) -> str:
    """A kind from its code or Chinese/English name; refused with the list otherwise."""
    found = code_of(text, KINDS, kind_label)
    if found is None:
        names = "、".join(kind_label(k) for k in KINDS)
        raise InvalidInput("guidance.bad_kind", value=text, kinds=names)
    return found


def parse_topic(kind: str, text: str | None) -> str:
    """The topic of a kind that needs one (required), '' for the others (refused if given)."""
    allowed = TOPICS.get(kind)
    text = (text or "").strip()
    if allowed is None:
        if text:
            raise InvalidInput("guidance.no_topic", kind=kind_label(kind))
        return ""
    found = code_of(text, allowed, lambda code, language: topic_label(kind, code, language))
    if found is None:
        names = "、".join(topic_label(kind, t) for t in allowed)
        raise InvalidInput("guidance.bad_topic", kind=kind_label(kind), value=text, topics=names)
    return found


def parse_programme(text: str) -> str:
    found = code_of(text, PROGRAMMES, programme_label)
    if found is None:
        names = "、".join(programme_label(p) for p in PROGRAMMES)
        raise InvalidInput("guidance.bad_programme", value=text, programmes=names)
    return found


def whole_count(value: object, maximum: int = COUNT_MAX, unit: str = "") -> int | None:
    """A count as people type it (NFKC-folded: ３２, ①; an optional trailing `unit` such
    as 人), 0 … `maximum`; None for anything else — the caller refuses in its words."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        return None
    text = unicodedata.normalize("NFKC", str(value)).strip()
    if unit:
        text = text.removesuffix(unit).rstrip()
    if not (text.isascii() and text.isdecimal()) or len(text) > 6 or int(text) > maximum:
        return None
    return int(text)


def _count(name: str, value: object) -> int:
    number = whole_count(value)
    if number is None:
        raise InvalidInput("guidance.bad_count", field=name, max=COUNT_MAX)
    return number


def detail_names(kind: str) -> tuple[str, ...]:
    """The details an activity of `kind` records (none for most kinds)."""
    return DETAILS.get(kind, ())


def check_details(kind: str, details: Mapping[str, Any] | None) -> dict[str, Any]:
    """The kind's details, checked and normalised; keys a kind does not have are refused."""
    given = dict(details or {})
    allowed = detail_names(kind)
    unknown = sorted(set(given) - set(allowed))
    if unknown:
        raise InvalidInput("guidance.bad_detail", kind=kind_label(kind), field=unknown[0])
    if kind == PROJECT:
        field = str(given.get("field") or "").strip()
        if len(field) > FIELD_MAX:
            raise InvalidInput("guidance.field_too_long", max=FIELD_MAX)
        status = str(given.get("status") or "planned").strip()
        found = code_of(
            status,
            PROJECT_STATUSES,
            lambda code, lang: workflow_texts.text(f"guidance.project_status.{code}", lang),
        )
        if found is None:
            names = "、".join(
                workflow_texts.text(f"guidance.project_status.{s}") for s in PROJECT_STATUSES
            )
            raise InvalidInput("guidance.bad_status", value=status, statuses=names)
        return {"field": field, "status": found}
    return {name: _count(name, value) for name, value in given.items()}
