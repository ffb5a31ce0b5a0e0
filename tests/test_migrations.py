"""Migrations build the whole schema from empty, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

import migrations
from migrations import HEAD_REVISION, current_revision, ensure_schema, head_revision, upgrade
from tests.builders import old_agency
from tests.pg import PostgresServer
from workflow.core.db import make_engine
from workflow.core.tables import TABLE_PACKAGES, metadata, table_modules


def _schema_differences(engine: Engine) -> list[object]:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, metadata()))


def _check_fresh_upgrade(engine: Engine) -> None:
    assert current_revision(engine) is None
    assert ensure_schema(engine) is True
    assert current_revision(engine) == head_revision()
    assert _schema_differences(engine) == []
    assert ensure_schema(engine) is False


def test_sqlite_upgrade_from_empty_matches_models(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
    _check_fresh_upgrade(engine)
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"


@pytest.mark.postgres
def test_postgres_upgrade_from_empty_matches_models(pg_server: PostgresServer) -> None:
    name = f"fresh_{uuid.uuid4().hex[:8]}"
    pg_server.execute(f"CREATE DATABASE {name}")
    engine = make_engine(pg_server.url(name))
    try:
        _check_fresh_upgrade(engine)
    finally:
        engine.dispose()
        pg_server.execute(f"DROP DATABASE {name} WITH (FORCE)")


def test_the_head_revision_constant_is_alembics_head() -> None:
    """`HEAD_REVISION` lets a start skip Alembic; a new migration must update it."""
    assert head_revision() == HEAD_REVISION


def test_a_current_database_is_not_migrated_again(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_migration(*args: object, **kwargs: object) -> None:
        raise AssertionError("ensure_schema ran the migrations on a current database")

    monkeypatch.setattr(migrations, "upgrade", no_migration)
    assert ensure_schema(engine) is False


def test_a_behind_database_is_brought_to_the_head(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'behind.db'}")
    upgrade(engine, "0005_reminders")
    assert ensure_schema(engine) is True
    assert current_revision(engine) == HEAD_REVISION


def test_checking_a_current_database_does_not_import_alembic(
    engine: Engine, tmp_path: Path
) -> None:
    code = (
        "import sys\n"
        "from migrations import ensure_schema\n"
        "from workflow.core.db import make_engine\n"
        f"assert ensure_schema(make_engine({engine.url.render_as_string(hide_password=False)!r})) is False\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'alembic'))"
    )
    root = Path(__file__).resolve().parent.parent
    env = {k: v for k, v in os.environ.items() if not k.startswith("SAFECOMM_")} | {
        "PYTHONPATH": str(root)
    }
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_downgrade_to_empty_and_back(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'roundtrip.db'}")
    upgrade(engine)
    from alembic import command

    from migrations import alembic_config

    command.downgrade(alembic_config(engine), "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    upgrade(engine)
    assert _schema_differences(engine) == []


@pytest.mark.postgres
def test_two_processes_starting_at_once_migrate_in_turn(pg_server: PostgresServer) -> None:
    """Two bots on one fresh PostgreSQL database: both start, the schema is built once."""
    import threading

    name = f"race_{uuid.uuid4().hex[:8]}"
    pg_server.execute(f"CREATE DATABASE {name}")
    engines = [make_engine(pg_server.url(name)) for _ in range(2)]
    barrier = threading.Barrier(2)
    results: list[object] = []

    def start(engine: Engine) -> None:
        barrier.wait()
        try:
            results.append(ensure_schema(engine))
        except Exception as error:  # the failure this test guards against
            results.append(error)

    threads = [threading.Thread(target=start, args=(engine,)) for engine in engines]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert sorted(map(repr, results)) == ["False", "True"]
        assert current_revision(engines[0]) == head_revision()
    finally:
        for engine in engines:
            engine.dispose()
        pg_server.execute(f"DROP DATABASE {name} WITH (FORCE)")


def _table_classes_in_source() -> dict[str, str]:
    """Every `class X(SQLModel, table=True)` in the packages, with the module it stands in."""
    found = {}
    root = Path(__file__).parent.parent
    for package in TABLE_PACKAGES:
        for path in (root / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.ClassDef) and any(
                    k.arg == "table" and getattr(k.value, "value", None) is True
                    for k in node.keywords
                ):
                    found[node.name] = ".".join(path.relative_to(root).with_suffix("").parts)
    return found


def test_every_table_lives_in_a_models_module_and_is_registered() -> None:
    classes = _table_classes_in_source()
    assert len(classes) >= 15
    assert {
        name: module for name, module in classes.items() if not module.endswith(".models")
    } == {}
    metadata()
    registered = {mapper.class_.__name__ for mapper in SQLModel._sa_registry.mappers}
    assert set(classes) <= registered
    assert set(table_modules()) == set(classes.values())


@pytest.mark.parametrize("module", table_modules())
def test_each_models_module_maps_the_tables_its_foreign_keys_name(module: str) -> None:
    """Whatever imports one models module alone (a CLI command imports only what it
    uses) can flush its rows: every table a foreign key names is mapped too."""
    root = Path(__file__).parent.parent
    probe = (
        f"import importlib; importlib.import_module({module!r})\n"
        "from sqlmodel import SQLModel\n"
        "for table in SQLModel.metadata.tables.values():\n"
        "    for key in table.foreign_keys:\n"
        "        key.column\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(root)},
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr.strip().splitlines()[-1:]


def test_0009_gives_stored_applications_their_creation_day(tmp_path: Path) -> None:
    """收件日期 (Art. 10) of an application stored before it was recorded: the local day
    (Asia/Shanghai) it was entered; 23:30 UTC is already the next day in Beijing."""
    from datetime import date

    import sqlalchemy as sa

    from tests.builders import agency_fields

    engine = make_engine(f"sqlite:///{tmp_path / 'received.db'}")
    upgrade(engine, "0007_taps_and_confirmations")
    with engine.begin() as connection:
        agency_id = old_agency(connection, agency_fields())
        connection.execute(
            sa.text(
                "INSERT INTO application (agency_id, applied_at, business_licence, agency_form,"
                " consultant_forms, process_control_docs, management_rules, performance_report,"
                " closed) VALUES (:agency, :at, 1, 1, 1, 1, 1, 1, 0)"
            ),
            {"agency": agency_id, "at": "2026-03-04 23:30:00.000000"},  # as the ORM stores UTC
        )
    upgrade(engine)
    with engine.connect() as connection:
        stored = connection.execute(sa.text("SELECT received_on FROM application")).scalar_one()
    assert date.fromisoformat(str(stored)) == date(2026, 3, 5)


def test_0010_moves_agency_judgements_onto_the_current_application(tmp_path: Path) -> None:
    """Art. 8(3) is judged on the application, not the agency: a judgement stored on the
    agency moves onto its newest application, for the procedures and all seven fields,
    keeping who judged and when; an agency never judged gets nothing."""
    import sqlalchemy as sa

    from tests.builders import agency_fields

    engine = make_engine(f"sqlite:///{tmp_path / 'judged.db'}")
    upgrade(engine, "0009_round_received")
    insert = sa.text(
        "INSERT INTO application (agency_id, applied_at, business_licence, agency_form,"
        " consultant_forms, process_control_docs, management_rules, performance_report,"
        " closed) VALUES (:agency, :at, 1, 1, 1, 1, 1, 1, :closed)"
    )
    with engine.begin() as connection:
        judged = old_agency(
            connection,
            agency_fields(),
            familiar_judgement=True,
            familiar_judged_by="专家甲",
            familiar_judged_at="2026-03-02 08:00:00.000000",
        )
        unjudged = old_agency(connection, agency_fields())
        for agency, at, closed in (
            (judged, "2025-03-01 00:00:00.000000", 1),
            (judged, "2026-03-01 00:00:00.000000", 0),
            (unjudged, "2026-03-01 00:00:00.000000", 0),
        ):
            connection.execute(insert, {"agency": agency, "at": at, "closed": closed})
    upgrade(engine)
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text(
                "SELECT application.agency_id, application.applied_at, item, passed, judged_by,"
                " stage FROM applicationjudgement JOIN application"
                " ON application.id = applicationjudgement.application_id ORDER BY item"
            )
        ).all()
        columns = {c["name"] for c in sa.inspect(connection).get_columns("agency")}
    assert {(r[0], str(r[1])[:10], r[3], r[4], r[5]) for r in rows} == {
        (judged, "2026-03-01", 1, "专家甲", "migrated")
    }
    assert sorted(r[2] for r in rows) == sorted(
        ["procedures", "work_safety", "emergency_management", "disaster_reduction",
         "traffic_safety", "fire_safety", "gas_safety", "public_safety"]
    )  # fmt: skip
    assert "familiar_judgement" not in columns


def test_0015_gives_stored_guidance_the_units_programmes(tmp_path: Path) -> None:
    """Guidance recorded before programmes were: each row takes its unit's programmes,
    a unit in neither becomes a safe community (the stricter reading of Art. 11 2(4)),
    and guidance starts on 1 January."""
    import sqlalchemy as sa

    from tests.builders import agency_fields
    from workflow.registry.models import Agency

    engine = make_engine(f"sqlite:///{tmp_path / 'guided.db'}")
    upgrade(engine, "0014_forum_bonus")
    units = {"安全": (1, 0), "减灾": (0, 1), "两者": (1, 1), "均无": (0, 0)}
    agencies = Agency.__table__  # type: ignore[attr-defined]  # unchanged by 0015
    with engine.begin() as connection:
        inserted = connection.execute(agencies.insert().values(**agency_fields()))
        agency_id = inserted.inserted_primary_key[0]
        for name, (safe, disaster) in units.items():
            unit_id = connection.execute(
                sa.text(
                    "INSERT INTO creationunit (name, district, safe_community, disaster_reduction)"
                    " VALUES (:name, '东城区', :safe, :disaster) RETURNING id"
                ),
                {"name": name, "safe": safe, "disaster": disaster},
            ).scalar_one()
            connection.execute(
                sa.text("INSERT INTO guidance (unit_id, agency_id, year) VALUES (:u, :a, 2025)"),
                {"u": unit_id, "a": agency_id},
            )
    upgrade(engine)
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text(
                "SELECT u.name, g.safe_community, g.disaster_reduction, g.started_on"
                " FROM guidance g JOIN creationunit u ON u.id = g.unit_id"
            )
        ).all()
    assert {r[0]: (bool(r[1]), bool(r[2]), r[3]) for r in rows} == {
        "安全": (True, False, None),
        "减灾": (False, True, None),
        "两者": (True, True, None),
        "均无": (True, False, None),
    }


def test_0017_binds_telegram_respondents_and_loses_no_answer(tmp_path: Path) -> None:
    """The invitation table is rebuilt on SQLite (batch mode) with foreign keys on: the
    answers that point at it (progress, submissions) and the documents must survive."""
    import sqlalchemy as sa

    from tests.builders import agency_fields
    from workflow.registry.models import Agency

    engine = make_engine(f"sqlite:///{tmp_path / 'answered.db'}")
    upgrade(engine, "0016_draft_pending_file")
    agencies = Agency.__table__  # type: ignore[attr-defined]
    with engine.begin() as connection:
        agency_id = connection.execute(
            agencies.insert().values(**agency_fields())
        ).inserted_primary_key[0]
        unit_id = connection.execute(
            sa.text(
                "INSERT INTO creationunit (name, district, safe_community, disaster_reduction)"
                " VALUES ('幸福里社区', '东城区', 1, 0) RETURNING id"
            )
        ).scalar_one()
        connection.execute(
            sa.text(
                "INSERT INTO invitation (unit_id, agency_id, year, token, created_at, bound_user_id,"
                " rebound_by)"
                " VALUES (:u, :a, 2026, 'T0K3N', '2026-12-01 00:00:00', 4242, '')"
            ),
            {"u": unit_id, "a": agency_id},
        )
        connection.execute(
            sa.text(
                "INSERT INTO submission (invitation_id, item1, item2, item3, item4, item5,"
                " receipt, user_id, submitted_at) SELECT id, 4, 4, 3, 3, 2, 'RCPT1', 4242,"
                " '2026-12-02 00:00:00' FROM invitation"
            )
        )
        connection.execute(
            sa.text(
                "INSERT INTO submitteddocument (agency_id, year, kind, stored_path, original_name,"
                " mime_type, size, file_unique_id, telegram_user_id, submitted_at) VALUES (:a,"
                " 2026, 'report', 'x.pdf', 'x.pdf', 'application/pdf', 1, 'f1', 4242,"
                " '2026-12-02 00:00:00')"
            ),
            {"a": agency_id},
        )
    upgrade(engine)
    with engine.connect() as connection:
        bound = connection.execute(
            sa.text("SELECT respondent_channel, respondent_key FROM invitation")
        ).one()
        receipts = connection.execute(sa.text("SELECT receipt FROM submission")).scalars().all()
        document = connection.execute(
            sa.text("SELECT telegram_user_id, submitted_by FROM submitteddocument")
        ).one()
    assert tuple(bound) == ("telegram", "4242")
    assert receipts == ["RCPT1"]
    assert tuple(document) == (4242, "tg:4242")
