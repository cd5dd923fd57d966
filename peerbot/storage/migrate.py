"""Run the schema migrations programmatically: upgrade, downgrade, current revision, drift check.

These functions are synchronous and run their own event loop (``asyncio.run`` in env.py):
call them outside a running loop, e.g. from the CLI, or via ``asyncio.to_thread``.

Alembic (with Mako and Pygments behind it) is imported only when the schema is read or
changed through it: ``upgrade_if_behind`` first compares the database's revision with the
newest migration file, so a start on a database already at head never loads it.

Upgrades are serialised: any number of processes started together (``peerbot run`` on every
replica, an operator's ``peerbot invite`` beside it) migrate once. Each takes an exclusive lock
first, then looks again at the stored revision, which another process may have moved to head
while it waited. On SQLite the lock is ``flock`` on ``<database file>.migrate.lock`` beside the
database (the kernel releases it when a process dies; ``fcntl`` is in the standard library and
every platform peerbot is installed on, Linux and the Docker image, has it); on PostgreSQL a
session-level ``pg_advisory_lock`` held on a connection of its own for the upgrade. An
in-memory SQLite database belongs to one process and needs no lock.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url

from peerbot.storage.db import create_engine

if TYPE_CHECKING:
    from alembic.config import Config
    from sqlalchemy.engine import Connection
    from sqlalchemy.ext.asyncio import AsyncConnection

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
VERSIONS_DIR = MIGRATIONS_DIR / "versions"
FILE_TEMPLATE = "%%(year)d%%(month).2d%%(day).2d_%%(hour).2d%%(minute).2d_%%(rev)s_%%(slug)s"

_REVISION = re.compile(r"^revision(?:\s*:[^=]*)?\s*=\s*['\"](\w+)['\"]\s*$", re.MULTILINE)
_DOWN_REVISION = re.compile(
    r"^down_revision(?:\s*:[^=]*)?\s*=\s*(?:['\"](\w+)['\"]|(None))\s*$", re.MULTILINE
)

#: The pg_advisory_lock key every peerbot process takes to migrate a PostgreSQL database
#: (advisory locks are per database). Fixed: the bytes of "peerbot" read as a number.
POSTGRES_MIGRATION_LOCK = int.from_bytes(b"peerbot", "big")
LOCK_SUFFIX = ".migrate.lock"

logger = logging.getLogger(__name__)


def alembic_config(database_url: str) -> Config:
    """Build the Alembic configuration for ``database_url``; there is no alembic.ini."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("path_separator", "os")
    config.set_main_option("file_template", FILE_TEMPLATE)
    config.set_main_option("timezone", "UTC")
    # ConfigParser interpolates "%": escape it so URL-encoded passwords survive.
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade_to_head(database_url: str) -> None:
    """Bring the database schema up to the newest revision, holding the migration lock."""
    asyncio.run(_upgrade_locked(database_url, only_if_behind=False))


def upgrade_if_behind(database_url: str) -> bool:
    """Upgrade unless the database is at the newest revision already; True if it upgraded.

    Behind, it takes the migration lock and looks again: False when another process
    brought the schema to head meanwhile.
    """
    if asyncio.run(_at_head(database_url)):
        return False
    return asyncio.run(_upgrade_locked(database_url, only_if_behind=True))


async def _upgrade_locked(database_url: str, *, only_if_behind: bool) -> bool:
    async with migration_lock(database_url):
        if only_if_behind and await _at_head(database_url):
            return False
        # Alembic's env.py runs its own event loop: give it a thread without one.
        await asyncio.to_thread(_alembic_upgrade, database_url)
    return True


def _alembic_upgrade(database_url: str) -> None:
    from alembic import command

    command.upgrade(alembic_config(database_url), "head")


async def _at_head(database_url: str) -> bool:
    head = head_revision()
    return head is not None and await _stored_revisions(database_url) == [head]


