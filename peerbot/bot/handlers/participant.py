"""A participant's private chat: /start and the flows, buttons, and their own data controls."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from peerbot.bot.context import PeerbotContext
from peerbot.bot.handlers.common import message_kind
from peerbot.bot.relayed import written_in
from peerbot.bot.replies import acknowledge, deliver
from peerbot.bot.safety import press_choice
from peerbot.dialogs.inputs import Back, Cancel, Input, Press, Skip, Text
from peerbot.services.cases import relay
from peerbot.services.common.context import ServiceContext, Who
from peerbot.services.conversations import journey, menus
from peerbot.services.conversations.actions import (
    CaseSend,
    ConsentWithdraw,
    EndUndo,
    ForgetAnswer,
    LanguageChoice,
    MatchChoice,
    NameShare,
    NoteFor,
    OfferAnswer,
    ResumeChoice,
    SafetyAnswer,
)
from peerbot.services.conversations.callback_data import FlowPress, decode
from peerbot.services.conversations.shown import Notice, Reply
from peerbot.services.escalations import safety
from peerbot.services.matching import choices, introductions, offers, request_actions
from peerbot.services.matching.request_buttons import StopWaiting
from peerbot.services.participants import feedback_any
from peerbot.services.privacy import rights
from peerbot.services.supporters import contact_notes, lifecycle
from peerbot.services.supporters.lifecycle import LeaveAnswer

PRIVATE = filters.ChatType.PRIVATE

Service = Callable[[ServiceContext, Who], Awaitable[Reply]]


async def start(update: Update, context: PeerbotContext) -> None:
    ctx, who = await context.service(update)
    payload = context.args[0] if context.args else None
    await deliver(context, update, await journey.start(ctx, who, payload))


async def typed(update: Update, context: PeerbotContext) -> None:
    assert update.effective_message is not None
    await _flow(update, context, Text(update.effective_message.text or ""))


async def shared_file(update: Update, context: PeerbotContext) -> None:
    """A photo or document: outside a flow it goes to the coordinators, like words."""
    message = update.effective_message
    assert message is not None
    ctx, who = await context.service(update)
    reply = await relay.file_from_person(ctx, who, written_in(message))
    await deliver(
        context, update, reply or await safety.unreadable(ctx, who, message_kind(message))
    )


def _flow_command(received: Input) -> Callable[[Update, PeerbotContext], Awaitable[None]]:
    async def handler(update: Update, context: PeerbotContext) -> None:
        await _flow(update, context, received)

    return handler


async def _flow(update: Update, context: PeerbotContext, received: Input) -> None:
    ctx, who = await context.service(update)
    await deliver(context, update, await journey.flow_input(ctx, who, received))


def _command(service: Service) -> Callable[[Update, PeerbotContext], Awaitable[None]]:
    async def handler(update: Update, context: PeerbotContext) -> None:
        ctx, who = await context.service(update)
        await deliver(context, update, await service(ctx, who))

    return handler


async def pressed(update: Update, context: PeerbotContext) -> None:
    """Route a button press by its decoded data; the services re-check everything."""
    query = update.callback_query
    assert query is not None
    acknowledge(context, query)
    ctx, who = await context.service(update)
    match action := decode(query.data):
        case FlowPress(step=step, choice=choice):
            reply = await journey.flow_input(ctx, who, Press(step, press_choice(choice)))
        case ConsentWithdraw(kind=kind):
            reply = await rights.withdraw_consent(ctx, who, kind)
        case ForgetAnswer(erase=erase):
            reply = await rights.forget_answer(ctx, who, erase)
        case LanguageChoice(locale=locale):
            reply = await rights.choose_language(ctx, who, locale)
        case OfferAnswer():
            reply = await offers.answer(ctx, who, action)
        case NameShare():
            reply = await introductions.name_answer(ctx, who, action)
        case NoteFor():
            reply = await contact_notes.chosen(ctx, who, action)
        case CaseSend():
            reply = await relay.answer(ctx, who, action)
        case SafetyAnswer():
            reply = await journey.safety_answer(ctx, who, action)
        case MatchChoice():
            reply = await choices.chosen(ctx, who, action)
        case EndUndo():
            reply = await choices.undo(ctx, who, action)
        case ResumeChoice():
            reply = await journey.resume_choice(ctx, who, action)
        case StopWaiting():
            reply = await request_actions.stop_waiting(ctx, who, action)
        case LeaveAnswer():
            reply = await lifecycle.leave_answer(ctx, who, action)
        case _:
            reply = Reply(who.locale).add(Notice("engine.stale_button"))
    await deliver(context, update, reply)


def register(application: Application) -> None:  # type: ignore[type-arg]
    """Private-chat handlers; the common fallbacks are added after these."""
    commands: dict[str, Callable[[Update, PeerbotContext], Awaitable[None]]] = {
        "start": start,
        "back": _flow_command(Back()),
        "skip": _flow_command(Skip()),
        "cancel": _flow_command(Cancel()),
        "continue": _command(journey.resume),
        "consent": _command(rights.consent_overview),
        "stop": _command(rights.stop),
        "mydata": _command(rights.my_data),
        "forget": _command(rights.forget_question),
        "language": _command(rights.language_question),
        "end": _command(choices.end),
        "change": _command(choices.change),
        "feedback": _command(feedback_any.start),
    }
    for name, callback in commands.items():
        application.add_handler(CommandHandler(name, callback, filters=PRIVATE))  # type: ignore[arg-type]
    application.add_handler(MessageHandler(PRIVATE & filters.TEXT & ~filters.COMMAND, typed))  # type: ignore[arg-type]
    files = PRIVATE & (filters.PHOTO | filters.Document.ALL | filters.VOICE) & ~filters.FORWARDED
    application.add_handler(MessageHandler(files, shared_file))  # type: ignore[arg-type]
    application.add_handler(CallbackQueryHandler(pressed))  # type: ignore[arg-type]


COMMAND_MENU = menus.PARTICIPANT_MENU
