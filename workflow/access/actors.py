"""Who acts and with which role: `Actor` (a Telegram user, a CLI operator or someone
signed in to the web pages) and
`Role` (expert ⊂ admin), with their names in words. Pure values: no database."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from workflow.core.errors import InvalidInput
from workflow.core.i18n import workflow_texts
from workflow.core.numbers import TELEGRAM_USER

Channel = Literal["chat", "cli", "web"]
TELEGRAM_KEY = re.compile(r"^tg:(\d{1,20})$")
AGENCY_KEY = re.compile(r"^agency:(\d{1,20})$")
"""An agency signed in to the web pages by a link printed for it, not for one contact."""


class Role(StrEnum):
    """The roles, weakest first: a higher role includes every lower one."""

    EXPERT = "expert"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return list(Role).index(self)

    def includes(self, other: Role) -> bool:
        return self.rank >= other.rank


@dataclass(frozen=True)
class Actor:
    """Who fires a trigger: a stable key for permissions and a name for people."""

    key: str
    name: str
    channel: Channel

    @classmethod
    def telegram(cls, user_id: int, name: str) -> Actor:
        return cls(f"tg:{user_id}", name, "chat")

    @classmethod
    def cli(cls, login: str) -> Actor:
        return cls(f"cli:{login}", login, "cli")

    @classmethod
    def web(cls, key: str, name: str) -> Actor:
        """Someone signed in to the web pages: the key their link was issued to (`tg:<id>`
        for a person, so their role and contact binding hold there too; `agency:<id>`)."""
        return cls(key, name, "web")


def role_label(role: str, language: str | None = None) -> str:
    """管理员 / admin, 专家 / expert."""
    return workflow_texts.text(f"lifecycle.role.{Role(role).value}", language)


def parse_role(text: str) -> Role:
    """`admin` / `expert` (case-insensitive), else a clear refusal; a caller that
    takes the Chinese names (管理员, 专家) maps them first with `states.code_of`."""
    try:
        return Role(text.strip().lower())
    except ValueError:
        known = ", ".join(f"{role_label(r, 'zh')} / {r.value}" for r in Role)
        raise InvalidInput("lifecycle.unknown_role", role=text, known=known) from None


def parse_grantee(text: str) -> str:
    """A Telegram key `tg:<id>` (a bare id is accepted); CLI operators need no grant."""
    text = unicodedata.normalize("NFKC", text).strip()
    if text.isdigit():
        text = f"tg:{text}"
    if not (text.isascii() and TELEGRAM_KEY.match(text)):
        raise InvalidInput("lifecycle.bad_actor_key", key=text)
    return f"tg:{TELEGRAM_USER.read(text.removeprefix('tg:'))}"


def may(role: Role | None, needed: Role) -> bool:
    """True when `role` includes `needed`."""
    return role is not None and role.includes(needed)
