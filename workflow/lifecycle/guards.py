"""The conditions a trigger must meet, each with a human-readable reason when
unmet. Guards only read: registry, ranking, eligibility and the assessment gate.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date

from sqlmodel import Session

from workflow.assessment import gate, publicity
from workflow.assessment.evaluation import Evaluation
from workflow.core.i18n import workflow_texts
from workflow.core.settings import Settings
from workflow.lifecycle.states import GROUNDS, Ground, ground_label, join_words, state_label
from workflow.registry import eligibility, forms, service
from workflow.registry.models import Agency, Application
from workflow.rounds import ranking as round_rules


@dataclass(frozen=True)
class Unmet:
    """Why a guard holds a trigger back; rendered in any language on demand."""

    key: str
    params: Mapping[str, object] = field(default_factory=dict)
    lazy: Callable[[str | None], Mapping[str, object]] | None = None

    def message(self, language: str | None = None) -> str:
        params = dict(self.params)
        if self.lazy is not None:
            params.update(self.lazy(language))
        return workflow_texts.text(self.key, language, **params)


@dataclass
class GuardContext:
    """What guards look at: the loaded row, its current application and the actor's input."""

    session: Session
    agency: Agency
    application: Application
    settings: Settings
    year: int
    today: date
    ground: str | None = None


@dataclass(frozen=True)
class Guard:
    """A condition of a trigger; `needs_input` guards judge what the actor typed (skipped
    when merely listing what someone may do); `counts` guards count other agencies'
    filings (a quota, a register cap), so the engine checks them under the lock that
    serialises filings."""

    code: str
    check: Callable[[GuardContext], Unmet | None]
    needs_input: bool = False
    counts: bool = False


def _eligible(ctx: GuardContext) -> Unmet | None:
    """Material review: every Art. 8 condition met, the Art. 8(2) decision taken; the
    Art. 8(3) judgement may still be pending (it may be recorded at the interview)."""
    result = eligibility.check_eligibility(
        ctx.session, ctx.agency, today=ctx.today, application=ctx.application
    )
    if result.review_passed:
        return None
    failed = join_words((c.reason for c in result.failed if not c.pending), None, "separator")
    return Unmet("lifecycle.unmet.ineligible", {"failed": failed})


def _familiar(ctx: GuardContext) -> Unmet | None:
    """The interview (Art. 10(2)): every Art. 8(3) item judged familiar on this application."""
    result = eligibility.check_eligibility(
        ctx.session, ctx.agency, today=ctx.today, application=ctx.application
    )
    condition = next(c for c in result.conditions if c.code == "familiar")
    if condition.passed:
        return None
    return Unmet("lifecycle.unmet.not_familiar", {"reason": condition.reason})


def _materials_complete(ctx: GuardContext) -> Unmet | None:
    missing = service.missing_materials(ctx.application)
    if not missing:
        return None

    def labels(language: str | None) -> Mapping[str, object]:
        return {
            "missing": join_words(
                (forms.label("application", m, language) for m in missing), language
            )
        }

    return Unmet("lifecycle.unmet.materials_missing", lazy=labels)


def _material_score(ctx: GuardContext) -> Unmet | None:
    if ctx.application.material_score is None:
        return Unmet("lifecycle.unmet.no_material_score")
    return None


def _interview_score(ctx: GuardContext) -> Unmet | None:
    if ctx.application.interview_score is None:
        return Unmet("lifecycle.unmet.no_interview_score")
    return None


def _interview_passed(ctx: GuardContext) -> Unmet | None:
    """`interview` (面试答辩通过), Art. 10(2): the interview score reaches the pass mark."""
    short = round_rules.interview_shortfall(ctx.application, ctx.settings)
    return None if short is None else Unmet(short.key, short.params)


