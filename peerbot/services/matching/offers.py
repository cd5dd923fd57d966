"""Offers to supporters: what they are told about a request, with Accept and Decline, and
their answer or its silence.

The offer shows only what the supporter needs to decide (languages, format, times, topics
as categories), never the participant's own words or how to reach them: a supporter who
declines has read nothing personal. Accepting introduces the two people (the words follow
then, if the participant allowed it); declining, or no answer in time, proposes the request
again to the coordinators, without that supporter.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, cast

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.engine import CursorResult

from peerbot.services.common.context import ServiceContext, Who
from peerbot.services.conversations.actions import OfferAnswer
from peerbot.services.conversations.shown import (
    EditPressed,
    MenuButton,
    Notice,
    Outgoing,
    Reply,
    Text,
)
from peerbot.services.coordination import coordinators
from peerbot.services.matching import (
    introductions,
    match_actions,
    match_features,
    match_words,
    proposals,
)
from peerbot.storage.enums import MatchStatus, SupportRequestStatus
from peerbot.storage.models import Match, Person, SupportRequest
from peerbot.storage.outbox import Priority

DECLINE_REASONS = ("no_time", "not_a_fit", "too_close", "other")


async def offer(
    ctx: ServiceContext, match: Match, request: SupportRequest, *, approved_by: Person
) -> None:
    """Send the approved supporter the offer, with Accept and Decline."""
    hours = ctx.program.policy.introductions.offer_hours
    match.status = MatchStatus.OFFERED
    match.approved_by_id = approved_by.id
    match.approved_at = match.offered_at = ctx.now
    match.offer_expires_at = ctx.now + timedelta(hours=hours)
    request.status = SupportRequestStatus.PROPOSED
    request.updated_at = ctx.now
    supporter = await ctx.session.get(Person, match.supporter_id)
    if supporter is None or supporter.telegram_user_id is None:
        return
    locale = supporter.language
    text = ctx.program.texts.get(
        "offer.text", locale, summary=await _summary(ctx, request, locale), hours=hours
    )
    buttons = (
        (
            _button(ctx, locale, "offer.accept", OfferAnswer(match.id, "accept")),
            _button(ctx, locale, "offer.decline", OfferAnswer(match.id, "decline")),
        ),
    )
    await ctx.outbox.post(
        supporter.telegram_user_id,
        Text(text=text, buttons=buttons),
        priority=Priority.MATCH_OFFER,
        dedupe_key=f"match:{match.id}:offer",
    )


async def settle(
    ctx: ServiceContext, match: Match, to_status: MatchStatus, **values: object
) -> bool:
    """Close an open offer, unless an answer or the expiry got there first (False then)."""
    result = await ctx.session.execute(
        update(Match)
        .where(Match.id == match.id, Match.status == MatchStatus.OFFERED)
        .values(status=to_status, decided_at=ctx.now, **values)
        .execution_options(synchronize_session=False)
    )
    if cast(CursorResult[Any], result).rowcount != 1:
        return False
    match.status = to_status
    match.decided_at = ctx.now
    for name, value in values.items():
        setattr(match, name, value)
    return True


async def _summary(ctx: ServiceContext, request: SupportRequest, locale: str) -> str:
    """What triage needs and no more, whatever the participant agreed to share."""
    answers = await match_features.request_answers(ctx, request.id)
    texts = ctx.program.texts
    return "\n".join(
        (
            texts.get(
                "offer.practical",
                locale,
                languages=match_words.labels(
                    ctx, "languages", answers.get("languages", []), locale
                ),
                formats=match_words.labels(ctx, "formats", answers.get("channels", []), locale),
                times=match_words.labels(ctx, "times", answers.get("availability", []), locale),
            ),
            texts.get(
                "offer.topics",
                locale,
                topics=match_words.labels(ctx, "topics", request.topics, locale),
            ),
            texts.get("offer.more_after", locale),
        )
    )


def why_decline(ctx: ServiceContext, locale: str, match: Match) -> EditPressed:
    rows = tuple(
        (
            _button(
                ctx, locale, f"offer.reason.{reason}", OfferAnswer(match.id, f"decline:{reason}")
            ),
        )
        for reason in DECLINE_REASONS
    )
    text = ctx.program.texts.get("offer.decline_why", locale)
    return EditPressed(Text(text=text, buttons=rows))


def _button(ctx: ServiceContext, locale: str, key: str, action: object) -> MenuButton:
    return MenuButton(action, label_text=ctx.program.texts.get(key, locale))


async def answer(ctx: ServiceContext, who: Who, action: OfferAnswer) -> Reply:
    """The supporter pressed Accept, Decline or a reason for declining."""
    reply = Reply(who.locale)
    match = await ctx.session.get(Match, action.match_id)
    if (
        match is None
        or who.person is None
        or match.supporter_id != who.person.id
        or match.status != MatchStatus.OFFERED
    ):
        return reply.add(EditPressed(Text(key="offer.gone")))
    request = await ctx.session.get(SupportRequest, match.support_request_id)
    assert request is not None
    if action.answer == "accept":
        if not await settle(ctx, match, MatchStatus.ACCEPTED):
            return reply.add(EditPressed(Text(key="offer.gone")))
        request.status = SupportRequestStatus.MATCHED
        request.updated_at = ctx.now
        await match_actions.post_accepted_card(ctx, match, request)
        reply.add(EditPressed(Text(key="offer.accepted")))
        await introductions.introduce(ctx, match, request, reply)
        return reply
    reason = action.answer.removeprefix("decline:")
    if reason not in DECLINE_REASONS:
        return reply.add(why_decline(ctx, who.locale, match))
    if not await settle(ctx, match, MatchStatus.DECLINED, decline_reason=reason):
        return reply.add(EditPressed(Text(key="offer.gone")))
    await coordinators.post_match_card(
        ctx,
        "card.offer_declined",
        match,
        request,
        reason=coordinators.text(ctx, f"offer.reason.{reason}"),
    )
    await proposals.propose(ctx, request)
    return reply.add(EditPressed(Text(key="offer.declined")))


async def expired_ids(ctx: ServiceContext, limit: int) -> list[int]:
    rows = await ctx.session.scalars(
        select(Match.id)
        .where(Match.status == MatchStatus.OFFERED, Match.offer_expires_at <= ctx.now)
        .order_by(Match.offer_expires_at)
        .limit(limit)
    )
    return list(rows)


async def close_expired(ctx: ServiceContext, match_id: int, outgoing: list[Outgoing]) -> bool:
    """An offer left unanswered: closed, the supporter told, the request proposed again."""
    match = await ctx.session.get(Match, match_id, populate_existing=True)
    if match is None or not await settle(
        ctx, match, MatchStatus.DECLINED, decline_reason="no_answer"
    ):
        return False
    request = await ctx.session.get(SupportRequest, match.support_request_id)
    supporter = await ctx.session.get(Person, match.supporter_id)
    assert request is not None
    await coordinators.post_match_card(ctx, "card.offer_expired", match, request)
    if supporter is not None and supporter.telegram_user_id is not None:
        note = Reply(supporter.language).add(Notice("offer.expired"))
        outgoing.append(Outgoing(supporter.telegram_user_id, note, f"match:{match.id}:expired"))
    await proposals.propose(ctx, request)
    return True


async def withdraw_for_request(ctx: ServiceContext, request: SupportRequest) -> None:
    """The participant left: open offers for their request close, and so do its proposals.

    The supporter is not told why; their buttons answer that the offer is no longer open.
    """
    for match in await _open_offers(ctx, Match.support_request_id == request.id):
        await settle(ctx, match, MatchStatus.WITHDRAWN)
    await proposals.withdraw_proposed(ctx, request.id)


async def close_for_stopped(ctx: ServiceContext, supporter: Person) -> None:
    """A supporter sent /stop: their open offers close and each request is proposed again
    (nothing is sent to them: they asked for no messages)."""
    for match in await _open_offers(ctx, Match.supporter_id == supporter.id):
        if not await settle(ctx, match, MatchStatus.DECLINED, decline_reason="stopped"):
            continue
        request = await ctx.session.get(SupportRequest, match.support_request_id)
        assert request is not None
        await coordinators.post_match_card(ctx, "card.offer_stopped", match, request)
        await proposals.propose(ctx, request)


async def open_offers_to(ctx: ServiceContext, supporter: Person) -> list[Match]:
    """The offers still waiting for this supporter's answer."""
    return await _open_offers(ctx, Match.supporter_id == supporter.id)


async def _open_offers(ctx: ServiceContext, which: ColumnElement[bool]) -> list[Match]:
    rows = await ctx.session.scalars(
        select(Match).where(which, Match.status == MatchStatus.OFFERED).order_by(Match.id)
    )
    return list(rows)
