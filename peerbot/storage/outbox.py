"""Outbox repository: messages waiting for delivery, claimed by lease, one chat in order."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Select,
    Table,
    and_,
    bindparam,
    case,
    delete,
    exists,
    func,
    insert,
    null,
    or_,
    select,
    update,
)
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlalchemy.orm.attributes import set_committed_value

from peerbot.storage.dialect import insert_ignore, skip_locked
from peerbot.storage.enums import PersonStatus
from peerbot.storage.models import OutboxMessage, OutboxStatus, Person


class Priority:
    """Lower is sent first: replies and escalations, then match offers, then scheduled prompts.

    REPLY and more urgent means the answer to what the chat itself sent (or a safety answer):
    only these reach a person who sent /stop (see ``_held``). Anything a person is told
    because of someone else (an introduction, an ending, a coordinator's message) is NOTICE.
    """

    ESCALATION = 5
    REPLY = 10
    NOTICE = 12
    COORDINATION = 20
    MATCH_OFFER = 30
    SCHEDULED = 50


async def enqueue(
    session: AsyncSession,
    *,
    chat_id: int,
    payload: dict[str, Any],
    now: datetime,
    method: str = "sendMessage",
    priority: int = Priority.REPLY,
    dedupe_key: str | None = None,
    not_before: datetime | None = None,
) -> bool:
    """Add a message for chat_id; with a dedupe_key a second copy is silently dropped."""
    values = {
        "chat_id": chat_id,
        "method": method,
        "payload_enc": payload,
        "priority": priority,
        "status": OutboxStatus.PENDING,
        "attempts": 0,
        "next_attempt_at": not_before or now,
        "dedupe_key": dedupe_key,
        "created_at": now,
    }
    if dedupe_key is None:  # a Core INSERT: the ORM's unit of work costs more than the row
        await session.execute(insert(cast(Table, OutboxMessage.__table__)).values(values))
        return True
    return await insert_ignore(session, OutboxMessage, values, ["dedupe_key"]) == 1


def _held(row: type[OutboxMessage]) -> ColumnElement[bool]:
    """Held for a person who sent /stop, until they write again: everything but the answers
    to what they send themselves and safety answers (a crisis reply always goes out)."""
    stopped_chats = select(Person.telegram_user_id).where(
        Person.status == PersonStatus.STOPPED, Person.telegram_user_id.is_not(None)
    )  # not correlated: the database reads it once per claim, not once per row
    return and_(row.priority > Priority.REPLY, row.chat_id.in_(stopped_chats))


def _head_of_chat(now: datetime | ColumnElement[datetime]) -> ColumnElement[bool]:
    """Not leased, not held, and first of its chat's pending rows that are not held: the
    oldest in a private chat (so a conversation stays in order), the most urgent, then oldest,
    in a group (so a backlog of cards in the group's 20-a-minute window never holds back an
    escalation)."""
    earlier = aliased(OutboxMessage)
    ahead = or_(
        and_(OutboxMessage.chat_id > 0, earlier.id < OutboxMessage.id),
        and_(
            OutboxMessage.chat_id < 0,
            or_(
                earlier.priority < OutboxMessage.priority,
                and_(earlier.priority == OutboxMessage.priority, earlier.id < OutboxMessage.id),
            ),
        ),
    )
    # An earlier row that is held holds nothing back. Only a REPLY (or more urgent) row can
    # be sent in a stopped person's chat, so only for those is it worth asking.
    counts = or_(OutboxMessage.priority > Priority.REPLY, ~_held(earlier))
    return and_(
        OutboxMessage.status == OutboxStatus.PENDING,
        or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until <= now),
        ~exists().where(
            earlier.chat_id == OutboxMessage.chat_id,
            earlier.status == OutboxStatus.PENDING,
            ahead,
            counts,
        ),
        ~_held(OutboxMessage),
    )


@functools.cache
def _due_heads(dialect_name: str) -> Select[Any]:
    """The claim's SELECT, built once per dialect: the sender runs it several times a second.

    Building it (the correlated subquery above all) cost more CPU than running it on SQLite.
    """
    now = bindparam("now", type_=OutboxMessage.next_attempt_at.type)
    statement = (
        select(OutboxMessage)
        .where(_head_of_chat(now), OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.priority, OutboxMessage.id)
        .limit(bindparam("limit"))
    )
    return skip_locked(statement, dialect_name)


async def _lease(session: AsyncSession, rows: Sequence[OutboxMessage], until: datetime) -> None:
    """Lease rows with one UPDATE, and note it on the loaded objects without another flush."""
    if not rows:
        return
    table = cast(Table, OutboxMessage.__table__)
    await session.execute(
        update(table).where(table.c.id.in_([row.id for row in rows])).values(claimed_until=until)
    )
    for row in rows:
        set_committed_value(row, "claimed_until", until)


async def claim_due(
    session: AsyncSession, *, now: datetime, limit: int, lease: timedelta
) -> Sequence[OutboxMessage]:
    """Lease up to limit deliverable rows, most urgent first; other replicas skip them."""
    statement = _due_heads(session.get_bind().dialect.name)
    rows = (await session.scalars(statement, {"now": now, "limit": limit})).all()
    await _lease(session, rows, now + lease)
    return rows


async def claim_chains(
    session: AsyncSession,
    heads: Sequence[OutboxMessage],
    *,
    now: datetime,
    lease: timedelta,
    longest: int = 5,
) -> list[list[OutboxMessage]]:
    """Each claimed head with the due rows right behind it in its chat, leased together.

    An answer is often an edit and then the next question: sent one after the other by one
    task, the second does not wait for another claim. A row not yet due ends the chain, so a
    chat's order holds.
    """
    if not heads:
        return []
    behind = (
        await session.scalars(
            select(OutboxMessage)
            .where(
                OutboxMessage.chat_id.in_({head.chat_id for head in heads}),
                OutboxMessage.status == OutboxStatus.PENDING,
                OutboxMessage.id.not_in([head.id for head in heads]),
                ~_held(OutboxMessage),
            )
            .order_by(OutboxMessage.chat_id, OutboxMessage.id)
        )
    ).all()
    queued: dict[int, list[OutboxMessage]] = {}
    for row in behind:
        queued.setdefault(row.chat_id, []).append(row)
    chains = []
    for head in heads:
        chain = [head]
        for row in queued.get(head.chat_id, []):
            if len(chain) >= longest or row.next_attempt_at > now or row.id < head.id:
                break
            if head.chat_id < 0 and row.priority != head.priority:
                break  # a group's rows go by urgency: a claim picks the next one

            chain.append(row)
        chains.append(chain)
    await _lease(session, [row for chain in chains for row in chain[1:]], now + lease)
    return chains


async def release(session: AsyncSession, message_ids: Sequence[int]) -> None:
    """Give back leases without an attempt (the chain they were in stopped early)."""
    if message_ids:
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(message_ids))
            .values(claimed_until=None)
            .execution_options(synchronize_session=False)
        )


#: Calls whose parameters later code reads back once sent: a forum topic's name (a case's
#: pseudonym and severity, never a person's words), to tell whether it needs renaming.
KEPT_WHEN_FINISHED = ("createForumTopic", "editForumTopic")


def _purged(table: Table) -> ColumnElement[Any]:
    """A finished row's payload: nothing of what was said stays (ids, method, status and
    times are the row's other columns), except the topic names above."""
    kept = or_(*(table.c.method == method for method in KEPT_WHEN_FINISHED))  # no expanding IN
    return case((kept, table.c.payload_enc), else_=null())  # in an executemany


async def _end_attempt(session: AsyncSession, message_id: int, **values: object) -> None:
    """Every attempt counts once and gives up its lease, whatever its outcome."""
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id)
        .values(claimed_until=None, attempts=OutboxMessage.attempts + 1, **values)
        .execution_options(synchronize_session=False)
    )


