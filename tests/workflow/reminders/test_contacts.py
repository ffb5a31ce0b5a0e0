"""Agency contacts: one-time link tokens, binding, unbinding, and what an agency hands in."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from tests.builders import make_agency
from tests.workflow.lifecycle_steps import agency_in, pretend_finalised
from workflow.access.actors import Actor
from workflow.core.db import transaction
from workflow.core.errors import InvalidInput, NotFound, Refused
from workflow.core.settings import Settings, load_settings
from workflow.registry.models import Agency
from workflow.reminders import contacts
from workflow.reminders.models import AgencyContact, SubmittedDocument
from workflow.reminders.plan import AgencyFacts

ALICE, BOB, CAROL = 1001, 1002, 1003


def agency(session: Session, status: str = "filed") -> Agency:
    """An agency in `status`, reached along a legal lifecycle path."""
    if status == "applied":
        return make_agency(session, consultants=0)
    return agency_in(session, status, load_settings())


def document(agency_id: int, kind: str, unique: str, year: int = 2026) -> SubmittedDocument:
    return SubmittedDocument(
        agency_id=agency_id,
        year=year,
        kind=kind,
        stored_path=f"uploads/{year}/{agency_id}/{unique}.pdf",
        original_name="年度工作报告.pdf",
        mime_type="application/pdf",
        size=1234,
        file_unique_id=unique,
        telegram_user_id=ALICE,
    )


def test_link_tokens_are_unguessable_and_fit_a_deep_link(any_engine: Engine) -> None:
    with transaction(any_engine) as session:
        firm = agency(session)
        tokens = {contacts.issue_link_token(session, firm, "admin").token for _ in range(20)}
    assert len(tokens) == 20
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{43}", token) for token in tokens)


def test_opening_the_link_binds_the_user_and_opening_it_again_is_harmless(
    any_engine: Engine,
) -> None:
    with transaction(any_engine) as session:
        firm = agency(session)
        token = contacts.issue_link_token(session, firm, "admin").token
    with transaction(any_engine) as session:
        link = contacts.find_link_token(session, token)
        assert link is not None
        contact, new = contacts.bind_contact(session, link, ALICE, "李联系")
        assert new and contact.agency_id == firm.id
    with transaction(any_engine) as session:
        link = contacts.find_link_token(session, token)
        assert link is not None
        _, new = contacts.bind_contact(session, link, ALICE, "李联系")
        assert new is False
        assert [c.telegram_user_id for c in contacts.contacts_of(session, firm.id or 0)] == [ALICE]


def test_an_agency_has_several_contacts_each_with_their_own_link(any_engine: Engine) -> None:
    with transaction(any_engine) as session:
        firm = agency(session)
        for user in (ALICE, BOB):
            link = contacts.issue_link_token(session, firm, "admin")
            contacts.bind_contact(session, link, user, "联系人")
        assert [c.telegram_user_id for c in contacts.contacts_of(session, firm.id or 0)] == [
            ALICE,
            BOB,
        ]


def test_a_used_link_does_not_bind_someone_else(any_engine: Engine) -> None:
    with transaction(any_engine) as session:
        firm = agency(session)
        link = contacts.issue_link_token(session, firm, "admin")
        contacts.bind_contact(session, link, ALICE, "李联系")
    with pytest.raises(Refused) as refused, transaction(any_engine) as session:
        link = contacts.find_link_token(session, link.token)
        assert link is not None
        contacts.bind_contact(session, link, BOB, "王某")
    assert refused.value.key == "contacts.token_used"
    with Session(any_engine) as session:
        assert contacts.contact_of(session, BOB) is None


def test_a_contact_of_one_agency_cannot_bind_to_another_until_unbound(any_engine: Engine) -> None:
    with transaction(any_engine) as session:
        first, second = agency(session), agency(session)
        contacts.bind_contact(
            session, contacts.issue_link_token(session, first, "admin"), ALICE, "李"
        )
        other_token = contacts.issue_link_token(session, second, "admin").token
    with pytest.raises(Refused) as refused, transaction(any_engine) as session:
        link = contacts.find_link_token(session, other_token)
        assert link is not None
        contacts.bind_contact(session, link, ALICE, "李")
    assert refused.value.key == "contacts.bound_elsewhere"
    assert first.name in refused.value.message("zh")
    with transaction(any_engine) as session:
        link = contacts.find_link_token(session, other_token)
        assert link is not None and link.used_by is None  # nothing written
        contacts.unbind(session, first.id or 0, ALICE)
    with transaction(any_engine) as session:
        link = contacts.find_link_token(session, other_token)
        assert link is not None
        contact, new = contacts.bind_contact(session, link, ALICE, "李")
        assert new and contact.agency_id == second.id


def test_unbinding_someone_who_is_not_a_contact_of_that_agency_is_refused(
    any_engine: Engine,
) -> None:
    with transaction(any_engine) as session:
        first, second = agency(session), agency(session)
        contacts.bind_contact(
            session, contacts.issue_link_token(session, first, "admin"), ALICE, "李"
        )
    for agency_id, user in ((first.id, BOB), (second.id, ALICE)):
        with pytest.raises(NotFound) as missing, transaction(any_engine) as session:
            contacts.unbind(session, agency_id or 0, user)
        assert missing.value.key == "contacts.not_bound"
    with Session(any_engine) as session:
        assert len(session.exec(select(AgencyContact)).all()) == 1


@pytest.mark.parametrize(
    ("name", "mime"),
    [
        ("年度工作报告.pdf", "application/pdf"),
        ("报告.DOCX", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        ("签到表.xls", "application/vnd.ms-excel"),
        ("照片.png", "image/png"),
        ("材料.zip", "application/x-zip-compressed"),
        ("未知类型.pdf", "application/octet-stream"),
        ("无类型.xlsx", ""),
    ],
)
def test_accepted_upload_types(name: str, mime: str, settings: Settings) -> None:
    assert contacts.check_upload(name, mime, 1000, settings) == name.rsplit(".", 1)[1].lower()


@pytest.mark.parametrize(
    ("name", "mime"),
    [
        ("程序.exe", "application/x-msdownload"),
        ("没有扩展名", "application/pdf"),
        ("伪装.pdf", "image/png"),
        ("脚本.js", "text/javascript"),
    ],
)
def test_refused_upload_types(name: str, mime: str, settings: Settings) -> None:
    with pytest.raises(InvalidInput) as refused:
        contacts.check_upload(name, mime, 1000, settings)
    assert refused.value.key == "contacts.upload_type"
    assert "pdf" in refused.value.message("zh")


def test_size_limit_is_the_setting_in_megabytes() -> None:
    small = load_settings(upload_max_mb=2)
    assert contacts.check_upload("a.pdf", "application/pdf", 2 * 1024 * 1024, small) == "pdf"
    with pytest.raises(InvalidInput) as refused:
        contacts.check_upload("a.pdf", "application/pdf", 2 * 1024 * 1024 + 1, small)
    assert refused.value.key == "contacts.upload_too_large"
    assert "2 MB" in refused.value.message("zh")
    contacts.check_size(None, small)  # unknown size: checked after download


@pytest.mark.parametrize(
    ("caption", "kind"),
    [
        ("报告", "report"),
        (" 年度工作报告 ", "report"),
        ("Report", "report"),
        ("风险辨识报告", "evidence"),
        ("", "evidence"),
        (None, "evidence"),
    ],
)
def test_the_caption_decides_report_or_evidence(caption: str | None, kind: str) -> None:
    assert contacts.document_kind(caption) == kind


def test_documents_count_per_kind_and_year_and_the_same_file_is_recorded_once(
    any_engine: Engine,
) -> None:
    with transaction(any_engine) as session:
        firm = agency(session)
        firm_id = firm.id or 0
        assert contacts.missing_documents(session, firm_id, 2026) == ("report", "evidence")
        contacts.record_document(session, document(firm_id, "evidence", "u1"))
        contacts.record_document(session, document(firm_id, "evidence", "u2"))
        contacts.record_document(session, document(firm_id, "report", "u3", year=2025))
        assert contacts.document_counts(session, firm_id, 2026) == {"report": 0, "evidence": 2}
        assert contacts.missing_documents(session, firm_id, 2026) == ("report",)
        assert contacts.already_submitted(session, firm_id, 2026, "u1")
        assert not contacts.already_submitted(session, firm_id, 2026, "u3")
    with pytest.raises(IntegrityError), transaction(any_engine) as session:
        contacts.record_document(session, document(firm_id, "report", "u1"))


def test_a_document_of_an_unknown_kind_is_refused(any_engine: Engine) -> None:
    with pytest.raises(InvalidInput) as refused, transaction(any_engine) as session:
        firm = agency(session)
        contacts.record_document(session, document(firm.id or 0, "invoice", "u1"))
    assert refused.value.key == "contacts.document_kind"


def test_only_a_contact_of_the_agency_may_reclassify_its_document(any_engine: Engine) -> None:
    with transaction(any_engine) as session:
        firm, other = agency(session), agency(session)
        contacts.bind_contact(session, contacts.issue_link_token(session, firm, "a"), ALICE, "李")
        contacts.bind_contact(session, contacts.issue_link_token(session, other, "a"), BOB, "王")
        doc_id = contacts.record_document(session, document(firm.id or 0, "evidence", "u1")).id
    assert doc_id is not None
    for intruder in (BOB, CAROL):
        with pytest.raises(NotFound), transaction(any_engine) as session:
            contacts.change_kind(session, doc_id, "report", intruder)
    with transaction(any_engine) as session:
        assert contacts.change_kind(session, doc_id, "report", ALICE).kind == "report"


def test_agency_facts_cover_reporting_agencies_with_their_chats_and_gaps(
    any_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    pretend_finalised(monkeypatch)  # `retained` comes after an assessment
    with transaction(any_engine) as session:
        filed, retained, applied = (
            agency(session),
            agency(session, "retained"),
            agency(session, "applied"),
        )
        contacts.bind_contact(session, contacts.issue_link_token(session, filed, "a"), ALICE, "李")
        contacts.bind_contact(session, contacts.issue_link_token(session, filed, "a"), BOB, "王")
        contacts.bind_contact(
            session, contacts.issue_link_token(session, applied, "a"), CAROL, "赵"
        )
        contacts.record_document(session, document(retained.id or 0, "report", "r1"))
        contacts.record_document(session, document(retained.id or 0, "evidence", "r2", year=2025))
        facts = contacts.agency_facts(session, 2026)
    assert facts == [
        AgencyFacts(filed.id or 0, filed.name, (ALICE, BOB), ("report", "evidence")),
        AgencyFacts(retained.id or 0, retained.name, (), ("evidence",)),
    ]


def test_the_same_document_handed_in_twice_at_once_is_refused_not_a_crash(
    any_engine: Engine, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Two sends of one file: the second passes the "already handed in?" look while the
    first is not committed yet, then meets the unique key; it is the same refusal."""
    with transaction(any_engine) as session:
        firm_id = agency(session).id or 0
    actor = Actor.web(f"agency:{firm_id}", "测试机构")
    stored = contacts.StoredFile(
        tmp_path / "r.pdf", "年度报告.pdf", "application/pdf", 9, "ab" * 32
    )
    first = Session(any_engine)
    contacts.hand_in(first, firm_id, 2026, "report", stored, actor)
    looked = contacts.already_submitted

    def look_then_let_the_first_commit(*args: Any) -> bool:
        seen = looked(*args)
        first.commit()  # the first send commits between the second's look and insert
        return seen

    monkeypatch.setattr(contacts, "already_submitted", look_then_let_the_first_commit)
    with Session(any_engine) as second:
        with pytest.raises(Refused, match="已经提交过2026年的材料"):
            contacts.hand_in(second, firm_id, 2026, "report", stored, actor)
        assert second.exec(select(SubmittedDocument)).one().submitted_by == actor.key
    first.close()
