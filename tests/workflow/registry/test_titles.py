"""Art. 8(4): "at least 2 hold a senior professional title" (高级职称). RULES.md:
"高级职称: 高级工程师, 正高级/副高级 titles, 研究员, 副研究员…; skill grades such as
高级工 and 高级技师 are *not* titles".
"""

from __future__ import annotations

from datetime import date

import pytest

from tests.builders import person
from workflow.registry.forms import validate_consultant_fields
from workflow.registry.titles import (
    DEPUTY,
    DEPUTY_SENIOR,
    FULL,
    FULL_SENIOR,
    SKILL_GRADES,
    is_senior_title,
    senior_level,
)

FULL_TITLES = [
    "正高级工程师",
    "教授级高级工程师",
    "研究员级高级工程师",
    "教授",
    "研究员",
    "研究馆员",
    "主任医师",
    "主任护师",
    "主任中医师",
    "正高级经济师",
    "正高级会计师",
    "正高级讲师",
    "正高级教师",
    "编审",
]
DEPUTY_TITLES = [
    "高级工程师",
    "高工",
    "副教授",
    "副研究员",
    "副研究馆员",
    "副主任医师",
    "副主任药师",
    "高级经济师",
    "高级会计师",
    "高级讲师",
    "高级教师",
    "高级统计师",
    "高级审计师",
    "高级农艺师",
    "副高级工程师",
    "副编审",
]
NOT_SENIOR = [
    "高级工",  # 职业技能等级 (三级), a skill grade
    "高级技师",  # 职业技能等级 (一级), a skill grade
    "技师",
    "特级技师",
    "首席技师",
    "中级工",
    "工程师",
    "助理工程师",
    "讲师",
    "助教",
    "主治医师",
    "医师",
    "馆员",
    "助理馆员",
    "助理研究员",
    "实习研究员",
    "注册安全工程师",  # a qualification, not a title
    "高级茶艺师",  # an occupational skill level
    "主任科员",  # a civil-service rank
    "",
]


@pytest.mark.parametrize("title", FULL_TITLES)
def test_full_senior_titles_are_senior(title: str) -> None:
    assert senior_level(title) == FULL and is_senior_title(title)


@pytest.mark.parametrize("title", DEPUTY_TITLES)
def test_deputy_senior_titles_are_senior(title: str) -> None:
    assert senior_level(title) == DEPUTY and is_senior_title(title)


@pytest.mark.parametrize("title", NOT_SENIOR)
def test_skill_grades_and_lower_titles_are_not(title: str) -> None:
    assert senior_level(title) is None and not is_senior_title(title)


def test_the_vocabularies_do_not_overlap() -> None:
    assert not FULL_SENIOR & DEPUTY_SENIOR
    assert not SKILL_GRADES & (FULL_SENIOR | DEPUTY_SENIOR)
    assert {"高级工", "高级技师"} <= SKILL_GRADES


@pytest.mark.parametrize(
    ("title", "level"),
    [
        ("高级工程师（安全工程）", DEPUTY),
        ("高级工程师(安全)", DEPUTY),
        (" 副主任医师 ", DEPUTY),
        ("高级工程师、注册安全工程师", DEPUTY),
        ("注册安全工程师；正高级工程师", FULL),
        ("高级技师、注册安全工程师", None),
        ("高级工（电工）", None),
    ],
)
def test_notes_and_several_titles_in_one_field(title: str, level: str | None) -> None:
    assert senior_level(title) == level


@pytest.mark.parametrize(
    ("title", "senior"), [("高级技师", False), ("高级工", False), ("研究馆员", True)]
)
def test_the_consultant_form_defaults_from_the_rule(title: str, senior: bool) -> None:
    cleaned, errors = validate_consultant_fields(person(title=title), today=date(2026, 11, 26))
    assert errors == [] and cleaned["senior_title"] is senior


def test_an_admin_may_state_it_either_way() -> None:
    today = date(2026, 11, 26)
    stated = validate_consultant_fields(person(title="高级技师", senior_title="是"), today=today)
    assert stated[0]["senior_title"] is True
    stated = validate_consultant_fields(person(title="高级工程师", senior_title="否"), today=today)
    assert stated[0]["senior_title"] is False
