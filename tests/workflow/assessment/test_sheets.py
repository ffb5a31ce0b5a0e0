"""Score sheets: the three-part judgement, the questionnaire section, refusals that save nothing,
and finalising through the lifecycle."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from tests.workflow.assessment_builders import (
    ADMIN,
    after_questionnaire,
    filed_agency,
    fill_sheet,
    full_points,
    new_agency,
)
from workflow.assessment.finalising import finalise
from workflow.assessment.gate import has_finalised_sheet
from workflow.assessment.models import BonusEntry, ScoreLine, ScoreSheet
from workflow.assessment.sheets import (
    BonusInput,
    LineInput,
    editable_sheet,
    enter_lines,
    load_view,
    set_bonus,
    set_questionnaire_points,
    sheet_view,
)
from workflow.core.errors import InvalidInput, NotFound, Refused
from workflow.core.settings import Settings
from workflow.lifecycle.audit import history

YEAR = 2026


def _lines(session: Session) -> list[ScoreLine]:
    return list(session.exec(select(ScoreLine)).all())


def test_lines_record_the_three_part_judgement(any_engine: Engine) -> None:
    with Session(any_engine) as session:
        agency = new_agency(session)
        assert agency.id is not None
        enter_lines(
            session,
            agency.id,
            YEAR,
            {
                "1.1": LineInput(2, True, False, effect="一般", note="缺签到表"),
                "1.2": LineInput(content_present=False, evidence_present=False),
            },
            actor="专家甲",
        )
        session.commit()
        view = sheet_view(session, agency.id, YEAR)
        line = view.lines["1.1"]
        assert (
            line.content_present,
            line.evidence_present,
            line.effect,
            line.points,
            line.note,
        ) == (
            True,
            False,
            "一般",
            2,
            "缺签到表",
        )
        assert view.lines["1.2"].points == 0  # "no content" scores 0
        assert view.sheet.created_by == "专家甲"
        assert view.evaluation() is None and "1.3" in view.missing


def test_no_content_with_points_is_refused(session: Session) -> None:
    agency = new_agency(session)
    assert agency.id is not None
    with pytest.raises(InvalidInput) as caught:
        enter_lines(session, agency.id, YEAR, {"2.4": LineInput(3, False, False)}, actor="x")
    assert caught.value.key == "assessment.no_content_points"
    assert "2.4" in str(caught.value)


def test_one_bad_line_saves_none(any_engine: Engine) -> None:
    with Session(any_engine) as session:
        agency = new_agency(session)
        assert agency.id is not None
        with pytest.raises(InvalidInput) as caught:
            enter_lines(
                session,
                agency.id,
                YEAR,
                {"1.1": LineInput(5, True, True), "1.2": LineInput(8, True, True)},
                actor="x",
            )
        assert caught.value.key == "assessment.out_of_range"
        session.rollback()
        assert _lines(session) == []
        assert session.exec(select(ScoreSheet)).all() == []


@pytest.mark.parametrize(
    ("lines", "key"),
    [
        ({"1.1": LineInput(-1, True, True)}, "assessment.out_of_range"),
        ({"1.1": LineInput(2.5, True, True)}, "assessment.not_whole"),  # type: ignore[arg-type]
        ({"1.1": LineInput(None, True, True)}, "assessment.points_required"),
        ({"9.9": LineInput(1, True, True)}, "assessment.unknown_indicator"),
        ({"3.1": LineInput(1, True, True)}, "assessment.questionnaire_line"),
    ],
)
def test_bad_lines_are_refused(session: Session, lines: dict[str, LineInput], key: str) -> None:
    agency = new_agency(session)
    assert agency.id is not None
    with pytest.raises(InvalidInput) as caught:
        enter_lines(session, agency.id, YEAR, lines, actor="x")
    assert caught.value.key == key


def test_bonus_needs_a_known_code_and_evidence(session: Session) -> None:
    agency = new_agency(session)
    assert agency.id is not None
    with pytest.raises(InvalidInput, match="B7"):
        set_bonus(session, agency.id, YEAR, {"B7": BonusInput(1, "x")}, actor="x")
    with pytest.raises(InvalidInput) as caught:
        set_bonus(session, agency.id, YEAR, {"B1": BonusInput(2, " ")}, actor="x")
    assert caught.value.key == "assessment.bonus_evidence_required"
    # Art. 13: no new count-only entry; cases are recorded per creation unit and title
    with pytest.raises(Refused) as refused:
        set_bonus(
            session, agency.id, YEAR, {"B1": BonusInput(2, "某社区获市级安全社区称号")}, actor="x"
        )
    assert refused.value.key == "assessment.bonus.count_only"
    # a legacy count (recorded before revision 0014) still counts; it may be lowered or removed
    sheet = editable_sheet(session, agency.id, YEAR, "x")
    session.add(
        BonusEntry(sheet_id=sheet.id or 0, code="B1", count=2, evidence="旧", entered_by="x")
    )
    session.flush()
    assert load_view(session, sheet).bonus_counts == {"B1": 2}
    with pytest.raises(Refused):
        set_bonus(session, agency.id, YEAR, {"B1": BonusInput(3, "旧")}, actor="x")
    set_bonus(session, agency.id, YEAR, {"B1": BonusInput(1, "旧")}, actor="x")
    assert load_view(session, sheet).bonus_counts == {"B1": 1}
    set_bonus(session, agency.id, YEAR, {"B1": BonusInput(0)}, actor="x")  # 0 removes the entry
    assert session.exec(select(BonusEntry)).all() == []


def test_questionnaire_section_from_survey_then_admin(any_engine: Engine) -> None:
    with Session(any_engine) as session:
        agency = new_agency(session)
        assert agency.id is not None
        points = {"3.1": 4, "3.2": 3, "3.3": 3, "3.4": 2, "3.5": 4}
        set_questionnaire_points(session, agency.id, YEAR, points, source="survey", actor="survey")
        session.commit()
        view = sheet_view(session, agency.id, YEAR)
        assert view.sheet.questionnaire_source == "survey"
        assert {c: view.lines[c].points for c in points} == points
        assert view.lines["3.1"].content_present is None
        set_questionnaire_points(
            session, agency.id, YEAR, {**points, "3.4": 4}, source="admin", actor="管理员"
        )
        session.commit()
        view = sheet_view(session, agency.id, YEAR)
        assert (view.sheet.questionnaire_source, view.lines["3.4"].points) == ("admin", 4)
        assert view.sheet.questionnaire_set_by == "管理员"


@pytest.mark.parametrize(
    ("points", "key"),
    [
        ({"3.1": 4, "3.2": 3, "3.3": 3, "3.4": 2}, "assessment.missing_indicator"),
        ({"3.1": 4, "3.2": 3, "3.3": 3, "3.4": 2, "3.5": 5}, "assessment.out_of_range"),
        (
            {"3.1": 4, "3.2": 3, "3.3": 3, "3.4": 2, "3.5": 4, "1.1": 5},
            "assessment.not_questionnaire",
        ),
    ],
)
def test_bad_questionnaire_points_are_refused(
    session: Session, points: dict[str, int], key: str
) -> None:
    agency = new_agency(session)
    assert agency.id is not None
    with pytest.raises(InvalidInput) as caught:
        set_questionnaire_points(session, agency.id, YEAR, points, source="survey", actor="s")
    assert caught.value.key == key
    assert session.exec(select(ScoreSheet)).all() == []


def test_unknown_agency_is_refused(session: Session) -> None:
    with pytest.raises(NotFound):
        enter_lines(session, 999, YEAR, {"1.1": LineInput(1, True, True)}, actor="x")


def test_finalise_refused_while_questionnaire_empty(session: Session, settings: Settings) -> None:
    agency = filed_agency(session, settings)
    assert agency.id is not None
    lines = {
        c: LineInput(v, True, True) for c, v in full_points().items() if not c.startswith("3.")
    }
    enter_lines(session, agency.id, YEAR, lines, actor="x")
    session.commit()
    with pytest.raises(Refused) as caught:
        finalise(session, agency.id, YEAR, ADMIN, settings, now=after_questionnaire(YEAR))
    assert caught.value.message("en") == (
        "The questionnaire section is empty: fill it from the survey or enter it explicitly."
    )
    session.rollback()
    assert not has_finalised_sheet(session, agency.id, YEAR)


def test_finalise_refused_with_a_missing_indicator(session: Session, settings: Settings) -> None:
    agency = filed_agency(session, settings)
    assert agency.id is not None
    points = full_points()
    fill_sheet(session, agency.id, YEAR, points)
    line = session.exec(select(ScoreLine).where(ScoreLine.code == "4.2")).one()
    session.delete(line)
    session.commit()
    with pytest.raises(Refused, match=r"4\.2"):
        finalise(session, agency.id, YEAR, ADMIN, settings, now=after_questionnaire(YEAR))


def test_finalise_locks_the_sheet_and_assesses_the_agency(
    any_engine: Engine, settings: Settings
) -> None:
    with Session(any_engine) as session:
        agency = filed_agency(session, settings)
        assert agency.id is not None
        fill_sheet(session, agency.id, YEAR, full_points(), {"B1": 1})
        assert not has_finalised_sheet(session, agency.id, YEAR)
        view, entry = finalise(
            session, agency.id, YEAR, ADMIN, settings, now=after_questionnaire(YEAR)
        )
        session.commit()
        session.refresh(agency)
        assert agency.status == "assessed"
        assert has_finalised_sheet(session, agency.id, YEAR)
        assert not has_finalised_sheet(session, agency.id, YEAR - 1)
        assert view.sheet.finalised_by == "admin"
        assert (entry.trigger, entry.source, entry.target) == ("assess", "filed", "assessed")
        assert history(session, agency.id)[-1].trigger == "assess"
        with pytest.raises(Refused) as caught:
            enter_lines(session, agency.id, YEAR, {"1.1": LineInput(1, True, True)}, actor="x")
        assert caught.value.key == "assessment.finalised"
        with pytest.raises(Refused):
            set_bonus(session, agency.id, YEAR, {"B2": BonusInput(1, "x")}, actor="x")
        with pytest.raises(Refused):
            set_questionnaire_points(
                session,
                agency.id,
                YEAR,
                {c: 1 for c in ("3.1", "3.2", "3.3", "3.4", "3.5")},
                source="survey",
                actor="s",
            )
        with pytest.raises(Refused):
            finalise(session, agency.id, YEAR, ADMIN, settings, now=after_questionnaire(YEAR))


def test_lifecycle_refusal_leaves_the_sheet_editable(
    any_engine: Engine, settings: Settings
) -> None:
    with Session(any_engine) as session:
        agency = new_agency(session)  # still `applied`: `assess` is not valid
        assert agency.id is not None
        fill_sheet(session, agency.id, YEAR, full_points())
        with pytest.raises(Refused):
            finalise(session, agency.id, YEAR, ADMIN, settings, now=after_questionnaire(YEAR))
        session.rollback()
        assert not has_finalised_sheet(session, agency.id, YEAR)
        enter_lines(session, agency.id, YEAR, {"1.1": LineInput(3, True, True)}, actor="x")


# 评分说明二: "每项二级指标评分标准共分为:有无此项内容、有无证据、效果三部分。"


@pytest.mark.parametrize(
    ("line", "key"),
    [
        (LineInput(4, None, True), "assessment.content_required"),
        (LineInput(4, True, None), "assessment.evidence_required"),
        (LineInput(4), "assessment.content_required"),
        (LineInput(0, False, None), "assessment.evidence_required"),
    ],
)
def test_content_and_evidence_are_recorded_explicitly(
    session: Session, line: LineInput, key: str
) -> None:
    """A missing flag is an error, not "present": the expert says 有 or 无 for both."""
    agency = new_agency(session)
    assert agency.id is not None
    with pytest.raises(InvalidInput) as caught:
        enter_lines(session, agency.id, YEAR, {"1.2": line}, actor="x")
    assert caught.value.key == key
    assert "1.2" in caught.value.message("zh") and "不能留空" in caught.value.message("zh")


def test_no_evidence_caps_the_points_at_half_the_maximum_rounded_down(session: Session) -> None:
    """Decision (policy): no evidence → at most half the maximum, rounded down: 1.2 (7) ≤ 3."""
    agency = new_agency(session)
    assert agency.id is not None
    with pytest.raises(InvalidInput) as caught:
        enter_lines(session, agency.id, YEAR, {"1.2": LineInput(4, True, False)}, actor="x")
    assert caught.value.key == "assessment.no_evidence_points"
    assert caught.value.message("zh") == (
        "指标 1.2 记为“无证据”，按评分说明第二条最多得 3 分（满分 7 分的 50%，向下取整），不能是 4 分。"
    )
    enter_lines(session, agency.id, YEAR, {"1.2": LineInput(3, True, False)}, actor="x")
    assert sheet_view(session, agency.id, YEAR).lines["1.2"].points == 3


def test_the_no_evidence_share_is_a_setting(session: Session, settings: Settings) -> None:
    """1.0 turns the cap off; 0.3 allows 3 of 4.1's 10."""
    agency = new_agency(session)
    assert agency.id is not None
    off = settings.model_copy(update={"no_evidence_fraction": 1.0})
    enter_lines(
        session, agency.id, YEAR, {"4.1": LineInput(10, True, False)}, actor="x", policy=off
    )
    strict = settings.model_copy(update={"no_evidence_fraction": 0.3})
    with pytest.raises(InvalidInput) as caught:
        enter_lines(
            session, agency.id, YEAR, {"4.1": LineInput(4, True, False)}, actor="x", policy=strict
        )
    assert caught.value.key == "assessment.no_evidence_points"
    assert caught.value.params["cap"] == 3 and caught.value.params["share"] == "30%"


