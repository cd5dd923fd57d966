"""PostgreSQL advisory locks: one replica at a time for a duty or a step.

A transaction lock ends with its transaction; a session lock is held on a connection of its
own, so it ends when that connection closes, even when its process is killed. SQLite runs
one process and serialises writers: there the transaction lock is nothing to do.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession


async def lock_for_transaction(session: AsyncSession, key: int) -> None:
    """Hold the lock until the transaction ends, waiting for another replica's turn first."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


async def try_lock(connection: AsyncConnection, key: int) -> bool:
    """Take the session lock on this connection if no one holds it; True when taken."""
    acquired = await connection.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": key})
    await connection.commit()
    return bool(acquired)


async def confirm_held(connection: AsyncConnection) -> None:
    """A round trip on the lock's connection: raises once it (and so the lock) is gone."""
    await connection.scalar(text("SELECT 1"))
    await connection.commit()


async def unlock_all(connection: AsyncConnection) -> None:
    """Give back every session lock this connection holds."""
    await connection.execute(text("SELECT pg_advisory_unlock_all()"))
    await connection.commit()
