"""`safecomm forum add|list` and `safecomm survey enter`: Art. 12 "召开创建单位座谈会等方式"
— the forums an admin records, and the answers entered on a unit's behalf."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from surveys.models import Submission
from tests.bot.conftest import Cli
from tests.surveys.helpers import OPEN_YEAR, guided_units
from workflow.community.models import Forum
from workflow.core.settings import get_settings


def test_a_forum_is_recorded_with_its_units_notes_and_minutes(
    db: Engine, cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SAFECOMM_UPLOAD_DIR", str(tmp_path / "uploads"))
    get_settings.cache_clear()
    with Session(db, expire_on_commit=False) as session:
        guided = guided_units(session, count=2)
    minutes = tmp_path / "座谈会纪要.docx"
    minutes.write_bytes(b"minutes")
    year = str(OPEN_YEAR)
    first, second = (unit.name for unit in guided.units)
    code, out, err = cli(
        "forum", "add", year, "--date", f"{year}-12-10", "--unit", first, "--unit", second,
        "--notes", "两个创建单位对培训工作评价较高", "--minutes", str(minutes),
    )  # fmt: skip
    assert code == 0, err
    assert f"已登记创建单位座谈会（编号 1）：{year}-12-10，出席创建单位 2 个。" in out
    stored = tmp_path / "uploads" / year / "forums" / "1-座谈会纪要.docx"
    assert stored.read_bytes() == b"minutes" and f"会议纪要已保存：{stored}" in out
    with Session(db) as session:
        assert session.exec(select(Forum)).one().minutes_path == str(stored)
    code, out, _ = cli("forum", "list", year, "--json")
    (listed,) = json.loads(out)
    assert listed["units"] == f"{first}、{second}" and listed["by"] == "王管理"
    code, out, _ = cli("forum", "list", year)
    assert code == 0 and "两个创建单位对培训工作评价较高" in out and "出席创建单位" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--date", "12/10", "--unit", "1"), "日期应写作 YYYY-MM-DD"),
        (("--date", "2026-12-10", "--unit", "无此社区"), "无此社区"),
        (
            ("--date", "2026-12-10", "--unit", "1", "--minutes", "/no/such.docx"),
            "找不到会议纪要文件",
        ),
    ],
)
def test_forum_refusals_are_one_clear_line(
    db: Engine, cli: Cli, args: tuple[str, ...], message: str
) -> None:
    code, _, err = cli("forum", "add", "2026", *args)
    assert code == 1 and message in err and "Traceback" not in err
    with Session(db) as session:
        assert session.exec(select(Forum)).all() == []


def test_survey_enter_records_the_channel_and_who_entered_it(db: Engine, cli: Cli) -> None:
    with Session(db, expire_on_commit=False) as session:
        guided = guided_units(session, count=1)
    unit, agency = guided.units[0], guided.agency
    code, out, err = cli(
        "survey", "enter", unit.name, str(agency.id), str(OPEN_YEAR),
        "--channel", "paper", "--answers", "4,3,4,4,3",
    )  # fmt: skip
    assert code == 0, err
    assert "纸质问卷" in out and "录入人 王管理" in out and "回执" in out
    with Session(db) as session:
        row = session.exec(select(Submission)).one()
        assert (row.channel, row.entered_by, row.item2, row.item5) == ("paper", "王管理", 3, 3)
    code, _, err = cli(
        "survey", "enter", unit.name, str(agency.id), str(OPEN_YEAR),
        "--channel", "email", "--answers", "4,3,4,4,3",
    )  # fmt: skip
    assert code == 1 and "座谈会（forum）、纸质问卷（paper）或电话（phone）" in err
    code, _, err = cli(
        "survey", "enter", unit.name, str(agency.id), str(OPEN_YEAR),
        "--channel", "phone", "--answers", "4,3,4",
    )  # fmt: skip
    assert code == 1 and "请按顺序填写 5 项评价的得分" in err


def test_survey_enter_takes_the_channel_by_its_chinese_name(db: Engine, cli: Cli) -> None:
    """TERMS.md: where a user types a code, the Chinese name is accepted too."""
    with Session(db, expire_on_commit=False) as session:
        guided = guided_units(session, count=1)
    unit, agency = guided.units[0], guided.agency
    code, out, err = cli(
        "survey", "enter", unit.name, str(agency.id), str(OPEN_YEAR),
        "--channel", "座谈会", "--answers", "4,3,4,4,3",
    )  # fmt: skip
    assert code == 0, err
    assert "（座谈会，录入人 王管理）" in out
    with Session(db) as session:
        assert session.exec(select(Submission)).one().channel == "forum"
