"""Before a command uses the database: reach it, and make sure the encryption key is the one
its free text was encrypted with."""

from __future__ import annotations

import argparse
import asyncio
import enum

from peerbot.config import Settings, SettingsError
from peerbot.storage.crypto import FieldCipher


class Use(enum.Enum):
    """How a command uses the database."""

    MIGRATE = "migrate"  # upgrades the schema if behind, then reads and writes
    WRITE = "write"  # needs the schema up to date; writes
    READ = "read"  # needs the schema up to date; changes nothing, not even the schema


class DatabaseNotMigrated(Exception):
    """The schema is missing or older than this peerbot's; the command does not migrate."""

    def __init__(self) -> None:
        super().__init__(
            "the database at PEERBOT_DATABASE_URL is not migrated to this version of peerbot: "
            "run `peerbot migrate` (or start `peerbot run`, which migrates), then this command"
        )


def database_use(args: argparse.Namespace) -> Use | None:
    """How the command in ``args`` uses the database; None when it opens none of its own."""
    command = args.command
    action = getattr(args, f"{str(command).replace('-', '_')}_command", None)
    if command in ("run", "invite") or (command, action) in (
        ("checkins", "run-due"),
        ("match", "propose-all"),
    ):
        return Use.MIGRATE
    if (command, action) == ("retention", "run"):
        return Use.READ if args.dry_run else Use.MIGRATE
    if command in ("export", "report"):
        return Use.READ
    if (command, action) == ("keys", "rotate"):
        return Use.WRITE
    return None


def open_database(settings: Settings, use: Use) -> None:
    """Reach the database and check the key is its own; raise what stops the command.

    Raises KeyMismatch, DatabaseNotMigrated, or the driver's error when the database cannot
    be reached (peerbot.cli.errors turns each into one line). Nothing is migrated here:
    a command checks its own arguments first, then migrates if it does; a schema that is
    behind is checked at the next start.
    """
    from peerbot.runtime.build import encryption_key

    try:
        cipher = FieldCipher(encryption_key(settings))
    except ValueError as error:
        raise SettingsError(str(error)) from None
    asyncio.run(_check(settings.database_url, cipher, use))


async def _check(database_url: str, cipher: FieldCipher, use: Use) -> None:
    from peerbot.storage.db import create_engine, make_session_factory
    from peerbot.storage.keys import check_key
    from peerbot.storage.migrate import head_revisions, stored_revisions

    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            revisions = await stored_revisions(connection)
        if revisions != head_revisions():
            if use is Use.WRITE:
                raise DatabaseNotMigrated
            # MIGRATE: the command brings the schema up first. READ: its own arguments are
            # checked first, then its first query fails as "not migrated" (cli_errors).
            return
        async with make_session_factory(engine)() as session:
            await check_key(session, cipher, record=use is not Use.READ)
    finally:
        await engine.dispose()
