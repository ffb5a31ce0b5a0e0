"""Publishing a year's results (公示, Art. 15): the period and the exit list.

`open_period` stores the year's 公示 period the first time `safecomm results`
runs: from the campaign's results date (or the day of publication, if later) to
`SAFECOMM_PUBLICITY_DAYS` days after it, the last day included. Running
`results` again (after an upheld objection) publishes the files again and keeps
the period. The exit list (取消优先推荐资格名单) names every agency proposed for
withdrawal on ground 1 (年度考核不合格), with the reason in words; its files are
written after the commit, beside the results list.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlmodel import Session, col, select

from workflow.access.actors import Actor, Role
from workflow.access.roles import require_role
from workflow.assessment import exits, publicity
from workflow.assessment.models import Publication
from workflow.community.campaigns import campaign_for
from workflow.core.clock import local_date, utcnow
from workflow.core.i18n import current_language, workflow_texts
from workflow.core.settings import Settings
from workflow.core.spreadsheets import write_table_csv, write_table_xlsx
from workflow.lifecycle.audit import append
from workflow.lifecycle.states import Ground, ground_label
from workflow.registry.models import Agency

EXIT_COLUMNS = ("number", "agency", "credit_code", "base", "final", "ground", "reason")


def open_period(
    session: Session, year: int, actor: Actor, settings: Settings, now: datetime | None = None
) -> tuple[Publication, bool]:
    """The year's 公示 period, opened now if it is not yet (audited); (period, opened now)."""
    existing = publicity.period(session, year)
    if existing is not None:
        return existing, False
    role = require_role(
        session,
        actor,
        Role.ADMIN,
        settings,
        workflow_texts.text("lifecycle.trigger.publication.open"),
    )
    today = local_date(now or utcnow(), settings.zone)
    starts = max(campaign_for(session, year, settings).results_published, today)
    publication = Publication(
        year=year,
        starts=starts,
        ends=starts + timedelta(days=settings.publicity_days),
        opened_by=actor.key,
    )
    session.add(publication)
    session.flush()
    append(
        session,
        actor=actor,
        role=role.value,
        trigger="publication.open",
        reason=workflow_texts.text(
            "objection.period",
            settings.language,
            year=year,
            starts=publicity.day_text(publication.starts, settings.language),
            ends=publicity.day_text(publication.ends, settings.language),
        ),
        subject=f"publication:{year}",
        at=now,
    )
    return publication, True


@dataclass(frozen=True)
class ExitRow:
    """One agency on the exit list (取消优先推荐资格名单)."""

    number: int
    agency_name: str
    credit_code: str
    proposal: exits.ExitProposal

    def cells(self, language: str) -> list[object]:
        evaluation = self.proposal.evaluation
        assert evaluation is not None  # ground 1 is proposed from a finalised sheet
        return [
            self.number,
            self.agency_name,
            self.credit_code,
            evaluation.base,
            evaluation.final,
            ground_label(Ground.UNQUALIFIED, language),
            self.proposal.reason(language),
        ]


def exit_list(session: Session, year: int, settings: Settings) -> list[ExitRow]:
    """Every agency proposed for withdrawal on ground 1 for `year`, by agency name."""
    proposals = [
        p for p in exits.propose(session, year, settings) if p.ground == Ground.UNQUALIFIED
    ]
    ids = [p.agency_id for p in proposals]
    codes = dict(
        session.exec(select(Agency.id, Agency.credit_code).where(col(Agency.id).in_(ids))).all()
    )
    return [
        ExitRow(number, p.agency_name, codes[p.agency_id], p)
        for number, p in enumerate(proposals, start=1)
    ]


def exit_headers(language: str | None = None) -> list[str]:
    language = language or current_language()
    return [workflow_texts.text(f"objection.exit_list.{name}", language) for name in EXIT_COLUMNS]


def exit_list_stem(year: int, language: str | None = None) -> str:
    """The exit list's file name without suffix: "取消优先推荐资格名单-2026" in Chinese."""
    return workflow_texts.text("objection.exit_list.file", language, year=year)


def write_exit_xlsx(
    rows: Sequence[ExitRow],
    year: int,
    path: Path,
    language: str | None = None,
    anchor: str = "",
) -> None:
    language = language or current_language()
    cells = (row.cells(language) for row in rows)
    widths = {"B": 36, "C": 22, "G": 60}
    write_table_xlsx(path, str(year), exit_headers(language), cells, widths, anchor)


def write_exit_csv(
    rows: Sequence[ExitRow], path: Path, language: str | None = None, anchor: str = ""
) -> None:
    language = language or current_language()
    write_table_csv(path, exit_headers(language), (row.cells(language) for row in rows), anchor)
