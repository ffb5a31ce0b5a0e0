"""Access logs without secrets: survey and sign-in tokens sit in URL paths
(`/s/<token>`, `/login/<token>`), so uvicorn's access line is rewritten before any
handler sees it, and the project's personal-data redaction applies as everywhere."""

from __future__ import annotations

import logging
import re

from workflow.core.privacy import RedactingFilter

TOKEN_IN_PATH = re.compile(r"(/(?:s|login)/)[^/?#\s]+")


def hide_tokens(text: str) -> str:
    return TOKEN_IN_PATH.sub(r"\1<token>", text)


class HideUrlTokens(logging.Filter):
    """Replaces every token in a logged path with `<token>`."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                hide_tokens(arg) if isinstance(arg, str) else arg for arg in record.args
            )
        if isinstance(record.msg, str):
            record.msg = hide_tokens(record.msg)
        return True


def install_web_log_filters() -> None:
    """On uvicorn's loggers (call once when serving)."""
    for name in ("uvicorn.access", "uvicorn.error", "uvicorn"):
        logger = logging.getLogger(name)
        for existing in (HideUrlTokens(), RedactingFilter()):
            if not any(type(f) is type(existing) for f in logger.filters):
                logger.addFilter(existing)
