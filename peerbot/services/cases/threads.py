"""Where a case lives in the coordinators' group: the one module that knows.

Plain group: a case is its card, and every message of the case is posted as a reply to the
case's newest message the group has (its card, or the last relayed one), so the thread reads
as one reply chain; a coordinator answers by replying to any of them.

Forum (the group has topics and the bot may manage them, ``Settings.case_topics``): a case is
a topic named by its pseudonym and severity, opened through the outbox with the case's card as
its first message; whatever is posted before Telegram gave the topic its id waits for it (the
payload names the topic by the outbox key of the call opening it). A person's later case
reopens their earlier topic (with the new case's card) rather than opening another: the
topic list keeps one line per person, and whoever answers sees what was said before. A
coordinator writes in the topic, no reply needed. The escalation's card itself stays where
cards are claimed; the topic holds the conversation.

Telegram gives a message (and a topic) its id only once it is sent, so ids are read back from
the sent outbox rows (keys below) and kept on the case and its messages, which outlive the
outbox.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace

from sqlalchemy import or_, select

from peerbot.services.common.context import ServiceContext
from peerbot.services.conversations.shown import SharedFile, Text, Topic, TopicChange
from peerbot.services.coordination import coordinators
from peerbot.services.escalations import card, escalations
from peerbot.storage.enums import CaseDirection, EscalationStatus, OutboxStatus
from peerbot.storage.models import Case, CaseMessage, Escalation, OutboxMessage, Person
from peerbot.storage.outbox import Priority

Placed = Text | SharedFile  # what can be posted in a case's thread


@dataclass(frozen=True)
class At:
    """Where a coordinator wrote in the group: the message they answered, the forum topic."""

    replied_to: int | None = None
    topic: int | None = None


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


def topic_key(case: Case | int, what: str = "") -> str:
    """The outbox key of the call opening the case's topic (what: a later change of it)."""
    case_id = case if isinstance(case, int) else case.id
    return f"case:{case_id}:topic{':' + what if what else ''}"


async def ensure_card(
    ctx: ServiceContext, case: Case, person: Person, role: str, *, text_key: str = "case.card"
) -> None:
    """Post the case's own card when nothing anchors it in the group yet (in a forum: its
    topic, opened with the card)."""
    if await topic_of(ctx, case, text_key=text_key) is not None or case.card_key is not None:
        return
    case.card_key = card_key(case)
    view = Text(text=_card_text(ctx, text_key, person, role))
    await coordinators.post(ctx, view, priority=Priority.COORDINATION, dedupe_key=case.card_key)


async def post(
    ctx: ServiceContext,
    case: Case,
    view_for: Callable[[int | None], Placed],
    key: str,
    *,
    priority: int = Priority.COORDINATION,
) -> None:
    """Post in the case's thread: view_for gets the message to reply to (None: none known, or
    none needed in the case's topic).

    priority: an escalation's news (a safety answer) goes before the group's other cards."""
    chat_id = ctx.settings.coordinator_chat_id
    if chat_id is None:  # no group: each coordinator privately, without a thread
        view = view_for(None)
        for private in await coordinators.coordinator_chats(ctx):
            await ctx.outbox.post(private, view, priority=priority, dedupe_key=f"{key}:{private}")
        return
    topic = await topic_of(ctx, case)
    if topic is not None:
        placed = replace(view_for(None), topic=topic)
    else:
        placed = view_for(await newest_in_group(ctx, case))
    await ctx.outbox.post(chat_id, placed, priority=priority, dedupe_key=key)


async def topic_of(
    ctx: ServiceContext, case: Case, *, text_key: str = "case.card"
) -> Topic | None:
    """The case's topic, opened now (with its card) if it has none, and renamed when its
    severity changed; None where cases are no topics, or its topic could not be opened."""
    if not (ctx.settings.case_topics and ctx.settings.coordinator_chat_id is not None):
        return None
    topic = await _known_topic(ctx, case)
    if topic is None:
        opened = await ctx.session.scalar(
            select(OutboxMessage.id).where(OutboxMessage.dedupe_key == topic_key(case))
        )
        if opened is not None:  # asked, and refused for good: the group's replies then
            return None
        return await _open_topic(ctx, case, text_key)
    await _rename(ctx, case, topic)
    return topic


async def close_topic(ctx: ServiceContext, case: Case) -> None:
    """Close the case's topic, if it has one: a new message from the person reopens it."""
    topic = await _known_topic(ctx, case)
    if topic is not None and ctx.settings.case_topics:
        change = TopicChange("close", topic)  # after what is said in it meanwhile
        await _topic_change(ctx, change, topic_key(case, "closed"), Priority.COORDINATION)


async def case_severity(ctx: ServiceContext, person_id: int | None) -> str | None:
    """The severity a case shows: the most severe of the person's escalations not resolved."""
    if person_id is None:
        return None
    severities = list(
        await ctx.session.scalars(
            select(Escalation.severity).where(
                Escalation.person_id == person_id, Escalation.status != EscalationStatus.RESOLVED
            )
        )
    )
    return max(severities, key=escalations.severity_rank).value if severities else None


