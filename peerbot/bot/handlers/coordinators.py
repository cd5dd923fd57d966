"""The coordinators' group: card buttons, notes and case messages (replies, or in a case's
topic), /open, /case, /close, /invite, /invites, /supporters, /stats and /audit (/open, /case,
/stats and /audit also in a coordinator's private chat), and the group's own changes: migrated
to a supergroup, the bot removed, a member gone."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

from telegram import ChatMemberRestricted, Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from peerbot.bot.authorization import GATE_KEY, GONE_STATUSES, CoordinatorGate, Verdict
from peerbot.bot.context import PeerbotContext
from peerbot.bot.deps import deps_from
from peerbot.bot.group_watch import WATCH_KEY, GroupWatch, watch_from
from peerbot.bot.relayed import written_in
from peerbot.bot.replies import acknowledge, deliver, reply_text
from peerbot.services.cases import case_view, relay, threads
from peerbot.services.conversations.actions import (
    EscalationAction,
    InviteRevoke,
    MatchApprove,
    RequestAction,
    TrainingConfirm,
)
from peerbot.services.conversations.callback_data import decode
from peerbot.services.conversations.shown import Reply
from peerbot.services.coordination import coordinators, group_delivery, group_membership
from peerbot.services.escalations import escalation_desk
from peerbot.services.matching import match_actions, proposals, relationships, request_actions
from peerbot.services.matching.match_actions import MatchAct
from peerbot.services.matching.request_buttons import RequestConfirm, RequestDecision
from peerbot.services.participants import become_supporter
from peerbot.services.participants.become_supporter import SendInvite
from peerbot.services.privacy import case_audit
from peerbot.services.program_view import stats_text
from peerbot.services.supporters import invites, lifecycle, supporter_roster, supporters
from peerbot.services.supporters.lifecycle import DepartureAnswer
from peerbot.storage import audit

CARD_ACTIONS = (
    EscalationAction,
    TrainingConfirm,
    MatchApprove,
    RequestAction,
    InviteRevoke,
    RequestDecision,
    RequestConfirm,
    SendInvite,
    MatchAct,
    DepartureAnswer,
)
CARD_BUTTONS = re.compile(rf"^({'|'.join(action.prefix for action in CARD_ACTIONS)}):")
NOT_ALLOWED = "card.not_allowed"
RIGHTS_UNKNOWN = "delivery.rights_unknown"
# The group's own changes are watched in a handler group of their own, beside whatever else
# handles the same update (e.g. a message in the group).
MEMBERSHIP_HANDLERS = 1


def _gate(context: PeerbotContext) -> CoordinatorGate:
    gate = context.bot_data[GATE_KEY]
    assert isinstance(gate, CoordinatorGate)
    return gate


async def _verified(update: Update, context: PeerbotContext):  # type: ignore[no-untyped-def]
    """The acting coordinator's record, or None (and an audited refusal) for anyone else.

    Someone the group no longer counts loses the coordinator role; when Telegram could not
    say, the person is asked to try again (the refusal text is the third value).
    """
    user = update.effective_user
    assert user is not None
    ctx, who = await context.service(update)
    verdict = await _gate(context).check(context.bot, user.id)
    if verdict is Verdict.ALLOWED:
        return ctx, await coordinators.enroll(ctx, user.id, user.first_name), ""
    if verdict is Verdict.GONE:
        await group_membership.left_group(ctx, user.id, seen_by="membership_check")
    await audit.record(
        ctx.session,
        "coordinator_action.refused",
        now=ctx.now,
        actor_id=who.person.id if who.person else None,
        update_id=update.update_id,
        verdict=verdict.value,
    )
    return ctx, None, RIGHTS_UNKNOWN if verdict is Verdict.UNKNOWN else NOT_ALLOWED


async def _refused(update: Update, context: PeerbotContext, refusal: str) -> None:
    """Only an unanswered check is told (to try again); other refusals stay silent."""
    if refusal == RIGHTS_UNKNOWN:
        await reply_text(context, update, refusal)


async def card_pressed(update: Update, context: PeerbotContext) -> None:
    query = update.callback_query
    assert query is not None
    action = decode(query.data)
    ctx, coordinator, refusal = await _verified(update, context)
    if coordinator is None or not isinstance(action, CARD_ACTIONS):
        text = coordinators.text(ctx, refusal or NOT_ALLOWED)
        acknowledge(context, query, text, alert=True)
        return
    acknowledge(context, query)
    match action:
        case TrainingConfirm():
            reply = await supporters.confirm_training(ctx, coordinator, action)
        case MatchApprove():
            reply = await proposals.approve(ctx, coordinator, action)
        case RequestAction(action="rematch"):
            reply = await relationships.rematch(ctx, coordinator, action)
        case RequestAction():
            reply = await proposals.request_action(ctx, coordinator, action)
        case InviteRevoke():
            reply = await invites.revoke(ctx, coordinator, action)
        case RequestDecision() | RequestConfirm():
            reply = await request_actions.act(ctx, coordinator, action)
        case SendInvite():
            username = context.bot.username
            reply = await become_supporter.send_invite(ctx, coordinator, action, username)
        case MatchAct():
            reply = await match_actions.pressed(ctx, coordinator, action)
        case DepartureAnswer():
            reply = await lifecycle.departure_answer(ctx, coordinator, action)
        case _:
            reply = await escalation_desk.act(ctx, coordinator, action)
    await deliver(context, update, reply)


async def open_escalations(update: Update, context: PeerbotContext) -> None:
    """/open: answered where it was asked (the group, or a coordinator's private chat)."""
    ctx, coordinator, refusal = await _verified(update, context)
    if coordinator is None:
        await _refused(update, context, refusal)
        return
    await deliver(context, update, await escalation_desk.open_list(ctx))


async def invite(update: Update, context: PeerbotContext) -> None:
    ctx, coordinator, refusal = await _verified(update, context)
    if coordinator is None:
        await _refused(update, context, refusal)
        return
    reply = await invites.invite_for_coordinators(ctx, coordinator, context.bot.username)
    await deliver(context, update, reply)


async def open_invites(update: Update, context: PeerbotContext) -> None:
    ctx, coordinator, refusal = await _verified(update, context)
    if coordinator is None:
        await _refused(update, context, refusal)
        return
    await deliver(context, update, await invites.open_for_coordinators(ctx, coordinator))


async def list_supporters(update: Update, context: PeerbotContext) -> None:
    ctx, coordinator, refusal = await _verified(update, context)
    if coordinator is None:
        await _refused(update, context, refusal)
        return
    await deliver(context, update, await supporter_roster.roster(ctx, coordinator))


async def release_supporter(update: Update, context: PeerbotContext) -> None:
    """/release <supporter code> <reason>: asks first."""
    await _depart(update, context, "released")


async def deactivate_supporter(update: Update, context: PeerbotContext) -> None:
    """/deactivate <supporter code> <reason>: asks first."""
    await _depart(update, context, "deactivated")


async def _depart(update: Update, context: PeerbotContext, how: str) -> None:
    ctx, coordinator, refusal = await _verified(update, context)
    if coordinator is None:
        await _refused(update, context, refusal)
        return
    reply = await lifecycle.ask_departure(ctx, coordinator, how, list(context.args or ()))
    await deliver(context, update, reply)


async def match_by_hand(update: Update, context: PeerbotContext) -> None:
    ctx, coordinator, refusal = await _verified(update, context)
    if coordinator is None:
        await _refused(update, context, refusal)
        return
    reply = await proposals.match_by_hand(ctx, coordinator, list(context.args or ()))
    await deliver(context, update, reply)


async def program_stats(update: Update, context: PeerbotContext) -> None:
    """/stats: answered where it was asked (the group, or a coordinator's private chat)."""
    ctx, coordinator, refusal = await _verified(update, context)
    if coordinator is None:
        await reply_text(context, update, refusal)
        return
    await deliver(context, update, await stats_text.stats_reply(ctx, coordinator))


async def case_trail(update: Update, context: PeerbotContext) -> None:
    """/audit <case>: who read or changed that case's record, and when."""
    ctx, coordinator, refusal = await _verified(update, context)
    if coordinator is None:
        await reply_text(context, update, refusal)
        return
    reply = await case_audit.case_trail(ctx, coordinator, list(context.args or ()))
    await deliver(context, update, reply)


async def group_reply(update: Update, context: PeerbotContext) -> None:
    """In the group: a note answering a note prompt, else a message for a case's person (a
    reply to one of the case's messages, or written in the case's topic)."""
    message = update.effective_message
    assert message is not None
    at = _written_at(update)
    ctx, coordinator, refusal = await _verified(update, context)
    if coordinator is None:
        await _refused(update, context, refusal)
        return
    reply = None
    if at.replied_to is not None:
        text = message.text or ""
        reply = await escalation_desk.save_note(ctx, coordinator, at.replied_to, text)
    if reply is None:
        reply = await relay.from_coordinator(ctx, coordinator, written_in(message), at)
    if reply is not None:
        await deliver(context, update, reply)


async def case_facts(update: Update, context: PeerbotContext) -> None:
    """/case in a case's topic or as a reply in its thread, or /case CODE: what triage needs."""
    await _case_command(update, context, case_view.show, tell_refusal=True)


async def close_case(update: Update, context: PeerbotContext) -> None:
    """/close [outcome] in a case's topic or as a reply in its thread."""
    await _case_command(update, context, case_view.close, tell_refusal=False)


async def _case_command(
    update: Update,
    context: PeerbotContext,
    service: Callable[..., Awaitable[Reply]],
    *,
    tell_refusal: bool,
) -> None:
    """tell_refusal: also tell someone who is no coordinator (a command that works privately)."""
    ctx, coordinator, refusal = await _verified(update, context)
    if coordinator is None:
        if tell_refusal:
            await reply_text(context, update, refusal)
        else:
            await _refused(update, context, refusal)
        return
    reply = await service(ctx, coordinator, _written_at(update), list(context.args or ()))
    await deliver(context, update, reply)


def _written_at(update: Update) -> threads.At:
    """The message a group message answers (a topic's own opening is none), and the forum
    topic it was written in (a reply chain outside topics is none)."""
    message = update.effective_message
    if message is None:
        return threads.At()
    topic = message.message_thread_id if message.is_topic_message else None
    replied = message.reply_to_message
    replied_id = replied.message_id if replied is not None else None
    return threads.At(None if replied_id == topic else replied_id, topic)


async def group_migrated(update: Update, context: PeerbotContext) -> None:
    """A group became a supergroup (either side's service message): follow ours."""
    message = update.effective_message
    assert message is not None
    if message.migrate_to_chat_id is not None:
        old, new = message.chat.id, message.migrate_to_chat_id
    elif message.migrate_from_chat_id is not None:
        old, new = message.migrate_from_chat_id, message.chat.id
    else:
        return
    await _watch(context).migrated(context.session, old, new)


async def bot_membership_changed(update: Update, context: PeerbotContext) -> None:
    """The bot removed from the coordinators' group, or unable to post there: tell each
    coordinator privately."""
    change = update.my_chat_member
    watch = _watch(context)
    if change is None or change.chat.id != watch.chat_id:
        return
    member = change.new_chat_member
    if member.status in GONE_STATUSES:
        can_rejoin = True
    elif isinstance(member, ChatMemberRestricted) and not member.can_send_messages:
        can_rejoin = False
    else:
        return
    await group_delivery.alert_bot_removed(
        watch.context(context.session), can_rejoin=can_rejoin, update_id=update.update_id
    )


async def member_changed(update: Update, context: PeerbotContext) -> None:
    """Someone left or was removed from the coordinators' group: no coordinator role any more."""
    change = update.chat_member
    watch = _watch(context)
    if change is None or change.chat.id != watch.chat_id:
        return
    member = change.new_chat_member
    gone = member.status in GONE_STATUSES or (
        isinstance(member, ChatMemberRestricted) and not member.is_member
    )
    if gone:
        _gate(context).forget(member.user.id)
        await group_membership.left_group(
            watch.context(context.session), member.user.id, seen_by="chat_member"
        )


def _watch(context: PeerbotContext) -> GroupWatch:
    return watch_from(context.bot_data)


def register(
    application: Application,  # type: ignore[type-arg]
    coordinator_chat_id: int | None,
    private_desk: frozenset[int] = frozenset(),
) -> None:
    """Before the participant handlers: card presses are checked wherever they come from.

    private_desk: without a group (PEERBOT_NO_COORDINATOR_GROUP), the coordinators whose
    private chats take the group's commands."""
    watch = GroupWatch(deps_from(application.bot_data))  # the group, followed when it moves
    application.bot_data[WATCH_KEY] = watch
    application.add_handler(
        CallbackQueryHandler(card_pressed, pattern=CARD_BUTTONS)  # type: ignore[arg-type]
    )
    watched = [
        MessageHandler(filters.StatusUpdate.MIGRATE, group_migrated),
        ChatMemberHandler(bot_membership_changed, ChatMemberHandler.MY_CHAT_MEMBER),
        ChatMemberHandler(member_changed, ChatMemberHandler.CHAT_MEMBER),
    ]
    for handler in watched:
        application.add_handler(handler, group=MEMBERSHIP_HANDLERS)  # type: ignore[arg-type]
    # /open, /stats and /audit also answer a coordinator privately, group or no group (a group
    # that refuses the bot leaves coordinators their private chats)
    private = filters.ChatType.PRIVATE
    asked = private if coordinator_chat_id is None else private | watch.chats
    application.add_handler(CommandHandler("stats", program_stats, filters=asked))  # type: ignore[arg-type]
    application.add_handler(CommandHandler("audit", case_trail, filters=asked))  # type: ignore[arg-type]
    application.add_handler(CommandHandler("open", open_escalations, filters=asked))  # type: ignore[arg-type]
    application.add_handler(CommandHandler("case", case_facts, filters=asked))  # type: ignore[arg-type]
    if coordinator_chat_id is None and not private_desk:
        return
    if coordinator_chat_id is None:
        group = private & filters.User(user_id=private_desk)
    else:
        group = watch.chats
    application.add_handler(CommandHandler("invite", invite, filters=group))  # type: ignore[arg-type]
    application.add_handler(CommandHandler("invites", open_invites, filters=group))  # type: ignore[arg-type]
    application.add_handler(CommandHandler("supporters", list_supporters, filters=group))  # type: ignore[arg-type]
    application.add_handler(CommandHandler("match", match_by_hand, filters=group))  # type: ignore[arg-type]
    application.add_handler(CommandHandler("release", release_supporter, filters=group))  # type: ignore[arg-type]
    application.add_handler(CommandHandler("deactivate", deactivate_supporter, filters=group))  # type: ignore[arg-type]
    if coordinator_chat_id is None:
        return  # notes and case threads are replies in the group only
    application.add_handler(CommandHandler("close", close_case, filters=group))  # type: ignore[arg-type]
    written = filters.TEXT | filters.PHOTO | filters.Document.ALL | filters.VOICE
    placed = filters.REPLY | filters.IS_TOPIC_MESSAGE
    application.add_handler(
        MessageHandler(group & placed & written & ~filters.COMMAND, group_reply)  # type: ignore[arg-type]
    )


COMMAND_MENU = (
    "open",
    "case",
    "close",
    "supporters",
    "match",
    "release",
    "deactivate",
    "invite",
    "invites",
    "stats",
    "audit",
    "help",
)
