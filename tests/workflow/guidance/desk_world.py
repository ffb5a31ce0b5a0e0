"""A guidance year for the desk tests: activities of most kinds with files, Art. 15
uploads (one of a kind added later), an education base recorded on the agency's behalf,
and a forum with minutes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session

from tests.workflow.guidance.helpers import YEAR, World, guided
from workflow.community.forums import record_forum, set_minutes
from workflow.core.settings import Settings
from workflow.guidance import evidence
from workflow.guidance.activities import parse_fields, record_activity
from workflow.reminders.models import SubmittedDocument

AS_OF = date(2026, 12, 10)


@dataclass
class Year:
    engine: Engine
    world: World
    training: int
    project: int


def _record(session: Session, world: World, settings: Settings, *args: str, **fields: object):  # type: ignore[no-untyped-def]
    actor = fields.pop("actor", world.contact)
    return record_activity(
        session,
        world.agency_id,
        world.unit_id,
        YEAR,
        parse_fields(*args, **fields),  # type: ignore[arg-type]
        actor,  # type: ignore[arg-type]
        settings,
        today=AS_OF,
    )


def _document(session: Session, world: World, kind: str, path: Path, n: int) -> None:
    path.write_bytes(b"%PDF-1.7 " + kind.encode())
    session.add(
        SubmittedDocument(
            agency_id=world.agency_id,
            year=YEAR,
            kind=kind,
            stored_path=str(path),
            original_name=f"{kind}.pdf",
            mime_type="application/pdf",
            size=path.stat().st_size,
            file_unique_id=f"u-{n}",
            telegram_user_id=1,
            submitted_at=datetime(2026, 12, 1, 2, 0, tzinfo=UTC),
        )
    )


def recorded_year(any_engine: Engine, settings: Settings, tmp_path: Path) -> Year:
    """Record the year (files under `settings.upload_dir`, documents under `tmp_path`)."""
    with Session(any_engine, expire_on_commit=False) as session:
        world = guided(session)
        _record(session, world, settings, "启动会", "2026-01-15", attendance="40")
        training = _record(session, world, settings, "培训", "2026-03-05", topic="风险辨识")
        _record(session, world, settings, "培训", "2026-04-05", topic="风险辨识")
        for month in (5, 6):
            _record(session, world, settings, "培训", f"2026-{month:02d}-10", topic="建设理念")
        _record(session, world, settings, "工作推进会", "2026-03-20")
        project = _record(session, world, settings, "促进项目", "2026-05-01", title="电动车充电")
        for n in range(2):
            _record(session, world, settings, "促进项目", "2026-05-02", title=f"项目{n}")
        _record(
            session,
            world,
            settings,
            "宣传教育",
            "2026-07-01",
            topic="公共安全宣传教育基地",
            description="纸质材料补录",
            actor=world.admin,
        )
        for n, kind in enumerate(("report", "evidence", "a_kind_added_later")):
            _document(session, world, kind, tmp_path / f"doc{n}.pdf", n)
        forum = record_forum(session, YEAR, date(2026, 12, 5), [world.unit_id], actor="admin")
        minutes = tmp_path / "minutes.pdf"
        minutes.write_bytes(b"%PDF minutes")
        assert forum.id is not None
        set_minutes(session, forum.id, str(minutes))
        session.commit()
        assert training.id is not None and project.id is not None
        ids = training.id, project.id
    for activity_id, name, content in (
        (ids[0], "签到表.jpg", b"\xff\xd8 sign-in"),
        (ids[1], "项目书.pdf", b"%PDF project"),
    ):
        source = tmp_path / "incoming"
        source.write_bytes(content)
        mime = "image/jpeg" if name.endswith("jpg") else "application/pdf"
        evidence.attach_file(any_engine, activity_id, source, name, mime, world.contact, settings)
    return Year(any_engine, world, *ids)
