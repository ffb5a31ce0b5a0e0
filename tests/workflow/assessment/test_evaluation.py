"""`evaluate` follows RULES.md: whole points, grade boundaries, the zero-indicator rule, policy."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.workflow.assessment_builders import full_points, points_totalling
from workflow.assessment.evaluation import Evaluation, ScoreError, evaluate, parse_whole
from workflow.assessment.standard import STANDARD
from workflow.core.errors import InvalidInput
from workflow.core.settings import load_settings


@pytest.mark.parametrize(
    ("base", "grade", "passed"),
    [
        (69, "unqualified", False),
        (70, "qualified", True),
        (89, "qualified", True),
        (90, "excellent", True),
        (100, "excellent", True),
    ],
)
def test_grade_boundaries_without_bonus(base: int, grade: str, passed: bool) -> None:
    result = evaluate(points_totalling(base), {})
    assert (result.base, result.bonus, result.final) == (base, 0, base)
    assert (result.grade, result.passed) == (grade, passed)


@pytest.mark.parametrize(
    ("base", "bonus", "final", "grade"),
    [
        (68, {"B1": 1}, 69, "unqualified"),
        (68, {"B2": 1}, 70, "qualified"),
        (67, {"B3": 1}, 70, "qualified"),
        (88, {"B1": 1}, 89, "qualified"),
        (87, {"B1": 1, "B2": 1}, 90, "excellent"),
        (89, {"B4": 1}, 90, "excellent"),
    ],
)
def test_bonus_counts_toward_the_grade_by_default(
    base: int, bonus: dict[str, int], final: int, grade: str
) -> None:
    result = evaluate(points_totalling(base), bonus)
    assert (result.base, result.final, result.grade) == (base, final, grade)
    assert result.passed is (final >= 70)


def test_grade_on_base_score_when_bonus_does_not_count() -> None:
    policy = load_settings(bonus_counts_toward_grade=False)
    result = evaluate(points_totalling(69), {"B3": 2}, policy=policy)
    assert (result.final, result.grade, result.passed) == (75, "unqualified", False)
    assert result.reason("en") == "base 69 < 70"
    result = evaluate(points_totalling(89), {"B3": 1}, policy=policy)
    assert (result.final, result.grade) == (92, "qualified")


def test_bonus_cap_and_b4_points_are_policy() -> None:
    assert evaluate(points_totalling(80), {"B3": 3}).bonus == 9  # no cap by default
    capped = evaluate(points_totalling(80), {"B3": 3}, policy=load_settings(bonus_cap=5))
    assert (capped.bonus, capped.final) == (5, 85)
    assert evaluate(points_totalling(80), {"B4": 2}).bonus == 2
    assert evaluate(points_totalling(80), {"B4": 2}, policy=load_settings(b4_points=3)).bonus == 6


def test_a_zero_indicator_fails_whatever_the_total() -> None:
    points = full_points()
    points["2.4"] = 0
    result = evaluate(points, {"B2": 5})
    assert (result.base, result.final) == (95, 105)
    assert result.grade == "unqualified" and result.passed is False
    assert result.zero_indicators == ("2.4",)
    assert result.reason("en") == "indicator 2.4 scored 0"
    assert result.reason("zh") == "指标 2.4 为 0 分"


def test_reason_names_the_score_below_the_mark() -> None:
    assert evaluate(points_totalling(65), {}).reason("en") == "final 65 < 70"


def _error(points: dict[str, object], bonus: dict[str, object] | None = None) -> ScoreError:
    with pytest.raises(ScoreError) as caught:
        evaluate(points, bonus or {})  # type: ignore[arg-type]
    assert isinstance(caught.value, InvalidInput)
    return caught.value


def test_missing_indicator_is_named() -> None:
    points = full_points()
    del points["3.2"]
    assert _error(points).message("en") == "Indicator 3.2 has no points."


def test_unknown_indicator_is_named() -> None:
    error = _error({**full_points(), "5.1": 3})
    assert error.key == "assessment.unknown_indicator" and error.params["code"] == "5.1"


@pytest.mark.parametrize("value", [3.0, 2.5, True, "3", None])
def test_non_integer_points_are_refused(value: object) -> None:
    error = _error({**full_points(), "1.2": value})
    assert error.key == "assessment.not_whole" and error.params["code"] == "1.2"
    assert "1.2" in error.message("zh")


@pytest.mark.parametrize(("code", "value"), [("1.1", 6), ("4.3", 11), ("3.1", -1)])
def test_points_outside_0_to_max_are_refused(code: str, value: int) -> None:
    error = _error({**full_points(), code: value})
    assert error.key == "assessment.out_of_range"
    assert error.params == {"code": code, "value": value, "max": STANDARD.indicator(code).max}


def test_bad_bonus_codes_and_counts_are_refused() -> None:
    assert _error(full_points(), {"B5": 1}).key == "assessment.unknown_bonus"
    assert _error(full_points(), {"B1": -1}).key == "assessment.bonus_not_whole"
    assert _error(full_points(), {"B1": 1.0}).key == "assessment.bonus_not_whole"


@given(
    st.fixed_dictionaries(
        {i.code: st.integers(0, i.max) for i in STANDARD.indicators},
    ),
    st.fixed_dictionaries({}, optional={b.code: st.integers(0, 5) for b in STANDARD.bonus}),
)
def test_evaluation_invariants(points: dict[str, int], bonus: dict[str, int]) -> None:
    result: Evaluation = evaluate(points, bonus)
    assert result.base == sum(points.values())
    assert result.final == result.base + result.bonus
    assert result.zero_indicators == tuple(c for c in STANDARD.codes if points[c] == 0)
    assert result.passed == (not result.zero_indicators and result.final >= 70)
    if result.zero_indicators:
        assert result.grade == "unqualified"


@pytest.mark.parametrize(
    ("text", "value"),
    [("4", 4), (" -1 ", -1), ("４", 4), ("3.5", None), ("--3", None), ("+3", None), ("²", None)],
)
def test_typed_whole_numbers(text: str, value: int | None) -> None:
    """Only digits with an optional minus: no crash on what `int` half accepts."""
    assert parse_whole(text) == value
