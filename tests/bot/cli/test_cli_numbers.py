"""Every number typed at the terminal is read by one bounded parser: ids, years,
quotas and Telegram user ids (full-width digits accepted). A number out of bounds is
one clear line and exit code 1, never a traceback, and nothing is written."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select, text

from tests.bot.conftest import Cli
from tests.workflow.lifecycle_steps import make_agency
from workflow.access.grants import RoleGrant
from workflow.community.campaigns import Campaign

HUGE = "9999999999999999999999999"
YEAR_REFUSED = "无效，应在 2000 至"


def _rows(engine: Engine) -> dict[str, int]:
    names = inspect(engine).get_table_names()
    with engine.connect() as connection:
        return {
            name: connection.execute(text(f'SELECT count(*) FROM "{name}"')).scalar_one()
            for name in names
        }


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["results", HUGE], YEAR_REFUSED),
        (["results", "0"], YEAR_REFUSED),
        (["round", "create", "R", "--quota", "2147483648"], "备案名额应为 1 到 10000 之间的整数"),
        (["round", "create", "R", "--quota", "0"], "备案名额应为 1 到 10000 之间的整数"),
        (
            ["invite", "rebind", "1", "1", "2026", "--user", "9223372036854775808"],
            "Telegram 用户编号",
        ),
        (["invite", "rebind", "1", "1", "2026", "--user", "-100123"], "Telegram 用户编号"),
        (["exits", "propose", HUGE], YEAR_REFUSED),
        (["invite", "issue", "0"], YEAR_REFUSED),
        (["invite", "issue", HUGE], YEAR_REFUSED),
        (["invite", "show", "1", "1", HUGE], YEAR_REFUSED),
        (["survey", "status", HUGE], YEAR_REFUSED),
        (["survey", "fill", HUGE], YEAR_REFUSED),
        (["campaign", "set", HUGE, "--opens", "2026-01-01"], YEAR_REFUSED),
        (["campaign", "show", "２０２６年"], "不是有效的年份"),
        (["objection", "uphold", HUGE], "编号应为 1 到 2147483647 之间的整数"),
        (["assess", "bonus", "remove", "2147483648"], "编号应为 1 到 2147483647 之间的整数"),
        (["agency", "unbind", "1", "1e9"], "Telegram 用户编号"),
        (["role", "grant", "9223372036854775808", "admin"], "Telegram 用户编号"),
        (["advance", "1", "withdraw", "--year", HUGE], YEAR_REFUSED),
    ],
)
def test_a_number_out_of_bounds_is_one_clear_line_and_writes_nothing(
    any_db: Engine, cli: Cli, argv: list[str], said: str
) -> None:
    before = _rows(any_db)
    code, out, err = cli(*argv)
    assert code == 1 and out == "" and said in err, (code, out, err)
    assert err.startswith("错误：") and err.count("\n") == 1 and "Traceback" not in err
    assert _rows(any_db) == before


def test_full_width_digits_are_the_same_number(any_db: Engine, cli: Cli) -> None:
    code, out, err = cli("role", "grant", "１２３", "admin")
    assert code == 0, err
    with Session(any_db) as session:
        assert session.exec(select(RoleGrant.actor_key)).all() == ["tg:123"]
    code, out, _ = cli("campaign", "show", "２０２６")
    assert code == 0 and "2026" in out
    with Session(any_db) as session:  # a look stores no campaign
        assert session.exec(select(func.count()).select_from(Campaign)).one() == 0


READ_ONLY = [
    ["remind", "plan", "--at", "9999-12-31T23:59"],
    ["remind", "plan", "--at", "2026-12-01T09:00"],
    ["remind", "status"],
    ["campaign", "show", "2026"],
    ["exits", "propose", "2026"],
    ["objection", "list", "2026"],
    ["assess", "bonus", "list", "1", "2026"],
    ["actions", "1"],
    ["history", "1"],
    ["audit", "verify"],
    ["role", "list"],
    ["agency", "list"],
    ["agency", "show", "1"],
    ["agency", "contacts", "1"],
    ["unit", "list", "--year", "2026"],
    ["survey", "status", "2026"],
    ["forum", "list", "2026"],
    ["guidance", "status", "2026"],
]


@pytest.mark.parametrize("argv", READ_ONLY, ids=" ".join)
def test_a_look_writes_nothing(any_db: Engine, cli: Cli, argv: list[str]) -> None:
    with Session(any_db, expire_on_commit=False) as session:
        make_agency(session)
    before = _rows(any_db)
    code, _, err = cli(*argv)
    assert code == 0, err
    assert _rows(any_db) == before
