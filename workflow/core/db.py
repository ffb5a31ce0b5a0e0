"""Engine and sessions: SQLite (WAL, foreign keys on) by default, PostgreSQL in production.

The session is always passed in, never global. One transaction convention:
the way in (a CLI command, a chat press, a job) opens `transaction(engine)`
around one unit of work, which commits on success, rolls back on any error and
turns "database locked / unreachable" into a clear `StorageUnavailable`; the
service functions it calls flush but never commit, so nothing is half-written.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, create_engine

from workflow.core.errors import StorageUnavailable
from workflow.core.numbers import MAX_ROW_ID, read_int

if TYPE_CHECKING:
    from workflow.core.settings import Settings


def as_row_id(ref: str | int) -> int | None:
    """`ref` as a row id when it is a plain number that can be one, else None.

    People type ids in chat and at the terminal; "12", "１２" (full-width) and 12
    are ids, "²" or a 20-digit number are not (and must not reach the database)."""
    return read_int(ref, 1, MAX_ROW_ID)


def normalise_url(url: str) -> str:
    """Use psycopg 3 for plain `postgresql://` URLs."""
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    # under WAL a killed process loses no committed transaction; only a power cut
    # may drop the last few, never corrupting the file (production runs PostgreSQL)
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


BEGIN = "safecomm_sqlite_begin"  # execution option: how `transaction` begins on SQLite


def _sqlite_begin(connection: Any) -> None:
    """Begin as `transaction` asks: SQLAlchemy's pysqlite recipe. The driver alone
    begins only before the first write, so a read-then-write was not one transaction
    (two processes both read "unbound" and both bound; a savepoint opened before any
    write committed on its own). A writer begins IMMEDIATE: it holds SQLite's write
    lock from its first statement, so what it read cannot change before it writes,
    and the next writer waits (busy timeout) as for a row lock on PostgreSQL. A
    read-only look begins DEFERRED: one snapshot, no lock. A session made elsewhere
    (tests) keeps the driver's own behaviour."""
    mode = connection.get_execution_options().get(BEGIN)
    driver = connection.connection.driver_connection
    driver.isolation_level = None if mode else ""
    if mode:
        connection.exec_driver_sql(f"BEGIN {mode}")


def make_engine(
    url: str,
    *,
    pool_size: int = 5,
    lock_timeout_ms: int | None = None,
    statement_timeout_ms: int | None = None,
) -> Engine:
    """An engine for `url`; SQLite gets WAL mode, foreign keys and a busy timeout.

    On PostgreSQL, `pool_size` connections stay open (the bot sizes it to its
    worker threads) and every session waits at most `lock_timeout_ms` for a row
    lock and `statement_timeout_ms` for a statement: a stuck lock (say, a long
    CLI command holding the audit head) then fails one request with a clear
    message instead of freezing the bot."""
    url = normalise_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    options = " ".join(
        f"-c {name}={value}"
        for name, value in (
            ("lock_timeout", lock_timeout_ms),
            ("statement_timeout", statement_timeout_ms),
        )
        if value is not None
    )
    connect_args: dict[str, Any] = {"connect_timeout": 5}
    if options:
        connect_args["options"] = options
    return create_engine(url, pool_pre_ping=True, pool_size=pool_size, connect_args=connect_args)


def bot_engine(settings: Settings) -> Engine:
    """The engine of a long-running bot process: its pool and time limits from the settings."""
    return make_engine(
        settings.database_url,
        pool_size=settings.bot_concurrency,
        lock_timeout_ms=settings.db_lock_timeout_ms,
        statement_timeout_ms=settings.db_statement_timeout_ms,
    )


def safe_url(engine: Engine) -> str:
    """The URL with any password hidden, for messages and logs."""
    return engine.url.render_as_string(hide_password=True)


@contextmanager
def transaction(engine: Engine, *, read_only: bool = False) -> Iterator[Session]:
    """One unit of work: commit if the block succeeds, roll back otherwise. With
    `read_only`, always roll back: a look that flushes defaults on its way (the
    campaign of a year nobody has set) stores nothing; the rows it read stay
    loaded (detached, not expired) for the caller to show. On SQLite a writer takes
    the write lock when it begins (`_sqlite_begin`); PostgreSQL ignores the option."""
    bind = engine.execution_options(**{BEGIN: "DEFERRED" if read_only else "IMMEDIATE"})
    try:
        with Session(bind, expire_on_commit=False) as session:
            try:
                yield session
                if read_only:
                    session.expunge_all()
                    session.rollback()
                else:
                    session.commit()
            except BaseException:
                session.rollback()
                raise
    except OperationalError as error:
        raise unavailable(error) from error


def unavailable(error: OperationalError) -> StorageUnavailable:
    """The clear message for a locked or unreachable database (no password shown)."""
    lines = str(error.orig).strip().splitlines() or ["?"]
    return StorageUnavailable("db.unavailable", detail=lines[0])


def insert_or_skip(session: Session, model: Any) -> Any:
    """`INSERT` for `model` in the session's dialect, which has `.on_conflict_do_nothing`
    (SQLite and PostgreSQL both: a row a concurrent writer just added is left as it is)."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(model)
