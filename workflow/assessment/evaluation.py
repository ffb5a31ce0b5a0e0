"""Evaluating one agency's points against the standard (Art. 12, 13 and the table's note).

`evaluate` is a pure function: the points of the 17 indicators and the bonus
counts in, the base, bonus and final scores, the grade and pass/fail out.
The policy values (does the bonus count toward the grade, is it capped, what
is B4 worth) come from the settings; without them the defaults of `Settings`
apply. A finalised sheet keeps the values it was finalised with
(`PolicyValues`, see `sheets.SheetView.effective_policy`), so a later change
of the settings does not change a published result.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, Protocol, TypeGuard

from workflow.assessment.standard import STANDARD, Standard
from workflow.core.errors import InvalidInput
from workflow.core.i18n import current_language, workflow_texts
from workflow.core.settings import Settings

Grade = Literal["excellent", "qualified", "unqualified"]
GRADES: tuple[Grade, ...] = ("excellent", "qualified", "unqualified")


class ScoreError(InvalidInput):
    """Points or bonus counts the standard does not allow; the message names the code."""


class Policy(Protocol):
    """The policy values `evaluate` reads; `Settings` has them all."""

    @property
    def bonus_counts_toward_grade(self) -> bool: ...
    @property
    def bonus_cap(self) -> int | None: ...
    @property
    def b4_points(self) -> int: ...


# The defaults of `Settings`, without reading the environment: `evaluate` stays pure.
DEFAULT_POLICY: Policy = Settings.model_construct()


@dataclass(frozen=True)
class PolicyValues:
    """The policy values as plain data: what a finalised sheet stores and is evaluated with.

    The defaults are the rules' (RULES.md): the bonus counts toward the grade, no cap,
    B4 worth 1 point.
    """

    bonus_counts_toward_grade: bool = True
    bonus_cap: int | None = None
    b4_points: int = 1

    @classmethod
    def of(cls, policy: Policy) -> PolicyValues:
        """A snapshot of `policy` (e.g. the current `Settings`)."""
        return cls(policy.bonus_counts_toward_grade, policy.bonus_cap, policy.b4_points)


@dataclass(frozen=True)
class Evaluation:
    """The result of one assessment: scores, grade, pass/fail and why."""

    base: int
    bonus: int
    final: int
    grade: Grade
    passed: bool
    zero_indicators: tuple[str, ...]
    graded_on: Literal["final", "base"] = "final"

    @property
    def grade_score(self) -> int:
        """The score the grade and the pass mark are read from (final or base, by policy)."""
        return self.final if self.graded_on == "final" else self.base

    def grade_text(self, language: str | None = None) -> str:
        return workflow_texts.text(f"assessment.grade.{self.grade}", language)

    def reason(self, language: str | None = None) -> str:
        """One line saying why the grade is what it is, e.g. "indicator 2.4 scored 0"."""
        language = language or current_language()
        score_name = workflow_texts.text(f"assessment.score.{self.graded_on}", language)
        if self.zero_indicators:
            return workflow_texts.text(
                "assessment.reason.zero", language, codes=", ".join(self.zero_indicators)
            )
        threshold = {
            "excellent": STANDARD.excellent_from,
            "qualified": STANDARD.qualified_from,
            "unqualified": STANDARD.qualified_from,
        }[self.grade]
        key = (
            "assessment.reason.below"
            if self.grade == "unqualified"
            else "assessment.reason.at_least"
        )
        return workflow_texts.text(
            key, language, score_name=score_name, score=self.grade_score, threshold=threshold
        )


def bonus_points_per_case(code: str, policy: Policy, standard: Standard = STANDARD) -> int:
    """Points one counted case of a bonus item is worth (B4: the policy value)."""
    points = standard.bonus_item(code).points
    return policy.b4_points if points is None else points


def _is_whole(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


_WHOLE_TEXT = re.compile(r"-?\d+")


def parse_whole(text: str) -> int | None:
    """Typed or spreadsheet text as a whole number ("4", " -1 ", full-width "４"), else None.

    Only decimal digits with an optional minus count: "3.5", "--3", "+3" and "²" are not
    whole numbers here (`int` would accept some and crash on others).
    """
    stripped = text.strip()
    return int(stripped) if _WHOLE_TEXT.fullmatch(stripped) else None


def check_points(code: str, value: object, standard: Standard = STANDARD) -> int:
    """The whole points of one indicator, or `ScoreError` naming the code."""
    if code not in standard.codes:
        raise ScoreError("assessment.unknown_indicator", code=code)
    if not _is_whole(value):
        raise ScoreError("assessment.not_whole", code=code, value=value)
    maximum = standard.indicator(code).max
    if not 0 <= value <= maximum:
        raise ScoreError("assessment.out_of_range", code=code, value=value, max=maximum)
    return value


def check_bonus_count(code: str, value: object, standard: Standard = STANDARD) -> int:
    """A bonus count (whole, >= 0), or `ScoreError` naming the code."""
    if code not in standard.bonus_codes:
        raise ScoreError("assessment.unknown_bonus", code=code)
    if not _is_whole(value) or value < 0:
        raise ScoreError("assessment.bonus_not_whole", code=code, value=value)
    return value


def grade_for(score: int, standard: Standard = STANDARD) -> Grade:
    """Art. 12: >= 90 excellent, 70–89 qualified, < 70 unqualified."""
    if score >= standard.excellent_from:
        return "excellent"
    if score >= standard.qualified_from:
        return "qualified"
    return "unqualified"


def evaluate(
    points: Mapping[str, int],
    bonus: Mapping[str, int],
    *,
    policy: Policy | None = None,
    standard: Standard = STANDARD,
) -> Evaluation:
    """Score one assessment; raise `ScoreError` for a missing or unknown code or a bad value.

    `points` maps each of the 17 indicator codes to whole points 0..max;
    `bonus` maps bonus codes (B1–B4, absent = 0) to whole counts >= 0.
    Any indicator at 0 makes the result unqualified and not passed whatever the score.
    """
    policy = policy or DEFAULT_POLICY
    unknown = sorted(set(points) - set(standard.codes))
    if unknown:
        raise ScoreError("assessment.unknown_indicator", code=unknown[0])
    missing = [code for code in standard.codes if code not in points]
    if missing:
        raise ScoreError("assessment.missing_indicator", code=missing[0])
    checked = {code: check_points(code, points[code], standard) for code in standard.codes}
    counts = {code: check_bonus_count(code, count, standard) for code, count in bonus.items()}

    base = sum(checked.values())
    bonus_points = sum(
        count * bonus_points_per_case(code, policy, standard) for code, count in counts.items()
    )
    if policy.bonus_cap is not None:
        bonus_points = min(bonus_points, policy.bonus_cap)
    final = base + bonus_points
    graded_on: Literal["final", "base"] = "final" if policy.bonus_counts_toward_grade else "base"
    score = final if graded_on == "final" else base
    zeros = tuple(code for code, value in checked.items() if value == 0)
    grade = "unqualified" if zeros else grade_for(score, standard)
    return Evaluation(
        base=base,
        bonus=bonus_points,
        final=final,
        grade=grade,
        passed=not zeros and score >= standard.qualified_from,
        zero_indicators=zeros,
        graded_on=graded_on,
    )
