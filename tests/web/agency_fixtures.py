"""An agency with a training and its photo on record, for the web tests of the agency's
and the experts' pages (built through the same workflow functions as the chat)."""

from __future__ import annotations

import struct
import tempfile
import zlib
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session

from tests.workflow.guidance.helpers import TODAY, YEAR, guided
from workflow.core.settings import Settings
from workflow.guidance import evidence
from workflow.guidance.activities import parse_fields, record_activity


def png_bytes(width: int = 8, height: int = 8, rgb: tuple[int, int, int] = (200, 40, 40)) -> bytes:
    """A real, tiny PNG image (one colour) that a browser can show."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\x00" + bytes(rgb) * width
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


def record_training_with_photo(engine: Engine, settings: Settings) -> tuple[int, int, int, int]:
    """A guided unit, a training (培训) recorded by the agency's contact and a photo of it:
    `(agency_id, year, activity_id, file_id)`, committed."""
    with Session(engine, expire_on_commit=False) as session:
        world = guided(session)
        activity = record_activity(
            session,
            world.agency_id,
            world.unit_id,
            YEAR,
            parse_fields("培训", "2026-03-05", topic="建设理念", title="安全社区建设培训"),
            world.contact,
            settings,
            today=TODAY,
        )
        session.commit()
        assert activity.id is not None
        activity_id = activity.id
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "photo.png"
        source.write_bytes(png_bytes())
        row = evidence.attach_file(
            engine, activity_id, source, "培训照片.png", "image/png", world.contact, settings
        )
    assert row.id is not None
    return world.agency_id, YEAR, activity_id, row.id
