"""Evaluating one agency's points against the standard (Art. 12, 13 and the table's 评分说明).

`evaluate` is a pure function: the points of the 17 indicators and the bonus
counts in, the base, bonus and final scores, the grade and pass/fail out.

- Pass (评分说明三 "总分为70分及以上且各二级指标均不为0分的，该次考核通过"; 评分说明一:
  that 总分 is "100分（不含加分项）"): the **base** score >= 70 and no indicator at 0.
  Bonus points never turn a fail into a pass, and a failed assessment is graded
  不合格 whatever its score.
- Grade (Art. 12) of a passed assessment: on the final score = base + bonus, at
  most the 满分 100 ("满分为100分"); >= 90 优秀, otherwise 合格. Policy settings
  can grade on the base score (`grade_score`) or lift the cap (`final_score_cap`).

The policy values come from the settings; without them the defaults of
`Settings` apply. A finalised sheet keeps the values it was finalised with
(`PolicyValues`, see `sheets.SheetView.effective_policy`), so a later change of
the settings does not change a published result.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal, Protocol, TypeGuard

from workflow.assessment.standard import STANDARD, Standard
from workflow.core.errors import InvalidInput
from workflow.core.i18n import current_language, workflow_texts
from workflow.core.settings import Settings

Grade = Literal["excellent", "qualified", "unqualified"]
GRADES: tuple[Grade, ...] = ("excellent", "qualified", "unqualified")
GradeScore = Literal["final", "base"]
PassScore = Literal["base", "graded"]
GRADE_SCORES: tuple[GradeScore, ...] = ("final", "base")
PASS_SCORES: tuple[PassScore, ...] = ("base", "graded")
"""What the pass mark reads: "base" (the rules); "graded", the score the grade was read
from, only on sheets finalised before database revision 0008 (the old reading)."""


class ScoreError(InvalidInput):
    """Points or bonus counts the standard does not allow; the message names the code."""


class Policy(Protocol):
    """The policy values `evaluate` and the sheets read; `Settings` has them all."""

    @property
    def grade_score(self) -> GradeScore: ...
    @property
    def final_score_cap(self) -> int | None: ...
    @property
    def bonus_cap(self) -> int | None: ...
    @property
    def b4_points(self) -> int: ...
    @property
    def pass_score(self) -> PassScore: ...
    @property
    def no_evidence_fraction(self) -> float: ...


# The defaults of `Settings`, without reading the environment: `evaluate` stays pure.
DEFAULT_POLICY: Policy = Settings.model_construct()


@dataclass(frozen=True)
class PolicyValues:
    """The policy values as plain data: what a finalised sheet stores and is evaluated with.

    The defaults are the rules' (RULES.md): graded on the final score capped at 100,
    no cap on the bonus, B4 worth 1 point, passed on the base score, no evidence at
    most half of an indicator's maximum.
    """

    grade_score: GradeScore = "final"
    final_score_cap: int | None = 100
    bonus_cap: int | None = None
    b4_points: int = 1
    pass_score: PassScore = "base"
    no_evidence_fraction: float = 0.5

    @classmethod
    def of(cls, policy: Policy) -> PolicyValues:
        """A snapshot of `policy` (e.g. the current `Settings`)."""
        return cls(
            grade_score=policy.grade_score,
            final_score_cap=policy.final_score_cap,
            bonus_cap=policy.bonus_cap,
            b4_points=policy.b4_points,
            pass_score=policy.pass_score,
            no_evidence_fraction=policy.no_evidence_fraction,
        )


def no_evidence_cap(maximum: int, fraction: float) -> int:
    """The most points an indicator without evidence may get: `fraction` of its maximum,
    rounded down (评分说明二; decimal arithmetic, so 0.7 × 10 is 7, not 7.000…1)."""
    return math.floor(Decimal(repr(fraction)) * maximum)


def share_text(fraction: float) -> str:
    """The no-evidence share as a percentage ("50%", "30%"), the same in every language."""
    return f"{Decimal(repr(fraction)) * 100:f}".rstrip("0").rstrip(".") + "%"


def _text(key: str, language: str, **params: object) -> str:
    return workflow_texts.text(f"assessment.reason.{key}", language, **params)


@dataclass(frozen=True)
class Evaluation:
    """The result of one assessment: scores, grade, pass/fail and why."""

    base: int
    bonus: int
    final: int
    grade: Grade
    passed: bool
    zero_indicators: tuple[str, ...]
    graded_on: GradeScore = "final"
    passed_on: PassScore = "base"
    uncapped_final: int | None = None  # base + bonus when the cap lowered the final score

    @property
    def grade_score(self) -> int:
        """The score the grade of a passed assessment is read from (final or base, by policy)."""
        return self.final if self.graded_on == "final" else self.base

    @property
    def pass_score(self) -> int:
        """The score the pass mark is read from: the base score (评分说明三)."""
        return self.base if self.passed_on == "base" else self.grade_score

    def grade_text(self, language: str | None = None) -> str:
        return workflow_texts.text(f"assessment.grade.{self.grade}", language)

    def result_text(self, language: str | None = None) -> str:
        """考核通过 / 考核不通过."""
        key = "passed" if self.passed else "failed"
        return workflow_texts.text(f"assessment.xlsx.{key}", language)

    def reason(self, language: str | None = None, standard: Standard = STANDARD) -> str:
        """Why the result is what it is, in words a published list can carry, e.g.
        "基本分 65 分，低于合格线 70 分" or "二级指标 2.4（…）得 0 分，按评分说明第三条视为不通过"."""
        language = language or current_language()
        parts: list[str] = []
        if self.zero_indicators:
            named = _text("and", language).join(
                _text(
                    "indicator",
                    language,
                    code=code,
                    name=standard.indicator(code).short_text(language),
                )
                for code in self.zero_indicators
            )
            parts.append(_text("zero", language, indicators=named))
        pass_name = workflow_texts.text(f"assessment.score.{self.passed_on_name}", language)
        mark = standard.qualified_from
        if self.pass_score < mark:
            below = _text("below", language, score_name=pass_name, score=self.pass_score, mark=mark)
            if self.passed_on == "base" and self.bonus:
                below += _text("bonus_not_counted", language)
            parts.append(below)
        if not self.passed:
            return _text("separator", language).join(parts)
        parts.append(
            _text("passed", language, score_name=pass_name, score=self.pass_score, mark=mark)
        )
        if self.uncapped_final is not None and self.graded_on == "final":
            parts.append(_text("capped", language, total=self.uncapped_final, cap=self.final))
        grade_name = workflow_texts.text(f"assessment.score.{self.graded_on}", language)
        parts.append(
            _text(
                self.grade,
                language,
                score_name=grade_name,
                score=self.grade_score,
                mark=standard.excellent_from,
            )
        )
        return _text("separator", language).join(parts)

    @property
    def passed_on_name(self) -> GradeScore:
        return "base" if self.passed_on == "base" else self.graded_on


def bonus_points_per_case(code: str, policy: Policy, standard: Standard = STANDARD) -> int:
    """Points one counted case of a bonus item is worth (B4: the policy value)."""
    points = standard.bonus_item(code).points
    return policy.b4_points if points is None else points


def _is_whole(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


_WHOLE_TEXT = re.compile(r"-?\d{1,18}")
"""At most 18 digits: far above every maximum, and `int` of a 5000-digit cell would crash."""


def parse_whole(text: str) -> int | None:
    """Typed or spreadsheet text as a whole number ("4", " -1 ", full-width "４"), else None.

    Only decimal digits with an optional minus count: "3.5", "--3", "+3" and "²" are not
    whole numbers here (`int` would accept some and crash on others), nor are more than
    18 digits.
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


