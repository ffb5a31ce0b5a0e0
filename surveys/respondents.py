"""Who answers an invitation, whatever the channel: a `Respondent` is a channel and a key.

- `telegram`: the key is the Telegram user id; reminders can reach that user.
- `web`: the key is the SHA-256 of a random secret that the browser keeps in a
  cookie set on its first POST (never on a GET: link scanners open URLs before
  people do). The database holds only the hash, so it leaks no usable cookie.

The first respondent to open an invitation is bound to it; another respondent,
on the same channel or the other, is refused until an admin rebinds it.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Literal

RespondentChannel = Literal["telegram", "web"]


@dataclass(frozen=True)
class Respondent:
    channel: RespondentChannel
    key: str

    @classmethod
    def telegram(cls, user_id: int) -> Respondent:
        return cls("telegram", str(user_id))

    @classmethod
    def web(cls, secret: str) -> Respondent:
        """The browser whose respondent cookie holds `secret`."""
        return cls("web", hashlib.sha256(secret.encode()).hexdigest())

    @property
    def telegram_user(self) -> int | None:
        """The Telegram user id, for the channel that reminders reach; None for a browser."""
        return int(self.key) if self.channel == "telegram" else None

    @property
    def user_id(self) -> int:
        """What a submission records as its user: the Telegram id, 0 for a browser."""
        return self.telegram_user or 0


def new_browser_secret() -> str:
    """The value of a new browser's respondent cookie (256 random bits)."""
    return secrets.token_urlsafe(32)
