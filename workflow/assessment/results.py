"""A year's results: the ranked list of finalised sheets, as a table, xlsx, csv and a chart.

Ranked by final score (highest first), ties by base score, then by agency
name. Only finalised sheets are listed: a draft can still change. The chart
(score distribution by grade) is drawn with matplotlib's Agg backend; its
labels are Chinese when a CJK font is available — the `cjk` extra's font
(`workflow.core.fonts`) first, else a system one — English otherwise, so the
published report never shows empty boxes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from sqlmodel import Session, col, select

from workflow.assessment.evaluation import GRADES, Evaluation, Policy
from workflow.assessment.sheets import finalised_views
from workflow.assessment.standard import STANDARD
from workflow.core.fonts import register_packaged_font
from workflow.core.i18n import current_language, workflow_texts
from workflow.core.spreadsheets import write_table_csv, write_table_xlsx
from workflow.registry.models import Agency

COLUMNS = ("rank", "agency", "base", "bonus", "final", "grade", "passed", "reason")
GRADE_COLOURS = {"excellent": "#2e7d32", "qualified": "#1565c0", "unqualified": "#c62828"}
CJK_FONT_HINTS = (
    "CJK",
    "WenQuanYi",
    "SimHei",
    "Source Han",
    "Noto Sans SC",
    "YaHei",
    "PingFang",
    "Heiti",
)


@dataclass(frozen=True)
class ResultRow:
    """One agency's place in the year's results."""

    rank: int
    agency_id: int
    agency_name: str
    evaluation: Evaluation

    def cells(self, language: str) -> list[object]:
        e = self.evaluation
        passed = workflow_texts.text(
            f"assessment.xlsx.{'passed' if e.passed else 'failed'}", language
        )
        return [
            self.rank,
            self.agency_name,
            e.base,
            e.bonus,
            e.final,
            e.grade_text(language),
            passed,
            e.reason(language),
        ]


def year_results(session: Session, year: int, policy: Policy | None = None) -> list[ResultRow]:
    """The finalised sheets of `year`, evaluated and ranked."""
    views = finalised_views(session, year)
    ids = [view.sheet.agency_id for view in views]
    names = dict(session.exec(select(Agency.id, Agency.name).where(col(Agency.id).in_(ids))).all())
    scored = []
    for view in views:
        evaluation = view.evaluation(policy)
        assert evaluation is not None  # a finalised sheet is complete
        scored.append((view.sheet.agency_id, names[view.sheet.agency_id], evaluation))
    scored.sort(key=lambda item: (-item[2].final, -item[2].base, item[1]))
    return [
        ResultRow(rank=rank, agency_id=agency_id, agency_name=name, evaluation=evaluation)
        for rank, (agency_id, name, evaluation) in enumerate(scored, start=1)
    ]


def headers(language: str | None = None) -> list[str]:
    language = language or current_language()
    return [workflow_texts.text(f"assessment.results.{name}", language) for name in COLUMNS]


def write_xlsx(
    rows: Sequence[ResultRow],
    year: int,
    path: Path,
    language: str | None = None,
    anchor: str = "",
) -> None:
    language = language or current_language()
    cells = (row.cells(language) for row in rows)
    write_table_xlsx(path, str(year), headers(language), cells, {"B": 36, "H": 28}, anchor)


def write_csv(
    rows: Sequence[ResultRow], path: Path, language: str | None = None, anchor: str = ""
) -> None:
    language = language or current_language()
    write_table_csv(path, headers(language), (row.cells(language) for row in rows), anchor)


@lru_cache(maxsize=1)
def cjk_font() -> str | None:
    """The name of a font that can draw Chinese: the packaged one, else an installed one."""
    from matplotlib import font_manager

    packaged = register_packaged_font()
    if packaged is not None:
        return packaged
    for font in font_manager.fontManager.ttflist:
        if any(hint.lower() in font.name.lower() for hint in CJK_FONT_HINTS):
            return str(font.name)
    return None


def write_chart(
    rows: Sequence[ResultRow], year: int, path: Path, language: str | None = None
) -> str:
    """A PNG histogram of final scores, stacked by grade; returns the language of its labels."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    font = cjk_font()
    language = (language or current_language()) if font else "en"

    def text(key: str, **params: object) -> str:
        return workflow_texts.text(f"assessment.chart.{key}", language, **params)

    finals_all = [row.evaluation.final for row in rows]
    low = min([STANDARD.qualified_from - 20, *finals_all]) // 5 * 5
    top = max([STANDARD.total, *finals_all])
    bins = list(range(low, top + 6, 5))
    figure, axes = plt.subplots(figsize=(8, 4.5), dpi=120)
    try:
        if font:
            plt.rcParams["font.sans-serif"] = [font, *plt.rcParams["font.sans-serif"]]
        finals = [
            [row.evaluation.final for row in rows if row.evaluation.grade == grade]
            for grade in GRADES
        ]
        labels = [
            f"{workflow_texts.text(f'assessment.grade.{grade}', language)} ({len(scores)})"
            for grade, scores in zip(GRADES, finals, strict=True)
        ]
        colours = [GRADE_COLOURS[g] for g in GRADES]
        axes.hist(finals, bins=bins, stacked=True, label=labels, color=colours, edgecolor="white")
        for threshold in (STANDARD.qualified_from, STANDARD.excellent_from):
            axes.axvline(threshold, color="grey", linestyle="--", linewidth=1)
        axes.set_title(text("title", year=year, count=len(rows)))
        axes.set_xlabel(text("x"))
        axes.set_ylabel(text("y"))
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))
        axes.legend()
        figure.tight_layout()
        figure.savefig(path, format="png")
    finally:
        plt.close(figure)
    return language
