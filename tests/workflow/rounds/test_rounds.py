"""Application rounds (Art. 10): composite score, ranking with the tie rules, the quota
and closing a round in one transaction with the publication list."""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from tests.builders import committed
from tests.workflow.lifecycle_steps import (
    ADMIN,
    EXPERT,
    agency_in,
    audit_count,
    make_agency,
    snapshot,
)
from workflow.access import grants
from workflow.access.actors import Role
from workflow.core.db import transaction
from workflow.core.errors import InvalidInput, NotFound, Refused
from workflow.core.settings import Settings
from workflow.lifecycle import engine as lifecycle
from workflow.lifecycle.audit import verify
from workflow.lifecycle.models import AuditEntry
from workflow.registry.models import Agency, Application
from workflow.rounds import closing, ranking, service
from workflow.rounds.models import Round

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
"""When the rounds open; the written applications arrive in the days after."""
JOINED = T0 + timedelta(days=30)
"""When the applications are entered: "today" for the received-date checks."""


def _round(session: Session, settings: Settings, name: str, quota: int | None) -> Round:
    the_round = committed(service.create_round)(
        session, name, ADMIN, quota=quota, settings=settings
    )
    the_round.opened_at = T0
    session.add(the_round)
    session.commit()
    return the_round


def _candidate(
    session: Session,
    settings: Settings,
    round_name: str,
    material: float,
    interview: float,
    received: date,
    name: str,
) -> Agency:
    """An interviewed agency in the round with these scores, received on this day."""
    agency = make_agency(session, name=name)
    assert agency.id is not None
    committed(service.join_round)(
        session, round_name, agency.id, ADMIN, received_on=received, settings=settings, now=JOINED
    )
    committed(service.record_scores)(
        session, agency.id, ADMIN, material=material, settings=settings
    )
    committed(lifecycle.advance)(session, agency.id, "review", ADMIN, settings=settings)
    committed(service.record_scores)(
        session, agency.id, ADMIN, interview=interview, settings=settings
    )
    committed(lifecycle.advance)(session, agency.id, "interview", ADMIN, settings=settings)
    return agency


DAY0 = T0.date()


def _field(session: Session, settings: Settings, quota: int | None) -> dict[str, Agency]:
    """Six candidates: B/A tie on 总成绩 (B has the better interview); C/D tie on 总成绩
    and interview, and C's written application was received first although D was
    entered first; E and F follow (F's interview exactly at the pass mark of 60)."""
    _round(session, settings, "2026 第一批", quota)
    rows = {
        "A": (90, 80, DAY0),  # 85, interview 80
        "B": (80, 90, DAY0 + timedelta(days=3)),  # 85, interview 90
        "D": (84, 76, DAY0 + timedelta(days=2)),  # 80, interview 76, received later
        "C": (84, 76, DAY0 + timedelta(days=1)),  # 80, interview 76, received earlier
        "E": (70, 70, DAY0),  # 70
        "F": (60, 60, DAY0),  # 60
    }
    return {
        key: _candidate(session, settings, "2026 第一批", m, i, at, f"机构{key}")
        for key, (m, i, at) in rows.items()
    }


def test_composite_score_uses_the_policy_weights(settings: Settings) -> None:
    application = Application(agency_id=1, material_score=80, interview_score=90)
    assert ranking.composite_score(application, settings) == 85.0
    weighted = settings.model_copy(update={"material_weight": 0.4, "interview_weight": 0.6})
    assert ranking.composite_score(application, weighted) == 86.0
    assert ranking.composite_score(Application(agency_id=1, material_score=80), settings) is None


def test_ranking_breaks_ties_by_interview_then_the_date_received(
    session: Session, settings: Settings
) -> None:
    """Art. 10(3) "综合测评": ranked by 总成绩; ties by the interview score, then by the
    date the written application was received (收件日期), not the data-entry time."""
    agencies = _field(session, settings, quota=None)
    the_round = ranking.find_round(session, "2026 第一批")
    assert the_round.id is not None
    ranked = ranking.ranking(session, the_round.id, settings)
    by_id = {a.id: key for key, a in agencies.items()}
    assert [(r.rank, by_id[r.agency.id], r.composite) for r in ranked] == [
        (1, "B", 85.0),
        (2, "A", 85.0),
        (3, "C", 80.0),
        (4, "D", 80.0),
        (5, "E", 70.0),
        (6, "F", 60.0),
    ]


