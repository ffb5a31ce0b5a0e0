"""A throwaway PostgreSQL cluster for the test session.

`initdb` refuses to run as root, so as root the cluster directory belongs to
the `postgres` user and the server binaries run through `runuser`. Listens on
127.0.0.1 and a free port, socket in the temporary directory.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg


@dataclass
class PostgresServer:
    directory: Path
    port: int
    as_user: list[str]

    @property
    def admin_url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def execute(self, sql: str) -> None:
        with psycopg.connect(
            host="127.0.0.1", port=self.port, user="postgres", dbname="postgres", autocommit=True
        ) as connection:
            connection.execute(sql)  # type: ignore[arg-type]

    def restart(self, down_seconds: float) -> None:
        """Stop the server (fast: connections are cut), stay down, start it again."""
        data = str(self.directory / "data")
        subprocess.run(
            [*self.as_user, "pg_ctl", "-D", data, "stop", "-m", "fast", "-w"],
            check=True,
            capture_output=True,
        )
        time.sleep(down_seconds)
        _start(self)

    def stop(self) -> None:
        subprocess.run(
            [*self.as_user, "pg_ctl", "-D", str(self.directory / "data"), "stop", "-m", "fast"],
            check=False,
            capture_output=True,
        )
        shutil.rmtree(self.directory, ignore_errors=True)


def binaries_missing() -> str | None:
    """Name the first missing server binary, or None when all are there."""
    for binary in ("initdb", "pg_ctl", "postgres"):
        if shutil.which(binary) is None:
            return binary
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server() -> PostgresServer:
    """Start a fresh cluster; on any failure stop it and remove its directory again."""
    as_root = os.geteuid() == 0
    directory = Path(tempfile.mkdtemp(prefix="safecomm-pg-"))
    server = PostgresServer(
        directory, _free_port(), ["runuser", "-u", "postgres", "--"] if as_root else []
    )
    try:
        if as_root:
            shutil.chown(directory, "postgres")
            os.chmod(directory, 0o700)
        _init_and_start(server)
        deadline = time.monotonic() + 30
        while True:
            try:
                server.execute("SELECT 1")
                return server
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
    except BaseException:
        server.stop()
        raise


def _init_and_start(server: PostgresServer) -> None:
    data = server.directory / "data"
    subprocess.run(
        [
            *server.as_user,
            "initdb",
            "-A",
            "trust",
            "-U",
            "postgres",
            "-E",
            "UTF8",
            "--no-locale",
            "-D",
            str(data),
        ],
        check=True,
        capture_output=True,
    )
    _start(server)


def _start(server: PostgresServer) -> None:
    data = server.directory / "data"
    options = (
        f"-c listen_addresses=127.0.0.1 -c port={server.port}"
        f" -c unix_socket_directories={server.directory} -c fsync=off"
    )
    subprocess.run(
        [
            *server.as_user,
            "pg_ctl",
            "-D",
            str(data),
            "-o",
            options,
            "-l",
            str(server.directory / "log"),
            "-w",
            "start",
        ],
        check=True,
        capture_output=True,
    )
