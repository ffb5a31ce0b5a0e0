"""Settings: one pydantic-settings class read from the environment and `.env`.

Every value named *policy* in the rules (weights, bonus handling, campaign
dates, reminder offsets, quiet period) lives here so an administrator can change
it without editing code. A wrong value stops start-up with one line naming the
setting (see `load_settings`).
"""

from __future__ import annotations

import difflib
import hashlib
import logging
import os
import re
from datetime import date, time
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import dotenv_values
from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from workflow.core.numbers import MAX_TELEGRAM_ID
from workflow.core.shapes import EMAIL, is_phone

ENV_PREFIX = "SAFECOMM_"
_MONTH_DAY = re.compile(r"^(\d{2})-(\d{2})$")
_WEBHOOK_SECRET = re.compile(r"[A-Za-z0-9_-]{32,256}")
NO_CAP_WORDS = ("", "none", "无")
RENAMED = {
    f"{ENV_PREFIX}BONUS_COUNTS_TOWARD_GRADE": (
        f"replaced by {ENV_PREFIX}GRADE_SCORE (true → final, false → base);"
        " the pass mark always reads the base score"
    ),
}
"""Settings that no longer exist, with what replaces them (a start refuses the old name)."""
_TOKEN = re.compile(r"^\d{1,20}:[A-Za-z0-9_-]{30,}$")
_ICP = re.compile(r"[\u4e00-\u9fff]{1,2}ICP备\d{4,12}号(-\d{1,3})?")
_BASE_URL = re.compile(r"https?://[A-Za-z0-9.-]+(:\d{1,5})?")
_BOT_USERNAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{1,28}[Bb][Oo][Tt]")  # 5-32 characters
_LOOPBACK = ("127.0.0.1", "localhost", "::1")
MAX_OFFSET_DAYS = 366
OPERATOR_MAX = 100  # AuditEntry.actor_name's length
_SYSTEM_DIRECTORIES = (
    "/",
    "/bin",
    "/boot",
    "/dev",
    "/etc",
    "/lib",
    "/proc",
    "/root",
    "/run",
    "/sbin",
    "/sys",
    "/usr",
    "/var",
)
_NEVER_INSIDE = ("/bin", "/boot", "/dev", "/etc", "/lib", "/proc", "/sbin", "/sys", "/usr")
log = logging.getLogger(__name__)


def _is_system_directory(path: Path) -> bool:
    """`path` is a system directory itself, or lies inside one nothing should be written to."""
    text = str(path)
    return text in _SYSTEM_DIRECTORIES or any(text.startswith(top + "/") for top in _NEVER_INSIDE)


def _split_ints(value: object) -> object:
    """Accept `1,2,3` (what people type in `.env`) as well as a list."""
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


class SettingsError(Exception):
    """A setting is wrong; the message is one line naming it."""


