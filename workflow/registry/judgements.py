"""The expert panel's judgements on an application under Art. 8(2) and 8(3).

Art. 8(2) asks that the business scope include "安全生产、应急管理相关咨询服务内容".
Licences word it in many ways (安全咨询服务, 安全评价, 应急救援技术咨询, 消防技术服务…),
so the software only *suggests* (`scope_suggestion`: the clauses that name a safety
or emergency subject together with a consulting service); the experts confirm or
overrule the suggestion with a reason (`record_scope`), and material review needs
their decision.

Art. 8(3) — familiar with the procedures and standards of both programmes, able to
guide the seven fields (生产安全、应急管理、综合减灾、交通安全、消防安全、燃气安全、公共安全)
— is judged item by item (`record_familiarity`), at material review or at the
interview (Art. 10(2)); the interview cannot be passed until every item is judged
familiar.

Both are recorded on the agency's current application (a new application starts
without them), the newest judgement of an item standing, and each is appended to
the audit log with who, why, and whether it confirms or overrules the suggestion.
Functions flush but never commit.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from datetime import datetime

from sqlmodel import Session, col, select

from workflow.access.actors import Actor, Role
from workflow.access.roles import require_role
from workflow.core.clock import utcnow
from workflow.core.errors import InvalidInput, Refused
from workflow.core.i18n import workflow_texts
from workflow.core.settings import Settings, get_settings
from workflow.core.text import check_characters
from workflow.lifecycle.audit import REASON_MAX, append
from workflow.lifecycle.states import State, join_words, state_label
from workflow.registry.models import ApplicationJudgement
from workflow.registry.service import current_application, find_agency

SCOPE = "business_scope"
PROCEDURES = "procedures"
FIELDS: tuple[str, ...] = (
    "work_safety",
    "emergency_management",
    "disaster_reduction",
    "traffic_safety",
    "fire_safety",
    "gas_safety",
    "public_safety",
)
"""The seven fields of Art. 8(3), in the article's order."""
FAMILIAR_ITEMS: tuple[str, ...] = (PROCEDURES, *FIELDS)

SCOPE_SUBJECTS = ("安全", "应急", "消防", "减灾", "防灾")
SCOPE_SERVICES = ("咨询", "评价", "评估", "技术服务")
SCOPE_CLAUSES = re.compile(r"[；;。，,、\n]+")

SCOPE_STAGES: dict[str, str] = {State.APPLIED: "review"}
"""Where the Art. 8(2) decision may be recorded: at material review."""
FAMILIAR_STAGES: dict[str, str] = {State.APPLIED: "review", State.REVIEWED: "interview"}
"""Where the Art. 8(3) judgement may be recorded: at material review or the interview."""


def _text(key: str, language: str | None = None, **params: object) -> str:
    return workflow_texts.text(f"registry.judgement.{key}", language, **params)


def item_label(item: str, language: str | None = None) -> str:
    """`消防安全`, `创建程序和评定标准`, `经营范围`."""
    return _text(f"item.{item}", language)


def stage_label(stage: str, language: str | None = None) -> str:
    """`材料审核`, `面试答辩`, `迁移`."""
    return _text(f"stage.{stage}", language)


# ---------------------------------------------------------------------------
# Art. 8(2): the suggestion
# ---------------------------------------------------------------------------


def scope_suggestion(scope: str) -> tuple[str, ...]:
    """The clauses of the business scope that name related consulting: a safety or
    emergency subject and a consulting service in one clause ("安全咨询服务；安全评价业务"
    gives both clauses; "安全生产设备销售；信息咨询" gives none: the words are in
    different clauses). Empty: the software does not see related consulting."""
    clauses = (c.strip() for c in SCOPE_CLAUSES.split(unicodedata.normalize("NFKC", scope)))
    return tuple(
        clause
        for clause in clauses
        if any(s in clause for s in SCOPE_SUBJECTS) and any(s in clause for s in SCOPE_SERVICES)
    )


# ---------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------


def judgements_of(session: Session, application_id: int | None) -> dict[str, ApplicationJudgement]:
    """The standing judgement of each item on the application, by item."""
    if application_id is None:
        return {}
    rows = session.exec(
        select(ApplicationJudgement)
        .where(ApplicationJudgement.application_id == application_id)
        .order_by(col(ApplicationJudgement.id))
    ).all()
    return {row.item: row for row in rows}


def parse_items(texts: Iterable[str]) -> tuple[str, ...]:
    """Art. 8(3) items from what a user typed: codes (`fire_safety`) or Chinese names
    (`消防安全`, `创建程序和评定标准`), several per text split at 、,，; nothing = every item."""
    names = {
        unicodedata.normalize("NFKC", item_label(item, language)).casefold(): item
        for item in FAMILIAR_ITEMS
        for language in ("zh", "en")
    } | {item: item for item in FAMILIAR_ITEMS}
    chosen: list[str] = []
    for text in texts:
        for part in re.split(r"[、,，;；\s]+", unicodedata.normalize("NFKC", text)):
            if not part:
                continue
            item = names.get(part.casefold())
            if item is None:
                known = workflow_texts.text("lifecycle.list_separator").join(
                    item_label(i) for i in FAMILIAR_ITEMS
                )
                raise InvalidInput("registry.judgement.unknown_item", item=part, known=known)
            if item not in chosen:
                chosen.append(item)
    return tuple(i for i in FAMILIAR_ITEMS if i in chosen) or FAMILIAR_ITEMS


