"""Benchmark: the CPU cost of starting the `safecomm` command line.

    .venv/bin/python bench/bench_cli.py [--repeat N]

Measures, side by side in one run, the CPU seconds (user + sys of the child
process, from `os.wait4`) of `safecomm --help`, `safecomm agency list` on an
empty, migrated SQLite database and `safecomm diagram`, against three
baselines: `python -c pass`, `python -c "import typer"`,
`python -c "import sqlmodel"`, and the floor of any typer app's help
(`import typer, typer.rich_utils`: typer draws help with rich, imported only then). Every command runs in a fresh interpreter, the
one running this script (`sys.executable`); the CLI runs as
`python -c "from bot.cli import run; run()" ARGS`, which is what the console
script does (`bot.cli` has no `__main__`). The database is created once
before timing with `safecomm db upgrade` in a temporary directory, which is
also every child's working directory (so no `.env` is read); every child gets
the environment without any SAFECOMM_* variable but SAFECOMM_DATABASE_URL,
and without PYTHONDONTWRITEBYTECODE (bytecode caching as in normal use).
Each command runs once to warm up, then `--repeat` times (default 7),
interleaved round-robin so drift affects all alike. Printed per command: the
minimum and median CPU seconds and the median wall seconds; then the ratios
of the median CPU seconds of each safecomm command to the two imports, with
the targets: `--help` at most 2.0x the bare typer import, `agency list` at
most 1.5x the bare sqlmodel import. Exit code 1 if any child fails (its
stderr is printed).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

CLI = [sys.executable, "-c", "from bot.cli import run; run()"]


@dataclass
class Command:
    label: str
    argv: list[str]
    cpu: list[float] = field(default_factory=list)
    wall: list[float] = field(default_factory=list)


@dataclass(frozen=True)
class Target:
    command: str
    baseline: str
    limit: float


BASELINES = [
    Command("python -c pass", [sys.executable, "-c", "pass"]),
    Command("import typer", [sys.executable, "-c", "import typer"]),
    Command("import sqlmodel", [sys.executable, "-c", "import sqlmodel"]),
    Command(
        "typer help floor",
        [sys.executable, "-c", "import typer, typer.rich_utils"],
    ),
]
SAFECOMM = [
    Command("safecomm --help", [*CLI, "--help"]),
    Command("safecomm agency list", [*CLI, "agency", "list"]),
    Command("safecomm diagram", [*CLI, "diagram"]),
]
TARGETS = [
    Target("safecomm --help", "import typer", 2.0),
    Target("safecomm agency list", "import sqlmodel", 1.5),
]


def child_environment(database_url: str) -> dict[str, str]:
    """os.environ without SAFECOMM_* and PYTHONDONTWRITEBYTECODE, with the bench database."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("SAFECOMM_") and name != "PYTHONDONTWRITEBYTECODE"
    }
    env["SAFECOMM_DATABASE_URL"] = database_url
    return env


def run_child(label: str, argv: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float]:
    """Run `argv` to completion; return (user + sys CPU seconds of the child, wall seconds).

    On a non-zero exit code, print the child's stderr and exit 1."""
    with tempfile.TemporaryFile() as stderr:
        start = time.perf_counter()
        child = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            env=env,
            cwd=cwd,
        )
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - start
        child.returncode = os.waitstatus_to_exitcode(status)
        if child.returncode != 0:
            stderr.seek(0)
            sys.stderr.write(f"{label}: exit code {child.returncode}\n")
            sys.stderr.write(stderr.read().decode(errors="replace"))
            sys.exit(1)
    return usage.ru_utime + usage.ru_stime, wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    repeat = parser.parse_args().repeat
    commands = BASELINES + SAFECOMM
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        env = child_environment(f"sqlite:///{folder / 'bench.db'}")
        run_child("safecomm db upgrade", [*CLI, "db", "upgrade"], env, folder)
        for command in commands:  # warm-up
            run_child(command.label, command.argv, env, folder)
        for _ in range(repeat):
            for command in commands:
                cpu, wall = run_child(command.label, command.argv, env, folder)
                command.cpu.append(cpu)
                command.wall.append(wall)

    median = {c.label: statistics.median(c.cpu) for c in commands}
    width = max(len(c.label) for c in commands)
    print(
        f"python {sys.version.split()[0]} ({sys.executable}), "
        f"{repeat} runs of each after 1 warm-up, interleaved"
    )
    print("cpu = user + sys of the child (os.wait4); wall = from spawn to reaping")
    print(f"{'command':<{width}}  cpu min  cpu median  wall median")
    for command in commands:
        print(
            f"{command.label:<{width}}  {min(command.cpu):5.3f} s  {median[command.label]:8.3f} s"
            f"  {statistics.median(command.wall):9.3f} s"
        )
    print()
    print(f"{'median cpu ratio':<{width}}  / typer  / sqlmodel  / help floor  target")
    for command in SAFECOMM:
        typer_ratio = median[command.label] / median["import typer"]
        sqlmodel_ratio = median[command.label] / median["import sqlmodel"]
        floor_ratio = median[command.label] / median["typer help floor"]
        verdicts = []
        for target in TARGETS:
            if target.command == command.label:
                ratio = median[command.label] / median[target.baseline]
                met = "met" if ratio <= target.limit else "not met"
                verdicts.append(f"≤ {target.limit:.1f}x {target.baseline}: {met}")
        print(
            f"{command.label:<{width}}  {typer_ratio:6.2f}x  {sqlmodel_ratio:8.2f}x"
            f"  {floor_ratio:10.2f}x  {'; '.join(verdicts) or '-'}"
        )


if __name__ == "__main__":
    main()
