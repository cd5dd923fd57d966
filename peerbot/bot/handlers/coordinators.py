"""The coordinators' group: card buttons, notes as replies, /open, /invite, /supporters,
/stats and /audit (the last two also in a coordinator's private chat)."""

from __future__ import annotations

import re

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from peerbot.bot.authorization import GATE_KEY, CoordinatorGate
from peerbot.bot.context import PeerbotContext
from peerbot.bot.replies import deliver, reply_text
from peerbot.services import (
    audit,
    case_audit,
    coordinators,
    escalation_desk,
    invites,
    proposals,
    relationships,
    stats_text,
    supporter_roster,
    supporters,
)
from peerbot.services.actions import (
    EscalationAction,
    MatchApprove,
    RequestAction,
    TrainingConfirm,
)
from peerbot.services.callback_data import decode

CARD_ACTIONS = (EscalationAction, TrainingConfirm, MatchApprove, RequestAction)
CARD_BUTTONS = re.compile(rf"^({'|'.join(action.prefix for action in CARD_ACTIONS)}):")


def _gate(context: PeerbotContext) -> CoordinatorGate:
    gate = context.bot_data[GATE_KEY]
    assert isinstance(gate, CoordinatorGate)
    return gate


async def _verified(update: Update, context: PeerbotContext):  # type: ignore[no-untyped-def]
    """The acting coordinator's record, or None (and an audited refusal) for anyone else."""
    user = update.effective_user
    assert user is not None
    ctx, who = await context.service(update)
    if await _gate(context).allows(context.bot, user.id):
        return ctx, await coordinators.enroll(ctx, user.id, user.first_name)
    await audit.record(
        ctx.session,
        "coordinator_action.refused",
        now=ctx.now,
        actor_id=who.person.id if who.person else None,
        update_id=update.update_id,
    )
    return ctx, None


async def card_pressed(update: Update, context: PeerbotContext) -> None:
    query = update.callback_query
    assert query is not None
    action = decode(query.data)
    ctx, coordinator = await _verified(update, context)
    if coordinator is None or not isinstance(action, CARD_ACTIONS):
        refusal = coordinators.text(ctx, "card.not_allowed")
        context.application.create_task(query.answer(refusal, show_alert=True))
        return
    context.application.create_task(query.answer())
    match action:
        case TrainingConfirm():
            reply = await supporters.confirm_training(ctx, coordinator, action)
        case MatchApprove():
            reply = await proposals.approve(ctx, coordinator, action)
        case RequestAction(action="rematch"):
            reply = await relationships.rematch(ctx, coordinator, action)
        case RequestAction():
            reply = await proposals.request_action(ctx, coordinator, action)
        case _:
            reply = await escalation_desk.act(ctx, coordinator, action)
    await deliver(context, update, reply)


async def open_escalations(update: Update, context: PeerbotContext) -> None:
    ctx, coordinator = await _verified(update, context)
    if coordinator is not None:
        await deliver(context, update, await escalation_desk.open_list(ctx))


async def invite(update: Update, context: PeerbotContext) -> None:
    ctx, coordinator = await _verified(update, context)
    if coordinator is not None:
        reply = await invites.invite_for_coordinators(ctx, coordinator, context.bot.username)
        await deliver(context, update, reply)


async def list_supporters(update: Update, context: PeerbotContext) -> None:
    ctx, coordinator = await _verified(update, context)
    if coordinator is not None:
        await deliver(context, update, await supporter_roster.roster(ctx, coordinator))


async def match_by_hand(update: Update, context: PeerbotContext) -> None:
    ctx, coordinator = await _verified(update, context)
    if coordinator is not None:
        reply = await proposals.match_by_hand(ctx, coordinator, list(context.args or ()))
        await deliver(context, update, reply)


async def program_stats(update: Update, context: PeerbotContext) -> None:
    """/stats: answered where it was asked (the group, or a coordinator's private chat)."""
    ctx, coordinator = await _verified(update, context)
    if coordinator is None:
        await reply_text(context, update, "card.not_allowed")
        return
    await deliver(context, update, await stats_text.stats_reply(ctx, coordinator))


async def case_trail(update: Update, context: PeerbotContext) -> None:
    """/audit <case>: who read or changed that case's record, and when."""
    ctx, coordinator = await _verified(update, context)
    if coordinator is None:
        await reply_text(context, update, "card.not_allowed")
        return
    reply = await case_audit.case_trail(ctx, coordinator, list(context.args or ()))
    await deliver(context, update, reply)


async def note_reply(update: Update, context: PeerbotContext) -> None:
    message = update.effective_message
    assert message is not None and message.reply_to_message is not None
    ctx, coordinator = await _verified(update, context)
    if coordinator is None:
        return
    reply = await escalation_desk.save_note(
        ctx, coordinator, message.reply_to_message.message_id, message.text or ""
    )
    if reply is not None:
        await deliver(context, update, reply)


def register(application: Application, coordinator_chat_id: int | None) -> None:  # type: ignore[type-arg]
    """Before the participant handlers: card presses are checked wherever they come from."""
    application.add_handler(
        CallbackQueryHandler(card_pressed, pattern=CARD_BUTTONS)  # type: ignore[arg-type]
    )
    # /stats and /audit also answer a coordinator privately, group or no group
    private = filters.ChatType.PRIVATE
    asked = private if coordinator_chat_id is None else private | filters.Chat(coordinator_chat_id)
    application.add_handler(CommandHandler("stats", program_stats, filters=asked))  # type: ignore[arg-type]
    application.add_handler(CommandHandler("audit", case_trail, filters=asked))  # type: ignore[arg-type]
    if coordinator_chat_id is None:
        return
    group = filters.Chat(coordinator_chat_id)
    application.add_handler(CommandHandler("open", open_escalations, filters=group))  # type: ignore[arg-type]
    application.add_handler(CommandHandler("invite", invite, filters=group))  # type: ignore[arg-type]
    application.add_handler(CommandHandler("supporters", list_supporters, filters=group))  # type: ignore[arg-type]
    application.add_handler(CommandHandler("match", match_by_hand, filters=group))  # type: ignore[arg-type]
    application.add_handler(
        MessageHandler(group & filters.REPLY & filters.TEXT & ~filters.COMMAND, note_reply)  # type: ignore[arg-type]
    )


COMMAND_MENU = ("open", "supporters", "match", "invite", "stats", "audit", "help")
