"""What every chat has: /help, and a kind answer to anything no other handler took.

Edits and what the bot cannot read (voice notes, stickers, photos, ...) end here too; their
words, if any, were screened before any handler ran (bot/safety.py).
"""

from __future__ import annotations

from telegram import Message, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from peerbot.bot.context import PeerbotContext
from peerbot.bot.replies import acknowledge, deliver, reply_text
from peerbot.services.escalations import safety

PRIVATE = filters.ChatType.PRIVATE


async def help_command(update: Update, context: PeerbotContext) -> None:
    """Help for the person's role, and their own crisis resources, in every chat."""
    chat = update.effective_chat
    private = chat is not None and chat.type == "private"
    ctx, who = await context.service(update)
    in_group = chat is not None and chat.id == ctx.settings.coordinator_chat_id
    reply = safety.help_reply(ctx, who, private=private, in_group=in_group)
    await deliver(context, update, reply)


async def edited(update: Update, context: PeerbotContext) -> None:
    """An edit was screened; it never enters a conversation as a new answer."""


async def unreadable(update: Update, context: PeerbotContext) -> None:
    """A voice note, sticker, photo, place or contact: ask for words, give the resources."""
    message = update.effective_message
    assert message is not None
    ctx, who = await context.service(update)
    await deliver(context, update, await safety.unreadable(ctx, who, message_kind(message)))


def message_kind(message: Message) -> str:
    """What a message carries instead of text ("other" for what we do not list)."""
    found = (kind for kind in safety.UNREADABLE_KINDS if getattr(message, kind, None))
    return next(found, "other")


async def not_understood(update: Update, context: PeerbotContext) -> None:
    await reply_text(context, update, "not_understood")


async def stale_button(update: Update, context: PeerbotContext) -> None:
    """Always answer a button press, so the person's spinner stops."""
    if update.callback_query is not None:
        acknowledge(context, update.callback_query)


def register(application: Application) -> None:  # type: ignore[type-arg]
    """Add first: edits stop here, then the commands every chat has."""
    application.add_handler(MessageHandler(filters.UpdateType.EDITED, edited))
    application.add_handler(CommandHandler("help", help_command))


def register_fallbacks(application: Application) -> None:  # type: ignore[type-arg]
    """Add last: within one handler group only the first match runs, so these catch the rest."""
    typed = PRIVATE & (filters.TEXT | filters.COMMAND)
    application.add_handler(MessageHandler(typed, not_understood))
    application.add_handler(MessageHandler(PRIVATE & ~filters.StatusUpdate.ALL, unreadable))
    application.add_handler(CallbackQueryHandler(stale_button))
