"""Stored files sent back to a browser: images and PDFs shown in the page, anything
else downloaded, under a name that cannot break the header or the user's disk."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote

from fastapi.responses import FileResponse
from starlette.exceptions import HTTPException

INLINE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp", "application/pdf"})
_UNSAFE = re.compile(r'[\x00-\x1f\x7f"\\/]+')


def safe_name(name: str, fallback: str = "file") -> str:
    """The original name without control characters, quotes or path separators, at most
    100 characters (an uploaded name can be anything a phone or a forger sends)."""
    cleaned = _UNSAFE.sub("_", Path(name.replace("\\", "/")).name).strip(" .")
    return cleaned[-100:] or fallback


def file_response(path: Path, mime_type: str, name: str) -> FileResponse:
    """The stored file: inline for images and PDFs, else as a download; a missing file
    is a clear 404 page, not a traceback."""
    if not path.is_file():
        raise HTTPException(404)
    inline = mime_type in INLINE_TYPES
    media = mime_type if inline else "application/octet-stream"
    shown = safe_name(name)
    disposition = "inline" if inline else "attachment"
    ascii_name = shown.encode("ascii", "replace").decode().replace("?", "_")
    return FileResponse(
        path,
        media_type=media,
        headers={
            "content-disposition": (
                f"{disposition}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(shown)}"
            ),
        },
    )
