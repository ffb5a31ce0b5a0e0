"""Test helpers for the lifecycle: actors, and moving an agency along legal paths.

`make_agency` is the shared builder, re-exported for the lifecycle tests.
`prepare` sets up what a trigger's guards ask for (scores, a round, materials)
the way an admin would, through the services; `walk` fires a list of triggers.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import pytest
from sqlalchemy import func, text
from sqlmodel import Session, select

from tests.builders import committed, make_agency
from tests.workflow.assessment_builders import points_totalling
from workflow.access.actors import Actor
from workflow.assessment.evaluation import evaluate
from workflow.core.settings import Settings
from workflow.lifecycle import engine as lifecycle
from workflow.lifecycle import machine, states
from workflow.lifecycle.models import AuditEntry
from workflow.registry.models import MATERIALS, Agency, Application
from workflow.registry.service import current_application, set_materials
from workflow.rounds import service as rounds

ADMIN = Actor.cli("tester")
EXPERT = Actor.telegram(2001, "专家甲")
TG_ADMIN = Actor.telegram(1001, "管理员乙")
STRANGER = Actor.telegram(9999, "路人丙")

REASONS = {"reject": "材料不全", "withdraw": "人员流失，无法开展指导", "reapply": None}


def pretend_finalised(
    monkeypatch: pytest.MonkeyPatch, finalised: bool = True, *, passed: bool = True
) -> None:
    """Pretend every agency has (or has not) a finalised assessment, passed or not: the
    assessment owns score sheets; the lifecycle only asks `gate.has_finalised_sheet` and
    `gate.finalised_evaluation`. (Inactivity, ground 2, is still read from the records.)"""
    evaluation = evaluate(points_totalling(80 if passed else 60), {}) if finalised else None
    monkeypatch.setattr("workflow.assessment.gate.has_finalised_sheet", lambda *_: finalised)
    monkeypatch.setattr("workflow.assessment.gate.finalised_evaluation", lambda *_: evaluation)


def prepare(session: Session, agency_id: int, trigger: str, settings: Settings) -> None:
    """Record what the guards of `trigger` need, through the services."""
    application = current_application(session, agency_id)
    if trigger == "review":
        if any(not getattr(application, m) for m in MATERIALS):
            set_materials(session, agency_id, {m: True for m in MATERIALS})
            session.commit()
        committed(rounds.record_scores)(session, agency_id, ADMIN, material=80, settings=settings)
    elif trigger == "interview":
        committed(rounds.record_scores)(session, agency_id, ADMIN, interview=85, settings=settings)
    elif trigger == "file" and application.round_id is None:
        name = f"第{agency_id}批"
        committed(rounds.create_round)(session, name, ADMIN, settings=settings)
        committed(rounds.join_round)(session, name, agency_id, ADMIN, settings=settings)


def fire(
    session: Session, agency_id: int, trigger: str, settings: Settings, actor: Actor = ADMIN
) -> AuditEntry:
    """Prepare and fire one trigger with whatever input it needs."""
    prepare(session, agency_id, trigger, settings)
    return committed(lifecycle.advance)(
        session,
        agency_id,
        trigger,
        actor,
        REASONS.get(trigger),
        ground="staff_change" if trigger == "withdraw" else None,
        settings=settings,
    )


def walk(session: Session, agency_id: int, triggers: Sequence[str], settings: Settings) -> None:
    for trigger in triggers:
        fire(session, agency_id, trigger, settings)


def path_to(state: str) -> list[str]:
    """A shortest legal trigger sequence from `applied` to `state`, from the declaration."""
    frontier: list[tuple[str, list[str]]] = [(states.INITIAL, [])]
    seen = {states.INITIAL}
    while frontier:
        current, path = frontier.pop(0)
        if current == state:
            return path
        for spec in machine.TRIGGERS:
            if current in spec.sources and spec.dest not in seen:
                seen.add(spec.dest)
                frontier.append((spec.dest, [*path, spec.name]))
    raise AssertionError(f"{state} unreachable")


def simple_paths() -> Iterator[list[tuple[str, str]]]:
    """Every path of (trigger, reached state) from `applied` that visits no state twice,
    taken as far as it goes (generated from the declaration)."""

    def extend(state: str, visited: set[str], path: list[tuple[str, str]]) -> Iterator[list]:
        moves = [
            (spec.name, spec.dest)
            for spec in machine.TRIGGERS
            if state in spec.sources and spec.dest not in visited
        ]
        if not moves:
            yield path
        for name, dest in moves:
            yield from extend(dest, visited | {dest}, [*path, (name, dest)])

    yield from extend(states.INITIAL, {states.INITIAL}, [])


def agency_in(session: Session, state: str, settings: Settings, **overrides: object) -> Agency:
    """A fresh eligible agency brought to `state` along a legal path."""
    agency = make_agency(session, **overrides)
    assert agency.id is not None
    walk(session, agency.id, path_to(state), settings)
    session.refresh(agency)
    assert agency.status == state
    return agency


def snapshot(session: Session) -> tuple[object, ...]:
    """Everything a refused action must leave untouched."""
    session.expire_all()
    connection = session.connection()
    agencies = connection.execute(text("SELECT id, status, version FROM agency ORDER BY id")).all()
    applications = connection.execute(
        text(
            "SELECT id, agency_id, round_id, material_score, interview_score, closed"
            " FROM application ORDER BY id"
        )
    ).all()
    audit = connection.execute(text("SELECT id, seq, hash FROM auditentry ORDER BY id")).all()
    head = connection.execute(text("SELECT seq, hash FROM audithead")).all()
    rounds_ = connection.execute(text("SELECT id, name, quota, closed_at FROM round")).all()
    session.rollback()
    return tuple(map(tuple, (agencies, applications, audit, head, rounds_)))


def audit_count(session: Session) -> int:
    return int(session.exec(select(func.count()).select_from(AuditEntry)).one())


def applications_of(session: Session, agency_id: int) -> list[Application]:
    query = select(Application).where(Application.agency_id == agency_id).order_by(Application.id)
    return list(session.exec(query).all())
