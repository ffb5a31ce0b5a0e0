"""Benchmark: build the evidence pack of one agency with 20 units and 500 files.

    python bench/bench_pack.py [--units 20] [--files 500] [--repeat 3]

Builds a migrated SQLite database in a temporary directory: one agency guiding
`--units` safe communities, each with kick-off, trainings, progress meetings, plans,
risk visits and projects, and `--files` evidence files spread over those activities,
written once as random bytes of 50–300 KB (photo-sized, incompressible like JPEGs).
Then times, `--repeat` times each, round-robin (the best run of each is reported):
  - pack: `build_desk` (the queries and counting) plus `write_pack` into a new folder —
    every file copied once and hard-linked under its second indicator, the index xlsx
    with one hyperlinked line per file and indicator;
  - pack + zip: the same with `archive=True`;
  - baseline: `shutil.copytree` of the agency's evidence folder (the same files, once,
    no database, no index).
Prints the time, files/s and MB/s of each and the ratio of pack to the baseline.
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

from sqlmodel import Session

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from migrations import upgrade
from tests.workflow.assessment_builders import new_agency
from workflow.access.actors import Actor
from workflow.community.models import CreationUnit, Guidance
from workflow.core.db import make_engine
from workflow.core.settings import Settings
from workflow.guidance import evidence
from workflow.guidance.activities import parse_fields, record_activity
from workflow.guidance.desk import build_desk
from workflow.guidance.models import EvidenceFile, GuidanceActivity
from workflow.guidance.pack import write_pack

YEAR = 2026
TODAY = date(2026, 12, 10)
PLAN = [
    ("启动会", "", "2026-01-15"),
    *[("培训", topic, f"2026-{m:02d}-10") for m, topic in ((2, "建设理念"), (3, "风险辨识"))],
    *[("培训", "项目策划", f"2026-{m:02d}-12") for m in (4, 5, 6)],
    *[("工作推进会", "", f"2026-{m:02d}-20") for m in (3, 6, 9, 11)],
    ("方案计划", "总体方案", "2026-02-01"),
    ("风险辨识走访", "", "2026-04-15"),
    *[("促进项目", "", "2026-05-01") for _ in range(15)],
]
"""One unit's year: 25 activities."""


def populate(session: Session, settings: Settings, units: int, files: int) -> tuple[int, int]:
    """The agency, its units and activities, and `files` evidence files; (agency id, bytes)."""
    rng = random.Random(7)
    agency = new_agency(session)
    assert agency.id is not None
    actor = Actor.cli("bench")
    activities: list[GuidanceActivity] = []
    for n in range(units):
        unit = CreationUnit(name=f"东城区第{n + 1}社区", district="东城区", safe_community=True)
        session.add(unit)
        session.flush()
        assert unit.id is not None
        session.add(
            Guidance(
                unit_id=unit.id,
                agency_id=agency.id,
                year=YEAR,
                safe_community=True,
                disaster_reduction=False,
            )
        )
        session.flush()
        for index, (kind, topic, day) in enumerate(PLAN):
            title = f"项目{index}" if kind == "促进项目" else ""
            given = parse_fields(kind, day, topic=topic or None, title=title)
            activities.append(
                record_activity(
                    session, agency.id, unit.id, YEAR, given, actor, settings, today=TODAY
                )
            )
    folder = evidence.folder(settings, agency.id, YEAR)
    folder.mkdir(parents=True)
    total = 0
    for n in range(files):
        content = b"\xff\xd8\xff\xe0" + rng.randbytes(rng.randint(50, 300) * 1024)
        path = folder / f"{n:04d}.jpg"
        path.write_bytes(content)
        total += len(content)
        activity = activities[n % len(activities)]
        assert activity.id is not None
        session.add(
            EvidenceFile(
                activity_id=activity.id,
                agency_id=agency.id,
                year=YEAR,
                stored_path=str(path),
                original_name=f"现场照片{n}.jpg",
                mime_type="image/jpeg",
                size=len(content),
                sha256=f"{n:064x}",
                uploaded_by=actor.key,
            )
        )
    session.commit()
    return agency.id, total


def best(repeat: int, works: list[Callable[[int], object]]) -> list[float]:
    """The best time of each work, run round-robin so drift of the disk affects all alike."""
    times: list[list[float]] = [[] for _ in works]
    for attempt in range(repeat):
        for index, work in enumerate(works):
            start = time.perf_counter()
            work(attempt)
            times[index].append(time.perf_counter() - start)
    return [min(each) for each in times]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=20)
    parser.add_argument("--files", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=3)
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        settings = Settings.model_construct(upload_dir=str(root / "uploads"))
        engine = make_engine(f"sqlite:///{root / 'bench.db'}")
        upgrade(engine)
        with Session(engine) as session:
            agency_id, total = populate(session, settings, arguments.units, arguments.files)
        source = evidence.folder(settings, agency_id, YEAR)
        lines = 0

        def pack(attempt: int, archive: bool = False) -> None:
            nonlocal lines
            with Session(engine) as session:
                desk = build_desk(session, agency_id, YEAR, settings, as_of=TODAY)
            name = f"{'zip' if archive else 'pack'}-{attempt}"
            lines = write_pack(desk, root / "out" / name, archive=archive).files

        pack_s, zip_s, base_s = best(
            arguments.repeat,
            [
                pack,
                lambda attempt: pack(attempt, archive=True),
                lambda attempt: shutil.copytree(source, root / "copy" / str(attempt)),
            ],
        )
        engine.dispose()
    count, megabytes = arguments.files, total / 1e6
    print(
        f"units: {arguments.units}, files: {count} ({megabytes:.1f} MB), index lines: {lines}"
        f" (a file under its own and its evidence indicator is linked, not copied again)"
    )
    for label, seconds in (("pack", pack_s), ("pack + zip", zip_s), ("copytree", base_s)):
        print(
            f"{label:<11}: {seconds:.3f} s, {count / seconds:,.0f} files/s,"
            f" {megabytes / seconds:,.0f} MB/s"
        )
    print(f"ratio      : pack {pack_s / base_s:.2f}x, pack + zip {zip_s / base_s:.2f}x copytree")


if __name__ == "__main__":
    main()
