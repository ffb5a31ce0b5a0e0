"""The agency acting for itself: a bound contact (`tg:<id>`) or its web sign-in
(`agency:<id>`) records its Art. 11 work, hands in its Art. 15 documents and files an
objection to its own result — never another agency's."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import Session

from tests.workflow.assessment_builders import assessed_agency, full_points
from tests.workflow.guidance.helpers import CONTACT_ID, TODAY, YEAR, guided
from workflow.access.actors import Actor
from workflow.assessment import objections
from workflow.assessment.models import Publication
from workflow.core.errors import InvalidInput, Refused
from workflow.core.settings import Settings
from workflow.guidance.activities import parse_fields, record_activity, recorder_on_behalf
from workflow.reminders import contacts
from workflow.reminders.contacts import StoredFile, check_content, hand_in, speaks_for


def test_the_agency_key_and_a_bound_contact_speak_for_their_own_agency_only(
    session: Session,
) -> None:
    world = guided(session)
    other = guided(session, name="和平里社区", contact_id=CONTACT_ID + 1)
    own = Actor.web(f"agency:{world.agency_id}", "本机构")
    assert speaks_for(session, own, world.agency_id)
    assert not speaks_for(session, own, other.agency_id)
    assert speaks_for(session, Actor.web(f"tg:{CONTACT_ID}", "王"), world.agency_id)
    assert not speaks_for(session, world.contact, other.agency_id)
    assert not speaks_for(session, Actor.cli("admin"), world.agency_id)
    assert not speaks_for(session, Actor.web("agency:x", "?"), world.agency_id)


def test_the_agency_signed_in_on_the_web_records_its_own_work_only(
    session: Session, settings: Settings
) -> None:
    world = guided(session)
    other = guided(session, name="和平里社区", contact_id=CONTACT_ID + 1)
    own = Actor.web(f"agency:{world.agency_id}", "本机构")
    assert recorder_on_behalf(session, own, world.agency_id, settings) is False
    made = record_activity(
        session,
        world.agency_id,
        world.unit_id,
        YEAR,
        parse_fields("培训", "2026-03-05", topic="建设理念"),
        own,
        settings,
        today=TODAY,
    )
    assert (made.recorded_by, made.on_behalf) == (f"agency:{world.agency_id}", False)
    with pytest.raises(Refused, match="没有"):
        recorder_on_behalf(session, own, other.agency_id, settings)


def _stored(tmp_path: Path, sha256: str = "ab" * 32) -> StoredFile:
    path = tmp_path / "report.pdf"
    path.write_bytes(b"%PDF-1.7 report")
    return StoredFile(path, "年度报告.pdf", "application/pdf", 15, sha256)


def test_documents_are_handed_in_by_the_agency_itself_and_once(
    session: Session, tmp_path: Path
) -> None:
    world = guided(session)
    own = Actor.web(f"agency:{world.agency_id}", "本机构")
    row = hand_in(session, world.agency_id, YEAR, "report", _stored(tmp_path), own)
    assert (row.kind, row.telegram_user_id, row.submitted_by, row.file_unique_id) == (
        "report",
        None,
        f"agency:{world.agency_id}",
        "sha256:" + "ab" * 32,
    )
    other_file = _stored(tmp_path, "cd" * 32)
    by_contact = hand_in(session, world.agency_id, YEAR, "evidence", other_file, world.contact)
    assert (by_contact.telegram_user_id, by_contact.submitted_by) == (
        CONTACT_ID,
        f"tg:{CONTACT_ID}",
    )
    assert contacts.document_counts(session, world.agency_id, YEAR) == {"report": 1, "evidence": 1}
    with pytest.raises(Refused, match="已经提交过"):
        hand_in(session, world.agency_id, YEAR, "report", _stored(tmp_path), own)
    with pytest.raises(Refused, match="只有本机构"):
        hand_in(session, world.agency_id, YEAR, "report", _stored(tmp_path), Actor.cli("admin"))
    with pytest.raises(InvalidInput, match="chess"):
        hand_in(session, world.agency_id, YEAR, "chess", _stored(tmp_path), own)


@pytest.mark.parametrize(
    ("extension", "content", "accepted"),
    [
        ("png", b"\x89PNG\r\n\x1a\n....", True),
        ("jpg", b"\xff\xd8\xff\xe0", True),
        ("pdf", b"%PDF-1.4", True),
        ("docx", b"PK\x03\x04", False),  # a zip, but no [Content_Types].xml: not OOXML
        ("xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", True),
        ("jpg", b"MZ\x90\x00", False),
        ("pdf", b"<html>", False),
        ("png", b"", False),
    ],
)
def test_the_content_must_match_the_extension(
    tmp_path: Path, extension: str, content: bytes, accepted: bool
) -> None:
    path = tmp_path / f"f.{extension}"
    path.write_bytes(content)
    if accepted:
        check_content(path, extension)
    else:
        with pytest.raises(InvalidInput, match="内容与扩展名"):
            check_content(path, extension)


def test_the_agency_files_its_own_objection_received_today_one_at_a_time(
    session: Session, settings: Settings
) -> None:
    agency = assessed_agency(session, settings, full_points(), year=2025, guided=(2025,))
    other = assessed_agency(session, settings, full_points(), year=2025, guided=(2025,))
    assert agency.id is not None and other.id is not None
    now = datetime(2026, 1, 6, 4, 0, tzinfo=UTC)
    start = now.date() - timedelta(days=1)
    session.add(Publication(year=2025, starts=start, ends=start + timedelta(days=7), opened_by="x"))
    session.flush()
    own = Actor.web(f"agency:{agency.id}", "本机构")
    made = objections.record(
        session, agency.id, 2025, "指标2.4未计分", own, settings, received_on=start, now=now
    )
    assert (made.received_on, made.recorded_by) == (now.date(), own.key)
    with pytest.raises(Refused, match="待处理"):
        objections.record(session, agency.id, 2025, "再提一次", own, settings, now=now)
    with pytest.raises(Refused, match="没有"):
        objections.record(session, other.id, 2025, "替别人提", own, settings, now=now)
    assert [o.id for o in objections.of_agency(session, agency.id, 2025)] == [made.id]
