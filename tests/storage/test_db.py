"""Engine settings per dialect and the session factory's commit behaviour."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from peerbot.storage.db import create_engine, make_session_factory, utcnow
from peerbot.storage.models import Person


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_sqlite_connections_get_the_pragmas(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:

        async def pragma(name: str) -> object:
            return (await connection.execute(text(f"PRAGMA {name}"))).scalar()

        assert await pragma("journal_mode") == "wal"
        assert await pragma("foreign_keys") == 1
        assert await pragma("busy_timeout") == 5000
        assert await pragma("synchronous") == 1  # NORMAL
        assert await pragma("cache_size") == -1024  # KiB: a 1 MiB page cache


def test_postgresql_engine_pings_before_use() -> None:
    engine = create_engine("postgresql+asyncpg://peerbot@db.invalid/peerbot")
    assert engine.pool._pre_ping  # type: ignore[attr-defined]


async def test_in_memory_sqlite_works_without_wal() -> None:
    engine = create_engine("sqlite+aiosqlite://")
    try:
        async with engine.connect() as connection:
            assert (await connection.execute(text("PRAGMA foreign_keys"))).scalar() == 1
            mode = (await connection.execute(text("PRAGMA journal_mode"))).scalar()
            assert mode == "memory"
    finally:
        await engine.dispose()


async def test_objects_stay_readable_after_commit(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    async with session_factory() as session:
        person = Person(pseudonym="P-ABCDE")
        session.add(person)
        await session.commit()
        assert person.id is not None and person.language == "en"  # no lazy refresh needed


def test_make_session_factory_disables_expire_on_commit() -> None:
    factory = make_session_factory(create_engine("sqlite+aiosqlite://"))
    assert factory.kw["expire_on_commit"] is False


def test_utcnow_is_aware_utc() -> None:
    assert utcnow().utcoffset() is not None
    assert utcnow().utcoffset().total_seconds() == 0  # type: ignore[union-attr]
