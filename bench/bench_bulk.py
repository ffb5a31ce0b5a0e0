"""Benchmark: the bulk commands on a generated year, each run as a child process of the CLI.

    python bench/bench_bulk.py                  # 300 agencies, 3,500 units, 50,000 entries (~90 s)
    python bench/bench_bulk.py --small          # a tenth of each: 30, 350, 5,000 (~20 s)
    python bench/bench_bulk.py --database-url postgresql://postgres@127.0.0.1:5432/empty

Generates a year in a temporary SQLite file (or the empty database that
`--database-url` names; it is migrated and filled, so never give it one that
matters): N agencies on the register (status `filed`), M creation units in
Beijing's districts, one guidance record per unit for the year, the year's
invitations (issued by `surveys.invitations.issue_invitations`), the
questionnaire under way (80 % submitted, some twice, 7 % half answered, 6 %
opened), a draft score sheet per agency with every materials indicator and a
bonus entered (through `workflow.assessment.sheets`), and the audit log: K
entries of the kinds the lifecycle, rounds and roles write, as rows inserted
in bulk whose hash chain is computed with the real `entry_hash` and whose head
row names the last one (`safecomm audit verify` checks the chain, so a wrong
row fails the run). The import spreadsheets are the project's own templates
(`agency template`, `unit template`) filled as agencies fill them: N more
agencies with 5 consultants each, M more units.

Then it runs each command as its own child (`python -c "from bot.cli import
run; run()" ...`, what the `safecomm` console script does) and measures wall
time, CPU (user + sys) and peak RSS from that child's `os.wait4` rusage:
`audit verify` at the baseline size (K / 10 entries, before the rest are
added), `invite` (sheet + QR codes), the baseline (a bare segno loop in its
own child writing the same PNGs under the same names: `segno.make(link,
error="m").save(path, scale=8, border=4)`), `survey status --xlsx`, `survey
fill`, `results` (after the sheets are finalised in the parent, not timed),
`audit verify` at K entries, `agency import`, `unit import`.

Printed: a line per command, then the ratios against the targets (issue 10):
`invite` wall time at most 1.5x the segno loop's, and `audit verify`'s peak RSS
at K entries at most 1.2x its peak at K / 10 (constant memory). The QR codes
`invite` wrote are compared byte for byte with the baseline's. Exit code 1 if
any child fails (its stderr is printed) or the PNGs differ.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from openpyxl import load_workbook
from sqlalchemy import insert, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from surveys.invitations import invitation_link, invitations_of, issue_invitations, qr_file_name
from surveys.models import DONE, Invitation, Submission, SurveyProgress
from workflow.assessment.models import ScoreSheet
from workflow.assessment.sheets import BonusInput, LineInput, enter_lines, lock, set_bonus
from workflow.assessment.standard import STANDARD
from workflow.community import units as community_units
from workflow.community.models import CreationUnit, Guidance
from workflow.core.db import make_engine, safe_url, transaction
from workflow.core.errors import DomainError
from workflow.lifecycle.audit import entry_hash
from workflow.lifecycle.models import HEAD_ID, AuditEntry
from workflow.registry import xlsx as registry_xlsx
from workflow.registry.identifiers import (
    CREDIT_CODE_ALPHABET,
    id_number_check_character,
    make_credit_code,
)
from workflow.registry.models import MATERIALS, Agency

YEAR = 2026
BOT_USERNAME = "safecomm_bot"
CLI = [sys.executable, "-c", "from bot.cli import run; run()"]
SEGNO_LOOP = """\
import json, sys
from pathlib import Path
import segno
out = Path(sys.argv[2])
for link, name in json.loads(Path(sys.argv[1]).read_text(encoding="utf-8")):
    segno.make(link, error="m").save(str(out / name), scale=8, border=4)
