"""Where a case lives in the coordinators' group: the one module that knows.

Plain group (today): a case is its card, and every message of the case is posted as a reply
to the case's newest message the group has (its card, or the last relayed one), so the thread
reads as one reply chain; a coordinator answers by replying to any of them. Telegram gives a
message its id only once it is sent, so ids are read back from the sent outbox rows (keys
below) and kept on the case and its messages, which outlive the outbox.

Forum topics (later): a case's ``thread_id`` names its topic; ``post`` would send into the
topic and ``case_of`` would find the case by the topic a message was written in. Nothing
outside this module needs to change for that.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from sqlalchemy import select

from peerbot.services.common.context import ServiceContext
from peerbot.services.conversations.shown import Shown, Text
from peerbot.services.coordination import coordinators
from peerbot.storage.enums import CaseDirection
from peerbot.storage.models import Case, CaseMessage, Escalation, OutboxMessage, Person
from peerbot.storage.outbox import Priority

_OF_CASE = re.compile(r"case:(\d+):")
_ESCALATION_CARD = re.compile(r"escalation:(\d+):(?:raised|reraised)")


def card_key(case: Case) -> str:
    return f"case:{case.id}:card"


def relayed_key(case: Case, message: CaseMessage) -> str:
    """The outbox key of a person's message relayed to the group."""
    return f"case:{case.id}:from:{message.id}"


def sent_key(case: Case, message: CaseMessage) -> str:
    """The outbox key of a coordinator's message relayed to the person."""
    return f"case:{case.id}:to:{message.id}"


def note_key(case: Case, what: str) -> str:
    """The outbox key of the bot's own note in the thread (e.g. a message not delivered)."""
    return f"case:{case.id}:note:{what}"


async def ensure_card(
    ctx: ServiceContext, case: Case, person: Person, role: str, *, text_key: str = "case.card"
) -> None:
    """Post the case's own card when nothing anchors it in the group yet."""
    if case.card_key is not None:
        return
    case.card_key = card_key(case)
    view = Text(
        text=coordinators.text(
            ctx,
            text_key,
            case=person.pseudonym,
            role=coordinators.text(ctx, f"role.{role}"),
        )
    )
    await coordinators.post(ctx, view, priority=Priority.COORDINATION, dedupe_key=case.card_key)


async def post(
    ctx: ServiceContext,
    case: Case,
    view_for: Callable[[int | None], Shown],
    key: str,
    *,
    priority: int = Priority.COORDINATION,
) -> None:
    """Post in the case's thread: view_for gets the message to reply to (None: none known).

    priority: an escalation's news (a safety answer) goes before the group's other cards."""
    chat_id = ctx.settings.coordinator_chat_id
    if chat_id is None:  # no group: each coordinator privately, without a thread
        view = view_for(None)
        for private in await coordinators.coordinator_chats(ctx):
            await ctx.outbox.post(private, view, priority=priority, dedupe_key=f"{key}:{private}")
        return
    anchor = await newest_in_group(ctx, case)
    await ctx.outbox.post(chat_id, view_for(anchor), priority=priority, dedupe_key=key)


async def newest_in_group(ctx: ServiceContext, case: Case) -> int | None:
    """The id of the case's newest message in the group that Telegram has given an id."""
    await read_back_ids(ctx, case)
    newest = await ctx.session.scalar(
        select(CaseMessage.group_message_id)
        .where(CaseMessage.case_id == case.id, CaseMessage.group_message_id.is_not(None))
        .order_by(CaseMessage.group_message_id.desc())
        .limit(1)
    )
    known = [i for i in (newest, case.card_message_id) if i is not None]
    return max(known) if known else None


async def case_of(ctx: ServiceContext, replied_message_id: int) -> Case | None:
    """The case a message in the coordinators' group belongs to, or None."""
    case = await ctx.session.scalar(
        select(Case)
        .join(CaseMessage, CaseMessage.case_id == Case.id)
        .where(CaseMessage.group_message_id == replied_message_id)
        .order_by(Case.id.desc())
        .limit(1)
    )
    if case is not None:
        return case
    case = await ctx.session.scalar(
        select(Case)
        .where(Case.card_message_id == replied_message_id)
        .order_by(Case.id.desc())
        .limit(1)
    )
    if case is not None or ctx.settings.coordinator_chat_id is None:
        return case
    key = await ctx.session.scalar(
        select(OutboxMessage.dedupe_key).where(
            OutboxMessage.chat_id == ctx.settings.coordinator_chat_id,
            OutboxMessage.telegram_message_id == replied_message_id,
        )
    )
    return await _case_of_key(ctx, key)


async def _case_of_key(ctx: ServiceContext, key: str | None) -> Case | None:
    """The case a group message's outbox key names: its own rows, its card, its escalation."""
    if not key:
        return None
    own = _OF_CASE.match(key)
    if own is not None:
        return await ctx.session.get(Case, int(own.group(1)))
    case = await ctx.session.scalar(
        select(Case).where(Case.card_key == key).order_by(Case.id.desc()).limit(1)
    )
    if case is not None:
        return case
    card = _ESCALATION_CARD.match(key)
    if card is None:
        return None
    escalation = await ctx.session.get(Escalation, int(card.group(1)))
    if escalation is None or escalation.person_id is None:
        return None
    return await ctx.session.scalar(
        select(Case)
        .where(Case.person_id == escalation.person_id)
        .order_by(Case.id.desc())
        .limit(1)
    )


async def read_back_ids(ctx: ServiceContext, case: Case) -> None:
    """Keep on the case the group message ids Telegram gave its card and relayed messages."""
    if case.card_message_id is None and case.card_key is not None:
        case.card_message_id = await ctx.session.scalar(
            select(OutboxMessage.telegram_message_id).where(
                OutboxMessage.dedupe_key == case.card_key,
                OutboxMessage.telegram_message_id.is_not(None),
            )
        )
    rows = await ctx.session.execute(
        select(OutboxMessage.dedupe_key, OutboxMessage.telegram_message_id).where(
            OutboxMessage.dedupe_key.like(f"case:{case.id}:from:%"),
            OutboxMessage.telegram_message_id.is_not(None),
        )
    )
    sent = {key: message_id for key, message_id in rows}
    if not sent:
        return
    waiting = await ctx.session.scalars(
        select(CaseMessage).where(
            CaseMessage.case_id == case.id,
            CaseMessage.direction == CaseDirection.TO_COORDINATORS,
            CaseMessage.group_message_id.is_(None),
        )
    )
    for message in waiting:
        message.group_message_id = sent.get(relayed_key(case, message))
