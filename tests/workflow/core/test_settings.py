"""Settings: defaults from the rules, the environment and `.env`, and one clear
line naming the setting when a value is wrong."""

from __future__ import annotations

from datetime import time
from pathlib import Path

import pytest

from bot.cli import main
from workflow.core.settings import ENV_PREFIX, Settings, SettingsError, get_settings, load_settings


@pytest.fixture(autouse=True)
def _fresh_settings() -> None:
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_defaults_follow_the_rules() -> None:
    settings = load_settings()
    assert settings.database_url == "sqlite:///safecomm.db"
    assert (settings.timezone, settings.language) == ("Asia/Shanghai", "zh")
    assert (settings.material_weight, settings.interview_weight) == (0.5, 0.5)
    assert settings.campaign_report_due == "12-15"
    assert settings.admin_ids == []
    assert settings.quiet_start == time(21, 0)


def test_admin_ids_comma_separated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAFECOMM_ADMIN_IDS", "1,2")
    assert load_settings().admin_ids == [1, 2]
    monkeypatch.setenv("SAFECOMM_ADMIN_IDS", " 3 , 4 ,")
    assert load_settings().admin_ids == [3, 4]


def test_dotenv_file_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(
        "SAFECOMM_ADMIN_IDS=1,2\nSAFECOMM_LANGUAGE=en\nSAFECOMM_MATERIAL_WEIGHT=0.4\n"
        "SAFECOMM_INTERVIEW_WEIGHT=0.6\n",
        encoding="utf-8",
    )
    settings = load_settings()
    assert settings.admin_ids == [1, 2]
    assert settings.language == "en"
    assert (settings.material_weight, settings.interview_weight) == (0.4, 0.6)


def test_environment_wins_over_dotenv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".env").write_text("SAFECOMM_TIMEZONE=Europe/Berlin\n", encoding="utf-8")
    monkeypatch.setenv("SAFECOMM_TIMEZONE", "Asia/Urumqi")
    assert load_settings().timezone == "Asia/Urumqi"