BONUS_COUNT_MAX = 1000
"""The most cases of one bonus item an agency can have in a year. Each case is one guided
unit's title, base or project (Art. 13), and an agency guides some tens of units: 1000 is
far above any real year, and keeps a mistyped count (10**12) from being saved and graded."""


def check_bonus_count(code: str, value: object, standard: Standard = STANDARD) -> int:
    """A bonus count (whole, 0..`BONUS_COUNT_MAX`), or `ScoreError` naming the code."""
    if code not in standard.bonus_codes:
        raise ScoreError("assessment.unknown_bonus", code=code)
    if not _is_whole(value) or value < 0:
        raise ScoreError("assessment.bonus_not_whole", code=code, value=value)
    if value > BONUS_COUNT_MAX:
        raise ScoreError("assessment.bonus_too_many", code=code, value=value, max=BONUS_COUNT_MAX)
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
    Passed: base >= 70 and no indicator at 0 (评分说明三); a failed assessment is
    不合格 whatever the score; a passed one is graded on `policy.grade_score`.
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
    uncapped = base + bonus_points
    cap = policy.final_score_cap
    final = uncapped if cap is None else min(uncapped, cap)
    graded_on = policy.grade_score
    score = final if graded_on == "final" else base
    pass_score = base if policy.pass_score == "base" else score
    zeros = tuple(code for code, value in checked.items() if value == 0)
    passed = not zeros and pass_score >= standard.qualified_from
    return Evaluation(
        base=base,
        bonus=bonus_points,
        final=final,
        grade=grade_for(score, standard) if passed else "unqualified",
        passed=passed,
        zero_indicators=zeros,
        graded_on=graded_on,
        passed_on=policy.pass_score,
        uncapped_final=uncapped if final != uncapped else None,
    )
