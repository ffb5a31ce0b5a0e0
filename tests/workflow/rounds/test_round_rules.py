"""Art. 10 as the Association applies it: the date the written application was received
(收件日期), the list invited to interview, the interview's pass mark, the minimum 总成绩
and 总量控制 per round or on the whole register.

Art. 10(1) 材料审核: "申报单位将申报材料（电子版、纸质版加盖单位公章）报送文促会。……审核通过后，
公布进入面试答辩环节的单位名单。"
Art. 10(2) 面试答辩: "专家组对申报单位主要负责人进行面试答辩……"
Art. 10(3) 综合测评: "专家组对各申报单位材料审核、面试答辩各环节得分进行加权计算得出总成绩。
按照综合评价、总量控制的原则，考核评定小组提出名单，经文促会备案并在网上予以公告。"
"""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlmodel import Session, select

from tests.builders import committed
from tests.workflow.lifecycle_steps import ADMIN, make_agency, snapshot
from workflow.core.errors import InvalidInput, Refused
from workflow.core.settings import Settings, SettingsError, load_settings
from workflow.lifecycle import engine as lifecycle
from workflow.lifecycle.audit import history, verify
from workflow.lifecycle.models import AuditEntry
from workflow.registry.models import Agency
from workflow.registry.service import current_application
from workflow.rounds import closing, ranking, review, service
from workflow.rounds.models import Round

OPENED = datetime(2026, 3, 1, 1, 0, tzinfo=UTC)  # 09:00 in Beijing
TODAY = datetime(2026, 3, 20, 2, 0, tzinfo=UTC)
DAY0 = date(2026, 3, 1)


def _round(session: Session, settings: Settings, name: str, quota: int | None = None) -> Round:
    the_round = committed(service.create_round)(
        session, name, ADMIN, quota=quota, settings=settings
    )
    the_round.opened_at = OPENED
    session.add(the_round)
    session.commit()
    return the_round


def _joined(
    session: Session, settings: Settings, round_name: str, name: str, received: date = DAY0
) -> Agency:
    agency = make_agency(session, name=name)
    assert agency.id is not None
    committed(service.join_round)(
        session, round_name, agency.id, ADMIN, received_on=received, settings=settings, now=TODAY
    )
    return agency


def _interviewed(
    session: Session,
    settings: Settings,
    round_name: str,
    name: str,
    material: float,
    interview: float,
    received: date = DAY0,
) -> Agency:
    agency = _joined(session, settings, round_name, name, received)
    assert agency.id is not None
    committed(service.record_scores)(
        session, agency.id, ADMIN, material=material, settings=settings
    )
    committed(lifecycle.advance)(session, agency.id, "review", ADMIN, settings=settings)
    committed(service.record_scores)(
        session, agency.id, ADMIN, interview=interview, settings=settings
    )
    committed(lifecycle.advance)(session, agency.id, "interview", ADMIN, settings=settings)
    return agency


def _seeded(session: Session, settings: Settings, *states: str) -> None:
    """Agencies the Association filed before this round, in these states."""
    for state in states:
        agency = make_agency(session)
        committed(lifecycle.seed_status)(
            session, agency.id or 0, state, ADMIN, "此前备案", settings=settings
        )


def _status(session: Session, agency: Agency) -> str:
    session.expire_all()
    row = session.get(Agency, agency.id)
    assert row is not None
    return row.status


def _reject_reason(session: Session, agency: Agency) -> str | None:
    assert agency.id is not None
    return next(e.reason for e in history(session, agency.id) if e.trigger == "reject")


# --- 收件日期 (Art. 10(1): the materials are sent to the Association) -----------------


def test_the_date_received_is_recorded_when_the_application_joins_a_round(
    session: Session, settings: Settings
) -> None:
    """Art. 10(1) "申报单位将申报材料……报送文促会": the day the written application arrived
    is kept on the application, and audited."""
    _round(session, settings, "第一批")
    agency = _joined(session, settings, "第一批", "甲咨询公司", date(2026, 3, 5))
    assert agency.id is not None
    assert current_application(session, agency.id).received_on == date(2026, 3, 5)
    entry = next(e for e in history(session, agency.id) if e.trigger == "round.join")
    assert entry.subject == "第一批，收件日期 2026-03-05"
    assert verify(session).ok


def test_the_date_received_defaults_to_today_in_the_settings_zone(
    session: Session, settings: Settings
) -> None:
    """17:30 UTC on 19 March is already 20 March in Beijing: that is "today"."""
    _round(session, settings, "第一批")
    agency = make_agency(session)
    assert agency.id is not None
    evening = datetime(2026, 3, 19, 17, 30, tzinfo=UTC)
    application = committed(service.join_round)(
        session, "第一批", agency.id, ADMIN, settings=settings, now=evening
    )
    assert application.received_on == date(2026, 3, 20)


