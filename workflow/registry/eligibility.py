"""Eligibility of an agency under Art. 8: each condition with pass/fail and why.

The conditions follow the article's order. Most are facts in the registry (the
agency form, the Art. 8 facts the agency states, its consultants); two are the
expert panel's judgements on the current application
(`workflow.registry.judgements`):

- Art. 8(2) business scope: the software suggests whether the scope names related
  consulting and shows the clauses; the condition passes or fails on the experts'
  decision only, and fails "待专家组认定" until then, so material review needs it;
- Art. 8(3) familiarity with the procedures and the seven fields: judged item by
  item at material review or at the interview (Art. 10(2)). A "not familiar"
  fails; items not yet judged leave the condition *pending*: it does not hold
  material review back (`Eligibility.review_passed`), but the interview cannot be
  passed until every item is judged familiar.

Reasons are sentences from the `registry` catalogue in the current language,
e.g. "咨询人员 4 名，少于 5 名".

One person (same ID number) counts for one agency only (Art. 8(4), the 挂靠
check): a consultant whose ID number is registered with another agency that
holds the status (filed, assessed, retained) does not count toward this
agency's 5 consultants and 2 senior titles, and is flagged to the experts by
the condition `one_agency`, naming the other agency. Where both agencies hold
the status, the person counts for the one that registered them first. ID
numbers appear masked only.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from workflow.core.errors import NotFound
from workflow.core.i18n import workflow_texts
from workflow.core.privacy import mask_id
from workflow.lifecycle.states import HOLDING, state_label
from workflow.registry import judgements
from workflow.registry.models import Agency, Application, ApplicationJudgement, Consultant
from workflow.registry.service import consultants_of, current_application

MIN_CONSULTANTS = 5
MIN_SENIOR_TITLES = 2
MIN_SERVICE_YEARS = 2

CONDITIONS = (
    "legal_person_office",
    "business_scope",
    "service_years",
    "familiar",
    "admin_staff",
    "consultants",
    "senior_titles",
    "one_agency",
    "documents",
    "no_violation",
)
"""Condition codes in the order of Art. 8."""


@dataclass(frozen=True)
class Condition:
    """One Art. 8 condition: met or not, and the sentence saying why."""

    code: str
    passed: bool
    reason: str
    title: str = ""
    flagged: bool = False
    """Met, but the experts should look (the 挂靠 check found someone)."""
    pending: bool = False
    """Not met yet, but not needed before the interview (Art. 8(3) not fully judged)."""


@dataclass(frozen=True)
class Elsewhere:
    """A consultant of this agency whose ID number another holding agency registered too."""

    consultant: Consultant
    agency_id: int
    agency_name: str
    agency_status: str
    counts_here: bool
    """False when the person counts for the other agency (see the module docstring)."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "consultant_id": self.consultant.id,
            "name": self.consultant.name,
            "id_number": mask_id(self.consultant.id_number),
            "agency_id": self.agency_id,
            "agency_name": self.agency_name,
            "agency_status": self.agency_status,
            "counts_here": self.counts_here,
        }


@dataclass(frozen=True)
class Eligibility:
    """All Art. 8 conditions; `passed` only if every one is met."""

    passed: bool
    conditions: tuple[Condition, ...]
    elsewhere: tuple[Elsewhere, ...] = ()

    @property
    def failed(self) -> tuple[Condition, ...]:
        return tuple(c for c in self.conditions if not c.passed)

    @property
    def flagged(self) -> tuple[Condition, ...]:
        return tuple(c for c in self.conditions if c.flagged)

    @property
    def pending(self) -> tuple[Condition, ...]:
        return tuple(c for c in self.conditions if c.pending)

    @property
    def review_passed(self) -> bool:
        """Every condition met or pending: what material review needs."""
        return all(c.passed or c.pending for c in self.conditions)

    def as_dict(self) -> dict[str, Any]:
        """JSON-safe form for `--json` output and the bot."""
        return {
            "passed": self.passed,
            "review_passed": self.review_passed,
            "conditions": [
                {
                    "code": c.code,
                    "title": c.title,
                    "passed": c.passed,
                    "flagged": c.flagged,
                    "pending": c.pending,
                    "reason": c.reason,
                }
                for c in self.conditions
            ],
            "registered_elsewhere": [e.as_dict() for e in self.elsewhere],
        }


def _text(key: str, **params: object) -> str:
    return workflow_texts.text(f"registry.eligibility.{key}", None, **params)


def _condition(code: str, passed: bool, key: str, **params: object) -> Condition:
    return Condition(code, passed, _text(key, **params), _text(f"title.{code}"))


