"""One leader among the processes on one database: it alone runs the scheduler and
the reminder sender, so no reminder is sent twice.

PostgreSQL: a session-level advisory lock held by a dedicated connection. The
lock lives exactly as long as that session: a killed process (kill -9) loses it
at once; a frozen one (SIGSTOP, a hung VM) stops its heartbeat, so the server's
`idle_session_timeout` ends the session within bounded time; a vanished host is
noticed through small TCP keepalives. SQLite: an OS file lock (`flock`) on
`<database file>.leader`, which the kernel drops when the process dies, so the
bot and a `safecomm remind send` on the same file never both lead.

Followers call `try_acquire` every `poll_seconds`; the leader calls `check` at
least as often and stops leading work the moment it returns False.
"""

from __future__ import annotations

import fcntl
import logging
import os
import socket
import threading
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

log = logging.getLogger(__name__)

# The first 8 bytes of sha256(b"safecomm-leader"), big-endian, shifted right by one
# so it fits a signed bigint (63 bits, positive):
#   int.from_bytes(hashlib.sha256(b"safecomm-leader").digest()[:8], "big") >> 1
# Fixed here (a test recomputes it) so every version of safecomm takes the same lock.
LOCK_KEY: int = 8007550835035628235

PREFIX = "safecomm-leader"
MIN_TAKEOVER_SECONDS = 3  # the idle timeout (2/3 of it) must outlast two 1-second heartbeats
_KEEPALIVES = (
    ("tcp_keepalives_idle", 5),
    ("tcp_keepalives_interval", 5),
    ("tcp_keepalives_count", 3),
)

_CURRENT_LEADER_SQL = text(
    """
    SELECT a.application_name, a.backend_start
    FROM pg_locks AS l JOIN pg_stat_activity AS a ON a.pid = l.pid
    WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
      AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
      AND l.classid::bigint = :high AND l.objid::bigint = :low
    """
)


@dataclass(frozen=True)
class Leader:
    """Who leads now, for `safecomm leader` and the docs."""

    name: str  # "safecomm-leader <host>:<pid>": the leader's application_name / lock file
    since: datetime | None  # when its connection began (aware UTC), None if unknown


def _identity() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _application_name(identity: str) -> str:
    """PostgreSQL keeps 63 bytes of an application_name (NAMEDATALEN - 1)."""
    return f"{PREFIX} {identity}".encode()[:63].decode(errors="ignore")


def _sqlite_lock_path(engine: Engine) -> Path | None:
    """`<database file>.leader`, or None for an in-memory database (one process only)."""
    database = engine.url.database or ""
    if database.startswith("file:"):  # an SQLite URI filename: file:path?mode=...
        if "mode=memory" in database:
            return None
        database = database.removeprefix("file:").partition("?")[0]
    if database in ("", ":memory:") or engine.url.query.get("mode") == "memory":
        return None
    return Path(database).absolute().with_name(Path(database).name + ".leader")


def _reason(error: BaseException) -> str:
    """The first line of the driver's message: no SQL, no traceback, no password."""
    original = error.orig if isinstance(error, DBAPIError) else error
    first = (str(original).strip().splitlines() or [""])[0]
    return f"{type(original).__name__}: {first}" if first else type(original).__name__


