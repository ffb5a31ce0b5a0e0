"""From the units' answers to the points of indicators 3.1–3.5.

Each indicator's points are the mean over the responding units of that item's
points, rounded half up (四舍五入: 2.5 → 3, unlike Python's `round`). The
arithmetic is done in integers so no float ever decides a rounding.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from surveys.errors import InvalidInput, NoResponses
from surveys.questionnaire import ITEM_NUMBERS, POINTS, questionnaire


def mean_half_up(total: int, count: int) -> int:
    """`total / count` rounded half up, for non-negative totals: floor((2·total + count) / 2·count)."""
    return (2 * total + count) // (2 * count)


def check_answers(answers: Mapping[int, int]) -> None:
    """One answer set: exactly items 1–5, each a whole number of points 0–4."""
    if sorted(answers) != list(ITEM_NUMBERS) or any(
        type(points) is not int or points not in POINTS for points in answers.values()
    ):
        raise InvalidInput("survey.bad_answers", answers=dict(answers))


def indicator_points(answers: Sequence[Mapping[int, int]]) -> dict[str, int]:
    """Points for "3.1"…"3.5" from the submitted answer sets (one per responding unit).

    With no answer sets there are no points to give: `NoResponses` is raised,
    never a row of zeros.
    """
    if not answers:
        raise NoResponses("survey.no_responses_any")
    for answer_set in answers:
        check_answers(answer_set)
    return {
        item.indicator: mean_half_up(sum(a[item.number] for a in answers), len(answers))
        for item in questionnaire().items
    }
