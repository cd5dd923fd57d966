"""Safety first: what a person sends is screened, and its red flags recorded, before the
dialog does anything with it; what the bot cannot read still gets a kind answer and the
crisis resources.

raise_first() runs in a transaction of its own, ahead of the update's: a flag it commits
cannot be undone by anything failing later in that update, and each flag carries the key
of its cause, so a retried or replayed update finds it instead of raising it again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from peerbot.dialogs.events import RedFlag
from peerbot.dialogs.inputs import Input
from peerbot.services.common.context import ServiceContext, Who
from peerbot.services.conversations import flows
from peerbot.services.conversations.actions import SafetyAnswer
from peerbot.services.conversations.shown import Notice, Reply
from peerbot.services.coordination import coordinators
from peerbot.services.escalations import crisis, escalations, safety_check, screening
from peerbot.services.escalations.screening import Screened
from peerbot.storage.enums import (
    EscalationSeverity,
    EscalationStatus,
    Role,
    SupportRequestStatus,
)
from peerbot.storage.models import Conversation, Escalation, Person, SupportRequest
from peerbot.storage.outbox import Priority

# What a message may carry instead of text, in the order to look for it: an animation
# also carries a document, a venue a location.
UNREADABLE_KINDS = (
    "voice",
    "audio",
    "video_note",
    "animation",
    "video",
    "sticker",
    "photo",
    "document",
    "location",
    "contact",
)
OPEN_REQUESTS = (
    SupportRequestStatus.NEW,
    SupportRequestStatus.HELD,
    SupportRequestStatus.MATCHING,
    SupportRequestStatus.PROPOSED,
    SupportRequestStatus.MATCHED,
)


@dataclass(frozen=True)
class Said:
    """What a person sent, as screening sees it."""

    message_id: int | None
    words: str | None  # a text, a caption or a command's arguments
    answer: Input | None = None  # the flow input it will be (none for an edit or a command)
    forwarded: bool = False
    safety: SafetyAnswer | None = None  # a press answering "Are you safe right now?"


async def raise_first(ctx: ServiceContext, who: Who, said: Said) -> Screened:
    """Raise every flag in what was said: its words, and the answer it gives the flow."""
    conversation = await flows.active(ctx, who)
    source = f"{conversation.flow}.{conversation.step}" if conversation else "message"
    screened = Screened(crisis_key=crisis_key(ctx, who, _plain_answers(conversation)))
    if said.words:
        found = screening.screen_safely(ctx.program, said.words, who.locale)
        if found.flagged and found.category is not None and found.severity is not None:
            cause = None
            if said.message_id is not None:
                cause = escalations.cause_of_words(
                    ctx, who.chat_id, said.message_id, found.category
                )
            escalation = await escalations.raise_flag(
                ctx,
                who.person,
                category=found.category,
                severity=found.severity,
                source=source,
                matched=found.matched,
                words=said.words,
                cause_key=cause,
                forwarded=said.forwarded,
            )
            screened.add(escalation.id, found.severity)
    if said.safety is not None:
        await _safety_answer_first(ctx, who, said.safety, screened)
    ahead = None
    if said.answer is not None and conversation is not None:
        ahead = flows.preview(ctx, who, conversation, said.answer)
    if ahead is not None and conversation is not None:
        transition, meta = ahead
        for event in transition.events:
            if isinstance(event, RedFlag):
                escalation = await raise_answer_flag(ctx, who, conversation.flow, meta, event)
                screened.add(escalation.id, event.severity)
    return screened


async def _safety_answer_first(
    ctx: ServiceContext, who: Who, pressed: SafetyAnswer, screened: Screened
) -> None:
    """The answer to "Are you safe right now?" is kept like a flag: committed first. Anything
    but a clear yes counts as this update's critical flag, so the crisis resources and the
    coordinators' promise reach the person even if the rest of the update fails."""
    outcome = await safety_check.record_answer(ctx, who, pressed)
    if outcome != safety_check.RECORDED:
        return
    screened.safety_answered = pressed.escalation_id
    if pressed.answer in safety_check.NOT_A_CLEAR_YES:
        screened.add(pressed.escalation_id, EscalationSeverity.CRITICAL)


