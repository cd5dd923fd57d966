"""What every chat has: /help, and a kind answer to anything no other handler took."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from peerbot.bot.context import PeerbotContext
from peerbot.bot.replies import reply_text
from peerbot.storage.enums import Role


async def help_command(update: Update, context: PeerbotContext) -> None:
    """Help for the person's role, and where to find urgent help, in every chat."""
    actor = await context.actor(update)
    private = update.effective_chat is not None and update.effective_chat.type == "private"
    supporter = private and Role.SUPPORTER in actor.roles
    await reply_text(context, update, "supporter.help" if supporter else "help")
    await reply_text(context, update, "crisis.resources")


async def not_understood(update: Update, context: PeerbotContext) -> None:
    await reply_text(context, update, "not_understood")


async def stale_button(update: Update, context: PeerbotContext) -> None:
    """Always answer a button press, so the person's spinner stops."""
    if update.callback_query is not None:
        await update.callback_query.answer()


def register(application: Application) -> None:  # type: ignore[type-arg]
    """Add the commands every chat has."""
    application.add_handler(CommandHandler("help", help_command))


def register_fallbacks(application: Application) -> None:  # type: ignore[type-arg]
    """Add last: within one handler group only the first match runs, so these catch the rest."""
    private_text = filters.ChatType.PRIVATE & (filters.TEXT | filters.COMMAND)
    application.add_handler(MessageHandler(private_text, not_understood))
    application.add_handler(CallbackQueryHandler(stale_button))