def test_joining_again_corrects_the_date_or_keeps_it(session: Session, settings: Settings) -> None:
    _round(session, settings, "第一批")
    agency = _joined(session, settings, "第一批", "甲咨询公司", date(2026, 3, 5))
    assert agency.id is not None
    kept = committed(service.join_round)(
        session, "第一批", agency.id, ADMIN, settings=settings, now=TODAY
    )
    assert kept.received_on == date(2026, 3, 5)
    fixed = committed(service.join_round)(
        session, "第一批", agency.id, ADMIN, received_on=DAY0, settings=settings, now=TODAY
    )
    assert fixed.received_on == DAY0
    joins = [e.subject for e in history(session, agency.id) if e.trigger == "round.join"]
    assert joins == ["第一批，收件日期 2026-03-05", "第一批，收件日期 2026-03-01"]


@pytest.mark.parametrize(
    ("received", "key", "says"),
    [
        (date(2026, 3, 21), "lifecycle.round.received_future", "不能填写将来的日期"),
        (date(2026, 2, 28), "lifecycle.round.received_before_open", "早于申请批次“第一批”"),
    ],
)
def test_the_date_received_is_checked(
    session: Session, settings: Settings, received: date, key: str, says: str
) -> None:
    """Not after today, not before the round opened; nothing is written then."""
    _round(session, settings, "第一批")
    agency = make_agency(session)
    assert agency.id is not None
    before = snapshot(session)
    with pytest.raises(InvalidInput) as refused:
        committed(service.join_round)(
            session, "第一批", agency.id, ADMIN, received_on=received, settings=settings, now=TODAY
        )
    assert refused.value.key == key
    assert says in refused.value.message()
    assert snapshot(session) == before


@pytest.mark.parametrize(
    ("typed", "day"),
    [
        ("2026-03-05", date(2026, 3, 5)),
        ("2026/3/5", date(2026, 3, 5)),
        ("2026年3月5日", date(2026, 3, 5)),
    ],
)
def test_the_date_received_is_read_as_people_type_it(typed: str, day: date) -> None:
    assert service.parse_received(typed) == day


@pytest.mark.parametrize("typed", ["3月5日", "2026-02-30", "昨天", ""])
def test_a_date_received_that_is_no_date_says_how_to_write_it(typed: str) -> None:
    with pytest.raises(InvalidInput) as wrong:
        service.parse_received(typed)
    assert wrong.value.key == "lifecycle.round.bad_received"
    assert "2026-03-05" in wrong.value.message()


def test_ties_go_to_the_application_received_first_not_the_one_entered_first(
    session: Session, settings: Settings
) -> None:
    """Art. 10(3) ranks by 总成绩; equal 总成绩 and interview score: the written application
    received earlier ranks higher, whatever order the data entry took."""
    the_round = _round(session, settings, "第一批")
    entered_first = _interviewed(
        session, settings, "第一批", "先录入机构", 80, 80, date(2026, 3, 9)
    )
    received_first = _interviewed(
        session, settings, "第一批", "先收件机构", 80, 80, date(2026, 3, 2)
    )
    assert the_round.id is not None
    ranked = ranking.ranking(session, the_round.id, settings)
    assert [(r.agency.id, r.received_on) for r in ranked] == [
        (received_first.id, date(2026, 3, 2)),
        (entered_first.id, date(2026, 3, 9)),
    ]


# --- 面试答辩名单 (Art. 10(1): "审核通过后，公布进入面试答辩环节的单位名单") ---------------