# ---------------------------------------------------------------------------
# Recording (flush, never commit)
# ---------------------------------------------------------------------------


def _reason(reason: str | None) -> str:
    text = check_characters(" ".join((reason or "").split()), field="reason")
    if not text:
        raise InvalidInput("registry.judgement.reason_required")
    if len(text) > REASON_MAX:
        raise InvalidInput("registry.judgement.reason_too_long", limit=REASON_MAX)
    return text


def _store(
    session: Session,
    application_id: int,
    item: str,
    passed: bool,
    reason: str,
    actor: Actor,
    stage: str,
    at: datetime,
) -> ApplicationJudgement:
    row = judgements_of(session, application_id).get(item) or ApplicationJudgement(
        application_id=application_id, item=item, passed=passed, judged_by="", stage=stage
    )
    row.passed, row.reason, row.stage = passed, reason, stage
    row.judged_by, row.judged_at = actor.name[:100], at
    session.add(row)
    return row


def record_scope(
    session: Session,
    agency_ref: str | int,
    actor: Actor,
    related: bool,
    reason: str | None,
    *,
    settings: Settings | None = None,
    now: datetime | None = None,
) -> ApplicationJudgement:
    """The experts' decision (Art. 8(2)) whether the business scope names related
    consulting, on the current application at material review, with the reason;
    audited as `judge.scope`, naming whether it confirms or overrules the suggestion."""
    settings = settings or get_settings()
    role = require_role(session, actor, Role.EXPERT, settings, "judge.scope")
    reason = _reason(reason)
    agency = find_agency(session, agency_ref)
    assert agency.id is not None
    application = current_application(session, agency.id)
    stage = SCOPE_STAGES.get(agency.status)
    if stage is None or application.closed:
        raise Refused(
            "registry.judgement.scope_not_now", agency=agency.name, state=state_label(agency.status)
        )
    assert application.id is not None
    at = now or utcnow()
    row = _store(session, application.id, SCOPE, related, reason, actor, stage, at)
    suggested = bool(scope_suggestion(agency.business_scope))
    session.flush()
    append(
        session,
        actor=actor,
        role=role.value,
        trigger="judge.scope",
        agency_id=agency.id,
        application_id=application.id,
        source=agency.status,
        target=agency.status,
        reason=reason,
        subject=_text(
            f"subject.scope.{'related' if related else 'unrelated'}",
            how=_text(f"subject.{'confirms' if related == suggested else 'overrules'}"),
        ),
        at=at,
    )
    return row


def record_familiarity(
    session: Session,
    agency_ref: str | int,
    actor: Actor,
    familiar: bool,
    reason: str | None,
    *,
    items: Iterable[str] = FAMILIAR_ITEMS,
    settings: Settings | None = None,
    now: datetime | None = None,
) -> list[ApplicationJudgement]:
    """The experts' judgement (Art. 8(3)) on the items given (default: the procedures
    and all seven fields), on the current application at material review or at the
    interview (Art. 10(2)), with the reason; audited as `judge.familiar`."""
    settings = settings or get_settings()
    role = require_role(session, actor, Role.EXPERT, settings, "judge.familiar")
    reason = _reason(reason)
    chosen = tuple(i for i in FAMILIAR_ITEMS if i in set(items)) or FAMILIAR_ITEMS
    agency = find_agency(session, agency_ref)
    assert agency.id is not None
    application = current_application(session, agency.id)
    stage = FAMILIAR_STAGES.get(agency.status)
    if stage is None or application.closed:
        raise Refused(
            "registry.judgement.familiar_not_now",
            agency=agency.name,
            state=state_label(agency.status),
        )
    assert application.id is not None
    at = now or utcnow()
    rows = [
        _store(session, application.id, item, familiar, reason, actor, stage, at) for item in chosen
    ]
    session.flush()
    append(
        session,
        actor=actor,
        role=role.value,
        trigger="judge.familiar",
        agency_id=agency.id,
        application_id=application.id,
        source=agency.status,
        target=agency.status,
        reason=reason,
        subject=_subject(familiar, stage, chosen),
        at=at,
    )
    return rows


def _subject(familiar: bool, stage: str, items: tuple[str, ...]) -> str:
    """The audit subject in words (≤ 100), e.g. "面试答辩：熟悉，七个方面" or
    "材料审核：不熟悉，消防安全、燃气安全"."""
    which = (
        _text("subject.all_items")
        if items == FAMILIAR_ITEMS
        else join_words((item_label(i) for i in items), None)
    )
    verdict = _text(f"subject.{'familiar' if familiar else 'unfamiliar'}")
    return _text("subject.familiarity", stage=stage_label(stage), verdict=verdict, items=which)[
        :100
    ]