def test_close_round_files_inside_the_quota_and_rejects_the_rest(
    any_engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    with Session(any_engine, expire_on_commit=False) as session:
        agencies = _field(session, settings, quota=3)
        before = audit_count(session)
        closed = committed(closing.close_round)(session, "2026 第一批", ADMIN, settings=settings)
        session.expire_all()
        status = {key: session.get(Agency, a.id).status for key, a in agencies.items()}  # type: ignore[union-attr]
        assert status == {
            "A": "filed",
            "B": "filed",
            "C": "filed",
            "D": "rejected",
            "E": "rejected",
            "F": "rejected",
        }
        assert [r.agency.name for r in closed.filed] == ["机构B", "机构A", "机构C"]
        new = session.exec(select(AuditEntry).where(AuditEntry.seq > before)).all()
        assert sorted(e.trigger for e in new) == ["file"] * 3 + ["reject"] * 3
        assert {e.reason for e in new if e.trigger == "reject"} == {
            "因总量控制未列入本批次备案名单"
        }
        assert ranking.find_round(session, "2026 第一批").closed_at is not None
        assert verify(session).ok

    xlsx, csv_path = closing.write_publication(closed.published, tmp_path / "out", "2026 第一批")
    assert csv_path.read_bytes().startswith(b"\xef\xbb\xbf")
    with csv_path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["排名", "机构名称", "统一社会信用代码", "总成绩"]
    assert [(r[0], r[1], r[3]) for r in rows[1:]] == [
        ("1", "机构B", "85.00"),
        ("2", "机构A", "85.00"),
        ("3", "机构C", "80.00"),
    ]
    assert rows[1][2] == agencies["B"].credit_code
    sheet = load_workbook(xlsx).active
    assert sheet is not None
    assert [list(r) for r in sheet.iter_rows(values_only=True)] == [
        ["排名", "机构名称", "统一社会信用代码", "总成绩"],
        [1, "机构B", agencies["B"].credit_code, 85],
        [2, "机构A", agencies["A"].credit_code, 85],
        [3, "机构C", agencies["C"].credit_code, 80],
    ]


def test_close_round_without_quota_files_everyone(
    session: Session, settings: Settings, tmp_path: Path
) -> None:
    _field(session, settings, quota=None)
    closed = committed(closing.close_round)(session, "2026 第一批", ADMIN, settings=settings)
    assert len(closed.filed) == 6 and closed.rejected == []


def test_close_round_is_all_or_nothing(
    engine: Engine, session: Session, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failure half-way through the filings leaves no agency filed and the round open."""
    _field(session, settings, quota=2)
    before = snapshot(session)
    real_advance = closing.advance
    calls = []

    def fails_on_the_second(*args: object, **kwargs: object) -> object:
        calls.append(args)
        if len(calls) == 2:
            raise OSError("disk full")
        return real_advance(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(closing, "advance", fails_on_the_second)
    with pytest.raises(OSError), transaction(engine) as other:
        closing.close_round(other, "2026 第一批", ADMIN, settings=settings)
    assert len(calls) == 2
    assert snapshot(session) == before


def test_the_publication_list_is_written_after_the_commit(
    session: Session, settings: Settings, tmp_path: Path
) -> None:
    """The list names what the database holds: the filed agencies, written once the
    closing has committed (the CLI and the demo call `write_publication` then)."""
    _field(session, settings, quota=2)
    closed = committed(closing.close_round)(session, "2026 第一批", ADMIN, settings=settings)
    out = tmp_path / "公告"
    assert not out.exists()
    written = closing.write_publication(closed.published, out, closed.round.name)
    assert [p.suffix for p in written] == [".xlsx", ".csv"]
    filed = {r.agency.name for r in closed.filed}
    assert {r.agency.name for r in closed.published} == filed


def test_close_round_refuses_undecided_candidates(
    session: Session, settings: Settings, tmp_path: Path
) -> None:
    _field(session, settings, quota=2)
    late = make_agency(session, name="迟到机构")
    assert late.id is not None
    committed(service.join_round)(session, "2026 第一批", late.id, ADMIN, settings=settings)
    before = snapshot(session)
    with pytest.raises(Refused, match="迟到机构"):
        committed(closing.close_round)(session, "2026 第一批", ADMIN, settings=settings)
    assert snapshot(session) == before


def test_a_closed_round_stays_closed(session: Session, settings: Settings, tmp_path: Path) -> None:
    agencies = _field(session, settings, quota=2)
    committed(closing.close_round)(session, "2026 第一批", ADMIN, settings=settings)
    with pytest.raises(Refused, match="已结束"):
        committed(closing.close_round)(session, "2026 第一批", ADMIN, settings=settings)
    newcomer = make_agency(session)
    assert newcomer.id is not None
    with pytest.raises(Refused, match="已结束"):
        committed(service.join_round)(session, "2026 第一批", newcomer.id, ADMIN, settings=settings)
    assert agencies


def test_filing_one_by_one_respects_the_quota(session: Session, settings: Settings) -> None:
    agencies = _field(session, settings, quota=2)
    with pytest.raises(lifecycle.GuardsUnmet, match="综合排名第 3 名，超出本批次名额 2 个"):
        committed(lifecycle.advance)(session, agencies["C"].id, "file", ADMIN, settings=settings)  # type: ignore[arg-type]
    committed(lifecycle.advance)(session, agencies["B"].id, "file", ADMIN, settings=settings)  # type: ignore[arg-type]
    committed(lifecycle.advance)(session, agencies["A"].id, "file", ADMIN, settings=settings)  # type: ignore[arg-type]
    committed(lifecycle.advance)(
        session,
        agencies["C"].id,
        "reject",
        ADMIN,
        "因总量控制未列入本批次备案名单",
        settings=settings,
    )  # type: ignore[arg-type]
    with pytest.raises(lifecycle.GuardsUnmet, match="综合排名第 3 名"):
        committed(lifecycle.advance)(session, agencies["D"].id, "file", ADMIN, settings=settings)  # type: ignore[arg-type]


def test_a_place_taken_early_counts_against_the_quota(session: Session, settings: Settings) -> None:
    _round(session, settings, "补录", 1)
    early = _candidate(session, settings, "补录", 60, 60, DAY0, "先面试机构")
    committed(lifecycle.advance)(session, early.id, "file", ADMIN, settings=settings)  # type: ignore[arg-type]
    better = _candidate(session, settings, "补录", 90, 90, DAY0, "后面试机构")
    with pytest.raises(lifecycle.GuardsUnmet, match="1 个备案名额已满"):
        committed(lifecycle.advance)(session, better.id, "file", ADMIN, settings=settings)  # type: ignore[arg-type]


def test_record_scores_checks_range_state_and_role(session: Session, settings: Settings) -> None:
    agency = make_agency(session)
    assert agency.id is not None
    before = snapshot(session)
    for bad in (-1, 100.5, float("nan")):
        with pytest.raises(InvalidInput, match="0 到 100"):
            committed(service.record_scores)(
                session, agency.id, ADMIN, material=bad, settings=settings
            )
    with pytest.raises(InvalidInput, match="至少给出一个评分"):
        committed(service.record_scores)(session, agency.id, ADMIN, settings=settings)
    with pytest.raises(Refused, match="不能录入面试答辩评分"):
        committed(service.record_scores)(session, agency.id, ADMIN, interview=80, settings=settings)
    with pytest.raises(Refused, match="没有任何角色"):
        committed(service.record_scores)(session, agency.id, EXPERT, material=80, settings=settings)
    assert snapshot(session) == before
    committed(grants.grant)(session, EXPERT.key, Role.EXPERT, ADMIN, settings)
    application = committed(service.record_scores)(
        session, agency.id, EXPERT, material=80, settings=settings
    )
    assert application.material_score == 80
    entry = session.exec(select(AuditEntry).where(AuditEntry.trigger == "score")).one()
    assert (entry.actor, entry.subject, entry.source) == (EXPERT.key, "材料审核 80 分", "applied")


def test_scores_freeze_once_filed(session: Session, settings: Settings) -> None:
    agency = agency_in(session, "filed", settings)
    assert agency.id is not None
    with pytest.raises(Refused, match="备案前才可录入"):
        committed(service.record_scores)(session, agency.id, ADMIN, material=99, settings=settings)


def test_round_input_is_checked(session: Session, settings: Settings) -> None:
    committed(service.create_round)(session, "第一批", ADMIN, quota=2, settings=settings)
    with pytest.raises(InvalidInput, match="已有名为“第一批”"):
        committed(service.create_round)(session, " 第一批 ", ADMIN, settings=settings)
    with pytest.raises(InvalidInput, match="正整数"):
        committed(service.create_round)(session, "第二批", ADMIN, quota=0, settings=settings)
    with pytest.raises(InvalidInput, match="不能为空"):
        committed(service.create_round)(session, "  ", ADMIN, settings=settings)
    with pytest.raises(Refused, match="没有任何角色"):
        committed(service.create_round)(session, "第三批", EXPERT, settings=settings)
    with pytest.raises(NotFound, match="找不到申请批次"):
        ranking.find_round(session, "第九批")
    assert len(session.exec(select(Round)).all()) == 1

    agency = make_agency(session)
    assert agency.id is not None
    committed(service.create_round)(session, "第二批", ADMIN, settings=settings)
    committed(service.join_round)(session, "第一批", agency.id, ADMIN, settings=settings)
    with pytest.raises(Refused, match="已在批次“第一批”中"):
        committed(service.join_round)(session, "第二批", agency.id, ADMIN, settings=settings)
    rejected = agency_in(session, "rejected", settings)
    assert rejected.id is not None
    with pytest.raises(Refused, match="不能加入申请批次"):
        committed(service.join_round)(session, "第二批", rejected.id, ADMIN, settings=settings)