class Leadership:
    """Whether this process leads: acquired once, then confirmed by a heartbeat.

    On PostgreSQL the lock is held by a connection of its own, detached from the
    engine's pool (`engine.connect()` + `detach()`): a pooled connection would be
    reused by other work and recycled, taking the lock with it or handing it to a
    request. It runs in autocommit, so it is never "idle in transaction" and only
    the idle-session timeout applies to it. One `threading.Lock` guards it: the
    sender thread and the heartbeat may call `check` at the same time.
    """

    def __init__(
        self, engine: Engine, *, takeover_seconds: int = 30, name: str | None = None
    ) -> None:
        """`takeover_seconds` bounds how long a frozen leader keeps the lock (PostgreSQL);
        `name` identifies this process, "<hostname>:<pid>" unless given."""
        if takeover_seconds < MIN_TAKEOVER_SECONDS:
            raise ValueError(f"takeover_seconds must be at least {MIN_TAKEOVER_SECONDS}")
        if engine.dialect.name not in ("postgresql", "sqlite"):
            raise ValueError(f"no leader election on {engine.dialect.name}")
        self._engine = engine
        self._takeover_seconds = takeover_seconds
        self._identity = name or _identity()
        self.name = _application_name(self._identity)
        self._sqlite = engine.dialect.name == "sqlite"
        self._lock_path = _sqlite_lock_path(engine) if self._sqlite else None
        self._mutex = threading.Lock()
        self._connection: Connection | None = None
        self._fd: int | None = None
        self._leading = False

    @property
    def leading(self) -> bool:
        """The last known state, no I/O."""
        return self._leading

    @property
    def poll_seconds(self) -> float:
        """How often followers try and the leader checks."""
        return max(1.0, self._takeover_seconds / 3)

    @property
    def idle_timeout_ms(self) -> int:
        """The server ends a leader's session idle this long: two heartbeats missed."""
        return int(self._takeover_seconds * 2 / 3 * 1000)

    def try_acquire(self) -> bool:
        """True if this process now leads. Already leading: the heartbeat decides, and a
        lost lock is tried afresh. Database and file errors give False, never raise."""
        with self._mutex:
            if self._leading and self._check_locked():
                return True
            if self._sqlite:
                acquired = self._acquire_file() if self._lock_path else True
            else:
                acquired = self._acquire_pg()
            self._leading = acquired
        if acquired:
            log.info("this process leads (%s)", self.name)
        return acquired

    def check(self) -> bool:
        """Still leading? On any failure the connection is closed and leading is False.
        On PostgreSQL this also keeps the session from idling out: call it at least every
        `poll_seconds`."""
        with self._mutex:
            return self._check_locked()

    def release(self) -> None:
        """Give up leadership; idempotent. The lock file stays (deleting it would race
        with another acquirer, who might lock a file about to vanish)."""
        with self._mutex:
            was_leading = self._leading
            self._drop()
        if was_leading:
            log.info("this process no longer leads (%s)", self.name)

    # -- under self._mutex --------------------------------------------------------

    def _check_locked(self) -> bool:
        if not self._leading:
            return False
        if self._sqlite:
            if self._lock_path is None:
                return True
            reason = self._file_lost()
        else:
            reason = self._pg_lost()
        if reason is None:
            return True
        log.warning("leadership lost: %s (%s)", reason, self.name)
        self._drop()
        return False

    def _drop(self) -> None:
        self._leading = False
        if self._connection is not None:
            with suppress(Exception):  # best effort: the session may already be gone
                self._connection.close()
            self._connection = None
        if self._fd is not None:
            with suppress(OSError):
                fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def _acquire_pg(self) -> bool:
        connection: Connection | None = None
        locked = False
        try:
            connection = self._engine.connect()
            # autocommit first: SQLAlchemy sets it through the pool's record, gone after detach
            connection.execution_options(isolation_level="AUTOCOMMIT")
            connection.detach()
            settings = [
                ("application_name", self.name),
                ("idle_session_timeout", str(self.idle_timeout_ms)),
                *((name, str(value)) for name, value in _KEEPALIVES),
            ]
            for setting, value in settings:  # set_config binds the value: no quoting
                connection.execute(
                    text("SELECT set_config(:name, :value, false)"),
                    {"name": setting, "value": value},
                )
            locked = bool(
                connection.execute(
                    text("SELECT pg_try_advisory_lock(:key)"), {"key": LOCK_KEY}
                ).scalar_one()
            )
        except SQLAlchemyError as error:
            log.warning("leadership not acquired: %s", _reason(error))
        finally:  # never a half-open connection left behind, whatever went wrong
            if not locked and connection is not None:
                with suppress(Exception):
                    connection.close()
        if locked:
            self._connection = connection
        return locked

    def _pg_lost(self) -> str | None:
        if self._connection is None:
            return "no connection"
        try:
            self._connection.execute(text("SELECT 1"))
        except SQLAlchemyError as error:
            return _reason(error)
        return None

    def _acquire_file(self) -> bool:
        assert self._lock_path is not None
        try:
            fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as error:
            log.warning("leadership not acquired: %s", _reason(error))
            return False
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            os.ftruncate(fd, 0)
            os.pwrite(fd, self._identity.encode(), 0)
        except BlockingIOError:
            os.close(fd)
            return False
        except OSError as error:
            os.close(fd)
            log.warning("leadership not acquired: %s", _reason(error))
            return False
        self._fd = fd
        return True

    def _file_lost(self) -> str | None:
        """The fd holds the lock; lost only if the file was replaced or removed, since
        then another process can lock the new file and lead too."""
        assert self._fd is not None and self._lock_path is not None
        try:
            if os.stat(self._lock_path).st_ino != os.fstat(self._fd).st_ino:
                return f"{self._lock_path} was replaced"
        except OSError as error:
            return f"{self._lock_path}: {_reason(error)}"
        return None


def current_leader(engine: Engine) -> Leader | None:
    """Who leads now, or None when nobody does.

    PostgreSQL: the session holding the advisory lock, from pg_locks and
    pg_stat_activity (a bigint key shows as its high half in classid, low half in
    objid, objsubid 1). SQLite: the lock file's "host:pid" while its lock is held
    (tested with a shared lock on a separate descriptor, which never blocks another
    reader); an in-memory database has one process, this one."""
    if engine.dialect.name == "sqlite":
        path = _sqlite_lock_path(engine)
        return Leader(_application_name(_identity()), None) if path is None else _file_leader(path)
    with engine.connect() as connection:
        row = connection.execute(
            _CURRENT_LEADER_SQL, {"high": LOCK_KEY >> 32, "low": LOCK_KEY & 0xFFFFFFFF}
        ).first()
    if row is None:
        return None
    name, since = row
    return Leader(name or PREFIX, since.astimezone(UTC) if since is not None else None)


def _file_leader(path: Path) -> Leader | None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            content = os.pread(fd, 256, 0).decode(errors="replace").strip()
            since = datetime.fromtimestamp(os.fstat(fd).st_mtime, UTC)
            return Leader(f"{PREFIX} {content}".strip(), since)
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)
