"""Indicator points 3.1–3.5: the mean over responding units, rounded half up."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from surveys.aggregate import indicator_points, mean_half_up
from surveys.errors import InvalidInput, NoResponses


def answers(*points: int) -> dict[int, int]:
    return dict(enumerate(points, start=1))


def test_mean_over_units_rounds_half_up_not_to_even() -> None:
    result = indicator_points([answers(2, 4, 0, 1, 3), answers(3, 4, 1, 2, 4)])
    # means 2.5, 4, 0.5, 1.5, 3.5 → 3, 4, 1, 2, 4 (Python's round would give 2, 4, 0, 2, 4)
    assert result == {"3.1": 3, "3.2": 4, "3.3": 1, "3.4": 2, "3.5": 4}


def test_a_single_unit_gives_its_own_points() -> None:
    assert indicator_points([answers(0, 1, 2, 3, 4)]) == {
        "3.1": 0,
        "3.2": 1,
        "3.3": 2,
        "3.4": 3,
        "3.5": 4,
    }


def test_thirds_round_to_the_nearest_point() -> None:
    result = indicator_points(
        [answers(2, 3, 3, 3, 3), answers(2, 3, 3, 3, 3), answers(3, 4, 4, 4, 4)]
    )
    assert result["3.1"] == 2  # 2.33
    assert result["3.2"] == 3  # 3.33


def test_no_submissions_is_not_zero_points() -> None:
    with pytest.raises(NoResponses) as raised:
        indicator_points([])
    assert "不按 0 分处理" in str(raised.value)


@pytest.mark.parametrize(
    "bad",
    [
        answers(1, 2, 3, 4),
        answers(1, 2, 3, 4, 5),
        {**answers(1, 2, 3, 4, 0), 6: 1},
        answers(1, 2, -1, 3, 4),
    ],
)
def test_an_answer_set_that_is_not_five_items_of_0_to_4_is_refused(bad: dict[int, int]) -> None:
    with pytest.raises(InvalidInput):
        indicator_points([answers(4, 4, 4, 4, 4), bad])


@given(st.lists(st.integers(0, 4), min_size=1, max_size=60))
def test_integer_rounding_matches_decimal_half_up(points: list[int]) -> None:
    expected = (Decimal(sum(points)) / Decimal(len(points))).quantize(
        Decimal(1), rounding=ROUND_HALF_UP
    )
    assert mean_half_up(sum(points), len(points)) == int(expected)


@given(st.lists(st.lists(st.integers(0, 4), min_size=5, max_size=5), min_size=1, max_size=30))
def test_points_stay_within_0_to_4(sets: list[list[int]]) -> None:
    result = indicator_points([answers(*s) for s in sets])
    assert set(result) == {"3.1", "3.2", "3.3", "3.4", "3.5"}
    assert all(0 <= value <= 4 for value in result.values())
