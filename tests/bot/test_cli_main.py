"""The CLI's own refusals: one line on stderr, a non-zero exit, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main


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