def test_reminder_days_sorted_unique() -> None:
    assert load_settings(agency_reminder_days="1,7,3,7").agency_reminder_days == [7, 3, 1]


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("SAFECOMM_ADMIN_IDS", "1,two", "SAFECOMM_ADMIN_IDS"),
        ("SAFECOMM_TIMEZONE", "Mars/Olympus", "unknown time zone 'Mars/Olympus'"),
        ("SAFECOMM_LANGUAGE", "fr", "SAFECOMM_LANGUAGE"),
        ("SAFECOMM_DATABASE_URL", "mysql://x", "must start with sqlite:/// or postgresql://"),
        ("SAFECOMM_DATABASE_URL", "sqlite:safecomm.db", "not a valid database URL"),
        ("SAFECOMM_DATABASE_URL", "postgresql://u:secret@h:port/db", "not a valid database URL"),
        ("SAFECOMM_TELEGRAM_TOKEN", "not-a-token", "malformed bot token"),
        ("SAFECOMM_CAMPAIGN_REPORT_DUE", "12/15", "MM-DD"),
        ("SAFECOMM_CAMPAIGN_OPENS", "02-30", "real month and day"),
        ("SAFECOMM_REMINDER_SEND_TIME", "22:30", "falls in the quiet period"),
        ("SAFECOMM_AGENCY_REMINDER_DAYS", "3,-1", "cannot be negative"),
        ("SAFECOMM_UPLOAD_MAX_MB", "0", "SAFECOMM_UPLOAD_MAX_MB"),
        ("SAFECOMM_HELP_PHONE", "call us", "not a phone number"),
        ("SAFECOMM_HELP_PHONE", "12345", "not a phone number"),
        ("SAFECOMM_HELP_EMAIL", "office.example.org", "not an e-mail address"),
        ("SAFECOMM_HELP_EMAIL", "office@", "not an e-mail address"),
        ("SAFECOMM_AGENCY_REMINDER_DAYS", "7,100000", "at most 366 days"),
        ("SAFECOMM_UNIT_REMINDER_DAYS", "9999999", "at most 366 days"),
        ("SAFECOMM_BONUS_CAP", "1000000000000", "SAFECOMM_BONUS_CAP"),
        ("SAFECOMM_B4_POINTS", "1000", "SAFECOMM_B4_POINTS"),
        ("SAFECOMM_OPERATOR", "王" * 101, "at most 100 characters"),
        ("SAFECOMM_OPERATOR", "王\x07管理", "control character"),
        ("SAFECOMM_BOT_USERNAME", "bj safety", "not a Telegram bot username"),
        ("SAFECOMM_BOT_USERNAME", "bjsafety", "not a Telegram bot username"),
        ("SAFECOMM_BOT_USERNAME", "1bot_bot", "not a Telegram bot username"),
        ("SAFECOMM_BOT_USERNAME", "b" * 40 + "_bot", "not a Telegram bot username"),
        ("SAFECOMM_ADMIN_IDS", "1001,-100123456", "-100123456 is not a Telegram user id"),
        ("SAFECOMM_ADMIN_IDS", "0", "0 is not a Telegram user id"),
        ("SAFECOMM_UPLOAD_DIR", "/", "is a system directory"),
        ("SAFECOMM_UPLOAD_DIR", "/etc", "is a system directory"),
        ("SAFECOMM_UPLOAD_DIR", "/usr/share/safecomm", "is a system directory"),
        ("SAFECOMM_REGISTER_DIR", "/proc/self", "is a system directory"),
    ],
)
def test_wrong_setting_is_one_line_naming_it(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, says: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as wrong:
        load_settings()
    message = str(wrong.value)
    assert "\n" not in message
    assert message.startswith(f"配置错误 / invalid setting {name}: ")
    assert says in message
    assert "not-a-token" not in message and "secret" not in message  # no secret echoed


def test_weights_must_sum_to_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAFECOMM_MATERIAL_WEIGHT", "0.7")
    with pytest.raises(
        SettingsError, match="SAFECOMM_MATERIAL_WEIGHT \\+ SAFECOMM_INTERVIEW_WEIGHT must be 1"
    ):
        load_settings()


def test_wrong_setting_stops_the_cli_with_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SAFECOMM_TIMEZONE", "Nowhere/City")
    assert main(["agency", "list"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.strip().splitlines() == [
        "配置错误 / invalid setting SAFECOMM_TIMEZONE: unknown time zone 'Nowhere/City'"
    ]


def test_a_misspelt_setting_is_named_not_ignored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SAFECOMM_ADMIN_ID", "1001")
    with pytest.raises(SettingsError) as wrong:
        load_settings()
    assert str(wrong.value) == (
        "配置错误 / invalid setting SAFECOMM_ADMIN_ID: unknown setting"
        " (did you mean SAFECOMM_ADMIN_IDS?)"
    )
    monkeypatch.delenv("SAFECOMM_ADMIN_ID")
    (tmp_path / ".env").write_text("safecomm_quiet_begin=22:00\nOTHER_TOOL=1\n", encoding="utf-8")
    with pytest.raises(SettingsError, match="SAFECOMM_QUIET_BEGIN: unknown setting"):
        load_settings()


def test_the_old_bonus_setting_names_its_replacement(monkeypatch: pytest.MonkeyPatch) -> None:
    """SAFECOMM_BONUS_COUNTS_TOWARD_GRADE is gone: true meant GRADE_SCORE=final, false base."""
    monkeypatch.setenv("SAFECOMM_BONUS_COUNTS_TOWARD_GRADE", "false")
    with pytest.raises(SettingsError) as wrong:
        load_settings()
    assert str(wrong.value) == (
        "配置错误 / invalid setting SAFECOMM_BONUS_COUNTS_TOWARD_GRADE: replaced by"
        " SAFECOMM_GRADE_SCORE (true → final, false → base); the pass mark always reads"
        " the base score"
    )


def test_assessment_policy_defaults_and_no_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    """RULES.md: graded on the final score capped at 满分 100; no evidence → half."""
    defaults = load_settings()
    assert (defaults.grade_score, defaults.final_score_cap, defaults.bonus_cap) == (
        "final",
        100,
        None,
    )
    assert (defaults.no_evidence_fraction, defaults.pass_score) == (0.5, "base")
    monkeypatch.setenv("SAFECOMM_FINAL_SCORE_CAP", "")
    monkeypatch.setenv("SAFECOMM_BONUS_CAP", "none")
    lifted = load_settings()
    assert (lifted.final_score_cap, lifted.bonus_cap) == (None, None)
    monkeypatch.setenv("SAFECOMM_FINAL_SCORE_CAP", "90")
    with pytest.raises(SettingsError, match="SAFECOMM_FINAL_SCORE_CAP"):
        load_settings()
    monkeypatch.setenv("SAFECOMM_FINAL_SCORE_CAP", "100")
    monkeypatch.setenv("SAFECOMM_NO_EVIDENCE_FRACTION", "1.5")
    with pytest.raises(SettingsError, match="SAFECOMM_NO_EVIDENCE_FRACTION"):
        load_settings()


@pytest.mark.parametrize(
    "phone", ["010-12345678", "(010)12345678", "010-12345678-123", "13812345678"]
)
def test_the_help_contact_takes_a_landline_or_mobile_and_an_email(
    monkeypatch: pytest.MonkeyPatch, phone: str
) -> None:
    monkeypatch.setenv("SAFECOMM_HELP_PHONE", f" {phone} ")
    monkeypatch.setenv("SAFECOMM_HELP_EMAIL", "office@example.org.cn")
    settings = load_settings()
    assert (settings.help_phone, settings.help_email) == (phone, "office@example.org.cn")


def test_the_help_contact_is_empty_by_default() -> None:
    settings = load_settings()
    assert (settings.help_phone, settings.help_email) == ("", "")


def test_every_setting_is_documented_in_the_readme_or_the_decisions() -> None:
    """Policy settings are listed in docs/decisions.md (RULES.md), the others in README's
    settings table; a new setting is written into one of them."""
    root = Path(__file__).resolve().parents[3]
    docs = "".join(
        (root / name).read_text(encoding="utf-8") for name in ("README.md", "docs/decisions.md")
    )

    def named(field: str) -> bool:
        name = field.upper()
        short = "…_" + name.split("_", 1)[1] if "_" in name else name  # `…_REPORT_DUE`
        return ENV_PREFIX + name in docs or short in docs

    assert [field for field in Settings.model_fields if not named(field)] == []


def test_a_leading_at_sign_on_the_bot_username_is_dropped(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SAFECOMM_BOT_USERNAME", "@bjsafety_bot")
    assert load_settings().bot_username == "bjsafety_bot"


@pytest.mark.parametrize(
    ("url", "warned"),
    [
        ("http://botapi.example.org/bot", True),
        ("http://127.0.0.1:8081/bot", False),
        ("http://localhost:8081/bot", False),
        ("https://api.telegram.org/bot", False),
    ],
)
def test_a_remote_bot_api_over_plain_http_is_warned_about(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, url: str, warned: bool
) -> None:
    monkeypatch.setenv("SAFECOMM_TELEGRAM_BASE_URL", url)
    with caplog.at_level("WARNING", logger="workflow.core.settings"):
        load_settings()
    assert ("unencrypted" in caplog.text) is warned


@pytest.mark.parametrize(
    ("values", "refusal"),
    [
        ({"telegram_mode": "webhook"}, "TELEGRAM_MODE=webhook needs SAFECOMM_WEBHOOK_SECRET"),
        ({"webhook_secret": "too-short"}, "SAFECOMM_WEBHOOK_SECRET: must be 32 to 256"),
        ({"webhook_secret": "x" * 31 + "!"}, "SAFECOMM_WEBHOOK_SECRET: must be 32 to 256"),
        ({"web_workers": 4}, "SAFECOMM_WEB_WORKERS=4 needs SAFECOMM_TELEGRAM_MODE=webhook"),
        ({"leader_takeover_seconds": 2}, "SAFECOMM_LEADER_TAKEOVER_SECONDS"),
    ],
)
def test_several_processes_need_consistent_settings(
    values: dict[str, object], refusal: str
) -> None:
    with pytest.raises(SettingsError, match=refusal):
        load_settings(**values)


def test_the_webhook_path_is_derived_from_the_secret_and_hides_it() -> None:
    one = load_settings(telegram_mode="webhook", webhook_secret="a" * 40, web_workers=4)
    other = load_settings(telegram_mode="webhook", webhook_secret="b" * 40)
    assert one.webhook_path != other.webhook_path
    assert one.webhook_path.startswith("/telegram/") and "a" * 8 not in one.webhook_path