def _plain_answers(conversation: Conversation | None) -> dict[str, object]:
    """The conversation's answers stored in the clear (a country, a time zone), unsealed none."""
    engine = (conversation.state or {}).get("engine") or {} if conversation else {}
    answers = engine.get("answers") or {}
    return {key: value for key, value in answers.items() if isinstance(value, str)}


async def raise_answer_flag(
    ctx: ServiceContext, who: Who, flow_id: str, meta: dict[str, Any], flag: RedFlag
) -> Escalation:
    """A red-flag rule fired on an answer; a supporter's note flags their participant."""
    subject = who.person
    about = meta.get("about")
    if about is not None and flag.category != "burnout":
        subject = await ctx.session.get(Person, about) or who.person
    source = f"{flow_id}.{flag.step_id}"
    cause = None
    if ctx.update_id is not None:
        cause = escalations.cause_of_answer(ctx.update_id, source, flag.category)
    return await escalations.raise_flag(
        ctx,
        subject,
        category=flag.category,
        severity=flag.severity,
        source=source,
        cause_key=cause,
    )


async def unreadable(ctx: ServiceContext, who: Who, kind: str) -> Reply:
    """A voice note, sticker, photo, ...: ask for words, give the crisis resources, and tell
    the coordinators when the person has an open case (it may have been a call for help)."""
    kind = kind if kind in UNREADABLE_KINDS else "other"
    if ctx.screened is not None:
        ctx.screened.resources_given = True
    if who.person is not None and await has_open_case(ctx, who.person.id):
        await coordinators.post_card(
            ctx,
            "card.unreadable",
            priority=Priority.COORDINATION,
            dedupe_key=f"unreadable:{who.chat_id}:{ctx.update_id or ctx.now.timestamp()}",
            case=who.person.pseudonym,
            kind=coordinators.text(ctx, f"kind.{kind}"),
        )
    return Reply(who.locale).add(
        Notice(f"unreadable.{kind}"), Notice("unreadable.in_danger"), Notice(crisis_key(ctx, who))
    )


async def has_open_request(ctx: ServiceContext, person_id: int) -> bool:
    """A request for support not yet closed or withdrawn."""
    request = await ctx.session.scalar(
        select(SupportRequest.id)
        .where(SupportRequest.person_id == person_id, SupportRequest.status.in_(OPEN_REQUESTS))
        .limit(1)
    )
    return request is not None


async def has_open_case(ctx: ServiceContext, person_id: int) -> bool:
    """An open request for support, or an escalation not yet resolved."""
    if await has_open_request(ctx, person_id):
        return True
    escalation = await ctx.session.scalar(
        select(Escalation.id)
        .where(Escalation.person_id == person_id, Escalation.status != EscalationStatus.RESOLVED)
        .limit(1)
    )
    return escalation is not None


def crisis_key(ctx: ServiceContext, who: Who, answers: Mapping[str, object] | None = None) -> str:
    """The text key of the person's own crisis resources (their country's, if we know it)."""
    return crisis.resources_key(ctx, who.person, answers)


def help_reply(
    ctx: ServiceContext, who: Who, *, private: bool = True, in_group: bool = False
) -> Reply:
    """/help: what the bot does for this person's roles in their private chat (in the
    coordinators' group, for coordinators; elsewhere a participant's), and their own crisis
    resources."""
    if ctx.screened is not None:
        ctx.screened.resources_given = True
    roles = who.roles if private else frozenset()
    keys = ["coordinators.help"] if in_group else help_keys(ctx, roles)
    reply = Reply(who.locale).add(*(Notice(key) for key in keys))
    return reply.add(Notice(crisis_key(ctx, who)))


def help_keys(ctx: ServiceContext, roles: Iterable[Role]) -> list[str]:
    """The help texts of a private chat, one per role, in the order of its command menu."""
    held = set(roles)
    keys = []
    if Role.COORDINATOR in held:
        keys.append("coordinators.private_help")
        if ctx.settings.no_coordinator_group:
            keys.append("coordinators.desk_help")
    keys.append("supporter.help" if Role.SUPPORTER in held else "help")
    return keys
