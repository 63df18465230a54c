"""Settings: every knob of the product, read from the environment and `.env` (prefix CRM_).

An invalid setting stops start-up with one sentence that names it and says how to fix it
(`ConfigError`); secrets are `SecretStr`, so they never reach logs or tracebacks.
"""

from __future__ import annotations

import zoneinfo
from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

TELEGRAM_API_BASE = "https://api.telegram.org"
SUPPORTED_LOCALES = ("uk", "en")


class ConfigError(Exception):
    """A setting is missing or wrong; the message is one sentence for the operator."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="CRM_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    data_dir: Path = Field(Path("./data"), description="Where the SQLite file and files live")
    database_url: str | None = Field(
        None, description="sqlite://PATH or postgres://user:pass@host:port/db"
    )
    files_dir: Path | None = Field(None, description="Content-addressed file store")
    bot_token: SecretStr | None = Field(None, description="Telegram bot token from @BotFather")
    bot_username: str | None = Field(None, description="The bot's @username, for invite links")
    telegram_api_base: str = Field(TELEGRAM_API_BASE, description="Bot API server base URL")
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    webhook_listen: str = Field("127.0.0.1:8080", description="host:port the webhook server binds")
    redis_url: SecretStr | None = None
    default_locale: str = "uk"
    timezone: str = "Europe/Kyiv"
    currency: str = "UAH"
    log_level: str = "INFO"
    probability_method: str = Field("shrunk", description="win probability: shrunk or bayes")
    jobs_enabled: bool = Field(
        True, description="Run the scheduled digests and reminders inside `crm run`"
    )

    @field_validator("probability_method")
    @classmethod
    def _method(cls, value: str) -> str:
        value = value.strip().lower()
        if value not in ("shrunk", "bayes"):
            raise ValueError("must be shrunk or bayes")
        return value

    @field_validator("default_locale")
    @classmethod
    def _locale(cls, value: str) -> str:
        if value not in SUPPORTED_LOCALES:
            raise ValueError(f"must be one of {', '.join(SUPPORTED_LOCALES)}")
        return value

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str) -> str:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError("must be an IANA time zone such as Europe/Kyiv") from None
        return value

    @field_validator("currency")
    @classmethod
    def _currency(cls, value: str) -> str:
        value = value.upper()
        if len(value) != 3 or not value.isalpha():
            raise ValueError("must be a three-letter ISO 4217 code such as UAH")
        return value

    @field_validator("telegram_api_base")
    @classmethod
    def _api_base(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return value.rstrip("/")

    @field_validator("database_url")
    @classmethod
    def _db_url(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        schemes = ("sqlite://", "postgres://", "asyncpg://", "psycopg://")
        if not value.startswith(schemes):
            raise ValueError("must start with sqlite:// or postgres://")
        return value

    @property
    def db_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite://{(self.data_dir / 'crm.sqlite3').as_posix()}"

    @property
    def files_path(self) -> Path:
        return self.files_dir if self.files_dir else self.data_dir / "files"

    def require_bot_token(self) -> str:
        """The token, or a ConfigError saying where to get one and where to put it."""
        if self.bot_token is None or not self.bot_token.get_secret_value().strip():
            raise ConfigError(
                "CRM_BOT_TOKEN is not set: create a bot with @BotFather in Telegram, "
                "then put CRM_BOT_TOKEN=<token> into the .env file next to the README "
                "(or export it in the environment) and start again."
            )
        token = self.bot_token.get_secret_value().strip()
        head, _, tail = token.partition(":")
        if not head.isdigit() or len(tail) < 20:
            raise ConfigError(
                "CRM_BOT_TOKEN does not look like a Telegram token (digits, a colon, then "
                "at least 20 characters): copy it again from @BotFather into .env."
            )
        return token


def _explain(error: ValidationError) -> str:
    first = error.errors()[0]
    name = "CRM_" + str(first["loc"][0]).upper() if first.get("loc") else "a CRM_ setting"
    reason = str(first.get("msg", "is invalid")).removeprefix("Value error, ")
    return f"{name} is invalid: {reason}; fix it in .env or the environment and start again."


def load_settings(**overrides: object) -> Settings:
    """Read the settings once, turning validation errors into one operator-facing sentence."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as error:
        raise ConfigError(_explain(error)) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
