"""The replicas' inbox: updates posted to any replica, claimed per chat by lease, in order.

The rows are processed_updates rows stored on receipt (payload encrypted, processed_at
unset). A replica leases the oldest unprocessed update of a chat, and the ones right behind
it, only when no earlier update of that chat is still unprocessed: so a chat's updates are
handled one after the other even when they land on different replicas. A replica that dies
leaves leases that expire; another one then takes the rows over.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import ColumnElement, Select, Table, and_, bindparam, exists, or_, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from peerbot.storage.dialect import insert_ignore, skip_locked
from peerbot.storage.models import ProcessedUpdate


@dataclass(frozen=True)
class InboxUpdate:
    """A claimed update: its id, chat and encrypted payload."""

    update_id: int
    chat_id: int | None
    payload_enc: str


async def record(
    session: AsyncSession, *, update_id: int, chat_id: int | None, payload_enc: str, now: datetime
) -> bool:
    """Store an update as posted by Telegram; False if its update_id is already known."""
    row = {
        "update_id": update_id,
        "chat_id": chat_id,
        "payload_enc": payload_enc,
        "received_at": now,
    }
    return await insert_ignore(session, ProcessedUpdate, row, ["update_id"]) == 1


def _unprocessed() -> ColumnElement[bool]:
    return and_(ProcessedUpdate.processed_at.is_(None), ProcessedUpdate.payload_enc.is_not(None))


@functools.cache
def _heads(dialect_name: str) -> Select[Any]:
    """Oldest unprocessed update of each chat whose lease is free; built once per dialect."""
    now = bindparam("now", type_=ProcessedUpdate.received_at.type)
    earlier = aliased(ProcessedUpdate)
    statement = cast(
        Select[Any],
        select(ProcessedUpdate.update_id, ProcessedUpdate.chat_id, ProcessedUpdate.payload_enc)
        .where(
            _unprocessed(),
            or_(ProcessedUpdate.claimed_until.is_(None), ProcessedUpdate.claimed_until <= now),
            ~exists().where(
                earlier.chat_id == ProcessedUpdate.chat_id,
                earlier.processed_at.is_(None),
                earlier.update_id < ProcessedUpdate.update_id,
            ),
        )
        .order_by(ProcessedUpdate.update_id)
        .limit(bindparam("limit")),
    )
    return skip_locked(statement, dialect_name)


async def claim_chains(
    session: AsyncSession,
    *,
    replica_id: str,
    now: datetime,
    lease: timedelta,
    limit: int,
    longest: int = 20,
) -> list[list[InboxUpdate]]:
    """Lease up to `limit` updates for replica_id: per chat, its head and the rows behind it.

    Each chain is one chat's next updates in update_id order; a row another replica still
    holds ends the chain. Other replicas skip the heads (SKIP LOCKED on PostgreSQL) and
    cannot take the rows behind them while the head is unprocessed.
    """
    if limit <= 0:
        return []
    statement = _heads(session.get_bind().dialect.name)
    heads = [
        InboxUpdate(update_id, chat_id, payload or "")
        for update_id, chat_id, payload in await session.execute(
            statement, {"now": now, "limit": limit}
        )
    ]
    chains = [[head] for head in heads]
    by_chat: dict[int | None, list[InboxUpdate]] = {
        chain[0].chat_id: chain for chain in chains if chain[0].chat_id is not None
    }
    room = limit - len(heads)
    if by_chat and room > 0:
        behind = await session.execute(
            select(
                ProcessedUpdate.update_id,
                ProcessedUpdate.chat_id,
                ProcessedUpdate.payload_enc,
                ProcessedUpdate.claimed_until,
            )
            .where(_unprocessed(), ProcessedUpdate.chat_id.in_(list(by_chat)))
            .order_by(ProcessedUpdate.chat_id, ProcessedUpdate.update_id)
        )
        ended: set[int | None] = set()
        for update_id, chat_id, payload, claimed_until in behind:
            chain = by_chat[chat_id]
            if chat_id in ended or update_id <= chain[0].update_id:
                continue
            if room <= 0 or len(chain) >= longest or _held(claimed_until, now):
                ended.add(chat_id)
                continue
            chain.append(InboxUpdate(update_id, chat_id, payload or ""))
            room -= 1
    await _lease(
        session, [row.update_id for chain in chains for row in chain], now + lease, replica_id
    )
    return chains


def _held(claimed_until: datetime | None, now: datetime) -> bool:
    return claimed_until is not None and claimed_until > now


async def _lease(
    session: AsyncSession, update_ids: Sequence[int], until: datetime, replica_id: str
) -> None:
    if not update_ids:
        return
    table = cast(Table, ProcessedUpdate.__table__)
    await session.execute(
        update(table)
        .where(table.c.update_id.in_(update_ids))
        .values(claimed_until=until, claimed_by=replica_id)
    )


async def release(session: AsyncSession, *, replica_id: str) -> int:
    """Give back this replica's leases on updates it has not processed (a clean stop)."""
    result = await session.execute(
        update(ProcessedUpdate)
        .where(ProcessedUpdate.claimed_by == replica_id, ProcessedUpdate.processed_at.is_(None))
        .values(claimed_until=None, claimed_by=None)
        .execution_options(synchronize_session=False)
    )
    return cast(CursorResult[Any], result).rowcount
