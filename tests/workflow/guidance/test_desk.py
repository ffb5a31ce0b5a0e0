"""The experts' desk: per indicator the facts counted against Art. 11 (from the minimums),
the activities that are facts for it and every file, with the Art. 15 uploads and the
forum minutes; suggestions for 有无此项内容 / 有无证据 from what was recorded."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from tests.workflow.guidance.desk_world import AS_OF, Year, recorded_year
from tests.workflow.guidance.helpers import YEAR
from workflow.core.errors import NotFound
from workflow.core.settings import Settings
from workflow.guidance.desk import CODES, build_desk, document_indicator


@pytest.fixture
def year(any_engine: Engine, settings: Settings, tmp_path: Path) -> Year:
    return recorded_year(any_engine, settings, tmp_path)


def test_trainings_are_counted_once_against_the_minimum(year: Year, settings: Settings) -> None:
    with Session(year.engine) as session:
        desk = build_desk(session, year.world.agency_id, YEAR, settings, as_of=AS_OF)
    risk = desk.indicator("1.2")
    assert risk.facts == (
        "培训（风险辨识） 2 次",
        "培训合计 4 次（每家创建单位不少于 5 次，1 家不足）",
    )
    assert risk.shortfalls == ("幸福里社区：培训 4 次，不少于 5 次，还差 1 次",)
    assert [a.day for a in risk.activities] == [date(2026, 3, 5), date(2026, 4, 5)]
    assert [f.original_name for f in risk.files] == ["签到表.jpg"]
    assert risk.short() == risk.facts[0] + "；" + risk.facts[1] + "；文件 1 个"
    assert (risk.content, risk.evidence) == (True, True)
    assert "1 家已召开启动会" in desk.indicator("1.1").facts[-2]


def test_files_stand_under_their_own_and_their_evidence_indicator(
    year: Year, settings: Settings
) -> None:
    with Session(year.engine) as session:
        desk = build_desk(session, year.world.agency_id, YEAR, settings, as_of=AS_OF)
    training_4_1 = desk.indicator("4.1")
    assert [f.original_name for f in training_4_1.files] == ["签到表.jpg"]
    assert [a.what for a in training_4_1.activities][:2] == ["启动会", "培训（风险辨识）"]
    projects = desk.indicator("2.4")
    assert projects.facts[-1] == "安全社区促进项目 3 个（1 家安全社区，每家不少于 15 个，1 家不足）"
    assert [f.original_name for f in projects.files] == ["项目书.pdf"]
    (photo,) = [f for f in desk.files if f.original_name == "签到表.jpg" and f.indicator == "1.2"]
    assert photo.present and photo.is_image and photo.unit == "幸福里社区"


def test_uploads_count_by_their_kind_and_unknown_kinds_as_other_evidence(
    year: Year, settings: Settings
) -> None:
    assert document_indicator("training_evidence") == "4.1"
    assert document_indicator("something_new") == "4.2"
    with Session(year.engine) as session:
        desk = build_desk(session, year.world.agency_id, YEAR, settings, as_of=AS_OF)
    report = desk.indicator("4.3")
    assert [f.what for f in report.files] == ["年度工作情况报告"]
    assert (report.content, report.evidence) == (True, True)
    other = desk.indicator("4.2")
    assert [f.original_name for f in other.files] == [
        "项目书.pdf",
        "evidence.pdf",
        "a_kind_added_later.pdf",
    ]
    assert "机构提交材料 2 份" in other.facts


def test_nothing_recorded_suggests_no_content_and_no_evidence(
    year: Year, settings: Settings
) -> None:
    with Session(year.engine) as session:
        desk = build_desk(session, year.world.agency_id, YEAR, settings, as_of=AS_OF)
    body = desk.indicator("2.2")
    assert (body.content, body.evidence, body.activities, body.files) == (False, False, (), ())
    assert body.suggestion() == "系统建议：无此项内容，无证据"
    assert body.short() == "文件 0 个"
    plans = desk.indicator("2.1")
    assert plans.shortfalls[0].startswith("幸福里社区：未记录的方案计划：总体方案")


def test_forum_minutes_and_the_education_base_hint(year: Year, settings: Settings) -> None:
    with Session(year.engine) as session:
        desk = build_desk(session, year.world.agency_id, YEAR, settings, as_of=AS_OF)
    forum = desk.indicator("3")
    assert forum.facts == ("座谈会 1 次，本机构指导的创建单位出席 1 家次",)
    assert [f.what for f in forum.files] == ["座谈会纪要"]
    assert forum.content is None and forum.suggestion() == ""
    (base,) = desk.indicator("B3").activities
    assert base.on_behalf and base.description == "纸质材料补录"
    assert [i.code for i in desk.indicators] == list(CODES)


def test_an_unknown_indicator_is_refused_with_the_list(year: Year, settings: Settings) -> None:
    with Session(year.engine) as session:
        desk = build_desk(session, year.world.agency_id, YEAR, settings, as_of=AS_OF)
    with pytest.raises(NotFound) as refused:
        desk.indicator("3.1")
    assert refused.value.key == "desk.unknown_indicator"
    assert desk.indicator("2.4 ").code == "2.4"