def test_material_review_publishes_the_list_invited_to_interview(
    session: Session, settings: Settings, tmp_path: Path
) -> None:
    """Those that passed material review are listed in the order received; those that did
    not are not; the list is stamped and audited, and written after the commit."""
    _round(session, settings, "第一批")
    late = _joined(session, settings, "第一批", "乙咨询公司", date(2026, 3, 8))
    early = _joined(session, settings, "第一批", "甲咨询公司", date(2026, 3, 3))
    failed = _joined(session, settings, "第一批", "丙咨询公司", date(2026, 3, 4))
    for agency in (late, early):
        assert agency.id is not None
        committed(service.record_scores)(session, agency.id, ADMIN, material=80, settings=settings)
        committed(lifecycle.advance)(session, agency.id, "review", ADMIN, settings=settings)
    assert failed.id is not None
    committed(lifecycle.advance)(
        session, failed.id, "reject", ADMIN, "第九条材料不全：缺少业绩报告", settings=settings
    )

    published = committed(review.publish_interview_list)(
        session, "第一批", ADMIN, settings=settings, now=TODAY
    )
    assert [(i.number, i.agency.name) for i in published.invited] == [
        (1, "甲咨询公司"),
        (2, "乙咨询公司"),
    ]
    assert ranking.find_round(session, "第一批").interview_list_at == TODAY
    entry = session.exec(
        select(AuditEntry).where(AuditEntry.trigger == "round.interview_list")
    ).one()
    assert entry.subject == "第一批: 2"

    out = tmp_path / "公告"
    assert not out.exists()
    xlsx, csv_path = review.write_interview_list(published.invited, out, "第一批", "zh")
    assert (xlsx.name, csv_path.name) == ("第一批-面试答辩名单.xlsx", "第一批-面试答辩名单.csv")
    with csv_path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows == [
        ["序号", "机构名称", "统一社会信用代码", "收件日期"],
        ["1", "甲咨询公司", early.credit_code, "2026-03-03"],
        ["2", "乙咨询公司", late.credit_code, "2026-03-08"],
    ]
    sheet = load_workbook(xlsx).active
    assert sheet is not None and sheet.title == "面试答辩名单"
    assert [c.value for c in sheet[2]] == [1, "甲咨询公司", early.credit_code, "2026-03-03"]

    again = committed(review.publish_interview_list)(
        session, "第一批", ADMIN, settings=settings, now=TODAY + timedelta(days=1)
    )
    assert again.published_at == TODAY  # the first publication's date stays


def test_the_interview_list_waits_for_material_review(session: Session, settings: Settings) -> None:
    _round(session, settings, "第一批")
    _joined(session, settings, "第一批", "甲咨询公司")
    before = snapshot(session)
    with pytest.raises(Refused) as waiting:
        committed(review.publish_interview_list)(session, "第一批", ADMIN, settings=settings)
    assert waiting.value.key == "lifecycle.round.review_pending"
    assert "甲咨询公司" in waiting.value.message()
    assert snapshot(session) == before


def test_an_interview_list_with_nobody_on_it_is_refused(
    session: Session, settings: Settings
) -> None:
    _round(session, settings, "第一批")
    with pytest.raises(Refused) as empty:
        committed(review.publish_interview_list)(session, "第一批", ADMIN, settings=settings)
    assert empty.value.key == "lifecycle.round.nobody_invited"


# --- the interview's pass mark and the minimum 总成绩 (Art. 10(2), 10(3)) -------------


def test_an_interview_below_the_pass_mark_cannot_be_passed(
    session: Session, settings: Settings
) -> None:
    """Art. 10(2) "专家组对申报单位主要负责人进行面试答辩", policy: passed at 60 of 100.
    `interview` (面试答辩通过) fired directly is held back at 59, with the reason in words,
    however strong the papers; exactly 60 passes."""
    _round(session, settings, "第一批")
    strong_papers = _joined(session, settings, "第一批", "甲咨询公司")
    at_the_mark = _joined(session, settings, "第一批", "乙咨询公司")
    for agency, interview in ((strong_papers, 59), (at_the_mark, 60)):
        assert agency.id is not None
        committed(service.record_scores)(session, agency.id, ADMIN, material=100, settings=settings)
        committed(lifecycle.advance)(session, agency.id, "review", ADMIN, settings=settings)
        committed(service.record_scores)(
            session, agency.id, ADMIN, interview=interview, settings=settings
        )
    before = snapshot(session)
    with pytest.raises(lifecycle.GuardsUnmet) as held:
        committed(lifecycle.advance)(
            session, strong_papers.id or 0, "interview", ADMIN, settings=settings
        )
    assert held.value.key == "lifecycle.guards_unmet"
    assert str(held.value) == (
        "不能执行“面试答辩通过”：面试答辩得分 59 分，低于通过线 60 分，面试答辩不通过。"
    )
    assert snapshot(session) == before
    committed(lifecycle.advance)(
        session, at_the_mark.id or 0, "interview", ADMIN, settings=settings
    )
    assert (_status(session, strong_papers), _status(session, at_the_mark)) == (
        "reviewed",
        "interviewed",
    )
    actions = lifecycle.available_triggers(session, strong_papers.id or 0, ADMIN, settings=settings)
    interview = next(a for a in actions if a.trigger == "interview")
    assert [u.message() for u in interview.unmet] == [
        "面试答辩得分 59 分，低于通过线 60 分，面试答辩不通过"
    ]


