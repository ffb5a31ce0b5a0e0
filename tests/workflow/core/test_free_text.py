"""One rule for free text (issue 14 item 2): a control character in a name, note, reason,
effect, evidence or title is refused where it enters, with the field and the character
named, and nothing is stored, so no xlsx export can meet it later."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from openpyxl import Workbook
from sqlalchemy import Engine, func
from sqlmodel import Session, SQLModel, select

from tests.workflow.assessment_builders import ADMIN, new_agency
from workflow.assessment.bonus import AwardInput, add_award
from workflow.assessment.finalising import finalise
from workflow.assessment.models import BonusAward, Objection, ScoreLine
from workflow.assessment.objections import record
from workflow.assessment.sheets import LineInput, enter_lines
from workflow.community.forums import record_forum
from workflow.community.models import CreationUnit, Forum
from workflow.community.units import add_unit
from workflow.core.db import transaction
from workflow.core.errors import InvalidInput
from workflow.core.settings import Settings
from workflow.core.text import clean_name, clean_note, forbidden_character
from workflow.lifecycle.engine import advance
from workflow.lifecycle.models import AuditEntry
from workflow.registry.corrections import correct_agency
from workflow.registry.judgements import record_scope
from workflow.rounds.models import Round
from workflow.rounds.service import create_round

BELL = "\x07"
YEAR = 2025

Entry = Callable[[Session, Settings, str], object]


def _unit(session: Session, settings: Settings, bad: str) -> object:
    return add_unit(session, f"幸福{bad}社区", "朝阳区", safe_community=True)


def _round(session: Session, settings: Settings, bad: str) -> object:
    return create_round(session, f"2025 第一批{bad}", ADMIN, settings=settings)


def _agency_id(session: Session) -> int:
    agency = new_agency(session)
    assert agency.id is not None
    return agency.id


def _transition_reason(session: Session, settings: Settings, bad: str) -> object:
    agency_id = _agency_id(session)
    return advance(session, agency_id, "reject", ADMIN, f"材料不全{bad}", settings=settings)


def _effect(session: Session, settings: Settings, bad: str) -> object:
    line = LineInput(8, True, True, effect=f"效果良好{bad}")
    return enter_lines(session, _agency_id(session), YEAR, {"4.1": line}, actor="expert")


def _note(session: Session, settings: Settings, bad: str) -> object:
    line = LineInput(8, True, True, effect="良好", note=f"备注{bad}")
    return enter_lines(session, _agency_id(session), YEAR, {"4.1": line}, actor="expert")


def _bonus_title(session: Session, settings: Settings, bad: str) -> object:
    given = AwardInput("B4", None, f"社区安全项目{bad}", "市级推广文件")
    return add_award(session, _agency_id(session), YEAR, given, actor="expert")


def _bonus_evidence(session: Session, settings: Settings, bad: str) -> object:
    given = AwardInput("B4", None, "社区安全项目", f"市级推广文件{bad}")
    return add_award(session, _agency_id(session), YEAR, given, actor="expert")


def _forum_notes(session: Session, settings: Settings, bad: str) -> object:
    unit = add_unit(session, "论坛社区", "东城区", safe_community=True)
    assert unit.id is not None
    return record_forum(
        session, YEAR, date(YEAR, 6, 1), [unit.id], notes=f"座谈{bad}", actor="admin"
    )


def _correction_reason(session: Session, settings: Settings, bad: str) -> object:
    agency_id = _agency_id(session)
    return correct_agency(
        session,
        agency_id,
        ADMIN,
        "address",
        "北京市朝阳区某路1号",
        f"更正{bad}",
        settings=settings,
    )


def _judgement_reason(session: Session, settings: Settings, bad: str) -> object:
    agency_id = _agency_id(session)
    return record_scope(session, agency_id, ADMIN, True, f"经营范围{bad}", settings=settings)


ENTRIES: dict[str, tuple[Entry, type[SQLModel]]] = {
    "unit name": (_unit, CreationUnit),
    "round name": (_round, Round),
    "transition reason": (_transition_reason, AuditEntry),
    "effect note": (_effect, ScoreLine),
    "indicator note": (_note, ScoreLine),
    "bonus title": (_bonus_title, BonusAward),
    "bonus evidence": (_bonus_evidence, BonusAward),
    "forum notes": (_forum_notes, Forum),
    "correction reason": (_correction_reason, AuditEntry),
    "judgement reason": (_judgement_reason, AuditEntry),
}


def _objection(session: Session, settings: Settings, bad: str) -> object:
    return record(session, _agency_id(session), YEAR, f"分数有误{bad}", ADMIN, settings)


def _forced_finalising(session: Session, settings: Settings, bad: str) -> object:
    return finalise(session, _agency_id(session), YEAR, ADMIN, settings, force_reason=f"急{bad}")


REFUSED_FIRST: dict[str, tuple[Entry, type[SQLModel]]] = {
    "objection reason": (_objection, Objection),
    "forced finalising reason": (_forced_finalising, AuditEntry),
}
"""Entry points that read the reason before anything else (their happy path needs a
published result or an open questionnaire: tested in their own files)."""


def _count(engine: Engine, model: type[SQLModel]) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(model)).one()


@pytest.mark.parametrize("entry", [*ENTRIES, *REFUSED_FIRST])
def test_a_control_character_is_refused_and_nothing_is_stored(
    any_engine: Engine, settings: Settings, entry: str
) -> None:
    call, model = {**ENTRIES, **REFUSED_FIRST}[entry]
    before = _count(any_engine, model)
    refused = pytest.raises(InvalidInput, match=r"控制字符（U\+0007）")
    with refused, transaction(any_engine) as session:
        call(session, settings, BELL)
    assert _count(any_engine, model) == before


@pytest.mark.parametrize("entry", list(ENTRIES))
def test_the_same_text_without_it_is_accepted(
    any_engine: Engine, settings: Settings, entry: str
) -> None:
    call, model = ENTRIES[entry]
    before = _count(any_engine, model)
    with transaction(any_engine) as session:
        call(session, settings, "")
    assert _count(any_engine, model) > before


@pytest.mark.parametrize(
    ("field", "text"),
    [("title", "项" * 201), ("evidence", "证" * 2001), ("effect", "效" * 2001)],
)
def test_text_over_its_field_length_is_refused_and_nothing_is_stored(
    any_engine: Engine, field: str, text: str
) -> None:
    """A 201-character project name overflowed PostgreSQL's varchar(200) (DataError)."""
    with pytest.raises(InvalidInput, match="最多"), transaction(any_engine) as session:
        agency_id = _agency_id(session)
        if field == "effect":
            line = LineInput(8, True, True, effect=text)
            enter_lines(session, agency_id, YEAR, {"4.1": line}, actor="expert")
        else:
            title, evidence = (text, "文件") if field == "title" else ("项目", text)
            add_award(session, agency_id, YEAR, AwardInput("B4", None, title, evidence), actor="x")
    assert _count(any_engine, BonusAward) == _count(any_engine, ScoreLine) == 0


