"""Warm introductions: once a supporter accepts, each person hears about the other.

Each is told the other's first name, what they have in common, how and when they like to
talk, and how to get in touch: a Telegram link when the person has a username and allowed
their details to be shared, otherwise the participant is asked how they want to be contacted.
The supporter also gets first-contact tips, and both are asked a few days later whether
they have connected.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from peerbot.services.cases import cases
from peerbot.services.common.context import ServiceContext, Who
from peerbot.services.conversations import flows
from peerbot.services.conversations.shown import Notice, Outgoing, Reply
from peerbot.services.coordination import coordinators
from peerbot.services.matching import match_features, match_words
from peerbot.services.participants import consent
from peerbot.storage import conversations
from peerbot.storage.enums import CheckinKind, CheckinStatus, ConsentKind
from peerbot.storage.models import Checkin, Match, Person, SupporterProfile, SupportRequest
from peerbot.storage.outbox import Priority

CONTACT_FLOW = "contact_way"


async def introduce(
    ctx: ServiceContext, match: Match, request: SupportRequest, reply: Reply
) -> None:
    """Introduce the two people of an accepted match (the supporter's part goes in reply)."""
    participant = await ctx.session.get(Person, request.person_id)
    supporter = await ctx.session.get(Person, match.supporter_id)
    profile = await ctx.session.get(SupporterProfile, match.supporter_id)
    if participant is None or supporter is None or profile is None:
        return
    answers = await match_features.request_answers(ctx, request.id, ("channels", "availability"))
    formats = [f for f in answers.get("channels", []) if f in profile.formats] or answers.get(
        "channels", []
    )
    times = [t for t in answers.get("availability", []) if t in profile.availability]
    times = times or answers.get("availability", [])
    to_participant = Reply(participant.language)
    to_participant.add(
        Notice(
            "intro.to_participant",
            {
                "name": _name(ctx, supporter, participant.language),
                "common": match_words.in_common(ctx, match.reasons, participant.language),
                "formats": match_words.labels(ctx, "formats", formats, participant.language),
                "times": match_words.labels(ctx, "times", times, participant.language),
            },
        )
    )
    supporter_link = _link(ctx, supporter)
    to_participant.add(
        Notice("intro.write_to", {"link": supporter_link})
        if supporter_link
        else Notice("intro.supporter_will_write")
    )
    reply.add(
        Notice(
            "intro.to_supporter",
            {
                "name": _name(ctx, participant, supporter.language),
                "common": match_words.in_common(ctx, match.reasons, supporter.language),
                "formats": match_words.labels(ctx, "formats", formats, supporter.language),
                "times": match_words.labels(ctx, "times", times, supporter.language),
            },
        )
    )
    reply.add(await _how_to_reach_participant(ctx, match, request, participant, to_participant))
    reply.add(Notice("intro.tips"))
    if participant.telegram_user_id is not None:
        reply.elsewhere.append(
            Outgoing(participant.telegram_user_id, to_participant, f"match:{match.id}:intro")
        )
    _ask_later_if_connected(ctx, match, participant, supporter)


async def contact_way_given(
    ctx: ServiceContext, who: Who, turn: flows.FlowTurn, answers: dict[str, Any]
) -> list[Notice]:
    """The participant said how to reach them: it goes to their supporter only."""
    match = await ctx.find(Match, turn.meta.get("match"))
    supporter = await ctx.session.get(Person, match.supporter_id) if match else None
    request = await ctx.session.get(SupportRequest, match.support_request_id) if match else None
    how = str(answers.get("how"))
    if match is None or supporter is None or request is None:
        return [Notice("contact.thanks")]
    if how == "coordinators":
        await _ask_coordinators_to_connect(ctx, match, request)
        return [Notice("contact.coordinators")]
    if supporter.telegram_user_id is not None:
        label = ctx.program.texts.get(f"contact.how.{how}.short", supporter.language)
        note = Notice("intro.contact_given", {"how": label, "detail": answers.get("detail", "")})
        await _send_now(ctx, supporter, note, f"match:{match.id}:contact_given")
    return [Notice("contact.thanks")]


async def _how_to_reach_participant(
    ctx: ServiceContext,
    match: Match,
    request: SupportRequest,
    participant: Person,
    to_participant: Reply,
) -> Notice:
    """A link when they allowed it, else ask them (unless they are busy in another flow)."""
    shares = await consent.is_granted(ctx, participant.id, ConsentKind.SHARE_WITH_SUPPORTER)
    link = _link(ctx, participant)
    if shares and link:
        return Notice("intro.write_to", {"link": link})
    chat_id = participant.telegram_user_id
    if chat_id is None or await conversations.active_for_chat(ctx.session, chat_id) is not None:
        await _ask_coordinators_to_connect(ctx, match, request)
        return Notice("intro.contact_by_coordinators")
    who = Who(chat_id, chat_id, participant.language, participant)
    turn = await flows.begin(ctx, who, CONTACT_FLOW, {"match": match.id})
    to_participant.add(*turn.transition.outputs)
    return Notice("intro.contact_pending")


async def _ask_coordinators_to_connect(
    ctx: ServiceContext, match: Match, request: SupportRequest
) -> None:
    await coordinators.post_match_card(ctx, "card.contact_by_coordinators", match, request)
    participant = await ctx.session.get(Person, request.person_id)
    if participant is not None:  # the card anchors the participant's case: replies reach them
        card_key = f"match:{match.id}:card.contact_by_coordinators"
        await cases.open_for(ctx, participant, cases.FIRST_CONTACT, card_key=card_key)


def _ask_later_if_connected(
    ctx: ServiceContext, match: Match, participant: Person, supporter: Person
) -> None:
    days = ctx.program.policy.introductions.followup_after_days
    for person in (participant, supporter):
        ctx.session.add(
            Checkin(
                person_id=person.id,
                kind=CheckinKind.MATCH_FOLLOWUP,
                match_id=match.id,
                due_at=ctx.now + timedelta(days=days),
                status=CheckinStatus.SCHEDULED,
            )
        )


async def _send_now(ctx: ServiceContext, person: Person, note: Notice, key: str) -> None:
    assert person.telegram_user_id is not None
    await ctx.outbox.post(
        person.telegram_user_id,
        note,
        locale=person.language,
        priority=Priority.NOTICE,
        dedupe_key=key,
    )


def _name(ctx: ServiceContext, person: Person, locale: str) -> str:
    name = ctx.cipher.decrypt(person.display_name_enc) if person.display_name_enc else None
    return name or ctx.program.texts.get("intro.someone", locale)


def _link(ctx: ServiceContext, person: Person) -> str | None:
    username = ctx.cipher.decrypt(person.username_enc) if person.username_enc else None
    return f"https://t.me/{username}" if username else None
