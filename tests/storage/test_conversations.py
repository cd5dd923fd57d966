"""Conversations repository: one active conversation per chat, idle timers, and forgetting."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from peerbot.storage import conversations
from peerbot.storage.enums import ConversationStatus
from peerbot.storage.models import Conversation
from tests.support.rows import begin_conversation

T0 = datetime(2026, 2, 1, 8, 0, tzinfo=UTC)
DAY = timedelta(days=1)


async def begin(session_factory, chat_id: int, flow: str = "intake") -> int:
    async with session_factory() as session, session.begin():
        state = {"engine": {"current": "first"}}
        return await begin_conversation(session, chat_id, T0, flow=flow, step="first", state=state)


async def save(
    session_factory,
    chat_id: int,
    step: str | None,
    state: dict[str, Any],
    status: ConversationStatus,
    now: datetime,
) -> None:
    """Save the chat's active conversation at ``step``, under the same idle timers."""
    async with session_factory() as session, session.begin():
        conversation = await conversations.active_for_chat(session, chat_id)
        assert conversation is not None
        await conversations.save(
            session,
            conversation,
            step=step,
            state=state,
            status=status,
            now=now,
            remind_after=DAY,
            expire_after=7 * DAY,
        )


async def test_a_new_conversation_closes_the_chats_previous_one(session_factory):
    first = await begin(session_factory, 21, flow="consent")
    second = await begin(session_factory, 21)
    async with session_factory() as session:
        active = await conversations.active_for_chat(session, 21)
        assert active is not None and active.id == second
        previous = await session.get(Conversation, first)
    assert previous is not None and previous.status == ConversationStatus.CANCELLED


async def test_saving_activity_restarts_the_idle_timers(session_factory):
    await begin(session_factory, 22)
    later = T0 + timedelta(hours=5)
    second = {"engine": {"current": "second"}}
    await save(session_factory, 22, "second", second, ConversationStatus.ACTIVE, later)
    async with session_factory() as session:
        assert await conversations.due_for_reminder(session, now=T0 + DAY) == []
        due = await conversations.due_for_reminder(session, now=later + DAY)
        assert [c.step for c in due] == ["second"]
        assert await conversations.due_for_expiry(session, now=later + 7 * DAY) != []


async def test_a_finished_conversation_has_no_timers(session_factory):
    await begin(session_factory, 23)
    await save(
        session_factory, 23, step=None, state={}, status=ConversationStatus.COMPLETED, now=T0
    )
    async with session_factory() as session:
        assert await conversations.active_for_chat(session, 23) is None
        assert await conversations.due_for_reminder(session, now=T0 + 30 * DAY) == []


async def test_forget_chat_deletes_every_conversation_of_the_chat(session_factory):
    await begin(session_factory, 24)
    await begin(session_factory, 24)
    await begin(session_factory, 25)
    async with session_factory() as session, session.begin():
        assert await conversations.forget_chat(session, 24) == 2
    async with session_factory() as session:
        assert await conversations.active_for_chat(session, 24) is None
        assert await conversations.active_for_chat(session, 25) is not None
