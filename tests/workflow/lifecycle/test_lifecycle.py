"""The lifecycle follows RULES.md: every legal path works, every other trigger is refused,
and a refusal leaves the database and the audit log exactly as they were."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from tests.builders import committed
from tests.workflow.assessment_builders import (
    after_questionnaire,
    assessed_agency,
    fill_sheet,
    full_points,
    points_totalling,
    publicity_ended,
)
from tests.workflow.lifecycle_steps import (
    ADMIN,
    EXPERT,
    STRANGER,
    agency_in,
    applications_of,
    audit_count,
    fire,
    make_agency,
    path_to,
    pretend_finalised,
    simple_paths,
    snapshot,
    walk,
)
from workflow.access import grants
from workflow.access.actors import Role
from workflow.assessment.finalising import finalise
from workflow.core.errors import Conflict, InvalidInput, NotFound, Refused
from workflow.core.settings import Settings
from workflow.lifecycle import engine as lifecycle
from workflow.lifecycle import machine
from workflow.lifecycle.audit import history, verify
from workflow.lifecycle.engine import advance
from workflow.lifecycle.machine import TRIGGER_NAMES, TRIGGERS, spec_for
from workflow.lifecycle.models import AuditEntry
from workflow.lifecycle.states import STATES, state_label, trigger_label
from workflow.registry.judgements import record_familiarity, record_scope
from workflow.registry.models import Agency

LEGAL = [(source, spec.name) for spec in TRIGGERS for source in spec.sources]
ILLEGAL = [
    (state, trigger)
    for state in STATES
    for trigger in TRIGGER_NAMES
    if spec_for(trigger, state) is None
]
PATHS = list(simple_paths())


def test_declaration_matches_the_rules() -> None:
    edges = {(source, spec.name): spec.dest for spec in TRIGGERS for source in spec.sources}
    assert edges == {
        ("applied", "review"): "reviewed",
        ("reviewed", "interview"): "interviewed",
        ("interviewed", "file"): "filed",
        ("filed", "assess"): "assessed",
        ("retained", "assess"): "assessed",
        ("assessed", "retain"): "retained",
        ("filed", "withdraw"): "withdrawn",
        ("assessed", "withdraw"): "withdrawn",
        ("retained", "withdraw"): "withdrawn",
        ("applied", "reject"): "rejected",
        ("reviewed", "reject"): "rejected",
        ("interviewed", "reject"): "rejected",
        ("rejected", "reapply"): "applied",
        ("withdrawn", "reapply"): "applied",
    }
    assert set(STATES) == {spec.dest for spec in TRIGGERS} | {"applied"}
    assert spec_for("reject", "applied").role is Role.EXPERT  # type: ignore[union-attr]
    assert spec_for("reject", "interviewed").role is Role.ADMIN  # type: ignore[union-attr]
    assert {s.name for s in TRIGGERS if s.needs_reason} == {"reject", "withdraw"}


def test_the_shared_machine_is_built_from_the_declaration() -> None:
    assert set(machine.shared_machine().events) == set(TRIGGER_NAMES)
    for source, trigger in LEGAL:
        assert machine.next_state(trigger, source) == spec_for(trigger, source).dest  # type: ignore[union-attr]
    assert machine.shared_machine().models == []  # rows are never bound to the machine


@pytest.mark.parametrize("path", PATHS, ids=["-".join(t for t, _ in path) for path in PATHS])
def test_every_legal_path(
    path: list[tuple[str, str]],
    session: Session,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pretend_finalised(monkeypatch)
    agency = make_agency(session)
    assert agency.id is not None
    for trigger, expected in path:
        before = agency.status
        entry = fire(session, agency.id, trigger, settings)
        session.refresh(agency)
        assert agency.status == expected
        assert (entry.trigger, entry.source, entry.target) == (trigger, before, expected)
    transitions = [
        e for e in history(session, agency.id) if e.trigger not in ("score", "round.join")
    ]
    assert [(e.trigger, e.target) for e in transitions] == path
    assert verify(session).ok


def test_retained_goes_back_to_assessed_each_year(
    session: Session, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    pretend_finalised(monkeypatch)
    agency = agency_in(session, "retained", settings)
    assert agency.id is not None
    for year in (2026, 2027):
        advance(session, agency.id, "assess", ADMIN, year=year, settings=settings)
        advance(session, agency.id, "retain", ADMIN, settings=settings)
    session.refresh(agency)
    assert agency.status == "retained"
    assert agency.version == 1 + len(path_to("retained")) + 4


def test_reapply_opens_a_new_application(session: Session, settings: Settings) -> None:
    agency = agency_in(session, "rejected", settings)
    assert agency.id is not None
    first = applications_of(session, agency.id)
    assert [a.closed for a in first] == [True]
    entry = advance(session, agency.id, "reapply", ADMIN, settings=settings)
    applications = applications_of(session, agency.id)
    assert len(applications) == 2
    assert applications[0].closed and not applications[1].closed
    assert entry.application_id == applications[1].id
    assert applications[1].material_score is None
    # Art. 8(2), 8(3): the experts' judgements belong to the application, so the new one
    # starts without them and material review waits for the scope decision again
    with pytest.raises(lifecycle.GuardsUnmet) as unmet:
        walk(session, agency.id, ["review"], settings)
    assert [u.key for u in unmet.value.unmet] == ["lifecycle.unmet.ineligible"]
    assert "尚待专家组认定" in str(unmet.value)
    record_scope(session, agency.id, ADMIN, True, "经营范围含安全生产咨询服务", settings=settings)
    walk(session, agency.id, ["review"], settings)
    with pytest.raises(lifecycle.GuardsUnmet) as unmet:
        walk(session, agency.id, ["interview"], settings)
    assert [u.key for u in unmet.value.unmet] == ["lifecycle.unmet.not_familiar"]
    assert "第八条第三项：尚待专家组判断" in str(unmet.value)
    record_familiarity(session, agency.id, ADMIN, True, "面试答辩中熟悉七个方面", settings=settings)
    walk(session, agency.id, ["interview"], settings)
    session.refresh(agency)
    assert agency.status == "interviewed"


@pytest.mark.parametrize("state,trigger", ILLEGAL, ids=[f"{s}-{t}" for s, t in ILLEGAL])
def test_every_illegal_trigger_is_refused(
    state: str, trigger: str, engine: Engine, settings: Settings
) -> None:
    with Session(engine, expire_on_commit=False) as session:
        agency = make_agency(session)
        assert agency.id is not None
        if state != "applied":
            lifecycle.seed_status(session, agency.id, state, ADMIN, "测试数据", settings)
            session.commit()
        before = snapshot(session)
        with pytest.raises(Refused) as refused:
            advance(session, agency.id, trigger, ADMIN, "原因", settings=settings)
        assert refused.value.key == "lifecycle.not_from_state"
        said = str(refused.value)
        assert f"“{trigger_label(trigger)}”" in said and f"“{state_label(state)}”" in said
        assert snapshot(session) == before


def test_unknown_trigger_and_agency(session: Session, settings: Settings) -> None:
    agency = make_agency(session)
    assert agency.id is not None
    before = snapshot(session)
    with pytest.raises(InvalidInput, match="未知操作“promote”"):
        advance(session, agency.id, "promote", ADMIN, settings=settings)
    with pytest.raises(NotFound, match="找不到编号为 4242 的机构"):
        advance(session, 4242, "review", ADMIN, settings=settings)
    assert snapshot(session) == before


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_reject_needs_a_reason(reason: str | None, session: Session, settings: Settings) -> None:
    agency = make_agency(session)
    assert agency.id is not None
    before = snapshot(session)
    with pytest.raises(InvalidInput, match="必须填写原因"):
        advance(session, agency.id, "reject", ADMIN, reason, settings=settings)
    assert snapshot(session) == before


def test_withdraw_needs_a_reason(session: Session, settings: Settings) -> None:
    agency = agency_in(session, "filed", settings)
    assert agency.id is not None
    before = snapshot(session)
    with pytest.raises(InvalidInput, match="必须填写原因"):
        advance(session, agency.id, "withdraw", ADMIN, ground="staff_change", settings=settings)
    assert snapshot(session) == before


def test_reason_is_stored_and_personal_data_masked(session: Session, settings: Settings) -> None:
    agency = make_agency(session)
    assert agency.id is not None
    entry = advance(
        session, agency.id, "reject", ADMIN, "  负责人 13812345678 未到场  ", settings=settings
    )
    assert entry.reason == "负责人 138****5678 未到场"
    assert verify(session).ok


def test_reason_is_masked_in_every_typed_form_before_the_log_keeps_it(
    session: Session, settings: Settings
) -> None:
    agency = make_agency(session)
    assert agency.id is not None
    reason = "负责人 +86 139-1234-5678，身份证ID１１０１０５１９９００１０１１２３４"
    advance(session, agency.id, "reject", ADMIN, reason, settings=settings)
    stored = session.exec(select(AuditEntry).where(AuditEntry.agency_id == agency.id)).one()
    assert stored.reason == "负责人 +86 139****5678，身份证ID110105********1234"


def test_actor_without_role_can_do_nothing(session: Session, settings: Settings) -> None:
    agency = make_agency(session)
    assert agency.id is not None
    before = snapshot(session)
    with pytest.raises(Refused, match="路人丙 没有任何角色"):
        advance(session, agency.id, "reject", STRANGER, "x", settings=settings)
    assert snapshot(session) == before
    assert lifecycle.available_triggers(session, agency, STRANGER, settings=settings) == []


def test_expert_may_not_fire_admin_triggers(session: Session, settings: Settings) -> None:
    committed(grants.grant)(session, EXPERT.key, Role.EXPERT, ADMIN, settings)
    agency = agency_in(session, "interviewed", settings)
    assert agency.id is not None
    before = snapshot(session)
    for trigger in ("file", "reject"):
        with pytest.raises(Refused, match=r"无权执行.*需要“管理员”角色"):
            advance(session, agency.id, trigger, EXPERT, "名次靠后", settings=settings)
    assert snapshot(session) == before


def test_stale_view_is_a_conflict(any_engine: Engine, settings: Settings) -> None:
    with Session(any_engine, expire_on_commit=False) as first:
        agency = make_agency(first)
        agency_id = agency.id
        assert agency_id is not None
    with (
        Session(any_engine, expire_on_commit=False) as mine,
        Session(any_engine, expire_on_commit=False) as theirs,
    ):
        seen = mine.get(Agency, agency_id)  # I look at it (version 1)...
        assert seen is not None and seen.version == 1
        committed(advance)(theirs, agency_id, "reject", ADMIN, "材料不全", settings=settings)
        before = snapshot(theirs)
        with pytest.raises(Conflict, match="状态刚被他人改变"):
            committed(advance)(mine, agency_id, "reject", ADMIN, "材料造假", settings=settings)
        assert snapshot(theirs) == before
        assert audit_count(theirs) == 1


def test_expected_status_guards_a_stale_button(session: Session, settings: Settings) -> None:
    agency = make_agency(session)
    assert agency.id is not None
    with pytest.raises(Conflict):
        advance(
            session, agency.id, "reject", ADMIN, "x", settings=settings, expected_status="reviewed"
        )


# --- guards ---------------------------------------------------------------------


def _refusal(
    session: Session, agency_id: int, trigger: str, settings: Settings, **kw: object
) -> str:
    before = snapshot(session)
    with pytest.raises(lifecycle.GuardsUnmet) as refused:
        advance(session, agency_id, trigger, ADMIN, settings=settings, **kw)  # type: ignore[arg-type]
    assert snapshot(session) == before
    assert "\n" not in str(refused.value)
    return str(refused.value)


def test_review_needs_art8_eligibility(session: Session, settings: Settings) -> None:
    from workflow.rounds.service import record_scores

    agency = make_agency(session, consultants=4, seniors=1)
    assert agency.id is not None
    committed(record_scores)(session, agency.id, ADMIN, material=90, settings=settings)
    message = _refusal(session, agency.id, "review", settings)
    assert "不符合第八条条件" in message and "少于 5" in message


def test_review_needs_complete_art9_materials(session: Session, settings: Settings) -> None:
    from workflow.rounds.service import record_scores

    agency = make_agency(session, materials_complete=False)
    assert agency.id is not None
    committed(record_scores)(session, agency.id, ADMIN, material=90, settings=settings)
    message = _refusal(session, agency.id, "review", settings)
    assert "申请材料不全" in message and "工商营业执照复印件" in message


def test_review_needs_a_material_score(session: Session, settings: Settings) -> None:
    agency = make_agency(session)
    assert agency.id is not None
    assert "尚未录入材料审核评分" in _refusal(session, agency.id, "review", settings)


def test_unmet_guards_render_in_english(session: Session, settings: Settings) -> None:
    agency = make_agency(session, materials_complete=False)
    assert agency.id is not None
    with pytest.raises(lifecycle.GuardsUnmet) as refused:
        advance(session, agency.id, "review", ADMIN, settings=settings)
    english = refused.value.message("en")
    assert english.startswith("Cannot pass material review:")
    assert "no material-review score recorded" in english and "missing:" in english
    assert len(refused.value.unmet) == 2
    assert "；" not in english and "、" not in english  # English separators, not Chinese ones


def test_interview_needs_an_interview_score(session: Session, settings: Settings) -> None:
    agency = agency_in(session, "reviewed", settings)
    assert agency.id is not None
    assert "尚未录入面试答辩评分" in _refusal(session, agency.id, "interview", settings)


def test_file_needs_a_round(session: Session, settings: Settings) -> None:
    agency = agency_in(session, "interviewed", settings)
    assert agency.id is not None
    assert "未加入任何申请批次" in _refusal(session, agency.id, "file", settings)


def test_file_needs_a_composite_score(session: Session, settings: Settings) -> None:
    from workflow.rounds.service import create_round, join_round

    agency = make_agency(session)
    assert agency.id is not None
    lifecycle.seed_status(session, agency.id, "interviewed", ADMIN, "既有记录", settings)
    session.commit()
    committed(create_round)(session, "2026 第一批", ADMIN, settings=settings)
    committed(join_round)(session, "2026 第一批", agency.id, ADMIN, settings=settings)
    assert "无法计算总成绩" in _refusal(session, agency.id, "file", settings)


def test_assess_needs_a_finalised_assessment(session: Session, settings: Settings) -> None:
    agency = agency_in(session, "filed", settings)
    assert agency.id is not None
    message = _refusal(session, agency.id, "assess", settings, year=2026)
    assert message == "不能执行“年度考核”：2026年度尚无已定稿的考核结果。"


def test_assess_year_defaults_to_the_current_local_year(
    session: Session, settings: Settings
) -> None:
    from datetime import UTC, datetime

    agency = agency_in(session, "filed", settings)
    assert agency.id is not None
    new_year_in_beijing = datetime(2026, 12, 31, 16, 30, tzinfo=UTC)  # 2027-01-01 00:30 local
    with pytest.raises(lifecycle.GuardsUnmet, match="2027年度"):
        advance(session, agency.id, "assess", ADMIN, settings=settings, now=new_year_in_beijing)


@pytest.mark.parametrize(
    "state,ground,expected",
    [
        ("filed", None, "须注明取消优先推荐资格的依据"),
        ("filed", "bankrupt", "未知的取消依据“bankrupt”"),
        ("filed", "unqualified", "依据“年度考核不合格”不适用于“已备案”状态"),
        ("retained", "unqualified", "依据“年度考核不合格”不适用于“保留优先推荐资格”状态"),
    ],
)
def test_withdraw_needs_a_ground_valid_now(
    state: str,
    ground: str | None,
    expected: str,
    session: Session,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pretend_finalised(monkeypatch)
    agency = agency_in(session, state, settings)
    assert agency.id is not None
    message = _refusal(session, agency.id, "withdraw", settings, reason="理由", ground=ground)
    assert expected in message
    assert "因工作人员变动导致无法完成指导工作" in message  # the grounds possible now are listed


@pytest.mark.parametrize("ground", ["staff_change", "convention_violation"])
@pytest.mark.parametrize("state", ["filed", "assessed", "retained"])
def test_grounds_3_and_4_apply_at_any_time(
    state: str, ground: str, session: Session, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    pretend_finalised(monkeypatch)
    agency = agency_in(session, state, settings)
    assert agency.id is not None
    entry = advance(session, agency.id, "withdraw", ADMIN, "理由", ground=ground, settings=settings)
    assert (entry.target, entry.ground) == ("withdrawn", ground)


# --- Art. 14 enforced by the lifecycle: retain, and the grounds 1 and 2 ----------------

YEAR = 2026
NOW = datetime(2026, 12, 28, 2, 0, tzinfo=UTC)  # 28 Dec 2026, 10:00 in Beijing
FILED_LONG_AGO = datetime(2024, 5, 1, tzinfo=UTC)
FILED_THIS_YEAR = datetime(2026, 3, 1, tzinfo=UTC)
FILED_LAST_YEAR = datetime(2025, 3, 1, tzinfo=UTC)


def _failed_points() -> dict[str, int]:
    points = full_points()
    points["2.4"] = 0
    return points


def _assessed(
    session: Session,
    settings: Settings,
    *,
    passed: bool = True,
    guided: tuple[int, ...] = (YEAR,),
    filed_at: datetime = FILED_LONG_AGO,
) -> int:
    points = points_totalling(80) if passed else _failed_points()
    agency = assessed_agency(session, settings, points, year=YEAR, guided=guided, filed_at=filed_at)
    assert agency.id is not None and agency.status == "assessed"
    return agency.id


def _advance(
    session: Session, agency_id: int, trigger: str, settings: Settings, **kw: object
) -> AuditEntry:
    """`advance` as an admin, for the assessment year, on a fixed date."""
    return advance(session, agency_id, trigger, ADMIN, settings=settings, year=YEAR, now=NOW, **kw)  # type: ignore[arg-type]


def test_retain_needs_a_passed_assessment_and_recent_guidance(
    any_engine: Engine, settings: Settings
) -> None:
    with Session(any_engine, expire_on_commit=False) as session:
        agency_id = _assessed(session, settings)
        entry = _advance(session, agency_id, "retain", settings)
        assert (entry.source, entry.target) == ("assessed", "retained")


def test_an_unqualified_agency_cannot_be_retained(any_engine: Engine, settings: Settings) -> None:
    with Session(any_engine, expire_on_commit=False) as session:
        agency_id = _assessed(session, settings, passed=False)
        message = _refusal(session, agency_id, "retain", settings, year=YEAR, now=NOW)
        assert message == (
            "不能执行“保留优先推荐资格”：2026年度考核不合格（二级指标 2.4（指导创建单位开展风险辨识工作及设立项目）得 0 分，按评分说明第三条视为不通过），"
            "不能保留优先推荐资格，应按第十四条第一项取消优先推荐资格。"
        )


def test_an_agency_idle_two_years_cannot_be_retained(
    any_engine: Engine, settings: Settings
) -> None:
    with Session(any_engine, expire_on_commit=False) as session:
        agency_id = _assessed(session, settings, guided=(YEAR - 2,))
        message = _refusal(session, agency_id, "retain", settings, year=YEAR, now=NOW)
        assert message == (
            "不能执行“保留优先推荐资格”：2025年、2026年均无指导记录，"
            "不能保留优先推荐资格，应按第十四条第二项取消优先推荐资格。"
        )
        new = _assessed(session, settings, guided=(), filed_at=FILED_THIS_YEAR)
        assert _advance(session, new, "retain", settings).target == "retained"  # too new to be idle


def test_retain_needs_the_assessment_of_that_year(any_engine: Engine, settings: Settings) -> None:
    with Session(any_engine, expire_on_commit=False) as session:
        agency_id = _assessed(session, settings)
        message = _refusal(session, agency_id, "retain", settings, year=YEAR + 1, now=NOW)
        assert message == "不能执行“保留优先推荐资格”：2027年度尚无已定稿的考核结果。"


def test_ground_unqualified_needs_a_failed_assessment(
    any_engine: Engine, settings: Settings
) -> None:
    with Session(any_engine, expire_on_commit=False) as session:
        passed = _assessed(session, settings)
        message = _refusal(
            session,
            passed,
            "withdraw",
            settings,
            reason="不合格",
            ground="unqualified",
            year=YEAR,
            now=NOW,
        )
        assert message == (
            "不能执行“取消优先推荐资格”：2026年度考核结果为“合格”（基本分 80 分，达到合格线 70 分；总分 80 分，低于优秀线 90 分），"
            "不属于年度考核不合格。"
        )
        failed = _assessed(session, settings, passed=False)
        publicity_ended(session, settings, YEAR, now=NOW)  # Art. 15: after the 公示 period
        entry = _advance(
            session, failed, "withdraw", settings, reason="不合格", ground="unqualified"
        )
        assert (entry.target, entry.ground) == ("withdrawn", "unqualified")


@pytest.mark.parametrize(
    ("guided", "filed_at", "expected"),
    [
        ((YEAR - 1,), FILED_LONG_AGO, "2025年有指导记录，不属于连续两年未开展指导工作"),
        ((YEAR,), FILED_LONG_AGO, "2026年有指导记录"),
        ((), FILED_THIS_YEAR, "2026年才备案，2025年、2026年不都是完整的备案年度"),
        # Art. 14(2) counts full calendar years: a filing in 2025 leaves 2025 a partial year
        ((), FILED_LAST_YEAR, "2025年才备案，2025年、2026年不都是完整的备案年度"),
        ((YEAR - 2,), FILED_LONG_AGO, None),
        ((YEAR + 1,), FILED_LONG_AGO, None),  # next year's work does not count for 2026
    ],
)
def test_inactivity_ground_is_checked_against_guidance_records(
    guided: tuple[int, ...],
    filed_at: datetime,
    expected: str | None,
    any_engine: Engine,
    settings: Settings,
) -> None:
    with Session(any_engine, expire_on_commit=False) as session:
        agency_id = _assessed(session, settings, guided=guided, filed_at=filed_at)
        kw = {"reason": "无指导", "ground": "inactive_two_years"}
        if expected is None:
            entry = _advance(session, agency_id, "withdraw", settings, **kw)
            assert (entry.target, entry.ground) == ("withdrawn", "inactive_two_years")
        else:
            message = _refusal(session, agency_id, "withdraw", settings, year=YEAR, now=NOW, **kw)
            assert expected in message


def test_inactivity_needs_a_filing_record(session: Session, settings: Settings) -> None:
    agency = make_agency(session)
    assert agency.id is not None
    lifecycle.seed_status(session, agency.id, "retained", ADMIN, "2023 年已备案", settings)
    session.commit()
    fill_sheet(session, agency.id, YEAR, points_totalling(80))
    finalise(session, agency.id, YEAR, ADMIN, settings, now=after_questionnaire(YEAR))
    session.commit()
    message = _refusal(
        session,
        agency.id,
        "withdraw",
        settings,
        reason="无指导",
        ground="inactive_two_years",
        year=YEAR,
        now=NOW,
    )
    assert "没有备案记录" in message
    assert _advance(session, agency.id, "retain", settings).target == "retained"


def test_art14_refusals_render_in_english(session: Session, settings: Settings) -> None:
    failed = _assessed(session, settings, passed=False, guided=())
    with pytest.raises(lifecycle.GuardsUnmet) as refused:
        _advance(session, failed, "retain", settings)
    assert refused.value.message("en") == (
        "Cannot retain priority-recommendation status: the 2026 assessment is unqualified"
        " (second-level indicator 2.4 (Guiding risk identification and the setting up of"
        " projects) scored 0, which fails the assessment (scoring note 3)), so the"
        " priority-recommendation status cannot be retained;"
        " withdraw it on Art. 14 ground 1; no guidance work recorded in 2025 or 2026, so the"
        " priority-recommendation status cannot be retained; withdraw it on Art. 14 ground 2."
    )
    passed = _assessed(session, settings)
    with pytest.raises(lifecycle.GuardsUnmet) as refused:
        _advance(session, passed, "withdraw", settings, reason="x", ground="unqualified")
    assert (
        'the 2026 assessment passed ("qualified", base score 80, at or above the pass mark of 70; final score 80, below the excellent mark of 90)'
        in refused.value.message("en")
    )


def test_available_triggers_show_why_retain_is_refused(
    session: Session, settings: Settings
) -> None:
    failed = _assessed(session, settings, passed=False)
    passed = _assessed(session, settings)

    def actions(agency_id: int) -> dict[str, lifecycle.Action]:
        found = lifecycle.available_triggers(
            session, agency_id, ADMIN, settings=settings, year=YEAR, now=NOW
        )
        return {a.trigger: a for a in found}

    retain = actions(failed)["retain"]
    assert [u.message() for u in retain.unmet] == [
        "2026年度考核不合格（二级指标 2.4（指导创建单位开展风险辨识工作及设立项目）得 0 分，按评分说明第三条视为不通过），不能保留优先推荐资格，"
        "应按第十四条第一项取消优先推荐资格"
    ]
    assert actions(failed)["withdraw"].allowed  # the ground is the actor's input
    assert actions(passed)["retain"].allowed


def test_ground_belongs_to_withdraw_only(session: Session, settings: Settings) -> None:
    agency = make_agency(session)
    assert agency.id is not None
    with pytest.raises(InvalidInput, match="只用于取消优先推荐资格"):
        advance(session, agency.id, "reject", ADMIN, "x", ground="staff_change", settings=settings)


# --- what may I do ----------------------------------------------------------------


def test_available_triggers_list_unmet_guards(session: Session, settings: Settings) -> None:
    agency = make_agency(session, materials_complete=False)
    found = {
        a.trigger: a
        for a in lifecycle.available_triggers(session, agency, ADMIN, settings=settings)
    }
    assert set(found) == {"review", "reject"}
    assert not found["review"].allowed
    assert [u.key for u in found["review"].unmet] == [
        "lifecycle.unmet.materials_missing",
        "lifecycle.unmet.no_material_score",
    ]
    assert found["reject"].allowed and found["reject"].needs_reason


def test_available_triggers_show_the_role_an_expert_lacks(
    session: Session, settings: Settings
) -> None:
    committed(grants.grant)(session, EXPERT.key, Role.EXPERT, ADMIN, settings)
    agency = agency_in(session, "filed", settings)
    found = lifecycle.available_triggers(session, agency, EXPERT, settings=settings)
    assert {a.trigger for a in found} == {"assess", "withdraw"}
    assert all(a.unmet[0].message() == "需要“管理员”角色" for a in found)


def test_available_withdraw_lists_the_grounds(
    session: Session, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    pretend_finalised(monkeypatch)
    agency = agency_in(session, "assessed", settings)
    found = {
        a.trigger: a
        for a in lifecycle.available_triggers(session, agency, ADMIN, settings=settings)
    }
    assert found["withdraw"].allowed
    assert found["withdraw"].grounds == (
        "unqualified",
        "inactive_two_years",
        "staff_change",
        "convention_violation",
    )


# --- the status column ------------------------------------------------------------


def test_status_cannot_be_assigned_directly(session: Session) -> None:
    agency = make_agency(session)
    with pytest.raises(Refused, match="不能直接赋值"):
        agency.status = "filed"
    with pytest.raises(Refused):
        Agency(name="x", status="filed")
    assert Agency(name="新机构").status == "applied"


def test_status_is_protected_without_the_lifecycle_imported() -> None:
    """The protection belongs to the model: a process that never imports the engine
    still cannot assign a status."""
    code = (
        "import sys\n"
        "from workflow.core.errors import Refused\n"
        "from workflow.registry.models import Agency\n"
        "assert 'workflow.lifecycle.engine' not in sys.modules\n"
        "try:\n"
        "    Agency(name='x').status = 'filed'\n"
        "except Refused as refusal:\n"
        "    print(refusal.key)\n"
    )
    root = Path(__file__).parents[3]
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(root)},
    )
    assert done.stdout.strip() == "lifecycle.status_protected"


def test_loaded_row_follows_the_service(session: Session, settings: Settings) -> None:
    agency = make_agency(session)
    assert agency.id is not None
    advance(session, agency.id, "reject", ADMIN, "材料不全", settings=settings)
    assert (agency.status, agency.version) == ("rejected", 2)
    assert agency not in session.dirty


def test_seed_status_only_without_history(session: Session, settings: Settings) -> None:
    agency = make_agency(session)
    assert agency.id is not None
    entry = lifecycle.seed_status(session, agency.id, "filed", ADMIN, "2025 年已备案", settings)
    session.commit()
    assert (entry.trigger, entry.source, entry.target) == ("seed", "applied", "filed")
    with pytest.raises(Refused, match="已有办理记录"):
        lifecycle.seed_status(session, agency.id, "retained", ADMIN, "再导入", settings)
    with pytest.raises(InvalidInput, match="未知状态"):
        lifecycle.seed_status(session, agency.id, "archived", ADMIN, "x", settings)


def test_seeding_a_closing_state_closes_the_application(
    session: Session, settings: Settings
) -> None:
    agency = make_agency(session)
    assert agency.id is not None
    lifecycle.seed_status(session, agency.id, "rejected", ADMIN, "2025 年未通过", settings)
    session.commit()
    advance(session, agency.id, "reapply", ADMIN, settings=settings)
    assert [a.closed for a in applications_of(session, agency.id)] == [True, False]


@pytest.mark.parametrize("year", [1999, 2999])
def test_assessment_year_must_be_plausible(year: int, session: Session, settings: Settings) -> None:
    agency = agency_in(session, "filed", settings)
    assert agency.id is not None
    before = snapshot(session)
    with pytest.raises(InvalidInput, match=f"年度 {year} 无效，应在 2000 至"):
        advance(session, agency.id, "assess", ADMIN, year=year, settings=settings)
    assert snapshot(session) == before


def test_retaining_in_january_means_last_decembers_assessment(
    any_engine: Engine, settings: Settings
) -> None:
    """No --year: an assessed agency is judged on its newest finalised assessment."""
    with Session(any_engine, expire_on_commit=False) as session:
        agency = assessed_agency(session, settings, full_points(), year=2026, guided=(2026,))
        assert agency.id is not None
        january = datetime(2027, 1, 10, 10, 0, tzinfo=settings.zone)
        entry = committed(lifecycle.advance)(
            session, agency.id, "retain", ADMIN, settings=settings, now=january
        )
        assert (entry.source, entry.target) == ("assessed", "retained")
