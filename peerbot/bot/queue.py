"""Queue a reply for a chat that did not write (a scheduled prompt, a note to someone else)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from peerbot.bot.render import Renderer
from peerbot.dialogs.texts import TextCatalog
from peerbot.services.conversations.shown import Outgoing
from peerbot.storage import outbox
from peerbot.storage.outbox import Priority


async def queue_outgoing(
    session: AsyncSession,
    texts: TextCatalog,
    outgoing: Outgoing,
    *,
    now: datetime,
    priority: int = Priority.SCHEDULED,
) -> None:
    """Render a reply for a chat that did not write (a scheduled prompt) and queue it."""
    renderer = Renderer(texts, outgoing.reply.locale)
    for index, delivery in enumerate(renderer.render(outgoing.reply)):
        await outbox.enqueue(
            session,
            chat_id=outgoing.chat_id,
            payload=delivery.payload,
            method=delivery.method,
            priority=priority,
            now=now,
            dedupe_key=f"{outgoing.dedupe_key}:{index}" if outgoing.dedupe_key else None,
        )
