"""The CLI's number parameters, read by the domain's one parser for each kind.

Given to typer as `parser=`, so a bad number is refused while the arguments are
read, before the command opens the database: one clear line (`main` prints the
refusal), never a traceback. The domain code is imported when a value is read,
not at start-up.
"""

from __future__ import annotations


def YEAR(text: str) -> int:
    """A year the software keeps records for (`campaigns.parse_year`)."""
    from workflow.community.campaigns import parse_year

    return parse_year(text)


def ROW_ID(text: str) -> int:
    from workflow.core.numbers import ROW_ID as KIND

    return KIND.read(text)


def TELEGRAM_USER(text: str) -> int:
    from workflow.core.numbers import TELEGRAM_USER as KIND

    return KIND.read(text)


def QUOTA(text: str) -> int:
    from workflow.core.numbers import QUOTA as KIND

    return KIND.read(text)