class Settings(BaseSettings):
    """Everything configurable, with the defaults the rules decide."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    database_url: str = "sqlite:///safecomm.db"
    telegram_token: SecretStr | None = None
    telegram_base_url: str = "https://api.telegram.org/bot"
    bot_username: str = "safecomm_bot"
    admin_ids: Annotated[list[int], NoDecode] = Field(default_factory=list)
    timezone: str = "Asia/Shanghai"
    language: Literal["zh", "en"] = "zh"
    operator: str = ""

    # the Association's help contact, named by every help text ("请联系文促会（电话 …，邮箱 …）");
    # empty: the texts name 文促会秘书处 and the main job warns once at start
    help_phone: str = ""
    help_email: str = ""

    # policy: application round (Art. 10)
    material_weight: float = Field(default=0.5, ge=0, le=1)
    interview_weight: float = Field(default=0.5, ge=0, le=1)

    # policy: assessment (Art. 12, 13, the table's 评分说明). Whether an assessment
    # passes is not a policy: the base score >= 70 and no indicator at 0 (评分说明三).
    grade_score: Literal["final", "base"] = "final"  # the score a passed sheet is graded on
    final_score_cap: int | None = Field(default=100, ge=100)  # 总分 at most 满分 100; None: no cap
    bonus_cap: int | None = Field(default=None, ge=0, le=100)  # bonus at most this; None: no cap
    b4_points: int = Field(default=1, ge=0, le=100)
    no_evidence_fraction: float = Field(default=0.5, ge=0, le=1)  # 无证据: at most this share

    # policy: yearly campaign default dates, MM-DD in the configured time zone (Art. 15)
    campaign_opens: str = "12-01"
    campaign_report_due: str = "12-15"
    campaign_questionnaire_closes: str = "12-20"
    campaign_results_published: str = "12-31"
    # policy: the 公示 period after the results (Art. 15), days from the results date
    publicity_days: int = Field(default=7, ge=1, le=90)

    # policy: reminders
    agency_reminder_days: Annotated[list[int], NoDecode] = Field(
        default_factory=lambda: [7, 3, 1, 0]
    )
    unit_reminder_days: Annotated[list[int], NoDecode] = Field(default_factory=lambda: [5, 2, 0])
    # policy: the quarterly Art. 11 shortfall reminder, days before the quarter's end (the
    # report deadline for the quarter it falls in); 20 is about the 10th of the last month
    guidance_reminders: bool = True
    guidance_reminder_days: Annotated[list[int], NoDecode] = Field(default_factory=lambda: [20])
    reminder_send_time: time = time(9, 0)
    quiet_start: time = time(21, 0)
    quiet_end: time = time(8, 0)
    reminder_tick_seconds: int = Field(default=300, ge=5)

    # the bot's concurrency and its patience with the database
    bot_concurrency: int = Field(default=8, ge=1, le=64)
    db_lock_timeout_ms: int = Field(default=3000, ge=100)
    db_statement_timeout_ms: int = Field(default=15000, ge=100)

    # uploads of annual reports and evidence
    upload_dir: str = "uploads"
    upload_max_mb: int = Field(default=20, ge=1, le=2000)

    # the current register (Art. 6): written here again after every move onto it or off it
    register_dir: str = ""  # empty: not written automatically (`safecomm register --out DIR`)
    # the key that signs audit anchors (`safecomm audit anchor`): a file off the database host
    audit_key_file: str = ""

    # the web pages (bot/web): the address people open (behind nginx: https://…), where the
    # app listens, the key that signs sessions (required to serve), and how long a one-time
    # sign-in link and a signed-in session last
    web_base_url: str = ""  # empty: http://<web_bind>
    web_bind: str = "127.0.0.1:8000"
    session_secret: SecretStr | None = None
    web_link_hours: int = Field(default=72, ge=1, le=720)
    web_session_hours: int = Field(default=12, ge=1, le=168)
    icp_number: str = ""  # the site's ICP filing number (备案号), shown in every page's footer

    # several processes on one PostgreSQL (docs/deploy.md): how Telegram reaches the bot
    # (polling: one process fetches updates; webhook: Telegram posts them to the web app at
    # /telegram/<path derived from the secret>, checked by the secret in its header), the
    # uvicorn workers of `safecomm start` in webhook mode, and how soon another process
    # takes over the scheduler and the reminder sender when the leader dies
    telegram_mode: Literal["polling", "webhook"] = "polling"
    webhook_secret: SecretStr | None = None
    web_workers: int = Field(default=1, ge=1, le=32)
    leader_takeover_seconds: int = Field(default=30, ge=3, le=600)

    # policy: the application round's pass marks and total-quantity control (Art. 10(2), 10(3))
    interview_pass_score: float = Field(default=60, ge=0, le=100)
    min_composite_score: float | None = Field(default=None, ge=0, le=100)
    quota_scope: Literal["round", "register"] = "round"

    @field_validator("min_composite_score", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        """`SAFECOMM_MIN_COMPOSITE_SCORE=` (empty) means no minimum 总成绩."""
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("help_phone")
    @classmethod
    def _phone_shape(cls, value: str) -> str:
        value = value.strip()
        if value and not is_phone(value):
            raise ValueError(
                "not a phone number (e.g. 010-12345678, 010-12345678-123, 13812345678)"
            )
        return value

    @field_validator("help_email")
    @classmethod
    def _email_shape(cls, value: str) -> str:
        value = value.strip()
        if value and not EMAIL.fullmatch(value):
            raise ValueError("not an e-mail address (e.g. office@example.org.cn)")
        return value

    @field_validator(
        "admin_ids",
        "agency_reminder_days",
        "unit_reminder_days",
        "guidance_reminder_days",
        mode="before",
    )
    @classmethod
    def _comma_list(cls, value: object) -> object:
        return _split_ints(value)

    @field_validator("final_score_cap", "bonus_cap", mode="before")
    @classmethod
    def _no_cap(cls, value: object) -> object:
        """An empty value (or `none`) means no cap: `SAFECOMM_FINAL_SCORE_CAP=` in `.env`."""
        if isinstance(value, str) and value.strip().lower() in NO_CAP_WORDS:
            return None
        return value

    @property
    def pass_score(self) -> Literal["base"]:
        """The score the pass mark is read from: the base score, by the rules (评分说明三),
        not a setting. Sheets finalised before database revision 0008 store "graded"."""
        return "base"

    @field_validator("guidance_reminder_days")
    @classmethod
    def _within_a_quarter(cls, value: list[int]) -> list[int]:
        if any(not 0 <= day <= 80 for day in value):
            raise ValueError("days before the quarter ends must be between 0 and 80")
        return value

    @field_validator("agency_reminder_days", "unit_reminder_days", "guidance_reminder_days")
    @classmethod
    def _non_negative(cls, value: list[int]) -> list[int]:
        if any(day < 0 for day in value):
            raise ValueError("offsets are days before the deadline and cannot be negative")
        if any(day > MAX_OFFSET_DAYS for day in value):
            raise ValueError(
                f"offsets are at most {MAX_OFFSET_DAYS} days (a year) before the deadline"
            )
        return sorted(set(value), reverse=True)

    @field_validator("operator")
    @classmethod
    def _fits_the_audit_log(cls, value: str) -> str:
        if len(value) > OPERATOR_MAX:  # the audit log's actor column holds no more
            raise ValueError(f"at most {OPERATOR_MAX} characters")
        if any(not ch.isprintable() for ch in value):
            raise ValueError("contains a control character")
        return value

    @field_validator("bot_username")
    @classmethod
    def _telegram_username(cls, value: str) -> str:
        name = value.removeprefix("@")
        if not _BOT_USERNAME.fullmatch(name):
            raise ValueError(
                "not a Telegram bot username (5-32 letters, digits or _, starting with a"
                " letter and ending in 'bot', e.g. bjsafety_bot)"
            )
        return name

    @field_validator("admin_ids")
    @classmethod
    def _user_ids(cls, value: list[int]) -> list[int]:
        for number in value:
            if not 1 <= number <= MAX_TELEGRAM_ID:  # groups and channels have negative ids
                raise ValueError(f"{number} is not a Telegram user id (a positive number)")
        return value

    @field_validator("upload_dir", "register_dir")
    @classmethod
    def _not_a_system_directory(cls, value: str) -> str:
        path = Path(value).expanduser()  # a relative folder lies in the working directory
        if value and path.is_absolute() and _is_system_directory(Path(os.path.normpath(path))):
            raise ValueError(f"{value!r} is a system directory; choose a folder of safecomm's own")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @field_validator("database_url")
    @classmethod
    def _supported_db(cls, value: str) -> str:
        if not value.startswith(("sqlite:", "postgresql:", "postgresql+psycopg:")):
            raise ValueError("must start with sqlite:/// or postgresql://")
        try:
            make_url(value)
        except (ArgumentError, ValueError):  # the message would quote the URL (a password)
            raise ValueError(
                "not a valid database URL (e.g. sqlite:///safecomm.db,"
                " postgresql://user:password@host:5432/safecomm)"
            ) from None
        return value

    @field_validator("telegram_token")
    @classmethod
    def _token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not _TOKEN.match(value.get_secret_value()):
            raise ValueError("malformed bot token (expected <digits>:<at least 30 characters>)")
        return value

    @field_validator("telegram_base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        host = urlsplit(value).hostname or ""
        if value.startswith("http://") and host not in _LOOPBACK:
            log.warning(
                "SAFECOMM_TELEGRAM_BASE_URL is plain http to %s: the bot token travels"
                " unencrypted; use https or a Bot API server on this machine",
                host,
            )
        return value

    @field_validator("web_base_url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if value and not _BASE_URL.fullmatch(value):
            raise ValueError(
                "must be http(s)://host[:port] with no path, e.g. https://safecomm.example.cn"
            )
        return value

    @field_validator("icp_number")
    @classmethod
    def _icp(cls, value: str) -> str:
        value = value.strip()
        if value and not _ICP.fullmatch(value):
            raise ValueError("must be an ICP filing number such as 京ICP备12345678号-1")
        return value

    @field_validator("web_bind")
    @classmethod
    def _bind_address(cls, value: str) -> str:
        host, _, port = value.strip().rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError("must be host:port, e.g. 127.0.0.1:8000")
        return value.strip()

    @field_validator("session_secret")
    @classmethod
    def _secret_length(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 32:
            raise ValueError(
                "must be at least 32 characters (e.g. the output of: openssl rand -hex 32)"
            )
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _webhook_secret(cls, value: SecretStr | None) -> SecretStr | None:
        """Telegram's `secret_token`: 1–256 of A–Z, a–z, 0–9, _ and -; at least 32 here."""
        if value is not None and not _WEBHOOK_SECRET.fullmatch(value.get_secret_value()):
            raise ValueError(
                "must be 32 to 256 letters, digits, _ or - (e.g. the output of:"
                " openssl rand -hex 32)"
            )
        return value

    @model_validator(mode="after")
    def _webhook_needs_its_secret(self) -> Settings:
        if self.telegram_mode == "webhook" and self.webhook_secret is None:
            raise ValueError(
                f"{ENV_PREFIX}TELEGRAM_MODE=webhook needs {ENV_PREFIX}WEBHOOK_SECRET"
                " (32 to 256 letters, digits, _ or -, e.g. the output of: openssl rand -hex 32)"
            )
        if self.web_workers > 1 and self.telegram_mode != "webhook":
            raise ValueError(
                f"{ENV_PREFIX}WEB_WORKERS={self.web_workers} needs"
                f" {ENV_PREFIX}TELEGRAM_MODE=webhook: in polling mode one process fetches"
                " the updates, so it runs one worker (docs/deploy.md, section 8)"
            )
        return self

    @field_validator(
        "campaign_opens",
        "campaign_report_due",
        "campaign_questionnaire_closes",
        "campaign_results_published",
    )
    @classmethod
    def _month_day(cls, value: str) -> str:
        match = _MONTH_DAY.match(value)
        try:
            date(2000, int(match[1]), int(match[2])) if match else None  # a leap year
        except ValueError:
            match = None
        if not match:
            raise ValueError("must be a real month and day MM-DD, e.g. 12-15")
        return value

    @model_validator(mode="after")
    def _send_time_not_pushed_past_midnight(self) -> Settings:
        """A send time in a quiet period moves to its end; past midnight that would be the
        next day, after a deadline-day reminder's deadline, so it is refused."""
        start, end, send = self.quiet_start, self.quiet_end, self.reminder_send_time
        if start > end and send >= start:
            raise ValueError(
                f"{ENV_PREFIX}REMINDER_SEND_TIME: {send:%H:%M} falls in the quiet period"
                f" {start:%H:%M}–{end:%H:%M} and would move to the next morning, so the"
                " reminders of a deadline day would never go out"
            )
        return self

    @model_validator(mode="after")
    def _weights_sum_to_one(self) -> Settings:
        if abs(self.material_weight + self.interview_weight - 1.0) > 1e-9:
            raise ValueError(
                f"{ENV_PREFIX}MATERIAL_WEIGHT + {ENV_PREFIX}INTERVIEW_WEIGHT must be 1"
                f" (now {self.material_weight} + {self.interview_weight})"
            )
        return self

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def public_url(self) -> str:
        """Where people open the web pages: the base URL, else the bind address over http."""
        return self.web_base_url or f"http://{self.web_bind}"

    @property
    def serves_https(self) -> bool:
        """Whether people open the pages over https (cookies are then Secure)."""
        return self.public_url.startswith("https://")

    @property
    def webhook_path(self) -> str:
        """The webhook's path, `/telegram/<32 hex>`: derived from the secret, so the URL
        (which nginx logs) never shows the secret itself."""
        secret = self.webhook_secret.get_secret_value() if self.webhook_secret else ""
        digest = hashlib.sha256(f"safecomm-webhook:{secret}".encode()).hexdigest()
        return f"/telegram/{digest[:32]}"

    @property
    def bind_host_port(self) -> tuple[str, int]:
        host, _, port = self.web_bind.rpartition(":")
        return host.strip("[]"), int(port)


