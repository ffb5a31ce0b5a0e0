"""The CLI's own refusals: one line on stderr, a non-zero exit, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from migrations import head_revision
from workflow.core.settings import get_settings


def test_an_unwritable_output_folder_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    assert main(["demo", "--out", str(blocker / "out")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("错误：无法读写文件") and err.count("\n") == 1
    assert "Traceback" not in err


def test_an_unknown_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["no-such-command"]) == 2
    assert "no-such-command" in capsys.readouterr().err


def test_a_bad_setting_stops_every_command(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SAFECOMM_TIMEZONE", "Mars/Olympus")
    assert main(["agency", "list"]) == 2
    assert capsys.readouterr().err.strip() == (
        "配置错误 / invalid setting SAFECOMM_TIMEZONE: unknown time zone 'Mars/Olympus'"
    )


def test_db_upgrade_and_status_speak_the_configured_language(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SAFECOMM_DATABASE_URL", f"sqlite:///{tmp_path / 'fresh.db'}")
    head = head_revision()
    assert main(["db", "status"]) == 0
    assert capsys.readouterr().out.strip().endswith(f"结构版本 空库；程序版本 {head}")
    assert main(["db", "upgrade"]) == 0
    assert capsys.readouterr().out.strip().endswith(f"：空库 → {head}")
    monkeypatch.setenv("SAFECOMM_LANGUAGE", "en")
    get_settings.cache_clear()  # the process reads its settings once
    assert main(["db", "upgrade"]) == 0
    assert capsys.readouterr().out.strip().endswith(f": up to date ({head})")


def test_an_unreachable_database_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SAFECOMM_DATABASE_URL", f"sqlite:///{tmp_path / 'no' / 'such' / 'x.db'}")
    for command in (["db", "status"], ["agency", "list"]):
        assert main(command) == 1
        err = capsys.readouterr().err
        assert err.startswith("错误：数据库不可用") and err.count("\n") == 1