def _pass_marks(ctx: GuardContext) -> Unmet | None:
    """`file`, Art. 10(2), 10(3): the interview pass mark and the minimum 总成绩, read by
    the rule `round close` rejects by (`ranking.shortfall`), so both paths agree."""
    short = round_rules.shortfall(ctx.application, ctx.settings)
    return None if short is None else Unmet(short.key, short.params)


def _in_round(ctx: GuardContext) -> Unmet | None:
    if ctx.application.round_id is None:
        return Unmet("lifecycle.unmet.not_in_round")
    return None


def _composite(ctx: GuardContext) -> Unmet | None:
    if round_rules.composite_score(ctx.application, ctx.settings) is None:
        return Unmet("lifecycle.unmet.no_composite")
    return None


def _within_quota(ctx: GuardContext) -> Unmet | None:
    if ctx.application.round_id is None:
        return None  # `_in_round` already says so
    place = round_rules.quota_place(ctx.session, ctx.application, ctx.settings)
    if place is None:
        return None
    rank, quota, filed = place
    if rank > quota:
        return Unmet("lifecycle.unmet.outside_quota", {"rank": rank, "quota": quota})
    if filed >= quota:
        return Unmet("lifecycle.unmet.quota_full", {"quota": quota})
    return None


def _finalised_assessment(ctx: GuardContext) -> Unmet | None:
    assert ctx.agency.id is not None
    if gate.has_finalised_sheet(ctx.session, ctx.agency.id, ctx.year):
        return None
    return Unmet("lifecycle.unmet.no_assessment", {"year": ctx.year})


def _ground_fits(ctx: GuardContext) -> Unmet | None:
    allowed = [g for g, states in GROUNDS.items() if ctx.agency.status in states]

    def names(language: str | None) -> Mapping[str, object]:
        return {"allowed": join_words((ground_label(g, language) for g in allowed), language)}

    if not ctx.ground:
        return Unmet("lifecycle.unmet.ground_missing", lazy=names)
    if ctx.ground not in GROUNDS:
        return Unmet("lifecycle.unmet.ground_unknown", {"ground": ctx.ground}, names)
    if ctx.ground not in allowed:
        state = ctx.agency.status

        def more(language: str | None) -> Mapping[str, object]:
            return {
                **names(language),
                "ground_name": ground_label(str(ctx.ground), language),
                "state": state_label(state, language),
            }

        return Unmet("lifecycle.unmet.ground_not_now", lazy=more)
    return None


def _ground_is(ctx: GuardContext, ground: str) -> bool:
    """The actor chose `ground` and it applies now (otherwise `_ground_fits` says why)."""
    return ctx.ground == ground and ctx.agency.status in GROUNDS[ground]


def _why(evaluation: Evaluation) -> Callable[[str | None], Mapping[str, object]]:
    return lambda language: {
        "grade": evaluation.grade_text(language),
        "why": evaluation.reason(language),
    }


def _passed_assessment(ctx: GuardContext) -> Unmet | None:
    """`retain`, Art. 14(1): only an agency whose finalised assessment of the year passed."""
    assert ctx.agency.id is not None
    evaluation = gate.finalised_evaluation(ctx.session, ctx.agency.id, ctx.year, ctx.settings)
    if evaluation is None:
        return Unmet("lifecycle.unmet.no_assessment", {"year": ctx.year})
    if evaluation.passed:
        return None
    return Unmet("lifecycle.unmet.failed_cannot_retain", {"year": ctx.year}, _why(evaluation))


def _not_inactive(ctx: GuardContext) -> Unmet | None:
    """`retain`, Art. 14(2): not when ground 2 holds (`gate.inactive_two_years`)."""
    assert ctx.agency.id is not None
    if not gate.inactive_two_years(ctx.session, ctx.agency.id, ctx.year, ctx.settings):
        return None
    return Unmet(
        "lifecycle.unmet.inactive_cannot_retain", {"first": ctx.year - 1, "last": ctx.year}
    )