def _first_error_line(error: ValidationError) -> str:
    first = error.errors()[0]
    message = first["msg"].removeprefix("Value error, ")
    if not first["loc"]:  # a rule across settings: the message names them
        return f"配置错误 / invalid setting {message}"
    return f"配置错误 / invalid setting {ENV_PREFIX}{str(first['loc'][0]).upper()}: {message}"


def _unknown_setting() -> str | None:
    """A `SAFECOMM_…` name in the environment or `.env` that is no setting (a typo such
    as `SAFECOMM_ADMIN_ID` would otherwise be ignored without a word), with a hint."""
    known = [ENV_PREFIX + name.upper() for name in Settings.model_fields]
    env_file = Path(".env")
    given = list(os.environ) + (list(dotenv_values(env_file)) if env_file.is_file() else [])
    for name in sorted({n.upper() for n in given if n.upper().startswith(ENV_PREFIX)}):
        if name in RENAMED:
            return f"{name}: {RENAMED[name]}"
        if name not in known:
            hint = difflib.get_close_matches(name, known, n=1)
            return f"{name}: unknown setting" + (f" (did you mean {hint[0]}?)" if hint else "")
    return None


def load_settings(**overrides: object) -> Settings:
    """Read the settings; raise `SettingsError` with one clear line on a bad value
    or an unknown `SAFECOMM_…` name."""
    unknown = _unknown_setting()
    if unknown:
        raise SettingsError(f"配置错误 / invalid setting {unknown}")
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as error:
        raise SettingsError(_first_error_line(error)) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return load_settings()