async def mark_sent(
    session: AsyncSession, message_id: int, *, now: datetime, telegram_message_id: int | None
) -> None:
    """Record that Telegram accepted the message, and forget what it said."""
    await _end_attempt(
        session,
        message_id,
        status=OutboxStatus.SENT,
        sent_at=now,
        telegram_message_id=telegram_message_id,
        payload=_purged(cast(Table, OutboxMessage.__table__)),
    )


@dataclass(frozen=True)
class SentMark:
    """One row Telegram accepted: when, and the message id it gave."""

    message_id: int
    at: datetime
    telegram_message_id: int | None


async def mark_sent_many(session: AsyncSession, marks: Sequence[SentMark]) -> None:
    """Record several accepted messages with one statement, and forget what they said."""
    if not marks:
        return
    table = cast(Table, OutboxMessage.__table__)  # by id, without the ORM's bulk semantics
    await session.execute(
        update(table)
        .where(table.c.id == bindparam("row_id"))
        .values(
            status=OutboxStatus.SENT,
            sent_at=bindparam("row_sent_at"),
            telegram_message_id=bindparam("row_telegram_id"),
            claimed_until=None,
            attempts=table.c.attempts + 1,
            payload_enc=_purged(table),
        ),
        [
            {"row_id": m.message_id, "row_sent_at": m.at, "row_telegram_id": m.telegram_message_id}
            for m in marks
        ],
    )


async def retry_later(session: AsyncSession, message_id: int, *, at: datetime, error: str) -> None:
    """Put the message back in the queue for another attempt at the given time."""
    await _end_attempt(session, message_id, next_attempt_at=at, last_error=error[:200])


async def mark_failed(session: AsyncSession, message_id: int, *, error: str) -> None:
    """Give up on a message Telegram will never accept (e.g. the person blocked the bot), and
    forget what it said (a card copied to coordinators privately is copied before this)."""
    await _end_attempt(
        session,
        message_id,
        status=OutboxStatus.FAILED,
        last_error=error[:200],
        payload=_purged(cast(Table, OutboxMessage.__table__)),
    )