def _unqualified_really(ctx: GuardContext) -> Unmet | None:
    """Ground 1 ("annual assessment unqualified") is checked against the finalised assessment."""
    if not _ground_is(ctx, Ground.UNQUALIFIED):
        return None
    assert ctx.agency.id is not None
    evaluation = gate.finalised_evaluation(ctx.session, ctx.agency.id, ctx.year, ctx.settings)
    if evaluation is None:
        return Unmet("lifecycle.unmet.no_assessment", {"year": ctx.year})
    if not evaluation.passed:
        return _after_publicity(ctx)
    return Unmet("lifecycle.unmet.assessment_passed", {"year": ctx.year}, _why(evaluation))


def _after_publicity(ctx: GuardContext) -> Unmet | None:
    """Ground 1 waits for the 公示 period to end with no open objection (Art. 15)."""
    assert ctx.agency.id is not None
    hold = publicity.exit_hold(ctx.session, ctx.agency.id, ctx.year, ctx.today)
    if hold is None:
        return None
    key, params = hold
    ends = params.get("ends")
    if not isinstance(ends, date):
        return Unmet(key, params)
    return Unmet(key, lazy=lambda language: {"ends": publicity.day_text(ends, language)})


def _inactive_really(ctx: GuardContext) -> Unmet | None:
    """Ground 2 ("no guidance work in 2 consecutive years"), from any holding state: the
    rule `exits` proposes by (`gate.activity`); it reads guidance and filing, never a sheet."""
    if not _ground_is(ctx, Ground.INACTIVE_TWO_YEARS):
        return None
    assert ctx.agency.id is not None
    facts = gate.activity(ctx.session, ctx.agency.id, ctx.year, ctx.settings)
    if facts.inactive_two_years:
        return None
    if facts.guided_in is not None:
        return Unmet("lifecycle.unmet.guided_recently", {"year": facts.guided_in})
    if facts.filed_in is None:
        return Unmet("lifecycle.unmet.never_filed", {"first": facts.first, "year": ctx.year})
    return Unmet(
        "lifecycle.unmet.filed_recently",
        {"filed": facts.filed_in, "first": facts.first, "year": ctx.year},
    )


ELIGIBLE = Guard("eligible", _eligible)
MATERIALS = Guard("materials_complete", _materials_complete)
MATERIAL_SCORE = Guard("material_score", _material_score)
INTERVIEW_SCORE = Guard("interview_score", _interview_score)
INTERVIEW_PASSED = Guard("interview_pass_mark", _interview_passed)
PASS_MARKS = Guard("pass_marks", _pass_marks)
FAMILIAR = Guard("familiar", _familiar)
IN_ROUND = Guard("in_round", _in_round)
COMPOSITE = Guard("composite_score", _composite)
WITHIN_QUOTA = Guard("within_quota", _within_quota, counts=True)
ASSESSMENT = Guard("finalised_assessment", _finalised_assessment)
PASSED = Guard("passed_assessment", _passed_assessment)
ACTIVE = Guard("not_inactive_two_years", _not_inactive)
GROUND = Guard("exit_ground", _ground_fits, needs_input=True)
UNQUALIFIED = Guard("unqualified", _unqualified_really, needs_input=True)
INACTIVE = Guard("inactive_two_years", _inactive_really, needs_input=True)

GUARDS: dict[str, Guard] = {
    guard.code: guard
    for guard in (
        ELIGIBLE,
        MATERIALS,
        MATERIAL_SCORE,
        INTERVIEW_SCORE,
        INTERVIEW_PASSED,
        PASS_MARKS,
        FAMILIAR,
        IN_ROUND,
        COMPOSITE,
        WITHIN_QUOTA,
        ASSESSMENT,
        PASSED,
        ACTIVE,
        GROUND,
        UNQUALIFIED,
        INACTIVE,
    )
}
"""Every condition by its code, the name the machine's declaration uses."""
