"""TERMS.md, checked mechanically: one form for a year (`{year}年`, no space before 年)
and none of the glossary's "not" words, in every Chinese catalogue, in the help of
every CLI command, in the docs and the README."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer.main
from typer.testing import CliRunner

from bot.cli import app

ROOT = Path(__file__).parent.parent

SPACED_YEAR = re.compile(r"\d 年|\} 年")

BANNED = re.compile(
    "|".join(
        [
            "基础分",  # base score: 基本分
            "综合得分",
            "综合成绩",  # Art. 10 weighted total: 总成绩
            "考核符合",
            "考核不符合",  # pass / fail: 考核通过 / 考核不通过
            "动作",
            "流转事件",  # a lifecycle move: 操作
            "流转记录",
            "生命周期记录",  # what happened to an agency: 办理记录
            "审计记录",  # 审计日志
            "每日摘要",
            "管理员汇总",  # 每日汇总
            "机构报告截止",  # 年度工作情况报告截止日期
            "评价问卷",
            "满意度问卷",  # 满意度调查（问卷）
            "面试答辩完成",  # 已通过面试答辩 / 面试答辩通过
            "名额之外",  # 因总量控制未列入本批次备案名单
            "取消资格",
            "保留资格",  # … 优先推荐资格
            "人员变动无法开展指导工作",  # 因工作人员变动导致无法完成指导工作
            "创建单位问卷提醒",  # 问卷提醒
            "入队",
            "发件箱",  # 发送提醒 / 提醒发送情况
            "未具有",  # 不具有独立法人资格
            "点按",  # 点击
            "写出",  # 生成 / 导出
        ]
    )
)


def _zh_catalogues() -> list[Path]:
    return sorted(
        path
        for package in ("bot", "workflow", "surveys")
        for path in (ROOT / package / "locales" / "zh").glob("*.json")
    )


def _catalogue_texts() -> Iterator[tuple[str, str]]:
    for path in _zh_catalogues():
        for key, text in json.loads(path.read_text(encoding="utf-8")).items():
            yield f"{path.relative_to(ROOT)}:{key}", text


def _doc_lines() -> Iterator[tuple[str, str]]:
    docs = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    for path in docs:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            yield f"{path.relative_to(ROOT)}:{number}", line


def _command_paths(command: object, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    yield path
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        yield from _command_paths(sub, (*path, name))


def _help_texts() -> Iterator[tuple[str, str]]:
    runner = CliRunner()
    for path in _command_paths(typer.main.get_command(app)):
        result = runner.invoke(app, [*path, "--help"], prog_name="safecomm")
        assert result.exit_code == 0, (path, result.output)
        yield " ".join(("safecomm", *path, "--help")), result.output


def _offending(pattern: re.Pattern[str], texts: Iterator[tuple[str, str]]) -> list[str]:
    return [f"{where}: {pattern.findall(text)}" for where, text in texts if pattern.search(text)]


def test_the_cli_has_many_commands_to_check() -> None:
    paths = list(_command_paths(typer.main.get_command(app)))
    assert ("agency", "list") in paths and ("remind", "status") in paths and len(paths) > 50


def test_the_patterns_catch_what_they_are_for() -> None:
    assert SPACED_YEAR.search("2026 年度") and SPACED_YEAR.search("{year} 年")
    assert not SPACED_YEAR.search("2026年问卷") and not SPACED_YEAR.search("总分 65 分")
    assert BANNED.search("已写出 results.xlsx") and not BANNED.search("已导出 results.xlsx")


@pytest.mark.parametrize(
    "texts",
    [_catalogue_texts, _doc_lines, _help_texts],
    ids=["catalogues", "docs", "cli-help"],
)
def test_a_year_is_written_without_a_space_before_nian(texts) -> None:  # type: ignore[no-untyped-def]
    assert _offending(SPACED_YEAR, texts()) == []


@pytest.mark.parametrize(
    "texts",
    [_catalogue_texts, _doc_lines, _help_texts],
    ids=["catalogues", "docs", "cli-help"],
)
def test_no_text_uses_a_word_the_glossary_rules_out(texts) -> None:  # type: ignore[no-untyped-def]
    assert _offending(BANNED, texts()) == []
