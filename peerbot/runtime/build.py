"""Build a running application's long-lived objects: the database engine, the encryption key
and the program data; nothing connects until first use."""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

from peerbot.bot.deps import Deps
from peerbot.config import Settings, SettingsError
from peerbot.program import ProgramData, load_program
from peerbot.storage.crypto import FieldCipher, load_or_create_key_file
from peerbot.storage.db import create_engine, make_session_factory
from peerbot.storage.keys import KEY_FILE_NAME, sqlite_key_file

# Where installs before the key file moved beside the database kept it: the working folder.
LEGACY_KEY_FILE = Path(KEY_FILE_NAME)

log = logging.getLogger(__name__)


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
    engine = create_engine(settings.database_url, cipher=cipher)
    return Deps(
        settings=settings,
        engine=engine,
        sessions=make_session_factory(engine),
        program=program or load_program(settings.program_dir),
        cipher=cipher,
    )
