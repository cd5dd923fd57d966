"""A peer supporter's private chat: /profile, /note, /pause [until DATE], /resume and /leave.

Their invite (/start join-…), profile questions and check-ins run through the same flow
handlers as a participant's; these are the supporter's own commands.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CommandHandler, filters

from peerbot.bot.context import PeerbotContext
from peerbot.bot.replies import deliver
from peerbot.services.supporters import contact_notes, lifecycle, supporters

PRIVATE = filters.ChatType.PRIVATE


async def profile(update: Update, context: PeerbotContext) -> None:
    ctx, who = await context.service(update)
    await deliver(context, update, await supporters.show_profile(ctx, who))


async def pause(update: Update, context: PeerbotContext) -> None:
    ctx, who = await context.service(update)
    await deliver(context, update, await supporters.pause(ctx, who, list(context.args or ())))


async def resume(update: Update, context: PeerbotContext) -> None:
    ctx, who = await context.service(update)
    await deliver(context, update, await supporters.resume(ctx, who))


async def leave(update: Update, context: PeerbotContext) -> None:
    ctx, who = await context.service(update)
    await deliver(context, update, await lifecycle.leave_question(ctx, who))


async def note(update: Update, context: PeerbotContext) -> None:
    ctx, who = await context.service(update)
    await deliver(context, update, await contact_notes.start(ctx, who))


def register(application: Application) -> None:  # type: ignore[type-arg]
    """Private-chat commands of supporters (anyone else is told they are for supporters)."""
    commands = (
        ("profile", profile),
        ("pause", pause),
        ("resume", resume),
        ("note", note),
        ("leave", leave),
    )
    for name, callback in commands:
        application.add_handler(CommandHandler(name, callback, filters=PRIVATE))  # type: ignore[arg-type]