@pytest.mark.parametrize(
    "bad", ["\x00", "\x1b", "\x7f", "\x85", "\u200b", "\u202e", "\ufeff", "\ud800"]
)
def test_control_format_and_surrogate_characters_are_forbidden(bad: str) -> None:
    assert forbidden_character(f"名{bad}称", multiline=True) == bad


def test_a_name_is_one_line_a_note_may_have_lines_and_tabs() -> None:
    with pytest.raises(InvalidInput, match="只能写一行"):
        clean_name("第一行\n第二行", field="unit_name")
    with pytest.raises(InvalidInput, match=r"只能写一行.*U\+2028"):
        clean_name("第一行\u2028第二行", field="unit_name")
    assert clean_note(" 第一行\r\n\t第二行 ", field="note") == "第一行\n\t第二行"
    assert clean_name("👨\u200d👩\u200d👧 家庭", field="title") == "👨\u200d👩\u200d👧 家庭"


def test_text_is_trimmed_nfc_and_bounded() -> None:
    assert clean_name(" Cafe\u0301 ", field="title") == "Café"
    with pytest.raises(InvalidInput, match="最多 5 个字"):
        clean_name("一二三四五六", field="title", limit=5)


def test_the_registry_forms_use_the_same_rule() -> None:
    from workflow.registry.values import BadValue, read_text

    with pytest.raises(BadValue) as refused:
        read_text("机构\u202e名称")
    assert refused.value.key == "registry.invalid.control"
    assert refused.value.params == {"code": "U+202E"}


def test_what_the_rule_lets_through_can_be_written_to_xlsx() -> None:
    """The old crash: openpyxl refuses control characters when a cell is set. Every
    character the rule accepts in a multi-line note can be written to a sheet."""
    sheet = Workbook().active
    assert sheet is not None
    accepted = [
        chr(n) for n in range(0x10000) if forbidden_character(chr(n), multiline=True) is None
    ]
    sheet["A1"] = "".join(accepted)
    with pytest.raises(Exception, match="cannot be used in worksheets"):
        sheet["A2"] = f"效果{BELL}"