def sqlite_lock_path(database_url: str) -> Path | None:
    """The lock file beside a SQLite database file; None for PostgreSQL or in-memory SQLite."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        return None
    database = url.database or ""
    if url.query.get("uri") and database.startswith("file:"):
        database = database.removeprefix("file:").split("?", 1)[0]
    if database in ("", ":memory:") or url.query.get("mode") == "memory":
        return None
    path = Path(database)
    return path.with_name(path.name + LOCK_SUFFIX)


@contextlib.asynccontextmanager
async def migration_lock(database_url: str) -> AsyncIterator[None]:
    """Hold the exclusive lock that serialises schema upgrades on this database."""
    if make_url(database_url).get_backend_name() == "sqlite":
        path = sqlite_lock_path(database_url)
        if path is None:
            yield
            return
        with path.open("a+b") as lock_file:
            try:
                fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                logger.info("another process is migrating the database; waiting for it")
                await asyncio.to_thread(fcntl.flock, lock_file, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock_file, fcntl.LOCK_UN)
        return
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            key = {"key": POSTGRES_MIGRATION_LOCK}
            taken = await connection.scalar(text("SELECT pg_try_advisory_lock(:key)"), key)
            if not taken:
                logger.info("another process is migrating the database; waiting for it")
                await connection.execute(text("SELECT pg_advisory_lock(:key)"), key)
            # A session-level lock outlives the transaction; end it so this connection
            # holds no table lock while the upgrade runs on another.
            await connection.commit()
            unlock = text("SELECT pg_advisory_unlock(:key)")
            try:
                yield
            except BaseException:
                # The session's end releases the lock too: never hide why the upgrade failed.
                with contextlib.suppress(Exception):
                    await connection.execute(unlock, key)
                raise
            await connection.execute(unlock, key)
            await connection.commit()
    finally:
        await engine.dispose()


def head_revision() -> str | None:
    """The newest revision, read from the migration files' ``revision``/``down_revision`` lines.

    None when that is not plain (a merge, a branch, a line written another way): the caller
    then lets Alembic decide.
    """
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in VERSIONS_DIR.glob("*.py"):
        source = path.read_text(encoding="utf-8")
        revision, down = _REVISION.findall(source), _DOWN_REVISION.findall(source)
        if len(revision) != 1 or len(down) != 1:
            return None
        revisions.add(revision[0])
        parent, none = down[0]
        if parent:
            parents.add(parent)
        elif not none:
            return None
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def head_revisions() -> list[str]:
    """The newest revision(s) of the migration files; more than one only on a branch."""
    head = head_revision()
    if head is not None:
        return [head]
    from alembic.script import ScriptDirectory

    return sorted(ScriptDirectory.from_config(alembic_config("")).get_heads())


def downgrade(database_url: str, revision: str) -> None:
    """Take the schema down to ``revision`` (``"base"`` drops every table)."""
    from alembic import command

    command.downgrade(alembic_config(database_url), revision)


def current_revision(database_url: str) -> str | None:
    """Return the revision the database is at, or ``None`` when it was never migrated."""
    return asyncio.run(_current_revision(database_url))


def check_drift(database_url: str) -> None:
    """Raise ``alembic.util.exc.AutogenerateDiffsDetected`` when models and schema differ."""
    from alembic import command

    command.check(alembic_config(database_url))


async def _stored_revisions(database_url: str) -> list[str]:
    """The revisions in the alembic_version table; empty when there is no such table."""
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            return await stored_revisions(connection)
    finally:
        await engine.dispose()


async def stored_revisions(connection: AsyncConnection) -> list[str]:
    """The revisions in the alembic_version table, sorted; empty when there is no such table."""
    if not await connection.run_sync(_has_version_table):
        return []
    rows = await connection.execute(text("SELECT version_num FROM alembic_version"))
    return sorted(str(revision) for (revision,) in rows.all())


def _has_version_table(connection: Connection) -> bool:
    return inspect(connection).has_table("alembic_version")


async def _current_revision(database_url: str) -> str | None:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(_read_revision)
    finally:
        await engine.dispose()


def _read_revision(connection: Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()
