"""The current register (备案机构名录, Art. 6 "向社会公布"): every agency that holds the
status now (filed, assessed, retained: `states.HOLDING`) with the contact details a
creation unit needs to choose one, as xlsx and csv; written again after every unit of
work that moved an agency onto the register or off it.

Columns: 序号, 机构名称, 统一社会信用代码, 地址, 邮政编码, 办公电话, 负责人, 负责人办公电话,
负责人手机, 状态, 备案日期. The office phones are the agency's lines and are shown in full;
the principal's mobile is a natural person's number and is masked (`138****5678`,
RULES.md "phone numbers are personal information"). The filing date is the local day of
the agency's latest move into `filed` in the audit log (empty for an agency imported
straight into `assessed` or `retained`, whose filing the software never saw). Rows are in
filing order, then by name.

`safecomm register --out DIR` writes the files at any time. With `SAFECOMM_REGISTER_DIR`
set, every way in that commits a move across the register's boundary (`advance`,
`round close`, `exits confirm`, chat `/advance`, the demo) calls `after_commit` with the
audit entries of its unit of work (`audit.appended`), which writes the files there again;
moves inside the register (`assess`, `retain`) and outside it (`review`, `reject` before
filing) leave them alone. A correction of a listed agency's details (`agency set`) writes
them again too.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from workflow.core.clock import local_date, utcnow
from workflow.core.db import transaction
from workflow.core.i18n import workflow_texts
from workflow.core.privacy import mask_phone
from workflow.core.settings import Settings
from workflow.core.spreadsheets import widths_in_order, write_table_csv, write_table_xlsx
from workflow.lifecycle.anchors import seal
from workflow.lifecycle.models import AuditEntry
from workflow.lifecycle.states import HOLDING, State, join_words, state_label
from workflow.registry.models import Agency

log = logging.getLogger(__name__)

COLUMNS = (
    "number",
    "agency",
    "credit_code",
    "address",
    "postcode",
    "office_phone",
    "principal",
    "principal_office_phone",
    "principal_mobile",
    "state",
    "filed_on",
)
WIDTHS = (6, 36, 22, 40, 10, 16, 10, 16, 16, 18, 12)


@dataclass(frozen=True)
class Listed:
    """One agency on the register, personal data already masked."""

    number: int
    name: str
    credit_code: str
    address: str
    postcode: str
    office_phone: str
    principal: str
    principal_office_phone: str
    principal_mobile: str
    """Masked: a natural person's mobile number."""
    state: str
    filed_on: date | None

    def cells(self, language: str | None = None) -> list[object]:
        return [
            self.number,
            self.name,
            self.credit_code,
            self.address,
            self.postcode,
            self.office_phone,
            self.principal,
            self.principal_office_phone,
            self.principal_mobile,
            state_label(self.state, language),
            self.filed_on.isoformat() if self.filed_on else "",
        ]


def crosses(entries: Iterable[AuditEntry]) -> bool:
    """Whether any entry moved an agency onto the register or off it."""
    return any((e.source in HOLDING) != (e.target in HOLDING) for e in entries)


CORRECTION = "registry.correct"
"""The trigger of `workflow.registry.corrections`: a listed agency's details corrected."""


def corrects_listed(entries: Iterable[AuditEntry]) -> bool:
    """Whether any entry corrected the registered details of an agency on the register
    (its name, address, phones… are on it)."""
    return any(e.trigger == CORRECTION and e.source in HOLDING for e in entries)


def current_register(session: Session, settings: Settings) -> list[Listed]:
    """Every agency holding the status now, in filing order (read-only)."""
    agencies = session.exec(select(Agency).where(col(Agency.status).in_(HOLDING))).all()
    ids = [a.id for a in agencies]
    filed_at: dict[int, datetime] = {
        agency_id: moment
        for agency_id, moment in session.exec(
            select(AuditEntry.agency_id, func.max(AuditEntry.at))
            .where(col(AuditEntry.agency_id).in_(ids), AuditEntry.target == State.FILED)
            .group_by(col(AuditEntry.agency_id))
        ).all()
        if agency_id is not None
    }

    def filed_on(agency: Agency) -> date | None:
        moment = filed_at.get(agency.id or 0)
        return None if moment is None else local_date(moment, settings.zone)

    ordered = sorted(
        agencies, key=lambda a: (filed_on(a) is None, filed_on(a) or date.min, a.name, a.id or 0)
    )
    return [
        Listed(
            number,
            agency.name,
            agency.credit_code,
            agency.address,
            agency.postcode,
            agency.office_phone,
            agency.principal,
            agency.principal_office_phone,
            mask_phone(agency.principal_mobile),
            agency.status,
            filed_on(agency),
        )
        for number, agency in enumerate(ordered, start=1)
    ]


