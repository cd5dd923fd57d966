"""Queue the bot's answers in the outbox, inside the update's transaction."""

from __future__ import annotations

import logging
from typing import Any

from telegram import CallbackQuery, Update
from telegram.error import TelegramError

from peerbot.bot.context import PeerbotContext
from peerbot.bot.queue import queue_elsewhere, queue_reply
from peerbot.bot.render import Renderer
from peerbot.services.conversations.shown import Reply
from peerbot.storage import outbox
from peerbot.storage.outbox import Priority

log = logging.getLogger(__name__)


def acknowledge(
    context: PeerbotContext, query: CallbackQuery, text: str | None = None, *, alert: bool = False
) -> None:
    """Answer a button press beside the update, so the spinner stops.

    Telegram may refuse the answer (too old after a restart or an outage, 429, 5xx): that is
    logged and dropped, and never undoes or fails the press itself.
    """
    context.application.create_task(_answer_quietly(query, text, alert))


async def _answer_quietly(query: CallbackQuery, text: str | None, alert: bool) -> None:
    try:
        await query.answer(text, show_alert=alert)
    except TelegramError as error:
        log.info("button answer refused: %s", type(error).__name__)


async def send(
    context: PeerbotContext,
    chat_id: int,
    payload: dict[str, Any],
    *,
    method: str = "sendMessage",
    priority: int = Priority.REPLY,
) -> None:
    """Queue one Bot API call; it is delivered after the update's transaction commits."""
    await outbox.enqueue(
        context.session,
        chat_id=chat_id,
        payload=payload,
        method=method,
        priority=priority,
        now=context.deps.clock(),
    )


async def reply_text(context: PeerbotContext, update: Update, key: str, **values: object) -> None:
    """Answer in the update's chat with the text `key`, in the sender's language."""
    who = await context.who(update)
    chat = update.effective_chat
    if chat is None:
        return
    text = context.deps.program.texts.get(key, who.locale, **values)
    await send(context, chat.id, {"text": text})


async def deliver(context: PeerbotContext, update: Update, reply: Reply) -> None:
    """Render a service's reply and queue it for the update's chat."""
    chat = update.effective_chat
    if chat is None:
        return
    query = update.callback_query
    pressed = query.message.message_id if query is not None and query.message else None
    renderer = Renderer(context.deps.program.texts, reply.locale, pressed)
    message = update.effective_message
    in_topic = message is not None and message.is_topic_message and query is None
    await queue_reply(
        context.session,
        renderer,
        chat.id,
        reply,
        now=context.deps.clock(),
        priority=Priority.REPLY,
        topic=message.message_thread_id if in_topic and message is not None else None,
    )
    await queue_elsewhere(
        context.session, context.deps.program.texts, reply, now=context.deps.clock()
    )