def service_months(since: date, today: date) -> int:
    """Whole calendar months from `since` to `today` (2020-02-29 → 2022-02-28 is 23)."""
    months = (today.year - since.year) * 12 + today.month - since.month
    if today.day < since.day:
        months -= 1
    return max(months, 0)


def scope_covers_consulting(scope: str) -> bool:
    """The software's suggestion (Art. 8(2)): some clause of the business scope names
    related consulting (`workflow.registry.judgements.scope_suggestion`)."""
    return bool(judgements.scope_suggestion(scope))


def _all_of(code: str, facts: dict[str, bool]) -> Condition:
    """A condition made of several stated facts: met when all hold, else names the missing."""
    missing = [_text(f"{code}.{key}") for key, present in facts.items() if not present]
    if not missing:
        return _condition(code, True, f"{code}.ok")
    separator = workflow_texts.text("registry.separator")
    return _condition(code, False, f"{code}.fail", missing=separator.join(missing))


def _at_least(code: str, n: int, minimum: int, excluded: list[Elsewhere]) -> Condition:
    """At least `minimum`; the people who count for another agency are named, not counted."""
    passed = n >= minimum
    key = f"{code}.{'ok' if passed else 'fail'}"
    if not excluded:
        return _condition(code, passed, key, n=n, minimum=minimum)
    return _condition(
        code,
        passed,
        f"{key}_excluding",
        n=n,
        minimum=minimum,
        total=n + len(excluded),
        excluded=len(excluded),
        people=_separator().join(_person(e) for e in excluded),
    )


def _separator() -> str:
    return workflow_texts.text("registry.separator")


def _person(entry: Elsewhere) -> str:
    """`张某（身份证号 110105********0017）：北京某公司（编号 3，已备案）` — the ID number masked."""
    return _text(
        "one_agency.person",
        name=entry.consultant.name,
        id_number=mask_id(entry.consultant.id_number),
        agency=entry.agency_name,
        agency_id=entry.agency_id,
        status=state_label(entry.agency_status),
    )


def registered_elsewhere(session: Session, agency: Agency) -> list[Elsewhere]:
    """This agency's consultants whose ID number another agency holding the status has
    registered too, one entry per (consultant, other agency), by consultant then agency.

    The person counts for this agency only if it holds the status itself and registered
    them before every other holding agency did (the lower consultant number)."""
    if agency.id is None:
        return []
    other = aliased(Consultant)
    rows = session.exec(
        select(Consultant, other.id, Agency)
        .join(
            other,
            (col(other.id_number) == col(Consultant.id_number))
            & (col(other.agency_id) != col(Consultant.agency_id)),
        )
        .join(Agency, col(Agency.id) == col(other.agency_id))
        .where(Consultant.agency_id == agency.id, col(Agency.status).in_(HOLDING))
        .order_by(col(Consultant.id), col(Agency.id))
    ).all()
    holds = agency.status in HOLDING
    first_elsewhere: dict[int | None, bool] = {}
    for consultant, other_id, _ in rows:
        earlier = other_id is not None and consultant.id is not None and other_id < consultant.id
        first_elsewhere[consultant.id] = first_elsewhere.get(consultant.id, False) or earlier
    return [
        Elsewhere(
            consultant,
            other_agency.id or 0,
            other_agency.name,
            other_agency.status,
            holds and not first_elsewhere[consultant.id],
        )
        for consultant, _, other_agency in rows
    ]


def _one_agency(elsewhere: list[Elsewhere]) -> Condition:
    if not elsewhere:
        return _condition("one_agency", True, "one_agency.ok")
    people = _separator().join(
        _text(
            "one_agency.counts_here" if e.counts_here else "one_agency.counts_there",
            person=_person(e),
        )
        for e in elsewhere
    )
    n = len({e.consultant.id for e in elsewhere})
    condition = _condition("one_agency", True, "one_agency.flagged", n=n, people=people)
    return dataclasses.replace(condition, flagged=True)


def _judged(row: ApplicationJudgement) -> dict[str, object]:
    return {
        "by": row.judged_by or _text("familiar.unknown_judge"),
        "on": row.judged_at.date().isoformat(),
        "why": row.reason,
    }


