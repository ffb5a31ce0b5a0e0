"""What people type as an id: plain numbers that can name a row, nothing else reaches SQL."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from workflow.community.units import find_unit
from workflow.core.db import MAX_ROW_ID, as_row_id
from workflow.core.errors import NotFound
from workflow.registry.service import find_agency
from workflow.rounds.ranking import find_round


@pytest.mark.parametrize(
    ("typed", "row_id"),
    [
        ("12", 12),
        (" 12 ", 12),
        ("１２", 12),
        (12, 12),
        (str(MAX_ROW_ID), MAX_ROW_ID),
        ("0", None),
        ("-3", None),
        ("½", None),
        ("12a", None),
        ("", None),
        (str(MAX_ROW_ID + 1), None),
    ],
)
def test_as_row_id(typed: str | int, row_id: int | None) -> None:
    assert as_row_id(typed) == row_id


@pytest.mark.parametrize("typed", ["99999999999999999", "½", "0"])
def test_finders_say_not_found_for_impossible_ids(any_engine: Engine, typed: str) -> None:
    with Session(any_engine) as session:
        for finder in (find_agency, find_unit, find_round):
            with pytest.raises(NotFound):
                finder(session, typed)
