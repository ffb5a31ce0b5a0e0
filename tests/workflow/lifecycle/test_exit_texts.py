"""Art. 14: what an agency loses is its priority-recommendation status
(“取消优先推荐在本市行政区域内从事……咨询服务资格”), and every text says so —
已取消优先推荐资格 / 保留优先推荐资格, never a bare 取消资格 or 保留资格 (TERMS.md)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from workflow.lifecycle.states import state_label, trigger_label

ROOT = Path(__file__).resolve().parents[3]
BARE = re.compile(r"取消资格|保留资格")


@pytest.mark.parametrize(
    ("label", "zh", "en"),
    [
        (state_label, "已取消优先推荐资格", "priority-recommendation status withdrawn"),
        (trigger_label, "取消优先推荐资格", "withdraw priority-recommendation status"),
    ],
)
def test_withdraw_names_the_priority_recommendation_status(label, zh: str, en: str) -> None:  # type: ignore[no-untyped-def]
    key = "withdrawn" if label is state_label else "withdraw"
    assert (label(key, "zh"), label(key, "en")) == (zh, en)


@pytest.mark.parametrize(
    ("label", "zh", "en"),
    [
        (state_label, "保留优先推荐资格", "priority-recommendation status retained"),
        (trigger_label, "保留优先推荐资格", "retain priority-recommendation status"),
    ],
)
def test_retain_names_the_priority_recommendation_status(label, zh: str, en: str) -> None:  # type: ignore[no-untyped-def]
    key = "retained" if label is state_label else "retain"
    assert (label(key, "zh"), label(key, "en")) == (zh, en)


def _texts() -> list[Path]:
    catalogues = [
        *sorted((ROOT / "workflow" / "locales" / "zh").glob("*.json")),
        *sorted((ROOT / "bot" / "locales" / "zh").glob("*.json")),
        *sorted((ROOT / "surveys" / "locales" / "zh").glob("*.json")),
    ]
    sources = sorted((ROOT / "bot" / "cli").glob("*.py"))  # typer help strings
    docs = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    return catalogues + sources + docs


@pytest.mark.parametrize("path", _texts(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_text_says_a_bare_qualification(path: Path) -> None:
    bare = [
        f"{number}: {line.strip()}"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if BARE.search(line)
    ]
    assert bare == []


def test_a_code_is_read_from_its_code_or_either_name() -> None:
    from workflow.lifecycle import machine
    from workflow.lifecycle.states import STATES, code_of, ground_label, state_label, trigger_label

    assert code_of("已备案", STATES, state_label) == "filed"
    assert code_of("Filed", STATES, state_label) == "filed"
    assert code_of(" 材料审核通过 ", machine.TRIGGER_NAMES, trigger_label) == "review"
    assert code_of("违反自律公约", ("convention_violation", "staff_change"), ground_label) == (
        "convention_violation"
    )
    assert code_of("备案了", STATES, state_label) is None
