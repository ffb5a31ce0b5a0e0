"""TERMS.md "No English code in Chinese output": the CLI's listings, run in zh on a
small year (a round, one agency filed, one refused, a role, a guided unit, a
reminder plan), name states, operations, grounds, roles, kinds, channels and
statuses in Chinese — no code word from the known code sets is printed."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from surveys.coverage import Status
from surveys.models import CHANNELS
from tests.bot.conftest import Cli
from tests.workflow.lifecycle_steps import make_agency
from workflow.access.actors import Role
from workflow.core.settings import get_settings
from workflow.lifecycle import machine
from workflow.lifecycle.states import GROUNDS, STATES
from workflow.reminders import models as outbox
from workflow.reminders.plan import DOCUMENT_KINDS, KINDS

CODES = {
    *STATES,
    *machine.TRIGGER_NAMES,
    *GROUNDS,
    *Role,
    *CHANNELS,
    *Status,
    *outbox.STATES,
    *KINDS,
    *DOCUMENT_KINDS,
}
CODE_WORD = re.compile(
    r"(?<![\w.-])(" + "|".join(sorted(map(re.escape, CODES), key=len, reverse=True)) + r")(?![\w-])"
)


def _seed(engine: Engine, cli: Cli, out: Path) -> tuple[str, str]:
    with Session(engine, expire_on_commit=False) as session:
        kept, refused = (
            make_agency(session, name="甲咨询公司"),
            make_agency(session, name="乙咨询公司"),
        )
    assert cli("round", "create", "2026 第一批", "--quota", "1")[0] == 0
    for agency, material, interview in ((kept, "80", "90"), (refused, "70", "60")):
        ref = agency.credit_code
        assert cli("round", "join", "2026 第一批", ref)[0] == 0
        assert cli("round", "score", ref, "--material", material)[0] == 0
        assert cli("advance", ref, "review")[0] == 0
        assert cli("round", "score", ref, "--interview", interview)[0] == 0
        assert cli("advance", ref, "interview")[0] == 0
    assert cli("round", "close", "2026 第一批", "--out", str(out))[0] == 0
    assert cli("role", "grant", "tg:42", "expert")[0] == 0
    assert cli("unit", "add", "和平里街道", "--district", "东城区", "--safe-community")[0] == 0
    assert cli("guidance", "add", "和平里街道", kept.credit_code, "2026")[0] == 0
    return kept.credit_code, refused.credit_code


def test_the_listings_print_no_code_in_chinese(db: Engine, cli: Cli, tmp_path: Path) -> None:
    kept, refused = _seed(db, cli, tmp_path)
    listings = [
        ("agency", "list"),
        ("agency", "show", kept),
        ("actions", kept),
        ("actions", refused),
        ("history", kept),
        ("history", refused),
        ("round", "ranking", "2026 第一批"),
        ("role", "list"),
        ("audit", "verify"),
        ("unit", "list"),
        ("survey", "status", "2026"),
        ("campaign", "show", "2026"),
        ("remind", "plan", "--at", "2026-12-10T09:00"),
        ("remind", "status"),
        ("objection", "list", "2026"),
        ("forum", "list", "2026"),
    ]
    printed = {}
    for argv in listings:
        code, out, err = cli(*argv)
        assert code == 0, (argv, err)
        printed[" ".join(argv)] = out
    assert "已备案" in printed[f"history {kept}"] and "不予通过" in printed[f"history {refused}"]
    codes = {command: CODE_WORD.findall(out) for command, out in printed.items()}
    assert {command: found for command, found in codes.items() if found} == {}


def test_a_whole_years_listings_print_no_code_in_chinese(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The demo's year (a round, an assessment with objections, exits on grounds 1 and
    2, reminders, questionnaires): its results, exits, objections, scores and
    histories, listed from its database."""
    assert cli("demo", "--out", str(tmp_path))[0] == 0
    monkeypatch.setenv("SAFECOMM_DATABASE_URL", f"sqlite:///{tmp_path / 'safecomm-demo.db'}")
    get_settings.cache_clear()
    listings = [
        ("agency", "list"),
        *(("history", str(number)) for number in range(1, 6)),
        ("round", "ranking", "演示批次"),
        ("results", "2026", "--out", str(tmp_path / "results")),
        ("exits", "propose", "2026"),
        ("objection", "list", "2026"),
        ("assess", "show", "2", "2026"),
        ("survey", "status", "2026"),
        ("remind", "status"),
        ("agency", "materials", "1"),
        ("role", "list"),
    ]
    printed = {}
    for argv in listings:
        code, out, err = cli(*argv)
        assert code == 0, (argv, err)
        printed[" ".join(argv[:3])] = out
    assert "已取消优先推荐资格" in printed["exits propose 2026"]
    codes = {command: CODE_WORD.findall(out) for command, out in printed.items()}
    assert {command: found for command, found in codes.items() if found} == {}
    get_settings.cache_clear()
