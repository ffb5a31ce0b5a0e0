"""Benchmark: evaluate and export the score sheets of 300 agencies.

    python bench/bench_assessment.py [--agencies 300]

Builds a migrated SQLite database in a temporary directory with N agencies,
each with a complete score sheet, then for every agency loads the sheet,
evaluates it and writes the official table as xlsx. The baseline, measured in
the same run, writes a bare openpyxl workbook with the same number of cells
(no styles, no merges), so the ratio shows what the layout costs on top of
openpyxl itself. Time is measured without tracing. The peak memory comes from
a second pass under tracemalloc that loads and evaluates every sheet but
exports only the first `--traced-exports` (default 30): tracing slows openpyxl
about fivefold, and nothing is retained per export (the peak creeps up only
with workbooks waiting for the garbage collector: about 10 MiB with 30
exports, 15 MiB with all 300). `--traced-exports 300` traces everything.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

from openpyxl import Workbook, load_workbook
from sqlmodel import Session, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from migrations import upgrade
from workflow.assessment.models import ScoreSheet
from workflow.assessment.sheets import (
    BonusInput,
    LineInput,
    enter_lines,
    finalised_views,
    set_bonus,
    set_questionnaire_points,
)
from workflow.assessment.standard import STANDARD
from workflow.assessment.xlsx import write_sheet
from workflow.core.clock import utcnow
from workflow.core.db import make_engine
from workflow.core.settings import Settings
from workflow.registry.identifiers import make_credit_code
from workflow.registry.models import Agency

YEAR = 2026


def populate(session: Session, count: int) -> None:
    """`count` agencies with complete, finalised sheets of random whole points."""
    rng = random.Random(7)
    for n in range(count):
        agency = Agency(
            name=f"北京安全咨询有限公司{n:03d}",
            address="北京市朝阳区建国路1号",
            licence_place="北京市朝阳区",
            credit_code=make_credit_code("91110105", f"MA{n:06d}"),
            postcode="100020",
            legal_representative="王法人",
            office_phone="010-65001234",
            principal="李负责",
            principal_mobile="13812345678",
        )
        session.add(agency)
        session.flush()
        assert agency.id is not None
        points = {
            i.code: rng.randint(0 if rng.random() < 0.05 else 1, i.max) for i in STANDARD.indicators
        }
        lines = {
            c: LineInput(
                points=p,
                content_present=p > 0,
                evidence_present=p > 0,
                effect="较好",
                note="抽查材料齐全",
            )
            for c, p in points.items()
            if c not in STANDARD.questionnaire_codes
        }
        enter_lines(session, agency.id, YEAR, lines, actor="bench")
        questionnaire = {c: points[c] for c in STANDARD.questionnaire_codes}
        set_questionnaire_points(
            session, agency.id, YEAR, questionnaire, source="survey", actor="bench"
        )
        bonus = {"B1": BonusInput(rng.randint(0, 2), "市级安全社区命名文件")}
        sheet = set_bonus(session, agency.id, YEAR, bonus, actor="bench")
        sheet.finalised_at, sheet.finalised_by = utcnow(), "bench"
    session.commit()


def cells_per_sheet(out: Path) -> int:
    """The cell count of one written sheet (rows x columns), for the baseline."""
    ws = load_workbook(next(out.glob("assessment-*.xlsx"))).worksheets[0]
    return ws.max_row * ws.max_column


def ours(session: Session, out: Path, settings: Settings, export: int | None = None) -> None:
    """Load every finalised sheet, evaluate it, write the official table (the first
    `export` only, when given)."""
    names = dict(session.exec(select(Agency.id, Agency.name)).all())
    for index, view in enumerate(finalised_views(session, YEAR)):
        sheet: ScoreSheet = view.sheet
        view.evaluation(settings)
        if export is not None and index >= export:
            continue
        book = write_sheet(sheet.agency_id, names[sheet.agency_id], YEAR, view, settings)
        book.save(out / f"assessment-{YEAR}-{sheet.agency_id}.xlsx")


def baseline(count: int, cells: int, out: Path) -> None:
    """The same number of workbooks and cells, bare."""
    columns = 10
    rows = max(1, cells // columns)
    for n in range(count):
        book = Workbook()
        ws = book.active
        assert ws is not None
        for row in range(1, rows + 1):
            ws.append([f"{row}.{c}" for c in range(columns)])
        book.save(out / f"bare-{n}.xlsx")


def timed(work: Callable[[], object]) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def peak(work: Callable[[], object]) -> int:
    tracemalloc.start()
    try:
        work()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agencies", type=int, default=300)
    parser.add_argument("--traced-exports", type=int, default=30)
    arguments = parser.parse_args()
    count, traced = arguments.agencies, arguments.traced_exports
    settings = Settings.model_construct()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        engine = make_engine(f"sqlite:///{folder / 'bench.db'}")
        upgrade(engine)
        with Session(engine) as session:
            populate(session, count)
        out = folder / "out"
        out.mkdir()
        with Session(engine) as session:
            ours_s = timed(lambda: ours(session, out, settings))
            ours_peak = peak(lambda: ours(session, out, settings, traced))
        cells = cells_per_sheet(out)
        base_s = timed(lambda: baseline(count, cells, out))
        engine.dispose()
    print(f"agencies: {count}, cells per sheet: {cells}")
    print(f"evaluate + export: {ours_s * 1000 / count:.1f} ms per agency ({ours_s:.2f} s in all)")
    print(f"bare openpyxl    : {base_s * 1000 / count:.1f} ms per workbook ({base_s:.2f} s in all)")
    print(f"ratio            : {ours_s / base_s:.2f}x the bare baseline")
    print(
        f"peak memory      : {ours_peak / 2**20:.1f} MiB (tracemalloc: all {count} sheets loaded"
        f" and evaluated, the first {min(traced, count)} exported)"
    )


if __name__ == "__main__":
    main()