async def postpone(session: AsyncSession, message_id: int, *, until: datetime) -> None:
    """Hand the lease back without an attempt: the chat's pace does not allow a send yet."""
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id)
        .values(claimed_until=None, next_attempt_at=until)
    )


#: A payload's message_thread_id that waits for a topic being opened: {THREAD_OF: the outbox
#: key of the createForumTopic call}, replaced by the topic's id once that call was sent.
THREAD_OF = "thread_of"


def awaits_thread(payload: dict[str, Any]) -> bool:
    """The payload names its forum topic by the outbox row that opens it."""
    return isinstance(payload.get("message_thread_id"), dict)


async def with_thread(session: AsyncSession, payload: dict[str, Any]) -> dict[str, Any] | None:
    """The payload in its topic once the row opening the topic was sent; None while that row
    waits; without a topic (sent where the group's other messages go) if it failed for good."""
    key = payload["message_thread_id"].get(THREAD_OF)
    row = (
        await session.execute(
            select(OutboxMessage.status, OutboxMessage.telegram_message_id).where(
                OutboxMessage.dedupe_key == key
            )
        )
    ).first()
    resolved = {k: v for k, v in payload.items() if k != "message_thread_id"}
    if row is not None and row.status == OutboxStatus.PENDING:
        return None
    if row is not None and row.status == OutboxStatus.SENT and row.telegram_message_id:
        resolved["message_thread_id"] = row.telegram_message_id
    return resolved


BACKOFF_PREFIX = "backoff "


async def drop_held(session: AsyncSession, *, chat_id: int, from_priority: int) -> int:
    """Give up rows held for a stopped person that would be stale once they are back (offers
    long closed, prompts for a time that has passed); news they missed stays queued."""
    result = await session.execute(
        delete(OutboxMessage)
        .where(
            OutboxMessage.chat_id == chat_id,
            OutboxMessage.status == OutboxStatus.PENDING,
            OutboxMessage.priority >= from_priority,
        )
        .execution_options(synchronize_session=False)
    )
    return cast(CursorResult[Any], result).rowcount


async def retry_backed_off_now(session: AsyncSession, *, now: datetime) -> int:
    """Telegram answers again: bring forward rows waiting out an outage (not 429 waits)."""
    result = await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.status == OutboxStatus.PENDING,
            OutboxMessage.next_attempt_at > now,
            OutboxMessage.last_error.startswith(BACKOFF_PREFIX),
        )
        .values(next_attempt_at=now)
    )
    return result.rowcount or 0  # type: ignore[attr-defined]


async def send_now(session: AsyncSession, *, queued_at: datetime, now: datetime) -> int:
    """Make messages queued as of a later clock time (a pass run with --at) due now."""
    result = await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.status == OutboxStatus.PENDING,
            OutboxMessage.created_at == queued_at,
            OutboxMessage.next_attempt_at > now,
        )
        .values(next_attempt_at=now, created_at=now)
    )
    return cast(CursorResult[Any], result).rowcount


async def prune_finished(
    session: AsyncSession, *, private_before: datetime, group_before: datetime
) -> int:
    """Delete delivered or failed rows: what was said to a person is not kept around."""
    finished = OutboxMessage.status.in_([OutboxStatus.SENT, OutboxStatus.FAILED])
    result = await session.execute(
        delete(OutboxMessage).where(
            finished,
            or_(
                and_(OutboxMessage.chat_id > 0, OutboxMessage.created_at < private_before),
                and_(OutboxMessage.chat_id < 0, OutboxMessage.created_at < group_before),
            ),
        )
    )
    return result.rowcount or 0  # type: ignore[attr-defined]


async def move_chat(session: AsyncSession, *, old_chat_id: int, new_chat_id: int) -> None:
    """Follow a group that Telegram migrated to a supergroup."""
    await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.chat_id == old_chat_id,
            OutboxMessage.status == OutboxStatus.PENDING,
        )
        .values(chat_id=new_chat_id)
    )


async def next_due_at(session: AsyncSession, *, now: datetime) -> datetime | None:
    """When the next claimable row becomes due, or None if nothing is waiting to be claimed."""
    return await session.scalar(
        select(func.min(OutboxMessage.next_attempt_at)).where(_head_of_chat(now))
    )


async def waiting_at(session: AsyncSession, priority: int) -> int:
    """How many messages of this priority wait to be sent."""
    return (
        await session.scalar(
            select(func.count()).where(
                OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.priority == priority
            )
        )
        or 0
    )


async def count_by_status(session: AsyncSession) -> dict[str, int]:
    """How many rows each status holds (for health checks and tests)."""
    rows = await session.execute(
        select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
    )
    return {status: count for status, count in rows.all()}
