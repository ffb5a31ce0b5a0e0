"""The test-data builders make records the registry accepts."""

from sqlmodel import Session, select

from tests.builders import consultant_fields, credit_code, id_number, make_agency
from workflow.registry.identifiers import is_valid_credit_code, is_valid_id_number
from workflow.registry.models import Application, Consultant


def test_builders_make_valid_codes() -> None:
    assert all(is_valid_credit_code(credit_code(seed)) for seed in range(50))
    assert all(is_valid_id_number(id_number(seed=seed)) for seed in range(50))


def test_make_agency_stores_consultants_and_application(any_engine) -> None:
    with Session(any_engine) as session:
        agency = make_agency(session, consultants=6, seniors=3)
        consultants = session.exec(
            select(Consultant).where(Consultant.agency_id == agency.id)
        ).all()
        assert len(consultants) == 6
        assert sum(c.senior_title for c in consultants) == 3
        assert session.exec(select(Application).where(Application.agency_id == agency.id)).one()
        assert agency.status == "applied"


def test_consultant_fields_pass_the_registry_validation(engine) -> None:
    from workflow.registry.service import add_consultant

    with Session(engine) as session:
        agency = make_agency(session, consultants=0)
        assert agency.id is not None
        for gender in ("男", "女", "男", "女"):
            add_consultant(session, agency.id, consultant_fields(gender=gender))
        session.commit()
