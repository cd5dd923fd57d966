"""Inbound updates: stored encrypted on arrival, marked processed in their own transaction."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import String, bindparam, delete, func, select
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession

from peerbot.storage.dialect import insert_ignore, insert_or_update
from peerbot.storage.models import ProcessedUpdate
from peerbot.storage.types import UTCDateTime


async def record_received(
    session: AsyncSession, updates: Sequence[tuple[int, str]], *, now: datetime
) -> int:
    """Store fetched updates (id, encrypted payload) before Telegram is told we have them."""
    if not updates:
        return 0
    rows = [
        {"update_id": update_id, "payload_enc": payload, "received_at": now}
        for update_id, payload in updates
    ]
    return await insert_ignore(session, ProcessedUpdate, rows, ["update_id"])


async def claim(
    session: AsyncSession, update_id: int, now: datetime, *, outcome: str = "ok"
) -> bool:
    """Mark update_id processed; False if it already was (a redelivery to skip).

    One statement on every update: a new id is inserted as processed, one the poller stored
    on arrival is completed (and its stored copy dropped), one already processed is left.
    """
    statement = _claim_statement(session.get_bind().dialect.name)
    parameters = {"update_id": update_id, "now": now, "outcome": outcome}
    result = cast(CursorResult[Any], await session.execute(statement, parameters))
    return result.rowcount == 1


@functools.cache
def _claim_statement(dialect_name: str) -> Any:
    """Built once per dialect: it runs on every update."""
    now = bindparam("now", type_=UTCDateTime())
    outcome = bindparam("outcome", type_=String())
    return insert_or_update(
        dialect_name,
        ProcessedUpdate,
        {
            "update_id": bindparam("update_id"),
            "received_at": now,
            "processed_at": now,
            "outcome": outcome,
        },
        ["update_id"],
        update={"processed_at": now, "outcome": outcome, "payload_enc": None},
        where=ProcessedUpdate.processed_at.is_(None),
    )


async def unprocessed(session: AsyncSession) -> Sequence[tuple[int, str]]:
    """Updates stored but not yet processed (left by a crash), oldest first."""
    rows = await session.execute(
        select(ProcessedUpdate.update_id, ProcessedUpdate.payload_enc)
        .where(ProcessedUpdate.processed_at.is_(None), ProcessedUpdate.payload_enc.is_not(None))
        .order_by(ProcessedUpdate.update_id)
    )
    return [(update_id, payload or "") for update_id, payload in rows.all()]


async def next_offset(session: AsyncSession) -> int | None:
    """The getUpdates offset that confirms everything already stored."""
    highest = await session.scalar(select(func.max(ProcessedUpdate.update_id)))
    return None if highest is None else highest + 1


async def prune(session: AsyncSession, *, processed_before: datetime) -> int:
    """Forget old processed ids, keeping the newest so the offset survives."""
    newest = await session.scalar(select(func.max(ProcessedUpdate.update_id)))
    result = await session.execute(
        delete(ProcessedUpdate).where(
            ProcessedUpdate.processed_at < processed_before,
            ProcessedUpdate.update_id != newest,
        )
    )
    return result.rowcount or 0  # type: ignore[attr-defined]