def _business_scope(agency: Agency, judged: dict[str, ApplicationJudgement]) -> Condition:
    """The experts' decision; until then the suggestion, failing (material review needs it)."""
    scope = agency.business_scope.strip()
    clauses = judgements.scope_suggestion(scope)
    quoted = "、".join(f"“{c}”" for c in clauses)
    suggestion = (
        _text("business_scope.suggest_related", clauses=quoted)
        if clauses
        else _text("business_scope.suggest_empty" if not scope else "business_scope.suggest_none")
    )
    decision = judged.get(judgements.SCOPE)
    if decision is None:
        return _condition(
            "business_scope", False, "business_scope.undecided", suggestion=suggestion
        )
    agrees = decision.passed == bool(clauses)
    return _condition(
        "business_scope",
        decision.passed,
        f"business_scope.{'related' if decision.passed else 'unrelated'}",
        verdict=_text(f"business_scope.{'confirms' if agrees else 'overrules'}"),
        suggestion=suggestion,
        **_judged(decision),
    )


def _service_years(agency: Agency, today: date) -> Condition:
    since = agency.service_since
    if since is None:
        return _condition("service_years", False, "service_years.unknown")
    years, months = divmod(service_months(since, today), 12)
    passed = years >= MIN_SERVICE_YEARS
    return _condition(
        "service_years",
        passed,
        "service_years.ok" if passed else "service_years.fail",
        since=since.isoformat(),
        years=years,
        months=months,
        minimum=MIN_SERVICE_YEARS,
    )


def _familiar(judged: dict[str, ApplicationJudgement]) -> Condition:
    """Art. 8(3) item by item: any "not familiar" fails; all familiar passes; else pending."""
    rows = [judged[i] for i in judgements.FAMILIAR_ITEMS if i in judged]
    names = workflow_texts.text("lifecycle.list_separator")
    refused = [r for r in rows if not r.passed]
    if refused:
        last = max(refused, key=lambda r: r.judged_at)
        return _condition(
            "familiar",
            False,
            "familiar.fail",
            items=names.join(judgements.item_label(r.item) for r in refused),
            stage=judgements.stage_label(last.stage),
            **_judged(last),
        )
    missing = [i for i in judgements.FAMILIAR_ITEMS if i not in judged]
    if missing:
        key = "familiar.unjudged" if not rows else "familiar.partly"
        condition = _condition(
            "familiar", False, key, items=names.join(judgements.item_label(i) for i in missing)
        )
        return dataclasses.replace(condition, pending=True)
    last = max(rows, key=lambda r: r.judged_at)
    return _condition(
        "familiar", True, "familiar.ok", stage=judgements.stage_label(last.stage), **_judged(last)
    )


def _admin_staff(agency: Agency) -> Condition:
    staff = agency.admin_staff.strip()
    if staff:
        return _condition("admin_staff", True, "admin_staff.ok", name=staff)
    return _condition("admin_staff", False, "admin_staff.fail")


def _no_violation(agency: Agency) -> Condition:
    record = agency.violation_record.strip()
    if not record:
        return _condition("no_violation", True, "no_violation.ok")
    return _condition("no_violation", False, "no_violation.fail", record=record)


def _judgements(
    session: Session, agency: Agency, application: Application | None
) -> dict[str, ApplicationJudgement]:
    """The experts' standing judgements on the agency's current application."""
    if application is None and agency.id is not None:
        try:
            application = current_application(session, agency.id)
        except NotFound:
            return {}
    return judgements.judgements_of(session, application.id if application else None)


def check_eligibility(
    session: Session,
    agency: Agency,
    today: date | None = None,
    *,
    application: Application | None = None,
) -> Eligibility:
    """Every Art. 8 condition for `agency` on `today` (default: today), in article order,
    with the experts' judgements on `application` (default: the current one)."""
    today = today or date.today()
    judged = _judgements(session, agency, application)
    consultants = consultants_of(session, agency.id) if agency.id is not None else []
    elsewhere = registered_elsewhere(session, agency)
    not_here = {e.consultant.id for e in elsewhere if not e.counts_here}
    excluded = list({e.consultant.id: e for e in elsewhere if not e.counts_here}.values())
    counted = [c for c in consultants if c.id not in not_here]
    conditions = (
        _all_of(
            "legal_person_office",
            {
                "no_legal_person": agency.independent_legal_person,
                "no_office": agency.fixed_office,
            },
        ),
        _business_scope(agency, judged),
        _service_years(agency, today),
        _familiar(judged),
        _admin_staff(agency),
        _at_least("consultants", len(counted), MIN_CONSULTANTS, excluded),
        _at_least(
            "senior_titles",
            sum(c.senior_title for c in counted),
            MIN_SENIOR_TITLES,
            [e for e in excluded if e.consultant.senior_title],
        ),
        _one_agency(elsewhere),
        _all_of(
            "documents",
            {
                "no_process_docs": agency.process_docs_complete,
                "no_licences": agency.licences_complete,
            },
        ),
        _no_violation(agency),
    )
    return Eligibility(all(c.passed for c in conditions), conditions, tuple(elsewhere))
