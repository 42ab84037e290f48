"""Settings from the environment and ``.env`` (the names are fixed: deployments rely on them)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from bot.helpdesk.intent import DEFAULT_KEYWORDS
from bot.mobproc.models import TransactionType

# email: the Slack profile's e-mail address (as orders already use); email_local_part: the
# part before the @ (tenants whose employee ids are user names).
EMPLOYEE_ID_SOURCES = ("email", "email_local_part")


class SettingsError(Exception):
    """A missing or contradictory setting; the message names it in one line."""


def _split_ids(value: object) -> object:
    if isinstance(value, str):
        return [part.strip() for part in value.replace(";", ",").split(",") if part.strip()]
    return value


# Beyond this, APPROVALS_REQUIRED is more likely a typo than a policy.
MAX_APPROVALS = 5


def parse_approvals_required(text: str) -> dict[str, int]:
    """``DEACTIVATE=2,XFER_SERVICE_OUT=2`` → {type: approvers}; a ValueError names what is
    wrong (the setting's own name is added by ``load_settings``)."""
    found: dict[str, int] = {}
    for item in _split_ids(text) or []:
        name, equals, count = str(item).partition("=")
        kind = name.strip().upper()
        if not equals:
            raise ValueError(f"{item!r} is not TYPE=NUMBER (e.g. DEACTIVATE=2)")
        if kind not in TransactionType.__members__:
            raise ValueError(f"{name.strip()!r} is not one of "
                             f"{', '.join(TransactionType.__members__)}")
        if kind in found:
            raise ValueError(f"{kind} is given twice")
        number = count.strip()
        if not number.isdigit() or not 1 <= int(number) <= MAX_APPROVALS:
            raise ValueError(f"{kind}={number or '(nothing)'}: the number of approvers must "
                             f"be a whole number from 1 to {MAX_APPROVALS}")
        found[kind] = int(number)
    return found


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    SLACK_BOT_TOKEN: SecretStr | None = None
    SLACK_SIGNING_SECRET: SecretStr | None = None
    SLACK_APP_TOKEN: SecretStr | None = None
    SLACK_API_URL: str = "https://slack.com/api/"
    # How long one Slack Web API request may take (slack-sdk's own default). The outbox's
    # claim on a call lasts as long as the requests of one attempt can (``outbox_lease``).
    SLACK_TIMEOUT_SECONDS: float = Field(default=30.0, gt=0)
    PORT: int = Field(default=3000, ge=0, le=65535)

    MOBPROC_BASE_URL: str | None = None
    MOBPROC_TOKEN_URL: str | None = None
    MOBPROC_CLIENT_ID: str | None = None
    MOBPROC_CLIENT_SECRET: SecretStr | None = None
    MOBPROC_USERNAME: str | None = None
    MOBPROC_PASSWORD: SecretStr | None = None
    MOBPROC_SCOPE: str = "MOBPROC"
    MOBPROC_TENANT: str | None = None
    MOBPROC_TIMEOUT_SECONDS: float = Field(default=10.0, gt=0)
    # Per process: every MobProc call of a replica shares these limits.
    MOBPROC_MAX_RPS: float = Field(default=10.0, gt=0)
    MOBPROC_MAX_CONCURRENCY: int = Field(default=8, ge=1)

    # May hold a database password: kept out of repr, and redacted from logs.
    DATABASE_URL: str = Field(default="sqlite+aiosqlite:///./mobproc-bot.db", repr=False)
    APPROVERS: Annotated[list[str], NoDecode] = Field(default_factory=list)
    APPROVAL_CHANNEL: str | None = None
    HELPDESK_CHANNELS: Annotated[list[str], NoDecode] = Field(default_factory=list)
    STATUS_POLL_SECONDS: float = Field(default=60.0, gt=0)
    DEFAULT_REGION: str = "US"
    ALLOW_SELF_APPROVAL: bool = False
    APPROVAL_TTL_HOURS: float = Field(default=72.0, gt=0)
    REMINDER_HOURS: float = Field(default=24.0, gt=0)
    # How many approvers an order type needs (e.g. DEACTIVATE=2,XFER_SERVICE_OUT=2): orders
    # that can't be undone can ask for two people. Unlisted types need one.
    APPROVALS_REQUIRED: Annotated[dict[str, int], NoDecode] = Field(default_factory=dict)
    # Words in a help-desk message that point to each order (comma-separated; unset: defaults).
    KEYWORDS_SUSPEND: Annotated[list[str], NoDecode] = Field(default_factory=list)
    KEYWORDS_UNSUSPEND: Annotated[list[str], NoDecode] = Field(default_factory=list)
    KEYWORDS_DEACTIVATE: Annotated[list[str], NoDecode] = Field(default_factory=list)
    KEYWORDS_TRANSFER: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # Seconds between the embedded simulator's order status steps.
    SIMULATOR_STEP_SECONDS: float = Field(default=15.0, gt=0)
    # How late the embedded simulator answers every call, to try the bot against a slow MobProc.
    SIMULATOR_LATENCY_SECONDS: float = Field(default=0.0, ge=0)
    # Order types the embedded simulator puts through MobProc's own approval workflow.
    SIMULATOR_APPROVAL_TYPES: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # How a Slack user's company employee id (MobProc's approver id) is read from Slack.
    EMPLOYEE_ID_FROM: str = "email"
    # How often MobProc is asked what waits for each known person's approval.
    MOBPROC_APPROVALS_POLL_SECONDS: float = Field(default=120.0, gt=0)
    LOG_LEVEL: str = "INFO"
    # On SIGTERM: how long work in progress may take to finish before the bot exits anyway.
    SHUTDOWN_GRACE_SECONDS: float = Field(default=20.0, ge=0)
    # text: one readable line per entry; json: one JSON object per line, for log pipelines.
    LOG_FORMAT: str = "text"

    @field_validator("APPROVERS", "HELPDESK_CHANNELS", "KEYWORDS_SUSPEND", "KEYWORDS_UNSUSPEND",
                     "KEYWORDS_DEACTIVATE", "KEYWORDS_TRANSFER", "SIMULATOR_APPROVAL_TYPES",
                     mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        return _split_ids(value)

    @field_validator("APPROVERS")
    @classmethod
    def _approver_ids(cls, value: list[str]) -> list[str]:
        for item in value:
            if item[:1] not in ("U", "W", "S") or not item.isalnum():
                raise ValueError(
                    f"{item!r} is not a Slack user id (U…/W…) or user-group id (S…)"
                )
        return value

    @field_validator("SIMULATOR_APPROVAL_TYPES")
    @classmethod
    def _order_types(cls, value: list[str]) -> list[str]:
        types = [v.upper() for v in value]
        unknown = [t for t in types if t not in TransactionType.__members__]
        if unknown:
            raise ValueError(f"{', '.join(unknown)} is not one of "
                             f"{', '.join(TransactionType.__members__)}")
        return types

    @field_validator("APPROVALS_REQUIRED", mode="before")
    @classmethod
    def _approvals_required(cls, value: object) -> object:
        if isinstance(value, dict):  # given as a mapping (tests, code): checked the same way
            value = ",".join(f"{k}={v}" for k, v in value.items())
        if not isinstance(value, str):
            return value
        return parse_approvals_required(value)

    @field_validator("EMPLOYEE_ID_FROM")
    @classmethod
    def _employee_id_from(cls, value: str) -> str:
        source = value.strip().lower()
        if source not in EMPLOYEE_ID_SOURCES:
            raise ValueError(f"must be one of {', '.join(EMPLOYEE_ID_SOURCES)}")
        return source

    @field_validator("DEFAULT_REGION")
    @classmethod
    def _region(cls, value: str) -> str:
        import phonenumbers

        region = value.strip().upper()
        if region not in phonenumbers.SUPPORTED_REGIONS:
            raise ValueError(f"{value!r} is not a region code phonenumbers knows (e.g. US, GB)")
        return region

    @field_validator("LOG_LEVEL")
    @classmethod
    def _level(cls, value: str) -> str:
        level = value.strip().upper()
        if level not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
            raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
        return level

    @field_validator("LOG_FORMAT")
    @classmethod
    def _format(cls, value: str) -> str:
        form = value.strip().lower()
        if form not in ("text", "json"):
            raise ValueError("must be text or json")
        return form

    @field_validator("APPROVAL_CHANNEL", "MOBPROC_BASE_URL", "MOBPROC_TOKEN_URL", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @model_validator(mode="after")
    def _consistent(self) -> Settings:
        if self.MOBPROC_BASE_URL:
            missing = [
                name
                for name in (
                    "MOBPROC_TOKEN_URL",
                    "MOBPROC_CLIENT_ID",
                    "MOBPROC_CLIENT_SECRET",
                    "MOBPROC_USERNAME",
                    "MOBPROC_PASSWORD",
                    "MOBPROC_TENANT",
                )
                if not getattr(self, name)
            ]
            if missing:
                raise ValueError(
                    f"MOBPROC_BASE_URL is set, so {', '.join(missing)} must be set too"
                )
        if self.SLACK_APP_TOKEN and not self.SLACK_BOT_TOKEN:
            raise ValueError("SLACK_APP_TOKEN is set, so SLACK_BOT_TOKEN must be set too")
        if self.SLACK_APP_TOKEN and not self.SLACK_APP_TOKEN.get_secret_value().startswith(
            "xapp-"
        ):
            raise ValueError("SLACK_APP_TOKEN must be an app-level token starting with xapp-")
        if self.SLACK_BOT_TOKEN and not self.SLACK_APP_TOKEN and not self.SLACK_SIGNING_SECRET:
            raise ValueError(
                "SLACK_SIGNING_SECRET is required in HTTP mode (SLACK_BOT_TOKEN set, "
                "SLACK_APP_TOKEN unset)"
            )
        return self

    def order_keywords(self) -> dict[TransactionType, list[str]]:
        configured = {
            TransactionType.SUSPEND: self.KEYWORDS_SUSPEND,
            TransactionType.UNSUSPEND: self.KEYWORDS_UNSUSPEND,
            TransactionType.DEACTIVATE: self.KEYWORDS_DEACTIVATE,
            TransactionType.XFER_SERVICE_OUT: self.KEYWORDS_TRANSFER,
        }
        return {t: [w.lower() for w in words] or DEFAULT_KEYWORDS[t]
                for t, words in configured.items()}

    def secret_values(self) -> list[str]:
        """Every secret this configuration holds, for the log filter to redact."""
        values = [self.SLACK_BOT_TOKEN, self.SLACK_SIGNING_SECRET, self.SLACK_APP_TOKEN,
                  self.MOBPROC_CLIENT_SECRET, self.MOBPROC_PASSWORD]
        found = [v.get_secret_value() for v in values if v is not None]
        try:
            password = make_url(self.DATABASE_URL).password
        except ArgumentError:
            password = None
        return [*found, password] if password else found

    @property
    def slack_configured(self) -> bool:
        return self.SLACK_BOT_TOKEN is not None

    @property
    def socket_mode(self) -> bool:
        return self.SLACK_APP_TOKEN is not None

    @property
    def use_simulator(self) -> bool:
        return not self.MOBPROC_BASE_URL


def load_settings(**overrides: object) -> Settings:
    """Load settings, turning pydantic's report into one line that names the setting."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        error = exc.errors()[0]
        name = ".".join(str(part) for part in error["loc"]) or "settings"
        message = error["msg"].removeprefix("Value error, ")
        raise SettingsError(f"Setting {name}: {message}" if error["loc"] else message) from None
