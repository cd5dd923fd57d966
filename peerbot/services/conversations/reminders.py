"""Idle conversations: one reminder after a while, then expiry with a note on how to pick up."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from peerbot.program import ProgramData
from peerbot.services.supporters import invites
from peerbot.storage import conversations, outbox
from peerbot.storage.enums import ConversationStatus, PersonStatus
from peerbot.storage.models import Conversation, Person
from peerbot.storage.outbox import Priority


async def remind_idle(session: AsyncSession, program: ProgramData, *, now: datetime) -> int:
    """Send each idle conversation its one reminder; return how many were sent."""
    due = await conversations.due_for_reminder(session, now=now)
    for conversation in due:
        conversation.reminded_at = now
        locale = await _locale(session, program, conversation)
        if locale is not None:
            await _tell(session, program, conversation, "reminder.idle", locale, now=now)
    await session.flush()
    return len(due)


async def expire_idle(session: AsyncSession, program: ProgramData, *, now: datetime) -> int:
    """Close conversations idle past their expiry; before consent nothing of them is kept."""
    due = await conversations.due_for_expiry(session, now=now)
    for conversation in due:
        locale = await _locale(session, program, conversation)
        if locale is not None:
            await _tell(session, program, conversation, "reminder.expired", locale, now=now)
        if conversation.person_id is None:  # nothing agreed yet: nothing of it is kept
            invite_id = (conversation.state or {}).get("meta", {}).get("invite")
            if invite_id is not None:  # an unfinished supporter's invite works again
                await invites.release(session, int(invite_id))
            await session.delete(conversation)
        else:
            conversation.status = ConversationStatus.EXPIRED
            conversation.reminder_due_at = conversation.expires_at = None
    await session.flush()
    return len(due)


async def _locale(
    session: AsyncSession, program: ProgramData, conversation: Conversation
) -> str | None:
    """The language to write in, or None when the person asked for no messages."""
    if conversation.person_id is not None:
        person = await session.scalar(select(Person).where(Person.id == conversation.person_id))
        if person is None or person.status != PersonStatus.ACTIVE:
            return None
        return person.language
    chosen = (conversation.state or {}).get("meta", {}).get("locale")
    return chosen if chosen in program.texts.locales else program.texts.default_locale


async def _tell(
    session: AsyncSession,
    program: ProgramData,
    conversation: Conversation,
    key: str,
    locale: str,
    *,
    now: datetime,
) -> None:
    """Queue the note once per idle spell, even if a tick runs twice."""
    idle_since = conversation.updated_at
    own = f"{key}.{conversation.flow}"  # e.g. reminder.idle.checkin
    text = program.texts.get(own if program.texts.has(own) else key, locale)
    await outbox.enqueue(
        session,
        chat_id=conversation.chat_id,
        payload={"text": text},
        now=now,
        priority=Priority.SCHEDULED,
        dedupe_key=f"{key}:{conversation.id}:{idle_since.isoformat()}",
    )
