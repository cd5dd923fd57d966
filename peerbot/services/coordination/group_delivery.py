"""When the coordinators' group cannot be reached, every coordinator hears of it privately.

The bot being removed or silenced in the group is told to each coordinator; a card Telegram
refuses for good is copied to each of them by the adapter (bot/private_copies.py), and counted
here under UNDELIVERED.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select

from peerbot.services.common.context import ServiceContext
from peerbot.services.conversations.shown import Text
from peerbot.services.coordination import coordinators
from peerbot.storage import audit
from peerbot.storage.models import AuditEvent, Person
from peerbot.storage.outbox import Priority

UNDELIVERED = "escalation.card_undelivered"  # audit action: details name the escalation
GROUP_UNDELIVERED = "group_message.undelivered"  # any other message for the group
ALERT_PREFIX = "group_alert:"


async def alert_bot_removed(ctx: ServiceContext, *, can_rejoin: bool, update_id: int) -> int:
    """Tell every coordinator privately that the bot was removed from (or silenced in) their
    group, in each one's language; return how many were told."""
    key = "delivery.bot_removed" if can_rejoin else "delivery.bot_cannot_post"
    chats = await coordinators.coordinator_chats(ctx)
    locales = await coordinator_locales(ctx, chats)
    for chat_id in chats:
        await ctx.outbox.post(
            chat_id,
            Text(key=key),
            locale=locales[chat_id],
            priority=Priority.ESCALATION,
            dedupe_key=f"{ALERT_PREFIX}{update_id}:{chat_id}",
        )
    await audit.record(ctx.session, "coordinator_group.bot_removed", now=ctx.now, told=len(chats))
    return len(chats)


async def undelivered_escalations(ctx: ServiceContext, escalation_ids: Iterable[int]) -> int:
    """How many of these escalations had a card that could not reach the group."""
    wanted = list(escalation_ids)
    if not wanted:
        return 0
    escalation = AuditEvent.details["escalation_id"].as_integer()
    count = await ctx.session.scalar(
        select(func.count(func.distinct(escalation))).where(
            AuditEvent.action == UNDELIVERED, escalation.in_(wanted)
        )
    )
    return count or 0


async def coordinator_locales(ctx: ServiceContext, chats: Iterable[int]) -> dict[int, str]:
    """Each coordinator's language: their record's, else the program's."""
    wanted = list(chats)
    known = await ctx.session.execute(
        select(Person.telegram_user_id, Person.language).where(Person.telegram_user_id.in_(wanted))
    )
    texts = ctx.program.texts
    found = {user_id: texts.resolve_locale(language) for user_id, language in known.all()}
    default = coordinators.coordinator_locale(ctx)
    return {chat_id: found.get(chat_id, default) for chat_id in wanted}
