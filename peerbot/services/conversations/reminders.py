"""Idle conversations: one reminder after a while, then expiry with a note on how to pick up."""

from __future__ import annotations

from sqlalchemy import select

from peerbot.services.common.context import ServiceContext
from peerbot.services.conversations.shown import Text
from peerbot.services.supporters import invites
from peerbot.storage import conversations
from peerbot.storage.enums import ConversationStatus, PersonStatus
from peerbot.storage.models import Conversation, Person
from peerbot.storage.outbox import Priority


async def remind_idle(ctx: ServiceContext) -> int:
    """Send each idle conversation its one reminder; return how many were sent."""
    due = await conversations.due_for_reminder(ctx.session, now=ctx.now)
    for conversation in due:
        conversation.reminded_at = ctx.now
        locale = await _locale(ctx, conversation)
        if locale is not None:
            await _tell(ctx, conversation, "reminder.idle", locale)
    await ctx.session.flush()
    return len(due)


async def expire_idle(ctx: ServiceContext) -> int:
    """Close conversations idle past their expiry; before consent nothing of them is kept."""
    due = await conversations.due_for_expiry(ctx.session, now=ctx.now)
    for conversation in due:
        locale = await _locale(ctx, conversation)
        if locale is not None:
            await _tell(ctx, conversation, "reminder.expired", locale)
        if conversation.person_id is None:  # nothing agreed yet: nothing of it is kept
            invite_id = (conversation.state or {}).get("meta", {}).get("invite")
            if invite_id is not None:  # an unfinished supporter's invite works again
                await invites.release(ctx, int(invite_id))
            await ctx.session.delete(conversation)
        else:
            conversation.status = ConversationStatus.EXPIRED
            conversation.reminder_due_at = conversation.expires_at = None
    await ctx.session.flush()
    return len(due)


async def _locale(ctx: ServiceContext, conversation: Conversation) -> str | None:
    """The language to write in, or None when the person asked for no messages."""
    if conversation.person_id is not None:
        person = await ctx.session.scalar(
            select(Person).where(Person.id == conversation.person_id)
        )
        if person is None or person.status != PersonStatus.ACTIVE:
            return None
        return person.language
    texts = ctx.program.texts
    chosen = (conversation.state or {}).get("meta", {}).get("locale")
    return chosen if chosen in texts.locales else texts.default_locale


async def _tell(ctx: ServiceContext, conversation: Conversation, key: str, locale: str) -> None:
    """Queue the note once per idle spell, even if a tick runs twice."""
    idle_since = conversation.updated_at
    own = f"{key}.{conversation.flow}"  # e.g. reminder.idle.checkin
    await ctx.outbox.post(
        conversation.chat_id,
        Text(key=own if ctx.program.texts.has(own) else key),
        locale=locale,
        priority=Priority.SCHEDULED,
        dedupe_key=f"{key}:{conversation.id}:{idle_since.isoformat()}",
    )
