"""Engine and session factory for SQLite (embedded default) and PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.ext.asyncio import create_async_engine as _create_async_engine

from peerbot.storage.clock import utcnow
from peerbot.storage.crypto import FieldCipher
from peerbot.storage.sealed import seal_with

__all__ = ["create_engine", "make_session_factory", "utcnow"]

_SQLITE_PRAGMAS = (
    "PRAGMA foreign_keys=ON",
    "PRAGMA busy_timeout=5000",
    "PRAGMA synchronous=NORMAL",
)

# The page cache of the one connection, in KiB (negative: a size, not a page count). SQLite's
# default, 2,000 KiB, fills within a minute on a large program (the scheduler's passes read
# the waiting list, the supporters and the matches) and then stays in the process for good.
# A page that no longer fits is read again from the operating system's file cache.
SQLITE_CACHE = "PRAGMA cache_size=-1024"

# A fixed set of connections, taken in turn: under load, connections opened beyond the
# pool (the overflow) are closed again as soon as they are returned, so every burst would
# pay for new connections (and their prepared statements) over and over.
POSTGRES_POOL_SIZE = 20
POSTGRES_POOL_OVERFLOW = 0


def create_engine(
    database_url: str, *, echo: bool = False, cipher: FieldCipher | None = None
) -> AsyncEngine:
    """Create the async engine, with per-connection SQLite settings or PostgreSQL pre-ping.

    cipher: the key the outbox's sealed payloads are written and read with; without it the
    engine serves everything else (migrations, counts) but not those payloads."""
    engine = _create_engine(database_url, echo=echo)
    if cipher is not None:
        seal_with(engine.dialect, cipher)
    return engine


def _create_engine(database_url: str, *, echo: bool) -> AsyncEngine:
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        return _create_async_engine(
            url,
            echo=echo,
            pool_pre_ping=True,
            pool_size=POSTGRES_POOL_SIZE,
            max_overflow=POSTGRES_POOL_OVERFLOW,
        )
    in_memory = url.database in (None, "", ":memory:") or url.query.get("mode") == "memory"
    if in_memory:
        engine = _create_async_engine(url, echo=echo)
    else:
        # SQLite lets one writer in at a time and makes the others sleep and retry (up to
        # busy_timeout), which under load means long stalls and "database is locked". One
        # connection per process turns that into a queue: first come, first served.
        engine = _create_async_engine(url, echo=echo, pool_size=1, max_overflow=0, pool_timeout=60)
    pragmas = (
        _SQLITE_PRAGMAS
        if in_memory
        else ("PRAGMA journal_mode=WAL", *_SQLITE_PRAGMAS, SQLITE_CACHE)
    )

    @event.listens_for(engine.sync_engine, "connect")
    def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        try:
            for pragma in pragmas:
                cursor.execute(pragma)
        finally:
            cursor.close()

    return engine


def make_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Return the session factory; objects stay readable after commit (no lazy refresh)."""
    return async_sessionmaker(engine, expire_on_commit=False)
