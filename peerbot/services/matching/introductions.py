"""Warm introductions: once a supporter accepts, each person hears about the other.

Each is told the other's first name, what they have in common, and how and when they like to
talk; the supporter also reads the participant's own words if the participant allowed it.
Telegram names are never handed over unasked: each side with a username is asked, there and
then, whether the other may have it. Without a yes the participant is asked how they want to
be contacted (or a coordinator arranges it), and the supporter waits to be passed that on.
The supporter also gets first-contact tips, and both are asked a few days later whether they
have connected.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, cast

from sqlalchemy import update
from sqlalchemy.engine import CursorResult

from peerbot.services.cases import cases
from peerbot.services.common.context import ServiceContext, Who
from peerbot.services.conversations import flows
from peerbot.services.conversations.actions import NameShare
from peerbot.services.conversations.shown import (
    EditPressed,
    Menu,
    MenuButton,
    Notice,
    Outgoing,
    Reply,
    Text,
)
from peerbot.services.coordination import coordinators
from peerbot.services.matching import match_features, match_words
from peerbot.services.participants import consent, followup_schedule
from peerbot.storage import conversations
from peerbot.storage.enums import CheckinKind, CheckinStatus, ConsentKind, MatchStatus
from peerbot.storage.models import Checkin, Match, Person, SupporterProfile, SupportRequest
from peerbot.storage.outbox import Priority

CONTACT_FLOW = "contact_way"
PARTICIPANT, SUPPORTER = "participant", "supporter"
#: Which column of the match keeps each side's answer to giving their Telegram name.
NAME_ANSWER = {
    PARTICIPANT: Match.participant_shares_name,
    SUPPORTER: Match.supporter_shares_name,
}


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
    if _link(ctx, supporter) is None:
        to_participant.add(Notice("intro.supporter_will_write"))
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
    words = await _shared_words(ctx, request)
    if words:
        reply.add(Notice("intro.words", {"words": words}))
    if _link(ctx, participant) is not None:
        to_participant.add(_name_question(match, PARTICIPANT))
        reply.add(Notice("intro.name_asked"))
    else:
        reply.add(await _ask_how_to_reach(ctx, match, request, participant, to_participant))
    reply.add(Notice("intro.tips"))
    if _link(ctx, supporter) is not None:
        reply.add(_name_question(match, SUPPORTER))
    if participant.telegram_user_id is not None:
        reply.elsewhere.append(
            Outgoing(participant.telegram_user_id, to_participant, f"match:{match.id}:intro")
        )
    _ask_later_if_connected(ctx, match, participant, supporter)
    await followup_schedule.schedule_at_introduction(ctx, match, participant)


async def name_answer(ctx: ServiceContext, who: Who, action: NameShare) -> Reply:
    """A side said whether the other may have their Telegram name: recorded as a consent on
    the text they read, then the other side gets the link, or the way without it."""
    reply = Reply(who.locale)
    match = await ctx.session.get(Match, action.match_id)
    request = await ctx.session.get(SupportRequest, match.support_request_id) if match else None
    side = _side_of(who.person, match, request)
    if side is None or who.person is None or match is None or request is None:
        return reply.add(EditPressed(Text(key="intro.name_stale")))
    if not await _settle_name_answer(ctx, match, side, action.share):
        return reply.add(EditPressed(Text(key="intro.name_stale")))
    await consent.record(
        ctx,
        person_id=who.person.id,
        kind=ConsentKind.SHARE_TELEGRAM_NAME,
        granted=action.share,
        text_shown=ctx.program.texts.get(f"intro.name_question.{side}", who.locale),
    )
    link = _link(ctx, who.person) if action.share else None
    reply.add(EditPressed(Text(key="intro.name_shared" if link else "intro.name_kept")))
    other = await ctx.session.get(
        Person, match.supporter_id if side == PARTICIPANT else request.person_id
    )
    if other is None or other.telegram_user_id is None:
        return reply
    key = f"match:{match.id}:name:{side}"
    if link:
        await _send_now(ctx, other, Notice("intro.write_to", {"link": link}), key)
    elif side == SUPPORTER:
        await _send_now(ctx, other, Notice("intro.supporter_will_write"), key)
    else:
        note = await _ask_how_to_reach(ctx, match, request, who.person, reply)
        await _send_now(ctx, other, note, key)
    return reply


def _side_of(
    person: Person | None, match: Match | None, request: SupportRequest | None
) -> str | None:
    """Which side of an accepted match the person is, or None (not theirs, or not open)."""
    if person is None or match is None or request is None:
        return None
    if match.status != MatchStatus.ACCEPTED:
        return None
    if person.id == request.person_id:
        return PARTICIPANT
    return SUPPORTER if person.id == match.supporter_id else None


async def _settle_name_answer(ctx: ServiceContext, match: Match, side: str, share: bool) -> bool:
    """Keep the first answer only: a second press, or two at once, changes nothing."""
    column = NAME_ANSWER[side]
    result = await ctx.session.execute(
        update(Match)
        .where(Match.id == match.id, column.is_(None))
        .values({column: share})
        .execution_options(synchronize_session=False)
    )
    if cast(CursorResult[Any], result).rowcount != 1:
        return False
    setattr(match, column.key, share)
    return True


def _name_question(match: Match, side: str) -> Menu:
    buttons = (
        (
            MenuButton(NameShare(match.id, True), "intro.name.yes"),
            MenuButton(NameShare(match.id, False), "intro.name.no"),
        ),
    )
    return Menu(f"intro.name_question.{side}", buttons)


async def _shared_words(ctx: ServiceContext, request: SupportRequest) -> str | None:
    """The participant's own words, for their supporter only, and only if they allowed it."""
    if not request.summary_enc:
        return None
    if not await consent.is_granted(ctx, request.person_id, ConsentKind.SHARE_WITH_SUPPORTER):
        return None
    return ctx.cipher.decrypt(request.summary_enc) or None


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


async def _ask_how_to_reach(
    ctx: ServiceContext,
    match: Match,
    request: SupportRequest,
    participant: Person,
    to_participant: Reply,
) -> Notice:
    """Ask the participant how to be reached (unless they are busy in another flow: then a
    coordinator arranges it); the notice is what their supporter is told meanwhile."""
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
