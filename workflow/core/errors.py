"""Domain errors that carry a catalogue key, so every layer shows the same text.

The CLI prints `str(error)` (current language); the bot renders
`error.message(language)` in the chat user's language.
"""

from __future__ import annotations

from workflow.core.i18n import Catalogue, workflow_texts


class DomainError(Exception):
    """A refusal a person should read: what was wrong, in one line."""

    catalogue: Catalogue = workflow_texts

    def __init__(self, key: str, /, **params: object) -> None:
        super().__init__(key)
        self.key = key
        self.params = params

    def message(self, language: str | None = None) -> str:
        return self.catalogue.text(self.key, language, **self.params)

    def __str__(self) -> str:
        return self.message()


class NotFound(DomainError):
    """The thing named does not exist."""


class InvalidInput(DomainError):
    """Input failed validation; nothing was written."""


class Refused(DomainError):
    """The rules refuse this action now (guard, permission, state)."""


class Conflict(DomainError):
    """Someone else changed the data meanwhile; nothing was written."""


class StorageUnavailable(DomainError):
    """The database is locked or unreachable; nothing was written."""