def test_closing_rejects_below_the_pass_mark_with_the_reason_in_words(
    session: Session, settings: Settings
) -> None:
    """Art. 10(2), policy: the round's close applies the pass mark in force then, so a
    candidate interviewed under a lower mark is rejected with the reason in words even
    with a 总成绩 that would rank first."""
    stricter = settings.model_copy(update={"interview_pass_score": 70})
    _round(session, settings, "第一批")
    strong_papers = _interviewed(session, settings, "第一批", "甲咨询公司", 100, 65)  # 82.5
    at_the_mark = _interviewed(session, settings, "第一批", "乙咨询公司", 70, 70)  # 70
    closed = committed(closing.close_round)(session, "第一批", ADMIN, settings=stricter)
    assert [r.agency.name for r in closed.failed] == ["甲咨询公司"]
    assert [r.agency.name for r in closed.filed] == ["乙咨询公司"]
    assert (_status(session, strong_papers), _status(session, at_the_mark)) == (
        "rejected",
        "filed",
    )
    assert (
        _reject_reason(session, strong_papers)
        == "面试答辩得分 65 分，低于通过线 70 分，面试答辩不通过"
    )


def test_filing_directly_applies_the_same_pass_marks_as_closing(
    session: Session, settings: Settings
) -> None:
    """Art. 10(2) and 10(3) "专家组对各申报单位材料审核、面试答辩各环节得分进行加权计算得出总成绩":
    `file` fired directly (`safecomm advance`, chat `/advance`) is held back by the rule
    `round close` rejects by — the interview pass mark, then the optional minimum 总成绩 —
    with the reason in words, and nothing changes."""
    _round(session, settings, "第一批")
    low = _interviewed(session, settings, "第一批", "甲咨询公司", 70, 70)  # 总成绩 70
    minimum = settings.model_copy(update={"min_composite_score": 75})
    stricter = settings.model_copy(update={"interview_pass_score": 80})
    before = snapshot(session)
    for policy, why in (
        (minimum, "总成绩 70.00 分，低于最低总成绩 75 分"),
        (stricter, "面试答辩得分 70 分，低于通过线 80 分，面试答辩不通过"),
    ):
        with pytest.raises(lifecycle.GuardsUnmet) as held:
            committed(lifecycle.advance)(session, low.id or 0, "file", ADMIN, settings=policy)
        assert str(held.value) == f"不能执行“备案”：{why}。"
        assert ranking.shortfall(current_application(session, low.id or 0), policy) is not None
    assert snapshot(session) == before
    committed(lifecycle.advance)(session, low.id or 0, "file", ADMIN, settings=settings)
    assert _status(session, low) == "filed"


def test_the_interview_pass_mark_is_a_policy(session: Session, settings: Settings) -> None:
    stricter = settings.model_copy(update={"interview_pass_score": 75})
    application = current_application(session, make_agency(session).id or 0)
    application.material_score, application.interview_score = 90, 70
    assert ranking.shortfall(application, settings) is None
    short = ranking.shortfall(application, stricter)
    assert short is not None and short.key == "lifecycle.round.below_interview_pass"
    assert short.message() == "面试答辩得分 70 分，低于通过线 75 分，面试答辩不通过"
    assert short.message("en").startswith("interview score 70, below the pass mark of 75")


def test_a_minimum_total_score_is_optional(session: Session, settings: Settings) -> None:
    """Art. 10(3) 总成绩, policy: no minimum by default; with one, a lower 总成绩 rejects."""
    assert settings.min_composite_score is None
    minimum = settings.model_copy(update={"min_composite_score": 75})
    _round(session, settings, "第一批")
    low = _interviewed(session, settings, "第一批", "甲咨询公司", 70, 70)  # 70
    high = _interviewed(session, settings, "第一批", "乙咨询公司", 80, 80)  # 80
    closed = committed(closing.close_round)(session, "第一批", ADMIN, settings=minimum)
    assert [r.agency.name for r in closed.failed] == ["甲咨询公司"]
    assert (_status(session, low), _status(session, high)) == ("rejected", "filed")
    assert _reject_reason(session, low) == "总成绩 70.00 分，低于最低总成绩 75 分"


def test_a_candidate_below_a_mark_takes_no_place_of_the_quota(
    session: Session, settings: Settings
) -> None:
    """The quota's places go to the candidates who passed, in rank order: the one ranked
    first on 总成绩 but below the interview mark does not push the next out."""
    stricter = settings.model_copy(update={"interview_pass_score": 65})
    the_round = _round(session, settings, "第一批", quota=1)
    failed = _interviewed(session, settings, "第一批", "甲咨询公司", 100, 60)  # 80
    passed = _interviewed(session, settings, "第一批", "乙咨询公司", 70, 70)  # 70
    assert the_round.id is not None
    assert ranking.quota_place(session, current_application(session, passed.id or 0), stricter) == (
        1,
        1,
        0,
    )
    assert (
        ranking.quota_place(session, current_application(session, failed.id or 0), stricter) is None
    )
    closed = committed(closing.close_round)(session, "第一批", ADMIN, settings=stricter)
    assert ([r.agency.name for r in closed.filed], closed.rejected) == (["乙咨询公司"], [])