async def _known_topic(ctx: ServiceContext, case: Case) -> Topic | None:
    """The topic's id, or the key of the call opening it while that waits; None: none yet."""
    await read_back_ids(ctx, case)
    if case.thread_id is not None:
        return case.thread_id
    waiting = await ctx.session.scalar(
        select(OutboxMessage.id).where(
            OutboxMessage.dedupe_key == topic_key(case),
            OutboxMessage.status == OutboxStatus.PENDING,
        )
    )
    return topic_key(case) if waiting is not None else None


async def _open_topic(ctx: ServiceContext, case: Case, text_key: str) -> Topic:
    """The person's earlier topic reopened, else a new one; the case's card first in it."""
    person = await ctx.session.get(Person, case.person_id)
    assert person is not None
    earlier = await ctx.session.scalar(
        select(Case.thread_id)
        .where(Case.person_id == case.person_id, Case.id != case.id, Case.thread_id.is_not(None))
        .order_by(Case.id.desc())
        .limit(1)
    )
    topic: Topic
    if earlier is not None:
        case.thread_id = topic = earlier
        await _topic_change(ctx, TopicChange("reopen", topic), topic_key(case, "reopened"))
        await _rename(ctx, case, topic)
    else:
        topic = topic_key(case)
        name = await _topic_name(ctx, case, person)
        await _topic_change(ctx, TopicChange("open", name=name), topic)
    role = await card.subject_role(ctx, person)
    view = Text(text=_card_text(ctx, f"{text_key}_topic", person, role.value), topic=topic)
    chat_id = ctx.settings.coordinator_chat_id
    assert chat_id is not None
    # as urgent as the topic itself, so that it comes first there (before a safety answer)
    await ctx.outbox.post(
        chat_id, view, priority=Priority.ESCALATION, dedupe_key=topic_key(case, "card")
    )
    return topic


async def _rename(ctx: ServiceContext, case: Case, topic: Topic) -> None:
    """Rename the topic when the case's severity changed since it was last named."""
    person = await ctx.session.get(Person, case.person_id)
    if person is None:
        return
    name = await _topic_name(ctx, case, person)
    same_topic = [case.id]
    if case.thread_id is not None:  # a reopened topic was named by an earlier case
        same_topic += await ctx.session.scalars(
            select(Case.id).where(Case.person_id == case.person_id, Case.thread_id == topic)
        )
    named = await ctx.session.scalar(
        select(OutboxMessage.payload)
        .where(
            or_(
                *(OutboxMessage.dedupe_key == topic_key(i) for i in same_topic),
                *(OutboxMessage.dedupe_key.like(topic_key(i, "name:%")) for i in same_topic),
            )
        )
        .order_by(OutboxMessage.id.desc())
        .limit(1)
    )
    if named is None or named.get("name") != name:
        renamed = TopicChange("rename", topic, name)
        await _topic_change(ctx, renamed, topic_key(case, f"name:{name}"))


async def _topic_name(ctx: ServiceContext, case: Case, person: Person) -> str:
    """The case's pseudonym and severity: never a name."""
    severity = await case_severity(ctx, case.person_id)
    if severity is None:
        return person.pseudonym
    shown = coordinators.text(ctx, f"severity.{severity}")
    return coordinators.text(ctx, "case.topic_name", case=person.pseudonym, severity=shown)


async def _topic_change(
    ctx: ServiceContext, change: TopicChange, key: str, priority: int = Priority.ESCALATION
) -> None:
    """By default before the case's messages waiting behind it in the group."""
    chat_id = ctx.settings.coordinator_chat_id
    assert chat_id is not None
    await ctx.outbox.post(chat_id, change, priority=priority, dedupe_key=key)


def _card_text(ctx: ServiceContext, text_key: str, person: Person, role: str) -> str:
    return coordinators.text(
        ctx, text_key, case=person.pseudonym, role=coordinators.text(ctx, f"role.{role}")
    )


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


async def case_of(ctx: ServiceContext, at: At) -> Case | None:
    """The case a message in the coordinators' group belongs to (written in a case's topic,
    or replying to one of the case's messages), or None."""
    topic, replied_message_id = at.topic, at.replied_to
    if topic is not None:
        case = await ctx.session.scalar(
            select(Case).where(Case.thread_id == topic).order_by(Case.id.desc()).limit(1)
        )
        if case is not None:
            return case
        opened = await ctx.session.scalar(  # opened, and no message of it posted since
            select(OutboxMessage.dedupe_key).where(
                OutboxMessage.dedupe_key.like("case:%:topic"),
                OutboxMessage.telegram_message_id == topic,
            )
        )
        case = await _case_of_key(ctx, opened)
        if case is not None:
            case.thread_id = topic  # found by its id from now on, whatever the outbox keeps
            return case
    if replied_message_id is None:
        return None
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
    """Keep on the case the group message ids Telegram gave its card, topic and relayed
    messages."""
    if case.thread_id is None:
        case.thread_id = await ctx.session.scalar(
            select(OutboxMessage.telegram_message_id).where(
                OutboxMessage.dedupe_key == topic_key(case),
                OutboxMessage.telegram_message_id.is_not(None),
            )
        )
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
