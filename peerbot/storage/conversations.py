"""Conversations repository: where each chat stands in a flow, and which need a nudge."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from peerbot.storage.dialect import skip_locked
from peerbot.storage.enums import ConversationStatus
from peerbot.storage.models import Conversation

# Built once: it runs on nearly every update, and building a statement costs about as much
# as running it.
_ACTIVE_IN_CHAT = (
    select(Conversation)
    .where(
        Conversation.chat_id == bindparam("chat_id"),
        Conversation.status == ConversationStatus.ACTIVE,
    )
    .order_by(Conversation.id.desc())
    .limit(1)
    .with_for_update()
)


async def active_for_chat(session: AsyncSession, chat_id: int) -> Conversation | None:
    """The chat's conversation in progress, if any (the newest, should there be two).

    Locked for the rest of the transaction on PostgreSQL, so a reminder tick and the
    person's answer never overwrite each other (SQLite serialises writers anyway).
    """
    return await session.scalar(_ACTIVE_IN_CHAT, {"chat_id": chat_id})


async def active_chats(session: AsyncSession, chat_ids: Sequence[int]) -> set[int]:
    """Which of these chats have a conversation in progress."""
    if not chat_ids:
        return set()
    found = await session.scalars(
        select(Conversation.chat_id).where(
            Conversation.chat_id.in_(chat_ids), Conversation.status == ConversationStatus.ACTIVE
        )
    )
    return set(found)


async def begin(
    session: AsyncSession,
    *,
    chat_id: int,
    person_id: int | None,
    flow: str,
    step: str,
    state: dict[str, Any],
    now: datetime,
    remind_after: timedelta | None,
    expire_after: timedelta | None,
    above: bool = False,
) -> Conversation:
    """Start a conversation; any other active one in the chat is closed as cancelled.

    above: the other one is kept, and is the chat's conversation again once this one ends
    (the newest active one is the chat's; e.g. a crisis screener over a paused intake).
    """
    previous = None if above else await active_for_chat(session, chat_id)
    if previous is not None:
        previous.status = ConversationStatus.CANCELLED
    conversation = Conversation(
        chat_id=chat_id,
        person_id=person_id,
        flow=flow,
        step=step,
        state=state,
        status=ConversationStatus.ACTIVE,
        started_at=now,
        updated_at=now,
    )
    _schedule(conversation, now, remind_after, expire_after)
    session.add(conversation)
    await session.flush()
    return conversation


async def save(
    session: AsyncSession,
    conversation: Conversation,
    *,
    step: str | None,
    state: dict[str, Any],
    status: ConversationStatus,
    now: datetime,
    remind_after: timedelta | None,
    expire_after: timedelta | None,
) -> None:
    """Store the new state; the version column refuses a concurrent overwrite.

    Written by the transaction's next flush, with whatever else it writes: a turn is often
    saved twice (the engine's step, then what the services added), and one UPDATE does.
    """
    conversation.state = state
    conversation.step = step or conversation.step
    conversation.status = status
    conversation.updated_at = now
    if status == ConversationStatus.ACTIVE:
        _schedule(conversation, now, remind_after, expire_after)
    else:
        conversation.reminder_due_at = None
        conversation.expires_at = None


def _schedule(
    conversation: Conversation,
    now: datetime,
    remind_after: timedelta | None,
    expire_after: timedelta | None,
) -> None:
    """Activity restarts the idle clock: one reminder, then expiry."""
    conversation.reminder_due_at = now + remind_after if remind_after else None
    conversation.reminded_at = None
    conversation.expires_at = now + expire_after if expire_after else None


async def due_for_reminder(
    session: AsyncSession, *, now: datetime, limit: int = 100
) -> Sequence[Conversation]:
    """Active conversations idle long enough for their one reminder (locked on PostgreSQL)."""
    statement = (
        select(Conversation)
        .where(
            Conversation.status == ConversationStatus.ACTIVE,
            Conversation.reminder_due_at <= now,
            Conversation.reminded_at.is_(None),
        )
        .order_by(Conversation.reminder_due_at)
        .limit(limit)
    )
    return (await session.scalars(skip_locked(statement, session.get_bind().dialect.name))).all()


async def due_for_expiry(
    session: AsyncSession, *, now: datetime, limit: int = 100
) -> Sequence[Conversation]:
    """Active conversations past their expiry time (locked on PostgreSQL)."""
    statement = (
        select(Conversation)
        .where(Conversation.status == ConversationStatus.ACTIVE, Conversation.expires_at <= now)
        .order_by(Conversation.expires_at)
        .limit(limit)
    )
    return (await session.scalars(skip_locked(statement, session.get_bind().dialect.name))).all()


async def forget_chat(session: AsyncSession, chat_id: int) -> int:
    """Delete every conversation of a chat (consent declined, or data erased)."""
    result = await session.execute(delete(Conversation).where(Conversation.chat_id == chat_id))
    return result.rowcount or 0  # type: ignore[attr-defined]
