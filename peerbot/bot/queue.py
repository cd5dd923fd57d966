"""The one way a rendered message enters the outbox, and the services' way out built on it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from peerbot.bot.render import Renderer
from peerbot.dialogs.texts import TextCatalog
from peerbot.services.conversations.shown import Outgoing, Reply, Shown
from peerbot.storage import outbox
from peerbot.storage.outbox import Priority


async def queue_reply(
    session: AsyncSession,
    renderer: Renderer,
    chat_id: int,
    reply: Reply,
    *,
    now: datetime,
    priority: int,
    dedupe_key: str | None = None,
    numbered: bool = True,
    topic: int | None = None,
) -> None:
    """Render a reply and queue its Bot API calls for one chat, in the caller's transaction.

    numbered: each call's dedupe key gets its place in the reply (`key:0`, `key:1`); else the
    key is used as given (a single view posted once). topic: new messages go to this forum
    topic (the one the answered message was written in)."""
    for index, delivery in enumerate(renderer.render(reply)):
        key = f"{dedupe_key}:{index}" if dedupe_key and numbered else dedupe_key
        payload = delivery.payload
        if topic is not None and delivery.method.startswith(("send", "copy")):
            payload = {"message_thread_id": topic, **payload}
        await outbox.enqueue(
            session,
            chat_id=chat_id,
            payload=payload,
            method=delivery.method,
            priority=priority,
            now=now,
            dedupe_key=key,
        )


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
    await queue_reply(
        session,
        renderer,
        outgoing.chat_id,
        outgoing.reply,
        now=now,
        priority=priority,
        dedupe_key=outgoing.dedupe_key,
    )


async def queue_elsewhere(
    session: AsyncSession, texts: TextCatalog, reply: Reply, *, now: datetime
) -> None:
    """Queue what a reply tells other people (an introduction, an ending) as NOTICE: news
    caused by someone else, which waits while its reader has sent /stop."""
    for outgoing in reply.elsewhere:
        await queue_outgoing(session, texts, outgoing, now=now, priority=Priority.NOTICE)


@dataclass(frozen=True)
class RenderingOutbox:
    """What services post (ServiceContext.outbox), rendered here and queued in their session."""

    session: AsyncSession
    texts: TextCatalog
    now: datetime

    async def post(
        self,
        chat_id: int,
        view: Shown,
        *,
        priority: int,
        dedupe_key: str | None = None,
        locale: str | None = None,
    ) -> None:
        reply = Reply(locale or self.texts.default_locale, [view])
        await queue_reply(
            self.session,
            Renderer(self.texts, reply.locale),
            chat_id,
            reply,
            now=self.now,
            priority=priority,
            dedupe_key=dedupe_key,
            numbered=False,
        )

    async def post_reply(self, outgoing: Outgoing, *, priority: int) -> None:
        await queue_outgoing(self.session, self.texts, outgoing, now=self.now, priority=priority)