"""
LAUNCHER = """\
import json, os, subprocess, sys, time
start = time.perf_counter()
child = subprocess.Popen(sys.argv[1:], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
_, status, usage = os.wait4(child.pid, 0)
wall = time.perf_counter() - start
child.returncode = code = os.waitstatus_to_exitcode(status)
cpu, maxrss = usage.ru_utime + usage.ru_stime, usage.ru_maxrss
print(json.dumps({"code": code, "wall": wall, "cpu": cpu, "maxrss": maxrss}))
"""
"""Runs one command as its child and prints the child's wait4 figures. A child
spawned straight from this process would report this process's RSS as its
peak: Linux carries the RSS high-water mark of the address space a child
replaces at exec (this process's, shared through vfork or copied by fork) into
its ru_maxrss. Spawned from a fresh, small interpreter the floor is that
interpreter's ~10 MiB."""
INVITE_LIMIT = 1.5  # invite wall time / segno loop wall time
VERIFY_RSS_LIMIT = 1.2  # audit verify peak RSS at full size / at a tenth
STREETS = ("建外街道", "朝外街道", "呼家楼街道", "八里庄街道", "双井街道", "劲松街道", "潘家园街道")
TRIGGERS = (  # (trigger, source, target, role, weight): what a year of the audit log holds
    ("score", "applied", "applied", "expert", 30),
    ("score", "reviewed", "reviewed", "expert", 15),
    ("review", "applied", "reviewed", "expert", 12),
    ("interview", "reviewed", "interviewed", "expert", 10),
    ("file", "interviewed", "filed", "admin", 8),
    ("assess", "filed", "assessed", "admin", 8),
    ("retain", "assessed", "retained", "admin", 7),
    ("reject", "applied", "rejected", "expert", 4),
    ("reapply", "rejected", "applied", "admin", 3),
    ("withdraw", "assessed", "withdrawn", "admin", 1),
    ("seed", "applied", "filed", "admin", 1),
    ("role.grant", "", "", "admin", 1),
)
REASONS = (
    "",
    "材料齐全，符合第九条要求",
    "专家组评审意见：组织机构健全，咨询人员结构合理，同意通过",
    "面试答辩表现良好",
    "经审核，年度工作情况报告内容完整",
    "按评分说明第三条处理",
)


# ---------------------------------------------------------------------------
# The generated year
# ---------------------------------------------------------------------------


def credit_code(n: int) -> str:
    """A unified social credit code valid under GB 32100 and GB 11714, distinct for
    every n below 31**8."""
    digits = ""
    for _ in range(8):
        n, rest = divmod(n, len(CREDIT_CODE_ALPHABET))
        digits = CREDIT_CODE_ALPHABET[rest] + digits
    return make_credit_code("91110105", digits)


def id_number(born: date, order: int) -> str:
    """A valid resident ID number of a Beijing birth on `born` (17th digit odd: 男)."""
    body = f"110105{born:%Y%m%d}{order % 1000:03d}"
    return body + id_number_check_character(body)


def agency_fields(n: int) -> dict[str, object]:
    return {
        "name": f"北京安全咨询有限公司{n:04d}",
        "address": f"北京市朝阳区建国路{n % 200 + 1}号",
        "licence_place": "北京市朝阳区",
        "credit_code": credit_code(n),
        "postcode": "100020",
        "legal_representative": "王法人",
        "office_phone": "010-65001234",
        "fax": "010-65001235",
        "principal": "李负责",
        "principal_mobile": f"138{n % 100_000_000:08d}",
        "performance_summary": "2019年以来指导安全社区创建20个、综合减灾示范社区创建12个。",
        "independent_legal_person": True,
        "fixed_office": True,
        "business_scope": "安全生产咨询服务；应急管理咨询服务",
        "service_since": date(2018, 3, 1),
        "admin_staff": "赵专职",
        "process_docs_complete": True,
        "licences_complete": True,
        "violation_record": "",
    }


def unit_row(n: int, rng: random.Random) -> dict[str, object]:
    safe = rng.random() < 0.7
    return {
        "name": f"{STREETS[n % len(STREETS)]}第{n:05d}社区",
        "district": community_units.DISTRICTS[n % len(community_units.DISTRICTS)],
        "safe_community": safe,
        "disaster_reduction": not safe or rng.random() < 0.3,
    }


def populate_year(engine: Engine, agencies: int, units: int, rng: random.Random) -> None:
    """Agencies, units, guidance, invitations, the questionnaire under way, draft sheets."""
    with transaction(engine) as session:
        rows = [agency_fields(n) | {"status": "filed"} for n in range(agencies)]
        session.execute(insert(Agency), rows)
        agency_ids = list(session.exec(select(Agency.id).order_by(col(Agency.id))).all())
        session.execute(insert(CreationUnit), [unit_row(n, rng) for n in range(units)])
        unit_ids = session.exec(select(CreationUnit.id).order_by(col(CreationUnit.id))).all()
        session.execute(
            insert(Guidance),
            [
                {"unit_id": unit_id, "agency_id": agency_ids[n % agencies], "year": YEAR}
                for n, unit_id in enumerate(unit_ids)
            ],
        )
        issue_invitations(session, YEAR)
    with transaction(engine) as session:
        answer_questionnaires(session, rng)
    with transaction(engine) as session:
        for agency_id in agency_ids:
            assert agency_id is not None
            draft_sheet(session, agency_id, rng)


def answer_questionnaires(session: Session, rng: random.Random) -> None:
    start = datetime(YEAR, 11, 20, 1, 0, tzinfo=UTC)
    progress: list[dict[str, object]] = []
    submissions: list[dict[str, object]] = []
    invitations = session.exec(select(Invitation).order_by(col(Invitation.id))).all()
    for n, invitation in enumerate(invitations):
        draw = rng.random()
        if draw >= 0.93:
            continue  # invited, never opened
        opened = start + timedelta(minutes=7 * n)
        invitation.opened_at = invitation.bound_at = opened
        invitation.bound_user_id = 7_000_000_000 + n
        invitation.respondent_channel = "telegram"
        invitation.respondent_key = str(invitation.bound_user_id)
        session.add(invitation)
        answers = [rng.choice((2, 3, 3, 4, 4)) for _ in range(5)]
        if draw < 0.80:
            position, given = DONE, answers
        elif draw < 0.87:
            given = answers[: rng.randint(1, 4)]
            position = len(given) + 1
        else:
            continue  # opened, nothing answered
        items = {f"item{i}": (given[i - 1] if i <= len(given) else None) for i in range(1, 6)}
        progress.append(
            {"invitation_id": invitation.id, "position": position, "started_at": opened}
            | {"updated_at": opened + timedelta(minutes=3), "message_id": 100 + n}
            | items
        )
        if position != DONE:
            continue
        for again in range(2 if rng.random() < 0.05 else 1):
            receipt = base64.b32encode((len(submissions) + 1).to_bytes(5, "big")).decode()
            submissions.append(
                {"invitation_id": invitation.id, "receipt": receipt}
                | {"user_id": invitation.bound_user_id}
                | {"submitted_at": opened + timedelta(minutes=4 + 60 * again)}
                | {
                    f"item{i}": rng.choice((2, 3, 4)) if again else answers[i - 1]
                    for i in range(1, 6)
                }
            )
    session.flush()
    if progress:
        session.execute(insert(SurveyProgress), progress)
    if submissions:
        session.execute(insert(Submission), submissions)


def draft_sheet(session: Session, agency_id: int, rng: random.Random) -> None:
    """Every materials indicator and a bonus, entered the way experts enter them."""
    lines = {}
    for indicator in STANDARD.indicators:
        if indicator.code in STANDARD.questionnaire_codes:
            continue
        points = rng.randint(0 if rng.random() < 0.03 else 1, indicator.max)
        lines[indicator.code] = LineInput(
            points=points,
            content_present=points > 0,
            evidence_present=points > 0,
            effect="较好",
            note="抽查材料齐全",
        )
    enter_lines(session, agency_id, YEAR, lines, actor="bench")
    bonus = {"B1": BonusInput(rng.randint(0, 2), "市级安全社区命名文件")}
    set_bonus(session, agency_id, YEAR, bonus, actor="bench")


def finalise_sheets(engine: Engine) -> int:
    """Lock every complete sheet (what `assess finalise` does before `results`)."""
    locked = 0
    with transaction(engine) as session:
        sheets = session.exec(select(ScoreSheet).where(ScoreSheet.year == YEAR)).all()
        for sheet in sheets:
            try:
                lock(session, sheet.agency_id, YEAR, "bench")
                locked += 1
            except DomainError:
                pass  # no questionnaire points: left as a draft
    return locked


def append_audit(engine: Engine, count: int, rng: random.Random, batch: int = 5000) -> None:
    """`count` more entries at the end of the chain, hashed with the real `entry_hash`."""
    triggers = [spec for spec in TRIGGERS for _ in range(spec[4])]
    with transaction(engine) as session:
        seq, previous = (
            session.connection()
            .execute(text("SELECT seq, hash FROM audithead WHERE id = :id"), {"id": HEAD_ID})
            .one()
        )
        agency_ids = session.exec(select(Agency.id)).all()
        at = datetime(YEAR, 1, 5, 1, 0, tzinfo=UTC) + timedelta(minutes=5 * seq)
        rows: list[dict[str, object]] = []
        for _ in range(count):
            trigger, source, target, role, _weight = rng.choice(triggers)
            seq, at = seq + 1, at + timedelta(seconds=rng.randint(30, 600))
            expert = role == "expert"
            entry = AuditEntry(
                seq=seq,
                at=at,
                actor=f"tg:{5_000_000 + seq % 40}" if expert else "cli:wangli",
                actor_name=f"专家{seq % 40:02d}" if expert else "wangli",
                role=role,
                channel="chat" if expert else "cli",
                agency_id=None if trigger == "role.grant" else rng.choice(agency_ids),
                application_id=None,
                trigger=trigger,
                source=source,
                target=target,
                reason=rng.choice(REASONS),
                ground="",
                subject=f"tg:{5_000_000 + seq % 40}" if trigger == "role.grant" else "",
                prev_hash=previous,
                hash="",
            )
            entry.hash = previous = entry_hash(entry)
            rows.append(entry.model_dump(exclude={"id"}))
            if len(rows) == batch:
                session.execute(insert(AuditEntry), rows)
                rows = []
        if rows:
            session.execute(insert(AuditEntry), rows)
        session.connection().execute(
            text("UPDATE audithead SET seq = :seq, hash = :hash WHERE id = :id"),
            {"seq": seq, "hash": previous, "id": HEAD_ID},
        )


# ---------------------------------------------------------------------------
# The import spreadsheets, filled in the project's own templates
# ---------------------------------------------------------------------------


def cell_value(value: object) -> object:
    return ("是" if value else "否") if isinstance(value, bool) else value


def registry_workbook(path: Path, first: int, agencies: int, consultants: int) -> Path:
    """`agencies` new agencies (numbers from `first`), `consultants` consultants each."""
    registry_xlsx.write_template(path)
    book = load_workbook(path)
    sheet = book[registry_xlsx.AGENCY_SHEET]
    codes = []
    for row, n in enumerate(range(first, first + agencies), start=2):
        fields = agency_fields(n) | {name: True for name in MATERIALS}
        codes.append(fields["credit_code"])
        for index, column in enumerate(registry_xlsx.AGENCY_COLUMNS, start=1):
            sheet.cell(row=row, column=index, value=cell_value(fields.get(column.field.name)))
    sheet = book[registry_xlsx.CONSULTANT_SHEET]
    row = 2
    for code in codes:
        for k in range(consultants):
            born = date(1965 + k * 5, 1 + k, 10 + k)
            person = {
                "name": f"咨询师{row:05d}",
                "gender": "男",
                "birth_date": born,
                "title": "高级工程师" if k < 2 else "工程师",
                "senior_title": k < 2,
                "mobile": f"139{row:08d}",
                "email": f"c{row}@example.com",
                "id_number": id_number(born, 2 * k + 1),
                "education": "本科",
                "years_consulting": 6 + k,
                "pledge_date": date(YEAR, 3, 1),
            }
            for index, column in enumerate(registry_xlsx.CONSULTANT_COLUMNS, start=1):
                value = code if index == 1 else person.get(column.field.name)
                sheet.cell(row=row, column=index, value=cell_value(value))
            row += 1
    book.save(path)
    return path


def units_workbook(path: Path, first: int, units: int, rng: random.Random) -> Path:
    """`units` new creation units (numbers from `first`) in the unit template."""
    community_units.write_template(path)
    book = load_workbook(path)
    sheet = book[community_units.UNIT_SHEET]
    sheet.delete_rows(2)  # the template's example row
    for n in range(first, first + units):
        row = unit_row(n, rng)
        sheet.append([cell_value(row[name]) for name, _, _ in community_units.UNIT_COLUMNS])
    book.save(path)
    return path


def qr_links(engine: Engine) -> list[tuple[str, str]]:
    """(link, file name) of every invitation of the year: what `invite` will write."""
    with transaction(engine, read_only=True) as session:
        return [
            (invitation_link(i.token, BOT_USERNAME), qr_file_name(i, u, a))
            for i, u, a in invitations_of(session, YEAR)
        ]


# ---------------------------------------------------------------------------
# Running the children
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    label: str
    wall: float
    cpu: float
    peak_mib: float
    items: int
    unit: str


def child_environment(database_url: str) -> dict[str, str]:
    """os.environ without SAFECOMM_* settings, with the bench database and bot name."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SAFECOMM_")}
    env |= {"SAFECOMM_DATABASE_URL": database_url, "SAFECOMM_BOT_USERNAME": BOT_USERNAME}
    env |= {"SAFECOMM_OPERATOR": "bench"}
    return env


def run_child(
    label: str, argv: list[str], env: dict[str, str], cwd: Path, items: int = 0, unit: str = ""
) -> Run:
    """Run `argv` to completion through `LAUNCHER`: wall, CPU and peak RSS from its wait4.

    On a non-zero exit code, print the child's stderr and exit 1."""
    with tempfile.TemporaryFile() as stderr:
        launched = subprocess.run(
            [sys.executable, "-c", LAUNCHER, *argv],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=stderr,
            env=env,
            cwd=cwd,
            check=False,
        )
        result = json.loads(launched.stdout or "{}")
        if launched.returncode != 0 or result.get("code") != 0:
            stderr.seek(0)
            sys.stderr.write(f"{label}: exit code {result.get('code', launched.returncode)}\n")
            sys.stderr.write(stderr.read().decode(errors="replace"))
            sys.exit(1)
    # Linux reports ru_maxrss in KiB
    return Run(label, result["wall"], result["cpu"], result["maxrss"] / 1024, items, unit)


def same_pngs(ours: Path, theirs: Path) -> tuple[int, int]:
    """(files with the same name and bytes in both folders, files in `theirs`)."""
    names = sorted(path.name for path in theirs.iterdir())
    same = sum(
        (ours / name).is_file() and (ours / name).read_bytes() == (theirs / name).read_bytes()
        for name in names
    )
    extra = sum(1 for path in ours.iterdir() if not (theirs / path.name).exists())
    return same - extra, len(names)


def per_item(run: Run) -> str:
    return f"{run.wall * 1000 / run.items:8.2f} ms / {run.unit}" if run.items else ""


def verdict(ratio: float, limit: float) -> str:
    return f"target ≤ {limit:.1f}x: {'met' if ratio <= limit else 'not met'}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--agencies", type=int, default=300, help="agencies (and agencies imported)"
    )
    parser.add_argument("--units", type=int, default=3500, help="units (and units imported)")
    parser.add_argument("--audit", type=int, default=50_000, help="audit entries")
    parser.add_argument("--small", action="store_true", help="a tenth of every size")
    parser.add_argument("--database-url", help="an empty database to fill (default: SQLite)")
    arguments = parser.parse_args()
    shrink = 10 if arguments.small else 1
    agencies = max(1, arguments.agencies // shrink)
    units = max(1, arguments.units // shrink)
    audit = max(10, arguments.audit // shrink)
    baseline_audit = audit // 10
    rng = random.Random(10)
    runs: list[Run] = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        url = arguments.database_url or f"sqlite:///{folder / 'bench.db'}"
        env = child_environment(url)

        def run(label: str, argv: list[str], items: int, unit: str) -> Run:
            runs.append(run_child(label, argv, env, folder, items, unit))
            return runs[-1]

        run_child("db upgrade", [*CLI, "db", "upgrade"], env, folder)
        engine = make_engine(url)
        start = time.perf_counter()
        populate_year(engine, agencies, units, rng)
        append_audit(engine, baseline_audit, rng)
        links = qr_links(engine)
        (folder / "links.json").write_text(json.dumps(links, ensure_ascii=False), "utf-8")
        registry_workbook(folder / "登记表.xlsx", agencies, agencies, consultants=5)
        units_workbook(folder / "指导记录.xlsx", units, units, rng)
        generated = time.perf_counter() - start

        verify = [*CLI, "audit", "verify"]
        small = run(f"audit verify ({baseline_audit:,})", verify, baseline_audit, "entry")
        start = time.perf_counter()
        append_audit(engine, audit - baseline_audit, rng)
        generated += time.perf_counter() - start
        year = str(YEAR)
        invite = run("invite", [*CLI, "invite", year, "--out", "invite"], len(links), "QR")
        (folder / "segno").mkdir()
        loop = [sys.executable, "-c", SEGNO_LOOP, "links.json", "segno"]
        segno = run("segno loop", loop, len(links), "QR")
        same, total = same_pngs(folder / "invite" / f"qr-{YEAR}", folder / "segno")
        status = [*CLI, "survey", "status", year, "--xlsx", "问卷进度.xlsx"]
        run("survey status --xlsx", status, units, "unit")
        run("survey fill", [*CLI, "survey", "fill", year], agencies, "agency")
        start = time.perf_counter()
        finalised = finalise_sheets(engine)
        generated += time.perf_counter() - start
        run("results", [*CLI, "results", year, "--out", "results"], finalised, "agency")
        full = run(f"audit verify ({audit:,})", verify, audit, "entry")
        run("agency import", [*CLI, "agency", "import", "登记表.xlsx"], agencies, "agency")
        run("unit import", [*CLI, "unit", "import", "指导记录.xlsx"], units, "unit")
        engine.dispose()

    database = "SQLite file" if arguments.database_url is None else safe_url(engine)
    print(
        f"python {sys.version.split()[0]}, {database}; {agencies:,} agencies, {units:,} units"
        f" and invitations, {audit:,} audit entries; generated in {generated:.1f} s (not timed"
        " below); the imports add as many agencies (5 consultants each) and units again"
    )
    print("each command is its own child process; cpu = user + sys, peak = ru_maxrss (wait4)")
    width = max(len(r.label) for r in runs)
    print(f"{'command':<{width}}   wall s    cpu s   peak RSS   per item (wall)")
    for r in runs:
        print(
            f"{r.label:<{width}}  {r.wall:7.2f}  {r.cpu:7.2f}  {r.peak_mib:5.0f} MiB  {per_item(r)}"
        )
    print()
    qr_ratio, rss_ratio = invite.wall / segno.wall, full.peak_mib / small.peak_mib
    print(
        f"invite / segno loop: {qr_ratio:.2f}x wall, {invite.cpu / segno.cpu:.2f}x cpu;"
        f" {verdict(qr_ratio, INVITE_LIMIT)} (wall)"
    )
    print(
        f"audit verify {audit:,} / {baseline_audit:,}: {rss_ratio:.2f}x peak RSS,"
        f" {full.wall / small.wall:.2f}x wall; {verdict(rss_ratio, VERIFY_RSS_LIMIT)} (RSS)"
    )
    print(f"QR codes identical to the segno loop's (name and bytes): {same:,} of {total:,}")
    if same != total or total != len(links):
        sys.exit(1)


if __name__ == "__main__":
    main()
