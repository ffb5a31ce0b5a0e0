"""The registry tables: agencies, consultants and applications (with the Art. 9
checklist and the experts' Art. 8(2) and 8(3) judgements on each application). Field names follow the two official forms; the Chinese label of
each is in `workflow.registry.forms.FIELD_LABELS`. `Agency.status` is the
lifecycle state: only `workflow.lifecycle.engine` changes it, and
assigning it anywhere else raises, whatever has been imported (the listener
below is part of the model).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime

from sqlalchemy import UniqueConstraint, event, inspect
from sqlmodel import Field, SQLModel

from workflow.core.clock import utcnow
from workflow.core.errors import Refused
from workflow.lifecycle.states import INITIAL

# the tables our foreign keys name, so they are mapped whatever imported this module
from workflow.rounds.models import Round  # noqa: F401

# The six Art. 9 application materials, in the order of the article.
MATERIALS: tuple[str, ...] = (
    "business_licence",
    "agency_form",
    "consultant_forms",
    "process_control_docs",
    "management_rules",
    "performance_report",
)


class Agency(SQLModel, table=True):
    """A consulting agency: the agency form plus the facts Art. 8 asks about."""

    id: int | None = Field(default=None, primary_key=True)
    # 单位登记表
    name: str = Field(max_length=200, index=True)
    address: str = Field(max_length=300)
    licence_place: str = Field(max_length=200)
    credit_code: str = Field(max_length=18, unique=True)
    postcode: str = Field(max_length=6)
    legal_representative: str = Field(max_length=50)
    office_phone: str = Field(max_length=30)
    fax: str = Field(default="", max_length=30)
    principal: str = Field(max_length=50)
    principal_mobile: str = Field(max_length=20)
    principal_office_phone: str = Field(default="", max_length=30)
    principal_fax: str = Field(default="", max_length=30)
    performance_summary: str = Field(default="")
    # Art. 8 facts
    independent_legal_person: bool = False
    fixed_office: bool = False
    business_scope: str = Field(default="")
    service_since: date | None = None
    admin_staff: str = Field(default="", max_length=50)
    process_docs_complete: bool = False
    licences_complete: bool = False
    violation_record: str = Field(default="")
    # lifecycle (owned by workflow.lifecycle)
    status: str = Field(default=INITIAL.value, max_length=20, index=True)
    version: int = Field(default=1)
    created_at: datetime = Field(default_factory=utcnow)


class Consultant(SQLModel, table=True):
    """A consultant: every field of the consultant form (人员登记表)."""

    __table_args__ = (UniqueConstraint("agency_id", "id_number", name="uq_consultant_id_number"),)

    id: int | None = Field(default=None, primary_key=True)
    agency_id: int = Field(foreign_key="agency.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=50)
    gender: str = Field(max_length=2)
    birth_date: date
    photo: str = Field(default="", max_length=300)
    employer_department: str = Field(default="", max_length=200)
    position: str = Field(default="", max_length=50)
    title: str = Field(default="", max_length=50)
    senior_title: bool = False
    specialty: str = Field(default="", max_length=100)
    address: str = Field(default="", max_length=300)
    postcode: str = Field(default="", max_length=6)
    mobile: str = Field(max_length=20)
    email: str = Field(default="", max_length=200)
    id_number: str = Field(max_length=18)
    school: str = Field(default="", max_length=100)
    education: str = Field(default="", max_length=20)
    degree: str = Field(default="", max_length=20)
    certificates: str = Field(default="")
    years_consulting: int = Field(default=0, ge=0)
    cv: str = Field(default="")
    pledge_date: date | None = None


class ConsultantPhoto(SQLModel, table=True):
    """The consultant's photo (人员登记表 照片) as the image itself, JPEG or PNG, checked
    by its first bytes; at most one per consultant, replaced by a correction."""

    consultant_id: int = Field(foreign_key="consultant.id", primary_key=True, ondelete="CASCADE")
    media_type: str = Field(max_length=20)
    data: bytes
    stored_at: datetime = Field(default_factory=utcnow)
    stored_by: str = Field(max_length=100)


class Application(SQLModel, table=True):
    """One application of an agency: the Art. 9 checklist and the round's scores."""

    id: int | None = Field(default=None, primary_key=True)
    agency_id: int = Field(foreign_key="agency.id", index=True, ondelete="CASCADE")
    round_id: int | None = Field(default=None, foreign_key="round.id", index=True)
    applied_at: datetime = Field(default_factory=utcnow)
    received_on: date | None = None
    """收件日期: the local day the written application reached the Association (Art. 10);
    set when it joins a round, and what breaks ranking ties instead of `applied_at`."""
    # Art. 9 checklist
    business_licence: bool = False
    agency_form: bool = False
    consultant_forms: bool = False
    process_control_docs: bool = False
    management_rules: bool = False
    performance_report: bool = False
    # Art. 10 scores (0-100 each)
    material_score: float | None = Field(default=None, ge=0, le=100)
    interview_score: float | None = Field(default=None, ge=0, le=100)
    closed: bool = False


class ApplicationJudgement(SQLModel, table=True):
    """One judgement of the expert panel on one application (Art. 8(2), 8(3)): whether
    the business scope names related consulting (`item` = `business_scope`), or whether
    the agency is familiar with the programmes' procedures and standards (`procedures`)
    and able to guide one of the seven fields. The newest judgement of an item stands;
    every one is in the audit log with who and why. A new application starts without."""

    __table_args__ = (
        UniqueConstraint("application_id", "item", name="uq_applicationjudgement_item"),
    )

    id: int | None = Field(default=None, primary_key=True)
    application_id: int = Field(foreign_key="application.id", index=True, ondelete="CASCADE")
    item: str = Field(max_length=30)
    passed: bool
    reason: str = Field(default="")
    judged_by: str = Field(max_length=100)
    judged_at: datetime = Field(default_factory=utcnow)
    stage: str = Field(max_length=20)
    """`review` (材料审核), `interview` (面试答辩, Art. 10(2)) or `migrated` (moved from the
    agency by migration 0010)."""


# --- the status column is protected ----------------------------------------------

_status_writer: ContextVar[bool] = ContextVar("agency_status_writer", default=False)


@contextmanager
def status_writer() -> Iterator[None]:
    """Allow assigning `Agency.status` inside the block: for the lifecycle engine only."""
    token = _status_writer.set(True)
    try:
        yield
    finally:
        _status_writer.reset(token)


@event.listens_for(Agency.status, "set")
def _refuse_direct_status(target: Agency, value: object, _old: object, _initiator: object) -> None:
    """Only the lifecycle engine changes `status`; a new agency may start in `applied`."""
    if _status_writer.get():
        return
    if inspect(target).key is None and value == INITIAL:
        return
    raise Refused("lifecycle.status_protected")
