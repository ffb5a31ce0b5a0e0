"""Evidence files (Art. 11 records, indicators 4.1/4.2): stored with their checksum,
file and row together or neither, the same content once per agency and campaign."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update as sa_update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, col, select

from tests.builders import office_file
from tests.workflow.guidance.helpers import TODAY, YEAR, World, guided
from workflow.access.actors import Actor
from workflow.core.db import BEGIN
from workflow.core.errors import InvalidInput, Refused
from workflow.core.settings import Settings
from workflow.guidance import evidence
from workflow.guidance.activities import parse_fields, record_activity
from workflow.guidance.models import EvidenceFile
from workflow.lifecycle.models import AuditEntry
from workflow.registry.models import Agency
from workflow.reminders import contacts
from workflow.reminders.models import SubmittedDocument


@pytest.fixture
def recorded(any_engine: Engine, settings: Settings) -> tuple[Engine, int, World]:
    with Session(any_engine, expire_on_commit=False) as session:
        world = guided(session)
        activity = record_activity(
            session,
            world.agency_id,
            world.unit_id,
            YEAR,
            parse_fields("培训", "2026-03-05", topic="建设理念"),
            world.contact,
            settings,
            today=TODAY,
        )
        session.commit()
        assert activity.id is not None
        return any_engine, activity.id, world


def _photo(tmp_path: Path, content: bytes = b"\xff\xd8\xff\xe0 sign-in sheet") -> Path:
    path = tmp_path / "incoming.jpg"
    path.write_bytes(content)
    return path


def test_a_file_is_stored_with_its_checksum_and_audited(
    recorded: tuple[Engine, int, World], settings: Settings, tmp_path: Path
) -> None:
    engine, activity_id, world = recorded
    source = _photo(tmp_path)
    row = evidence.attach_file(
        engine,
        activity_id,
        source,
        "签到表.jpg",
        "image/jpeg",
        world.contact,
        settings,
    )
    stored = Path(row.stored_path)
    assert stored.read_bytes() == source.read_bytes()
    assert row.sha256 == hashlib.sha256(source.read_bytes()).hexdigest()
    assert stored.parent == evidence.folder(settings, row.agency_id, YEAR)
    with Session(engine) as session:
        entry = session.exec(
            select(AuditEntry).where(AuditEntry.trigger == "guidance.attach")
        ).one()
        assert (entry.reason, entry.subject) == ("签到表.jpg", f"activity:{activity_id}")


def test_the_same_content_twice_is_refused_naming_where_it_is(
    recorded: tuple[Engine, int, World], settings: Settings, tmp_path: Path
) -> None:
    engine, activity_id, world = recorded
    evidence.attach_file(
        engine,
        activity_id,
        _photo(tmp_path),
        "签到表.jpg",
        "image/jpeg",
        world.contact,
        settings,
    )
    folder = evidence.folder(settings, world.agency_id, YEAR)
    with pytest.raises(Refused) as refused:
        evidence.attach_file(
            engine,
            activity_id,
            _photo(tmp_path),
            "又一张.jpg",
            "image/jpeg",
            world.contact,
            settings,
        )
    assert refused.value.key == "guidance.duplicate_file"
    assert "幸福里社区" in str(refused.value) and "签到表.jpg" in str(refused.value)
    assert len(list(folder.iterdir())) == 1  # the refused copy was removed
    with Session(engine) as session:
        assert len(session.exec(select(EvidenceFile)).all()) == 1


def test_a_refused_type_leaves_nothing(
    recorded: tuple[Engine, int, World], settings: Settings, tmp_path: Path
) -> None:
    engine, activity_id, world = recorded
    source = tmp_path / "tool.exe"
    source.write_bytes(b"MZ")
    with pytest.raises(InvalidInput) as refused:
        evidence.attach_file(
            engine,
            activity_id,
            source,
            "tool.exe",
            "application/octet-stream",
            world.contact,
            settings,
        )
    assert refused.value.key == "contacts.upload_type"
    assert not evidence.folder(settings, world.agency_id, YEAR).exists()


def test_a_failed_transaction_removes_the_staged_file(
    recorded: tuple[Engine, int, World], settings: Settings, tmp_path: Path
) -> None:
    engine, activity_id, world = recorded
    stranger_actor = Actor.telegram(4242, "陌生人")
    with pytest.raises(Refused) as refused:
        evidence.attach_file(
            engine, activity_id, _photo(tmp_path), "a.jpg", "image/jpeg", stranger_actor, settings
        )
    assert refused.value.key == "lifecycle.no_role"
    folder = evidence.folder(settings, world.agency_id, YEAR)
    assert list(folder.iterdir()) == []


def test_removing_a_file_returns_its_path_for_after_the_commit(
    recorded: tuple[Engine, int, World], settings: Settings, tmp_path: Path
) -> None:
    engine, activity_id, world = recorded
    row = evidence.attach_file(
        engine,
        activity_id,
        _photo(tmp_path),
        "a.jpg",
        "image/jpeg",
        world.contact,
        settings,
    )
    with Session(engine) as session:
        path = evidence.remove_evidence(session, row.id or 0, world.admin, settings, reason="拍错")
        session.commit()
    assert path == row.stored_path and Path(path).exists()  # the caller unlinks it
    with Session(engine) as session:
        assert evidence.files_of(session, row.agency_id, YEAR) == []


# --- a browser's upload: stage, record and commit in one call ----------------------------


def _rows(engine: Engine, model: type[EvidenceFile] | type[SubmittedDocument]) -> list[Any]:
    with Session(engine) as session:
        return list(session.exec(select(model)).all())


def _writer(engine: Engine) -> Session:
    """A session as `transaction(engine)` opens one for the web page's upload: on SQLite
    it begins itself, so a savepoint opened before any write stays inside it."""
    return Session(engine.execution_options(**{BEGIN: "IMMEDIATE"}))


def _failing_commit(session: Session) -> None:
    """The commit fails (the database went away)."""

    def commit() -> None:
        raise OperationalError("COMMIT", {}, Exception("connection lost"))

    session.commit = commit  # type: ignore[method-assign]


def test_an_upload_is_staged_recorded_and_committed_in_one_call(
    recorded: tuple[Engine, int, World], settings: Settings, tmp_path: Path
) -> None:
    engine, activity_id, world = recorded
    with Session(engine, expire_on_commit=False) as session:
        row = evidence.attach_upload(
            session,
            activity_id,
            _photo(tmp_path),
            "签到表.jpg",
            "image/jpeg",
            world.contact,
            settings,
        )
    [kept] = _rows(engine, EvidenceFile)  # committed by the call itself
    assert (
        kept.id == row.id and Path(kept.stored_path).read_bytes() == _photo(tmp_path).read_bytes()
    )


def test_an_upload_whose_commit_fails_leaves_no_file(
    recorded: tuple[Engine, int, World], settings: Settings, tmp_path: Path
) -> None:
    engine, activity_id, world = recorded
    with _writer(engine) as session:
        _failing_commit(session)
        with pytest.raises(OperationalError, match="connection lost"):
            evidence.attach_upload(
                session,
                activity_id,
                _photo(tmp_path),
                "a.jpg",
                "image/jpeg",
                world.contact,
                settings,
            )
    assert list(evidence.folder(settings, world.agency_id, YEAR).iterdir()) == []
    assert _rows(engine, EvidenceFile) == []


def test_an_upload_refused_while_staged_leaves_no_row(
    recorded: tuple[Engine, int, World], settings: Settings, tmp_path: Path
) -> None:
    engine, activity_id, world = recorded
    disguised = _photo(tmp_path, b"MZ\x90\x00 a program")
    with Session(engine) as session, pytest.raises(InvalidInput, match="内容与扩展名"):
        evidence.attach_upload(
            session, activity_id, disguised, "a.jpg", "image/jpeg", world.contact, settings
        )
    assert _rows(engine, EvidenceFile) == []
    assert not evidence.folder(settings, world.agency_id, YEAR).exists()


def test_a_document_upload_whose_commit_fails_leaves_no_file(
    recorded: tuple[Engine, int, World], settings: Settings, tmp_path: Path
) -> None:
    engine, _, world = recorded
    source = tmp_path / "r.pdf"
    source.write_bytes(b"%PDF-1.7 annual report")
    into = contacts.documents_folder(settings, world.agency_id, YEAR)
    with _writer(engine) as session:
        _failing_commit(session)
        with pytest.raises(OperationalError, match="connection lost"):
            evidence.hand_in_upload(
                session,
                world.agency_id,
                YEAR,
                "report",
                source,
                "报告.pdf",
                "application/pdf",
                world.contact,
                settings,
            )
    assert [p for p in into.iterdir() if p.is_file()] == []
    assert _rows(engine, SubmittedDocument) == []
    with Session(engine) as session:
        evidence.hand_in_upload(
            session,
            world.agency_id,
            YEAR,
            "report",
            source,
            "报告.pdf",
            "application/pdf",
            world.contact,
            settings,
        )
        with pytest.raises(Refused, match="已经提交过"):
            evidence.hand_in_upload(
                session,
                world.agency_id,
                YEAR,
                "report",
                source,
                "副本.pdf",
                "application/pdf",
                world.contact,
                settings,
            )
    [row] = _rows(engine, SubmittedDocument)
    assert [p for p in into.iterdir() if p.is_file()] == [Path(row.stored_path)]


def test_a_document_upload_refused_while_staged_leaves_no_row(
    recorded: tuple[Engine, int, World], settings: Settings, tmp_path: Path
) -> None:
    engine, _, world = recorded
    source = tmp_path / "r.pdf"
    source.write_bytes(b"<html>not a pdf</html>")
    with Session(engine) as session, pytest.raises(InvalidInput, match="内容与扩展名"):
        evidence.hand_in_upload(
            session,
            world.agency_id,
            YEAR,
            "report",
            source,
            "报告.pdf",
            "application/pdf",
            world.contact,
            settings,
        )
    assert _rows(engine, SubmittedDocument) == []


def test_an_upload_refused_when_recorded_leaves_no_file(
    recorded: tuple[Engine, int, World], settings: Settings, tmp_path: Path
) -> None:
    engine, activity_id, world = recorded
    stranger = Actor.telegram(4242, "陌生人")
    with Session(engine) as session, pytest.raises(Refused, match="没有任何角色"):
        evidence.attach_upload(
            session, activity_id, _photo(tmp_path), "a.jpg", "image/jpeg", stranger, settings
        )
    assert list(evidence.folder(settings, world.agency_id, YEAR).iterdir()) == []
    assert _rows(engine, EvidenceFile) == []


def test_a_document_upload_refused_when_recorded_leaves_no_file(
    recorded: tuple[Engine, int, World], settings: Settings, tmp_path: Path
) -> None:
    engine, _, world = recorded
    source = tmp_path / "r.pdf"
    source.write_bytes(b"%PDF-1.7 annual report")
    stranger = Actor.telegram(4242, "陌生人")
    with Session(engine) as session, pytest.raises(Refused, match="本机构"):
        evidence.hand_in_upload(
            session,
            world.agency_id,
            YEAR,
            "report",
            source,
            "报告.pdf",
            "application/pdf",
            stranger,
            settings,
        )
    into = contacts.documents_folder(settings, world.agency_id, YEAR)
    assert [p for p in into.iterdir() if p.is_file()] == []
    assert _rows(engine, SubmittedDocument) == []


# --- issue 14, item 7: content, a limit per campaign, withdrawn agencies -----------------------


def test_a_program_named_pdf_is_refused_at_the_terminal_too(
    recorded: tuple[Engine, int, World], settings: Settings, tmp_path: Path
) -> None:
    engine, activity_id, world = recorded
    source = tmp_path / "minutes.pdf"
    source.write_bytes(b"MZ\x90\x00\x03\x00")
    with pytest.raises(InvalidInput, match=r"内容与扩展名“\.pdf”不符"):
        evidence.attach_file(
            engine, activity_id, source, "minutes.pdf", "application/pdf", world.contact, settings
        )
    assert _rows(engine, EvidenceFile) == []
    assert not evidence.folder(settings, world.agency_id, YEAR).exists()


def test_a_zip_named_xlsx_is_not_a_spreadsheet(
    recorded: tuple[Engine, int, World], settings: Settings, tmp_path: Path
) -> None:
    engine, activity_id, world = recorded
    source = tmp_path / "sheet.xlsx"
    source.write_bytes(b"PK\x03\x04" + b"\x00" * 26)
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    with Session(engine) as session, pytest.raises(InvalidInput, match=r"内容与扩展名“\.xlsx”不符"):
        evidence.attach_upload(
            session, activity_id, source, "签到表.xlsx", xlsx, world.contact, settings
        )
    source.write_bytes(office_file())
    with Session(engine) as session:
        evidence.attach_upload(
            session, activity_id, source, "签到表.xlsx", xlsx, world.contact, settings
        )
    assert len(_rows(engine, EvidenceFile)) == 1


def test_files_stop_at_the_limit_per_agency_and_campaign(
    recorded: tuple[Engine, int, World],
    settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    engine, activity_id, world = recorded
    monkeypatch.setattr(contacts, "MAX_FILES_PER_CAMPAIGN", 2)
    for n in range(2):  # one evidence file, one document: both count
        source = _photo(tmp_path, b"\xff\xd8\xff\xe0 photo %d" % n)
        with Session(engine) as session:
            if n == 0:
                evidence.attach_upload(
                    session, activity_id, source, "a.jpg", "image/jpeg", world.contact, settings
                )
            else:
                evidence.hand_in_upload(
                    session,
                    world.agency_id,
                    YEAR,
                    "evidence",
                    source,
                    "b.jpg",
                    "image/jpeg",
                    world.contact,
                    settings,
                )
    source = _photo(tmp_path, b"\xff\xd8\xff\xe0 one too many")
    with Session(engine) as session, pytest.raises(Refused, match="达到上限"):
        evidence.attach_upload(
            session, activity_id, source, "c.jpg", "image/jpeg", world.contact, settings
        )
    with Session(engine) as session, pytest.raises(Refused, match="达到上限"):
        evidence.hand_in_upload(
            session,
            world.agency_id,
            YEAR,
            "evidence",
            source,
            "c.jpg",
            "image/jpeg",
            world.contact,
            settings,
        )
    assert len(_rows(engine, EvidenceFile)) == 1 and len(_rows(engine, SubmittedDocument)) == 1


def test_a_withdrawn_agency_hands_in_no_files(
    recorded: tuple[Engine, int, World], settings: Settings, tmp_path: Path
) -> None:
    engine, activity_id, world = recorded
    with Session(engine) as session:  # as the lifecycle leaves it (not assignable in Python)
        session.execute(
            sa_update(Agency).where(col(Agency.id) == world.agency_id).values(status="withdrawn")
        )
        session.commit()
    with Session(engine) as session, pytest.raises(Refused, match="本机构已退出"):
        evidence.hand_in_upload(
            session,
            world.agency_id,
            YEAR,
            "report",
            _photo(tmp_path),
            "r.jpg",
            "image/jpeg",
            world.contact,
            settings,
        )
    with Session(engine) as session, pytest.raises(Refused, match="本机构已退出"):
        evidence.attach_upload(
            session, activity_id, _photo(tmp_path), "a.jpg", "image/jpeg", world.contact, settings
        )
    assert _rows(engine, EvidenceFile) == [] and _rows(engine, SubmittedDocument) == []
