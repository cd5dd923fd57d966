"""Read the bot's database from a test, with the same engine code the bot uses."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from peerbot.storage import outbox
from peerbot.storage.db import create_engine, make_session_factory
from peerbot.storage.models import ProcessedUpdate


def sqlite_url(path: Any) -> str:
    return f"sqlite+aiosqlite:///{path}"


async def outbox_counts(database_url: str) -> dict[str, int]:
    """Rows per outbox status."""
    engine = create_engine(database_url)
    try:
        async with make_session_factory(engine)() as session:
            return await outbox.count_by_status(session)
    finally:
        await engine.dispose()


async def processed_update_ids(database_url: str) -> list[int]:
    """Update ids the bot has finished processing."""
    engine = create_engine(database_url)
    try:
        async with make_session_factory(engine)() as session:
            rows = await session.scalars(
                select(ProcessedUpdate.update_id)
                .where(ProcessedUpdate.processed_at.is_not(None))
                .order_by(ProcessedUpdate.update_id)
            )
            return list(rows)
    finally:
        await engine.dispose()


async def unprocessed_count(database_url: str) -> int:
    engine = create_engine(database_url)
    try:
        async with make_session_factory(engine)() as session:
            count = await session.scalar(
                select(func.count()).where(ProcessedUpdate.processed_at.is_(None))
            )
            return int(count or 0)
    finally:
        await engine.dispose()
