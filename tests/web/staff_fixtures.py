"""An agency's year for the staff pages: filed through the lifecycle, one guided unit,
a training recorded with a real photo (a PNG a browser can draw) and a progress meeting
with a PDF, through the same workflow functions the chat and the pages use; and the
one-time staff sign-in links."""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from tests.web.conftest import web_settings
from tests.workflow.assessment_builders import filed_agency
from workflow.access.actors import Actor, Role
from workflow.access.grants import grant_role
from workflow.access.weblogins import issue_login
from workflow.community.models import CreationUnit, Guidance
from workflow.core.db import transaction
from workflow.core.settings import Settings
from workflow.guidance import evidence
from workflow.guidance.activities import parse_fields, record_activity
from workflow.reminders.models import AgencyContact

YEAR = 2026
CONTACT_ID = 7_770_001
EXPERT_KEY = "tg:501"
ADMIN_KEY = "tg:502"
GRANTER = Actor.cli("王管理")
PHOTO_NAME = "培训现场.png"


def png(width: int = 48, height: int = 32) -> bytes:
    """A small valid PNG (a blue band on white), so a browser really draws it."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(
        b"\x00"
        + (b"\x0b\x53\x94" if height // 3 <= y < 2 * height // 3 else b"\xff\xff\xff") * width
        for y in range(height)
    )
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


@dataclass(frozen=True)
class TrainingYear:
    agency_id: int
    agency_name: str
    unit_id: int
    training_id: int
    photo: Path
    """The stored photo."""


def training_with_photo(engine: Engine, settings: Settings, upload_dir: Path) -> TrainingYear:
    """A filed agency guiding 幸福里社区 in `YEAR`, which recorded a risk-identification
    training with a photo and a progress meeting with a PDF (committed)."""
    settings = settings.model_copy(update={"upload_dir": str(upload_dir)})
    contact = Actor.telegram(CONTACT_ID, "王联系人")
    with Session(engine, expire_on_commit=False) as session:
        agency = filed_agency(session, settings, name="北京平安咨询有限公司")
        assert agency.id is not None
        unit = CreationUnit(name="幸福里社区", district="东城区", safe_community=True)
        session.add(unit)
        session.flush()
        assert unit.id is not None
        session.add(Guidance(unit_id=unit.id, agency_id=agency.id, year=YEAR, safe_community=True))
        session.add(AgencyContact(agency_id=agency.id, telegram_user_id=CONTACT_ID))
        session.flush()

        def record(*args: str, **fields: str) -> int:
            activity = record_activity(
                session,
                agency.id or 0,
                unit.id or 0,
                YEAR,
                parse_fields(*args, **fields),  # type: ignore[arg-type]
                contact,
                settings,
                today=date(2026, 11, 20),
            )
            assert activity.id is not None
            return activity.id

        training = record("培训", "2026-03-05", topic="风险辨识", attendance="30")
        meeting = record("工作推进会", "2026-04-10")
        session.commit()
        ids = agency.id, agency.name, unit.id
    source = upload_dir.parent / "incoming"
    source.write_bytes(png())
    photo = evidence.attach_file(
        engine, training, source, PHOTO_NAME, "image/png", contact, settings
    )
    source.write_bytes(b"%PDF-1.4 minutes of the meeting")
    evidence.attach_file(
        engine, meeting, source, "推进会纪要.pdf", "application/pdf", contact, settings
    )
    return TrainingYear(ids[0], ids[1], ids[2], training, Path(photo.stored_path))


def staff_link(
    engine: Engine, base_url: str, key: str = EXPERT_KEY, role: Role = Role.EXPERT
) -> str:
    """A one-time staff sign-in link for `key`, granted `role` first (committed)."""
    settings = web_settings(engine, base_url)
    with transaction(engine) as session:
        grant_role(session, key, role, GRANTER)
        token = issue_login(
            session,
            "staff",
            actor_key=key,
            label="李专家" if role == Role.EXPERT else "张管理员",
            issued_by=GRANTER,
            settings=settings,
        )
    return f"{base_url}/login/{token}"


def sign_in(
    client: TestClient, engine: Engine, key: str = EXPERT_KEY, role: Role = Role.EXPERT
) -> None:
    """Sign `client` in as staff with `role` (the link's POST, as the login page sends it)."""
    link = staff_link(engine, "http://testserver", key, role)
    answer = client.post(
        link.removeprefix("http://testserver"), headers={"origin": "http://testserver"}
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/staff"