# --- 总量控制 (Art. 10(3) "按照综合评价、总量控制的原则") ------------------------------------


def test_those_left_out_only_by_the_quota_are_told_so(session: Session, settings: Settings) -> None:
    """Outside the quota is not a failure: the reason says 总量控制, not 未通过."""
    _round(session, settings, "第一批", quota=1)
    first = _interviewed(session, settings, "第一批", "甲咨询公司", 90, 90)
    second = _interviewed(session, settings, "第一批", "乙咨询公司", 80, 80)
    closed = committed(closing.close_round)(session, "第一批", ADMIN, settings=settings)
    assert ([r.agency.name for r in closed.rejected], closed.failed) == (["乙咨询公司"], [])
    assert _status(session, first) == "filed"
    reason = _reject_reason(session, second)
    assert reason == "因总量控制未列入本批次备案名单"
    assert "未通过" not in (reason or "")


def test_a_register_cap_counts_every_agency_holding_the_status(
    session: Session, settings: Settings
) -> None:
    """Policy `quota_scope=register`: the round's quota caps the whole register (filed +
    assessed + retained); two agencies already on it leave one place of three."""
    register = settings.model_copy(update={"quota_scope": "register"})
    _seeded(session, settings, "filed", "assessed", "withdrawn")  # withdrawn: off the register
    _round(session, settings, "第二批", quota=3)
    best = _interviewed(session, settings, "第二批", "甲咨询公司", 90, 90)
    next_one = _interviewed(session, settings, "第二批", "乙咨询公司", 80, 80)
    with pytest.raises(lifecycle.GuardsUnmet, match="综合排名第 2 名，超出本批次名额 1 个"):
        committed(lifecycle.advance)(session, next_one.id or 0, "file", ADMIN, settings=register)
    closed = committed(closing.close_round)(session, "第二批", ADMIN, settings=register)
    assert [r.agency.name for r in closed.filed] == ["甲咨询公司"]
    assert [r.agency.name for r in closed.rejected] == ["乙咨询公司"]
    assert (_status(session, best), _status(session, next_one)) == ("filed", "rejected")
    assert _reject_reason(session, next_one) == "因总量控制未列入本批次备案名单"


def test_the_same_round_per_round_files_its_whole_quota(
    session: Session, settings: Settings
) -> None:
    """The default `quota_scope=round`: agencies already on the register take no place."""
    assert settings.quota_scope == "round"
    _seeded(session, settings, "filed", "retained")
    _round(session, settings, "第二批", quota=2)
    _interviewed(session, settings, "第二批", "甲咨询公司", 90, 90)
    _interviewed(session, settings, "第二批", "乙咨询公司", 80, 80)
    closed = committed(closing.close_round)(session, "第二批", ADMIN, settings=settings)
    assert len(closed.filed) == 2 and closed.rejected == []


# --- the settings -----------------------------------------------------------------


def test_the_round_policies_default_to_the_rules() -> None:
    current = load_settings()
    assert (current.interview_pass_score, current.min_composite_score) == (60, None)
    assert current.quota_scope == "round"


def test_the_round_policies_are_read_and_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAFECOMM_INTERVIEW_PASS_SCORE", "70")
    monkeypatch.setenv("SAFECOMM_MIN_COMPOSITE_SCORE", "")
    monkeypatch.setenv("SAFECOMM_QUOTA_SCOPE", "register")
    current = load_settings()
    assert (current.interview_pass_score, current.min_composite_score) == (70, None)
    assert current.quota_scope == "register"
    monkeypatch.setenv("SAFECOMM_MIN_COMPOSITE_SCORE", "65.5")
    assert load_settings().min_composite_score == 65.5
    for name, value in (
        ("SAFECOMM_INTERVIEW_PASS_SCORE", "120"),
        ("SAFECOMM_MIN_COMPOSITE_SCORE", "-1"),
        ("SAFECOMM_QUOTA_SCOPE", "city"),
    ):
        monkeypatch.setenv(name, value)
        with pytest.raises(SettingsError, match=f"invalid setting {name}: "):
            load_settings()
        monkeypatch.delenv(name)
