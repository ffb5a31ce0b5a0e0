"""Eligibility of an agency under Art. 8: each condition with pass/fail and why.

The conditions follow the article's order. All but one are facts in the
registry (the agency form, the Art. 8 facts the agency states, its consultants);
"familiar with both programmes" (Art. 8(3)) is the experts' judgement, recorded
by an admin with `workflow.registry.service.record_familiarity`; until then it fails as
"not yet judged". Reasons are sentences from the `registry` catalogue in the
current language, e.g. "咨询人员 4 名，少于 5 名".

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
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from workflow.core.i18n import workflow_texts
from workflow.core.privacy import mask_id
from workflow.lifecycle.states import HOLDING, state_label
from workflow.registry.models import Agency, Consultant
from workflow.registry.service import consultants_of

MIN_CONSULTANTS = 5
MIN_SENIOR_TITLES = 2
MIN_SERVICE_YEARS = 2
SCOPE_SUBJECTS = ("安全生产", "应急管理")
SCOPE_SERVICES = ("咨询", "技术服务", "评价")
SCOPE_CLAUSES = re.compile(r"[；;。，,、\n]+")

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

    def as_dict(self) -> dict[str, Any]:
        """JSON-safe form for `--json` output and the bot."""
        return {
            "passed": self.passed,
            "conditions": [
                {
                    "code": c.code,
                    "title": c.title,
                    "passed": c.passed,
                    "flagged": c.flagged,
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
    """One clause of the business scope names work-safety or emergency-management
    consulting (咨询, 技术服务 or 评价): "安全生产设备销售；信息咨询" names both words in
    different clauses and does not qualify."""
    return any(
        any(s in clause for s in SCOPE_SUBJECTS) and any(s in clause for s in SCOPE_SERVICES)
        for clause in SCOPE_CLAUSES.split(scope)
    )


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


def _business_scope(agency: Agency) -> Condition:
    scope = agency.business_scope.strip()
    if not scope:
        return _condition("business_scope", False, "business_scope.empty")
    if scope_covers_consulting(scope):
        found = "、".join(s for s in SCOPE_SUBJECTS if s in scope)
        return _condition("business_scope", True, "business_scope.ok", found=found)
    return _condition("business_scope", False, "business_scope.fail")


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


def _familiar(agency: Agency) -> Condition:
    if agency.familiar_judgement is None:
        return _condition("familiar", False, "familiar.unjudged")
    judged = {
        "by": agency.familiar_judged_by or _text("familiar.unknown_judge"),
        "on": agency.familiar_judged_at.date().isoformat() if agency.familiar_judged_at else "",
    }
    if agency.familiar_judgement:
        return _condition("familiar", True, "familiar.ok", **judged)
    return _condition("familiar", False, "familiar.fail", **judged)


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


def check_eligibility(session: Session, agency: Agency, today: date | None = None) -> Eligibility:
    """Every Art. 8 condition for `agency` on `today` (default: today), in article order."""
    today = today or date.today()
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
        _business_scope(agency),
        _service_years(agency, today),
        _familiar(agency),
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