def test_finalising_rechecks_the_no_evidence_cap(any_engine: Engine, settings: Settings) -> None:
    """A line entered while the cap was off is refused at finalising once it is back on."""
    with Session(any_engine, expire_on_commit=False) as session:
        agency = filed_agency(session, settings)
        assert agency.id is not None
        fill_sheet(session, agency.id, YEAR, full_points())
        off = settings.model_copy(update={"no_evidence_fraction": 1.0})
        line = LineInput(10, True, False, effect="报告完整")
        enter_lines(session, agency.id, YEAR, {"4.3": line}, actor="x", policy=off)
        session.commit()
        with pytest.raises(InvalidInput) as caught:
            finalise(session, agency.id, YEAR, ADMIN, settings, now=after_questionnaire(YEAR))
        assert caught.value.key == "assessment.no_evidence_points"
        session.rollback()
        assert not has_finalised_sheet(session, agency.id, YEAR)


def test_the_effect_note_is_kept(session: Session) -> None:
    agency = new_agency(session)
    assert agency.id is not None
    line = LineInput(5, True, True, effect=" 组织有力，覆盖全部创建单位 ", note="")
    enter_lines(session, agency.id, YEAR, {"1.1": line}, actor="x")
    assert sheet_view(session, agency.id, YEAR).lines["1.1"].effect == "组织有力，覆盖全部创建单位"
