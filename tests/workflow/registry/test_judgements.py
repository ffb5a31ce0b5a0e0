"""The experts' judgements on an application: Art. 8(2) (business scope, a suggestion
the experts confirm or overrule) and Art. 8(3) (familiar with both programmes'
procedures and standards, able to guide the seven fields), each audited."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from tests.builders import make_agency
from tests.workflow.lifecycle_steps import ADMIN
from workflow.core.db import transaction
from workflow.core.errors import InvalidInput, Refused
from workflow.core.settings import load_settings
from workflow.lifecycle import audit
from workflow.lifecycle import engine as lifecycle
from workflow.registry.eligibility import Eligibility, check_eligibility
from workflow.registry.judgements import (
    FAMILIAR_ITEMS,
    parse_items,
    record_familiarity,
    record_scope,
    scope_suggestion,
)

TODAY = date(2026, 11, 26)


def _condition(result: Eligibility, code: str) -> tuple[bool, str]:
    condition = next(c for c in result.conditions if c.code == code)
    return condition.passed, condition.reason


@pytest.mark.parametrize(
    ("scope", "clauses"),
    [
        ("安全咨询服务；安全评价业务", ("安全咨询服务", "安全评价业务")),
        ("应急救援技术咨询", ("应急救援技术咨询",)),
        ("消防技术服务；安全咨询", ("消防技术服务", "安全咨询")),
        ("安全生产技术咨询服务", ("安全生产技术咨询服务",)),
        ("企业管理咨询；应急管理咨询服务", ("应急管理咨询服务",)),
        ("软件开发；技术咨询", ()),
        ("安全生产设备销售；信息咨询服务", ()),
        ("", ()),
    ],
)
def test_art_8_2_the_suggestion_names_the_related_clauses(
    scope: str, clauses: tuple[str, ...]
) -> None:
    """Art. 8(2) "经营范围中须包括安全生产、应急管理相关咨询服务内容": a wide vocabulary,
    one clause naming both a safety/emergency subject and a consulting service."""
    assert scope_suggestion(scope) == clauses


def test_art_8_2_material_review_needs_the_experts_decision(engine: Engine) -> None:
    settings = load_settings()
    with transaction(engine) as session:
        agency = make_agency(session, scope_related=None, business_scope="应急救援技术咨询")
        passed, reason = _condition(check_eligibility(session, agency, TODAY), "business_scope")
        assert not passed
        assert reason == (
            "系统提示：经营范围中“应急救援技术咨询”属相关咨询服务内容；尚待专家组认定，"
            "材料审核通过前须由专家组作出认定（safecomm agency scope）"
        )
        with pytest.raises(lifecycle.GuardsUnmet) as refused:
            lifecycle.advance(session, agency.id, "review", ADMIN, settings=settings)
        assert [u.key for u in refused.value.unmet] == [
            "lifecycle.unmet.ineligible",
            "lifecycle.unmet.no_material_score",
        ]


def test_art_8_2_the_experts_overrule_the_suggestion_with_a_reason_audited(
    engine: Engine,
) -> None:
    settings = load_settings()
    with transaction(engine) as session:
        agency = make_agency(session, scope_related=None, business_scope="安全生产设备销售")
        with pytest.raises(InvalidInput) as missing:
            record_scope(session, agency.id, ADMIN, True, "  ", settings=settings)
        assert missing.value.key == "registry.judgement.reason_required"
        record_scope(
            session, agency.id, ADMIN, True, "营业执照另载安全生产技术咨询", settings=settings
        )
        passed, reason = _condition(check_eligibility(session, agency, TODAY), "business_scope")
        assert passed
        assert reason.startswith(
            f"专家组认定经营范围含相关咨询服务内容，推翻系统提示（{ADMIN.name}，"
        )
        assert "理由：营业执照另载安全生产技术咨询" in reason
        entry = audit.history(session, agency.id)[-1]
        assert (entry.trigger, entry.subject) == (
            "judge.scope",
            "经营范围属相关咨询服务内容（推翻系统提示）",
        )
        assert entry.reason == "营业执照另载安全生产技术咨询" and entry.actor_name == ADMIN.name


def test_art_8_3_each_of_the_seven_fields_is_judged(engine: Engine) -> None:
    """Art. 8(3): 生产安全、应急管理、综合减灾、交通安全、消防安全、燃气安全、公共安全."""
    settings = load_settings()
    with transaction(engine) as session:
        agency = make_agency(session, familiar_judgement=None)
        result = check_eligibility(session, agency, TODAY)
        assert result.review_passed and not result.passed  # pending does not hold review back
        record_familiarity(
            session, agency.id, ADMIN, True, "材料齐全", items=parse_items(["创建程序和评定标准、生产安全"]),
            settings=settings,
        )  # fmt: skip
        condition = next(
            c for c in check_eligibility(session, agency, TODAY).conditions if c.code == "familiar"
        )
        assert condition.pending
        assert condition.reason.startswith(
            "尚待专家组判断：应急管理、综合减灾、交通安全、消防安全、燃气安全、公共安全"
        )
        record_familiarity(
            session, agency.id, ADMIN, False, "燃气安全无业绩", items=("gas_safety",),
            settings=settings,
        )  # fmt: skip
        passed, reason = _condition(check_eligibility(session, agency, TODAY), "familiar")
        assert not passed
        assert reason.startswith("专家组判断：燃气安全不熟悉或不能满足服务指导要求（材料审核，")
        assert not check_eligibility(session, agency, TODAY).review_passed
        with pytest.raises(InvalidInput) as unknown:
            parse_items(["养老服务"])
        assert unknown.value.key == "registry.judgement.unknown_item"


def test_art_8_3_may_be_judged_at_the_interview_and_is_needed_to_pass_it(engine: Engine) -> None:
    """Art. 10(2): the interview confirms the judgement; it is audited with its stage."""
    from workflow.rounds.service import record_scores

    settings = load_settings()
    with transaction(engine) as session:
        agency = make_agency(session, familiar_judgement=None)
        record_scores(session, agency.id, ADMIN, material=80, settings=settings)
        lifecycle.advance(session, agency.id, "review", ADMIN, settings=settings)
        record_scores(session, agency.id, ADMIN, interview=80, settings=settings)
        with pytest.raises(lifecycle.GuardsUnmet) as refused:
            lifecycle.advance(session, agency.id, "interview", ADMIN, settings=settings)
        assert [u.key for u in refused.value.unmet] == ["lifecycle.unmet.not_familiar"]
        rows = record_familiarity(session, agency.id, ADMIN, True, "答辩熟悉", settings=settings)
        assert {r.item for r in rows} == set(FAMILIAR_ITEMS) and rows[0].stage == "interview"
        entry = audit.history(session, agency.id)[-1]
        assert (entry.trigger, entry.subject) == ("judge.familiar", "面试答辩：熟悉，七个方面")
        lifecycle.advance(session, agency.id, "interview", ADMIN, settings=settings)
        with pytest.raises(Refused) as late:
            record_familiarity(session, agency.id, ADMIN, False, "事后", settings=settings)
        assert late.value.key == "registry.judgement.familiar_not_now"
        with pytest.raises(Refused) as late_scope:
            record_scope(session, agency.id, ADMIN, False, "事后", settings=settings)
        assert late_scope.value.key == "registry.judgement.scope_not_now"


def test_judgements_belong_to_the_application_not_the_agency(engine: Engine) -> None:
    """A `reapply` opens a new application, which starts without either judgement."""
    settings = load_settings()
    with Session(engine, expire_on_commit=False) as session:
        agency = make_agency(session)
        assert check_eligibility(session, agency, TODAY).passed
        lifecycle.advance(session, agency.id, "reject", ADMIN, "材料不全", settings=settings)
        lifecycle.advance(session, agency.id, "reapply", ADMIN, settings=settings)
        result = check_eligibility(session, agency, TODAY)
        assert [c.code for c in result.failed] == ["business_scope", "familiar"]
        assert result.pending[0].code == "familiar"
