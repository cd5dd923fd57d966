"""The one settings object, read from the environment and `.env` (prefix PEERBOT_)."""

from __future__ import annotations

import os
import re
import socket
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    Field,
    PrivateAttr,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///peerbot.sqlite3"
DEFAULT_TELEGRAM_API_URL = "https://api.telegram.org"
ENV_PREFIX = "PEERBOT_"
# Telegram's rule for setWebhook's secret_token.
WEBHOOK_SECRET_SHAPE = re.compile(r"[A-Za-z0-9_-]{1,256}")


def default_replica_id() -> str:
    """hostname-pid: unique among replicas sharing a database, and readable in logs."""
    return f"{socket.gethostname()}-{os.getpid()}"[-64:]


class Settings(BaseSettings):
    """What an operator configures; see the README's settings table."""

    # An empty value (`PEERBOT_PROGRAM_DIR=`, as .env.example leaves most lines) means "not
    # set": the default applies, never an empty path, number or key.
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_file=".env",
        env_file_encoding="utf-8",
        env_ignore_empty=True,
        extra="ignore",
    )

    bot_token: SecretStr | None = None
    database_url: str = DEFAULT_DATABASE_URL
    telegram_api_url: str = DEFAULT_TELEGRAM_API_URL
    coordinator_chat_id: int | None = None
    # The explicit alternative to a group: every card goes privately to each coordinator.
    no_coordinator_group: bool = False
    coordinator_ids: Annotated[frozenset[int], NoDecode] = Field(default_factory=frozenset)
    program_dir: Path | None = None
    encryption_key: SecretStr | None = None
    timezone: str = "UTC"
    # Webhook mode (`peerbot run --webhook`): Telegram posts updates to webhook_url, which a
    # reverse proxy forwards to listen_host:listen_port.
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    listen_host: str = "0.0.0.0"  # behind a reverse proxy: listen on every interface
    listen_port: int = Field(default=8080, ge=1, le=65535)
    log_format: Literal["text", "json"] = "text"
    replica_id: str = Field(default_factory=default_replica_id, min_length=1, max_length=64)
    # Long polling's liveness file (runtime/heartbeat.py); default beside the SQLite file.
    heartbeat_file: str | None = None
    # Not configured: found by the bot (the group a forum, the bot allowed to manage topics).
    _case_topics: bool = PrivateAttr(default=False)

    @field_validator("bot_token")
    @classmethod
    def _token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        bot_id, sep, secret = value.get_secret_value().strip().partition(":")
        if not (sep and bot_id.isdigit() and secret):
            raise ValueError("expected the form <digits>:<secret> as BotFather gives it")
        return SecretStr(value.get_secret_value().strip())

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, value: str) -> str:
        value = value.strip()
        if value.startswith(("postgres://", "postgresql://")):
            return "postgresql+asyncpg://" + value.split("://", 1)[1]
        if value.startswith("sqlite://"):
            return "sqlite+aiosqlite://" + value.split("://", 1)[1]
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("use a sqlite+aiosqlite:// or postgresql+asyncpg:// URL")
        return value

    @field_validator("telegram_api_url")
    @classmethod
    def _api_root(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if not value.startswith(("http://", "https://")):
            raise ValueError("expected an http:// or https:// server root")
        if "/bot" in value.split("://", 1)[1]:
            raise ValueError("give the server root only; the bot adds /bot<token>/<method>")
        return value

    @field_validator("coordinator_ids", mode="before")
    @classmethod
    def _comma_separated_ids(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [part.strip() for part in value.split(",") if part.strip()]
            if not all(part.lstrip("-").isdigit() for part in parts):
                raise ValueError("expected comma-separated Telegram user ids, e.g. 111,222")
            return frozenset(int(part) for part in parts)
        return value

    @field_validator("program_dir")
    @classmethod
    def _existing_dir(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_dir():
            raise ValueError(f"folder {value} does not exist")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("expected an IANA time zone such as Europe/Madrid") from None
        return value

    @field_validator("webhook_url")
    @classmethod
    def _https_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip()
        parts = urlsplit(value)
        if parts.scheme != "https" or not parts.hostname:
            raise ValueError("expected the public https:// URL Telegram posts updates to")
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _secret_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        secret = value.get_secret_value().strip()
        if not WEBHOOK_SECRET_SHAPE.fullmatch(secret):
            raise ValueError("expected 1-256 characters of A-Z, a-z, 0-9, _ and - (Telegram)")
        return SecretStr(secret)

    @model_validator(mode="after")
    def _somewhere_for_cards(self) -> Settings:
        if not self.no_coordinator_group:
            return self
        if self.coordinator_chat_id is not None:
            raise ValueError(
                f"{ENV_PREFIX}NO_COORDINATOR_GROUP: {ENV_PREFIX}COORDINATOR_CHAT_ID is set too; "
                "keep one: the group, or cards privately to each coordinator"
            )
        if not self.coordinator_ids:
            raise ValueError(
                f"{ENV_PREFIX}COORDINATOR_IDS: required without a coordinators' group, so "
                "every card has someone to go to (comma-separated Telegram user ids)"
            )
        return self

    @property
    def case_topics(self) -> bool:
        """Each case is a forum topic of the coordinators' group (else replies to its card)."""
        return self._case_topics

    def use_case_topics(self, allowed: bool) -> None:
        """What the bot found the group allows, at start and whenever the group changes."""
        self._case_topics = allowed

    @property
    def setup_mode(self) -> bool:
        """Neither a coordinators' group nor the private alternative: cards would reach no one,
        so the bot only helps to set itself up."""
        return self.coordinator_chat_id is None and not self.no_coordinator_group

    @property
    def webhook_path(self) -> str:
        """The path of webhook_url: where the replica accepts Telegram's posts."""
        return urlsplit(self.webhook_url or "").path or "/"

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


class SettingsError(Exception):
    """A setting is missing or invalid; the message names the variable."""


def load_settings(**overrides: object) -> Settings:
    """Read settings once; turn pydantic's report into one line naming the variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as error:
        first = error.errors()[0]
        message = str(first["msg"]).removeprefix("Value error, ")
        if not first["loc"]:  # a rule spanning fields: its message names the variable
            raise SettingsError(message) from None
        field = str(first["loc"][0])
        raise SettingsError(f"{ENV_PREFIX}{field.upper()}: {message}") from None
