"""Registering agencies and consultants and the Art. 9 checklist (the experts'
Art. 8(2) and 8(3) judgements are `workflow.registry.judgements`). Functions flush but never commit: the caller owns the
transaction (`workflow.core.db.transaction`).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from datetime import date

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from workflow.core.db import as_row_id
from workflow.core.errors import InvalidInput, NotFound, Refused
from workflow.registry.forms import (
    FieldError,
    FormErrors,
    validate_agency_fields,
    validate_consultant_fields,
)
from workflow.registry.models import MATERIALS, Agency, Application, Consultant

# ---------------------------------------------------------------------------
# Looking things up
# ---------------------------------------------------------------------------


def find_agency(session: Session, ref: str | int) -> Agency:
    """The agency by numeric id or by unified social credit code."""
    agency: Agency | None = None
    text = unicodedata.normalize("NFKC", str(ref)).strip().upper()
    if len(text) == 18:
        agency = session.exec(select(Agency).where(Agency.credit_code == text)).first()
    elif (row_id := as_row_id(text)) is not None:
        agency = session.get(Agency, row_id)
    if agency is None:
        raise NotFound("registry.agency_not_found", ref=ref)
    return agency


def find_agency_named(session: Session, ref: object) -> Agency:
    """The agency by number, credit code or exact full name: what people type at the
    terminal and in spreadsheets."""
    text = str(ref or "").strip()
    try:
        return find_agency(session, text)
    except NotFound:
        found = session.exec(select(Agency).where(Agency.name == text)).first()
        if found is None:
            raise NotFound("registry.agency_not_named", ref=text) from None
        return found


def list_agencies(session: Session, status: str | None = None) -> list[Agency]:
    """Agencies by id, optionally only those in one lifecycle state."""
    query = select(Agency).order_by(col(Agency.id))
    if status:
        query = query.where(Agency.status == status)
    return list(session.exec(query).all())


def consultants_of(session: Session, agency_id: int) -> list[Consultant]:
    """The agency's consultants in the order they were added."""
    query = select(Consultant).where(Consultant.agency_id == agency_id).order_by(col(Consultant.id))
    return list(session.exec(query).all())


def current_application(session: Session, agency_id: int) -> Application:
    """The newest application of the agency."""
    application = session.exec(
        select(Application)
        .where(Application.agency_id == agency_id)
        .order_by(col(Application.applied_at).desc(), col(Application.id).desc())
    ).first()
    if application is None:
        raise NotFound("registry.no_application", agency=agency_id)
    return application


def missing_materials(application: Application) -> list[str]:
    """The Art. 9 materials not yet ticked, in the order of the article."""
    return [name for name in MATERIALS if not getattr(application, name)]


# ---------------------------------------------------------------------------
# Changing the registry (flush, never commit)
# ---------------------------------------------------------------------------


def duplicate_credit_code(session: Session, code: str) -> FieldError | None:
    """The error for a credit code another agency already has, or None."""
    existing = session.exec(select(Agency).where(Agency.credit_code == code)).first()
    if existing is None:
        return None
    return FieldError(
        "credit_code", "registry.duplicate_credit_code", {"name": existing.name, "id": existing.id}
    )


def duplicate_id_number(session: Session, agency_id: int, number: str) -> FieldError | None:
    """The error for an ID number the agency already has a consultant with, or None."""
    existing = session.exec(
        select(Consultant).where(Consultant.agency_id == agency_id, Consultant.id_number == number)
    ).first()
    if existing is None:
        return None
    return FieldError(
        "id_number", "registry.duplicate_id_number", {"name": existing.name}, "consultant"
    )


def register_agency(
    session: Session, fields: Mapping[str, object], *, today: date | None = None
) -> Agency:
    """A new agency (state `applied`) with its first application, all fields checked.

    `fields` holds the agency form, the Art. 8 facts and the Art. 9 checklist items
    (False unless given).
    Raises `FormErrors` with every field error; nothing is added then."""
    values, checklist, errors = validate_agency_fields(fields, today=today)
    code = values.get("credit_code")
    if code:
        duplicate = duplicate_credit_code(session, code)
        if duplicate:
            errors.append(duplicate)
    if errors:
        raise FormErrors(errors)
    agency = Agency(**values)
    session.add(agency)
    try:
        session.flush()
    except IntegrityError:
        # another session registered the same code between our check and our insert
        raise FormErrors(
            [FieldError("credit_code", "registry.duplicate_credit_code_now")]
        ) from None
    assert agency.id is not None
    application = Application(agency_id=agency.id)
    for name, ticked in checklist.items():
        setattr(application, name, ticked)
    session.add(application)
    session.flush()
    return agency


def add_consultant(
    session: Session,
    agency_id: int,
    fields: Mapping[str, object],
    *,
    today: date | None = None,
) -> Consultant:
    """A consultant of the agency, every field checked; the same ID number twice
    in one agency is refused."""
    if session.get(Agency, agency_id) is None:
        raise NotFound("registry.agency_not_found", ref=agency_id)
    values, errors = validate_consultant_fields(fields, today=today)
    number = values.get("id_number")
    duplicate = duplicate_id_number(session, agency_id, number) if number else None
    if duplicate:
        errors.append(duplicate)
    if errors:
        raise FormErrors(errors)
    consultant = Consultant(agency_id=agency_id, **values)
    session.add(consultant)
    try:
        session.flush()
    except IntegrityError:
        raise FormErrors(
            [FieldError("id_number", "registry.duplicate_id_number_now", {}, "consultant")]
        ) from None
    return consultant


def set_materials(session: Session, agency_id: int, materials: Mapping[str, bool]) -> Application:
    """Tick or untick Art. 9 checklist items on the agency's current application."""
    unknown = [name for name in materials if name not in MATERIALS]
    if unknown:
        raise InvalidInput(
            "registry.unknown_material", name=", ".join(unknown), known=", ".join(MATERIALS)
        )
    for name, value in materials.items():
        if not isinstance(value, bool):
            raise InvalidInput("registry.material_not_bool", name=name)
    application = current_application(session, agency_id)
    if application.closed:
        raise Refused("registry.application_closed", agency=agency_id)
    for name, value in materials.items():
        setattr(application, name, value)
    session.add(application)
    session.flush()
    return application