def file_stem(day: date, language: str | None = None) -> str:
    """`备案机构名录-2026-12-02` (zh) or `register-2026-12-02` (en)."""
    return workflow_texts.text("register.file_stem", language, date=day.isoformat())


def headers(language: str | None = None) -> list[str]:
    return [workflow_texts.text(f"register.col.{name}", language) for name in COLUMNS]


def write_register(
    listed: list[Listed],
    directory: Path,
    day: date,
    language: str | None = None,
    anchor: str = "",
) -> list[Path]:
    """The register as `<stem>.xlsx` and `<stem>.csv` (UTF-8 with BOM) in `directory`.

    Each file is written beside its target and then renamed over it, so a reader (a web
    server publishing the folder) never sees half a file, and a failure leaves the
    previous files in place."""
    directory.mkdir(parents=True, exist_ok=True)
    stem = file_stem(day, language)
    names = headers(language)
    rows = [item.cells(language) for item in listed]
    xlsx, csv_path = directory / f"{stem}.xlsx", directory / f"{stem}.csv"

    def write_xlsx(target: Path) -> None:
        title = workflow_texts.text("register.sheet", language)
        write_table_xlsx(target, title, names, rows, widths_in_order(WIDTHS), anchor)

    def write_csv(target: Path) -> None:
        write_table_csv(target, names, rows, anchor)

    for target, write in ((xlsx, write_xlsx), (csv_path, write_csv)):
        handle, temporary = tempfile.mkstemp(prefix=".register-", dir=directory)
        os.close(handle)
        try:
            write(Path(temporary))
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    return [xlsx, csv_path]


@dataclass(frozen=True)
class Refreshed:
    """What `after_commit` did: the files written, or why they could not be."""

    paths: list[Path]
    error: OSError | None = None

    def message(self, language: str | None = None) -> str:
        if self.error is None:
            return workflow_texts.text(
                "register.refreshed", language, paths=join_words(map(str, self.paths), language)
            )
        return workflow_texts.text(
            "register.refresh_failed",
            language,
            reason=self.error.strerror or type(self.error).__name__,
        )


def write_current(
    session: Session, settings: Settings, directory: Path, now: datetime | None = None
) -> list[Path]:
    """Read the register in `session` and write it to `directory`, dated today (local),
    ending with the audit chain's anchor line."""
    day = local_date(now or utcnow(), settings.zone)
    listed, language = current_register(session, settings), settings.language
    anchor = seal(session).line(language)
    return write_register(listed, directory, day, language, anchor)


def refresh(session: Session, settings: Settings, now: datetime | None = None) -> Refreshed:
    """Write the register into `SAFECOMM_REGISTER_DIR` from a unit of work opened after
    the commit (the chat runs it with `in_thread`). A file that cannot be written is
    reported, not raised: the move it follows is committed already."""
    try:
        return Refreshed(write_current(session, settings, Path(settings.register_dir), now))
    except OSError as error:
        log.warning("the register could not be written: %s", error.strerror or error)
        return Refreshed([], error)


def due(entries: Iterable[AuditEntry], settings: Settings) -> bool:
    """Whether a committed unit of work with these audit entries rewrites the register."""
    entries = list(entries)
    return bool(settings.register_dir) and (crosses(entries) or corrects_listed(entries))


def after_commit(
    engine: Engine,
    entries: Iterable[AuditEntry],
    settings: Settings,
    now: datetime | None = None,
) -> Refreshed | None:
    """Called by a way in after its commit with the audit entries of its unit of work:
    when `SAFECOMM_REGISTER_DIR` is set and one of them crossed the register's boundary,
    the register is written there again (from a read-only unit of work); None otherwise."""
    if not due(entries, settings):
        return None
    with transaction(engine, read_only=True) as session:
        return refresh(session, settings, now)
