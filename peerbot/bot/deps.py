"""Long-lived objects the handlers need, passed through application.bot_data."""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from peerbot.config import Settings, SettingsError
from peerbot.program import ProgramData, load_program
from peerbot.storage.clock import utcnow
from peerbot.storage.crypto import FieldCipher, load_or_create_key_file
from peerbot.storage.db import create_engine, make_session_factory
from peerbot.storage.keys import KEY_FILE_NAME, sqlite_key_file

if TYPE_CHECKING:
    from telegram.request import BaseRequest

    from peerbot.bot.pacing import ChatPacer
    from peerbot.bot.sender import OutboxSender

# Where installs before the key file moved beside the database kept it: the working folder.
LEGACY_KEY_FILE = Path(KEY_FILE_NAME)

log = logging.getLogger(__name__)


@dataclass
class Deps:
    """Settings, database, program data and clock for one running application."""

    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    program: ProgramData
    cipher: FieldCipher
    clock: Callable[[], datetime] = utcnow
    sender: OutboxSender | None = None
    # The network layer, made once per use (None: Telegram over HTTP); `peerbot simulate`
    # passes an emulated Bot API here.
    request_for: Callable[[], BaseRequest] | None = None
    # The outbox's pacing (None: Telegram's limits).
    pacer: ChatPacer | None = None
    # Webhook mode: the inbox worker's wake-up (a processed update may free its chat's next).
    inbox_wake: Callable[[], None] | None = None

    def wake_sender(self) -> None:
        """Called after each update's commit: deliver what it queued, claim what it freed."""
        if self.sender is not None:
            self.sender.wake()
        if self.inbox_wake is not None:
            self.inbox_wake()


def encryption_key(settings: Settings) -> str:
    """The configured key; on SQLite without one, a key file beside the database, made once."""
    if settings.encryption_key is not None:
        return settings.encryption_key.get_secret_value()
    if not settings.is_sqlite:
        raise SettingsError(
            "PEERBOT_ENCRYPTION_KEY: required with PostgreSQL, so every replica uses the same "
            "key; make one with `peerbot keys generate`"
        )
    path = sqlite_key_file(settings.database_url)
    if path is None:  # an in-memory database: nothing outlives the process, the key neither
        return FieldCipher.generate_key()
    _copy_legacy_key_file(path)
    return load_or_create_key_file(path)


def _copy_legacy_key_file(path: Path) -> None:
    """An older install's key in the working folder is copied beside the database, never lost."""
    if path.exists() or not LEGACY_KEY_FILE.is_file():
        return
    if LEGACY_KEY_FILE.resolve() == path.resolve():
        return
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as copy, LEGACY_KEY_FILE.open("rb") as legacy:
        shutil.copyfileobj(legacy, copy)
    log.warning(
        "the encryption key file %s was copied to %s, beside the database; back that one up "
        "with the database (the old copy may be deleted once the backup holds the new one)",
        LEGACY_KEY_FILE.resolve(),
        path.resolve(),
    )


def build_deps(settings: Settings, program: ProgramData | None = None) -> Deps:
    """Create the engine and load program data; nothing connects until first use."""
    try:
        cipher = FieldCipher(encryption_key(settings))
    except ValueError as error:
        raise SettingsError(str(error)) from None
    engine = create_engine(settings.database_url)
    return Deps(
        settings=settings,
        engine=engine,
        sessions=make_session_factory(engine),
        program=program or load_program(settings.program_dir),
        cipher=cipher,
    )


DEPS_KEY = "peerbot.deps"


def deps_from(bot_data: dict[str, Any]) -> Deps:
    """The Deps stored by build_application."""
    deps = bot_data[DEPS_KEY]
    assert isinstance(deps, Deps)
    return deps
