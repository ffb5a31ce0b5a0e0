"""Senior professional titles (高级职称, Art. 8(4)): which 专业技术职务 count.

A senior title is a 正高级 or 副高级 professional technical title (专业技术职称).
Skill grades of the vocational qualification system (职业技能等级: 初级工, 中级工,
高级工, 技师, 高级技师, 特级技师, 首席技师) are *not* titles, though two of them
contain 高级 (RULES.md, Registration, Eligibility 4).

The rule, in order:
1. a skill grade, or a title starting 助理/实习 (助理研究员, 实习研究员), is not senior;
2. a title in `FULL_SENIOR` is 正高, one in `DEPUTY_SENIOR` is 副高;
3. the patterns: 正高级… (正高级工程师, 正高级会计师…) and 教授级/研究员级高级…师 are 正高;
   副高级… is 副高; 高级 + a series in `SERIES` + 师 (高级工程师, 高级经济师, 高级讲师…)
   is 副高; 主任/副主任 + 医/药/护/技… + 师 (主任医师, 副主任护师…) is 正高/副高;
4. anything else (工程师, 讲师, 主治医师, 馆员, 注册安全工程师, 高级茶艺师…) is not.

Text in brackets is a note and ignored ("高级工程师（安全工程）"); a field naming several
("高级工程师、注册安全工程师") is senior if one of them is. This is only the default of
the consultant form's 高级职称 field: an admin may state it explicitly either way.
"""

from __future__ import annotations

import re
import unicodedata

FULL = "正高"
DEPUTY = "副高"

SKILL_GRADES = frozenset(
    {"学徒工", "初级工", "中级工", "高级工", "技师", "高级技师", "特级技师", "首席技师", "高级技工"}
)
"""职业技能等级: grades of a trade, not professional titles."""

FULL_SENIOR = frozenset(
    {
        "教授",
        "研究员",
        "研究馆员",
        "正高级工程师",
        "教授级高级工程师",
        "教授级高工",
        "研究员级高级工程师",
        "正高级经济师",
        "正高级会计师",
        "正高级审计师",
        "正高级统计师",
        "正高级讲师",
        "正高级教师",
        "主任医师",
        "主任药师",
        "主任护师",
        "主任技师",
        "编审",
        "译审",
        "高级记者",
        "高级编辑",
        "一级律师",
    }
)
"""正高级 titles named in full."""

DEPUTY_SENIOR = frozenset(
    {
        "副教授",
        "副研究员",
        "副研究馆员",
        "高级工程师",
        "高工",
        "高级经济师",
        "高级会计师",
        "高级审计师",
        "高级统计师",
        "高级讲师",
        "高级教师",
        "高级实验师",
        "高级农艺师",
        "高级政工师",
        "副主任医师",
        "副主任药师",
        "副主任护师",
        "副主任技师",
        "副编审",
        "副译审",
        "主任记者",
        "主任编辑",
        "二级律师",
    }
)
"""副高级 titles named in full."""

SERIES = (
    "工程",
    "经济",
    "会计",
    "审计",
    "统计",
    "讲",
    "教",
    "实验",
    "农艺",
    "畜牧",
    "兽医",
    "政工",
    "工艺美术",
    "建筑",
    "城市规划",
    "规划",
    "国际商务",
)
"""Title series whose 副高级 grade is 高级 + series + 师 (高级工程师, 高级讲师…)."""

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"正高级\S+"), FULL),
    (re.compile(r"(?:教授|研究员)级高级\S*师"), FULL),
    (re.compile(r"副高级\S+"), DEPUTY),
    (re.compile(r"高级(?:" + "|".join(SERIES) + r")师"), DEPUTY),
    (re.compile(r"主任(?:中|西)?(?:医|药|护|技|法医|检验)师"), FULL),
    (re.compile(r"副主任(?:中|西)?(?:医|药|护|技|法医|检验)师"), DEPUTY),
)
_NOTES = re.compile(r"[（(【\[][^）)】\]]*[）)】\]]")
_SEPARATORS = re.compile(r"[、，,；;/／\s]+")


def _one_level(title: str) -> str | None:
    if not title or title in SKILL_GRADES or title.startswith(("助理", "实习")):
        return None
    if title in FULL_SENIOR:
        return FULL
    if title in DEPUTY_SENIOR:
        return DEPUTY
    for pattern, level in _PATTERNS:
        if pattern.fullmatch(title):
            return level
    return None


def senior_level(title: str) -> str | None:
    """正高, 副高, or None (not a senior professional title) — the highest named in `title`."""
    text = _NOTES.sub("", unicodedata.normalize("NFKC", title or ""))
    levels = {_one_level(part) for part in _SEPARATORS.split(text) if part}
    if FULL in levels:
        return FULL
    return DEPUTY if DEPUTY in levels else None


def is_senior_title(title: str) -> bool:
    """Whether a professional title is a senior one (高级职称: 正高级 or 副高级)."""
    return senior_level(title) is not None
