"""`evaluate` follows RULES.md: whole points, grade boundaries, the zero-indicator rule, policy."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.workflow.assessment_builders import full_points, points_totalling
from workflow.assessment.evaluation import (
    Evaluation,
    PolicyValues,
    ScoreError,
    evaluate,
    no_evidence_cap,
    parse_whole,
)
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


# 评分说明三: "总分为70分及以上且各二级指标均不为0分的，该次考核通过；低于70分则视为考核不通过",
# where 评分说明一 says that 总分 is "100分（不含加分项）": the pass reads the base score.
@pytest.mark.parametrize(
    ("base", "bonus", "final"),
    [(69, {"B1": 1}, 70), (68, {"B2": 1}, 70), (67, {"B3": 1}, 70), (60, {"B3": 5}, 75)],
)
def test_bonus_never_turns_a_fail_into_a_pass(base: int, bonus: dict[str, int], final: int) -> None:
    """Bonus points are on top of the 100: a base below 70 fails, and a failed
    assessment is graded 不合格 whatever its final score."""
    result = evaluate(points_totalling(base), bonus)
    assert (result.base, result.final) == (base, final)
    assert (result.passed, result.grade) == (False, "unqualified")
    assert result.reason("zh") == f"基本分 {base} 分，低于合格线 70 分（加分不计入是否通过）"


# Art. 12: "满分为100分。其中，90分以上（含90分）为“优秀”、70分至89分（含70分）为“合格”".
@pytest.mark.parametrize(
    ("base", "bonus", "final", "grade"),
    [
        (70, {"B1": 1}, 71, "qualified"),
        (88, {"B1": 1}, 89, "qualified"),
        (87, {"B1": 1, "B2": 1}, 90, "excellent"),
        (89, {"B4": 1}, 90, "excellent"),
    ],
)
def test_a_passed_assessment_is_graded_on_base_plus_bonus(
    base: int, bonus: dict[str, int], final: int, grade: str
) -> None:
    result = evaluate(points_totalling(base), bonus)
    assert (result.base, result.final, result.grade, result.passed) == (base, final, grade, True)


def test_the_final_score_is_capped_at_the_full_marks_of_100() -> None:
    """Art. 12 "满分为100分": base 95 + bonus 9 counts as 100, and the reason says so."""
    result = evaluate(points_totalling(95), {"B3": 3})
    assert (result.base, result.bonus, result.final, result.uncapped_final) == (95, 9, 100, 104)
    assert result.grade == "excellent"
    assert result.reason("zh") == (
        "基本分 95 分，达到合格线 70 分；基本分与加分合计 104 分，总分按满分 100 分计；"
        "总分 100 分，达到优秀线 90 分"
    )


def test_settings_can_lift_the_cap() -> None:
    result = evaluate(points_totalling(95), {"B3": 3}, policy=load_settings(final_score_cap=None))
    assert (result.final, result.uncapped_final) == (104, None)


def test_settings_can_grade_on_the_base_score() -> None:
    policy = load_settings(grade_score="base")
    result = evaluate(points_totalling(89), {"B3": 1}, policy=policy)
    assert (result.final, result.grade, result.passed) == (92, "qualified", True)
    assert result.reason("en") == (
        "base score 89, at or above the pass mark of 70;"
        " base score 89, below the excellent mark of 90"
    )
    failed = evaluate(points_totalling(69), {"B3": 2}, policy=policy)
    assert (failed.final, failed.grade, failed.passed) == (75, "unqualified", False)


def test_bonus_cap_and_b4_points_are_policy() -> None:
    assert evaluate(points_totalling(80), {"B3": 3}).bonus == 9  # no cap by default
    capped = evaluate(points_totalling(80), {"B3": 3}, policy=load_settings(bonus_cap=5))
    assert (capped.bonus, capped.final) == (5, 85)
    assert evaluate(points_totalling(80), {"B4": 2}).bonus == 2
    assert evaluate(points_totalling(80), {"B4": 2}, policy=load_settings(b4_points=3)).bonus == 6


def test_a_zero_indicator_fails_whatever_the_total() -> None:
    """评分说明三 "各二级指标均不为0分": the reason names the indicator in words."""
    points = full_points()
    points["2.4"] = 0
    result = evaluate(points, {"B2": 5})
    assert (result.base, result.final) == (95, 100)
    assert result.grade == "unqualified" and result.passed is False
    assert result.zero_indicators == ("2.4",)
    assert result.reason("zh") == (
        "二级指标 2.4（指导创建单位开展风险辨识工作及设立项目）得 0 分，按评分说明第三条视为不通过"
    )
    assert result.reason("en") == (
        "second-level indicator 2.4 (Guiding risk identification and the setting up of"
        " projects) scored 0, which fails the assessment (scoring note 3)"
    )


def test_a_zero_and_a_low_base_are_both_named() -> None:
    points = points_totalling(60)
    points["1.1"] = 0
    result = evaluate(points, {})
    assert result.reason("zh") == (
        "二级指标 1.1（组织召开启动培训会议）得 0 分，按评分说明第三条视为不通过；"
        "基本分 55 分，低于合格线 70 分"
    )


def test_reason_in_words_for_a_published_list() -> None:
    """TERMS.md: "基本分 65 分，低于合格线 70 分", not "总分 65 < 70"."""
    assert evaluate(points_totalling(65), {}).reason("zh") == "基本分 65 分，低于合格线 70 分"
    assert evaluate(points_totalling(65), {}).reason("en") == (
        "base score 65, below the pass mark of 70"
    )
    assert evaluate(points_totalling(80), {"B1": 2}).reason("zh") == (
        "基本分 80 分，达到合格线 70 分；总分 82 分，低于优秀线 90 分"
    )
    assert evaluate(points_totalling(80), {}).result_text("zh") == "考核通过"
    assert evaluate(points_totalling(65), {}).result_text("zh") == "考核不通过"


def test_sheets_finalised_before_revision_0008_keep_the_old_reading() -> None:
    """Stored `pass_score="graded"`, no cap: 69 + 1 passed then, and still does."""
    old = PolicyValues(final_score_cap=None, pass_score="graded", no_evidence_fraction=1.0)
    result = evaluate(points_totalling(69), {"B1": 1}, policy=old)
    assert (result.final, result.grade, result.passed) == (70, "qualified", True)
    assert evaluate(points_totalling(95), {"B3": 3}, policy=old).final == 104


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
    assert result.final == min(result.base + result.bonus, 100)
    assert result.zero_indicators == tuple(c for c in STANDARD.codes if points[c] == 0)
    assert result.passed == (not result.zero_indicators and result.base >= 70)
    if not result.passed:
        assert result.grade == "unqualified"


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("4", 4),
        (" -1 ", -1),
        ("４", 4),
        ("3.5", None),
        ("--3", None),
        ("+3", None),
        ("²", None),
        ("9" * 18, 10**18 - 1),
        ("9" * 19, None),
        ("9" * 5000, None),
    ],
)
def test_typed_whole_numbers(text: str, value: int | None) -> None:
    """Only digits with an optional minus: no crash on what `int` half accepts."""
    assert parse_whole(text) == value


@pytest.mark.parametrize(
    ("maximum", "fraction", "cap"),
    [(7, 0.5, 3), (5, 0.5, 2), (10, 0.5, 5), (10, 0.7, 7), (6, 1.0, 6), (7, 0.0, 0)],
)
def test_no_evidence_cap_rounds_down(maximum: int, fraction: float, cap: int) -> None:
    """评分说明二 (有无证据): without evidence at most the share of the maximum, rounded down."""
    assert no_evidence_cap(maximum, fraction) == cap
