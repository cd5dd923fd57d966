"""A supporter's answer to an offer, or its silence: accept, decline, or expire.

Accepting introduces the two people; declining, or no answer in time, proposes the request
again to the coordinators, without that supporter.
"""

from __future__ import annotations

from sqlalchemy import select

from peerbot.services.common.context import ServiceContext, Who
from peerbot.services.conversations.actions import OfferAnswer
from peerbot.services.conversations.shown import EditPressed, Notice, Outgoing, Reply
from peerbot.services.coordination import coordinators
from peerbot.services.matching import introductions, offers, proposals
from peerbot.storage.enums import MatchStatus, SupportRequestStatus
from peerbot.storage.models import Match, Person, SupportRequest


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
        return reply.add(EditPressed({"text": ctx.program.texts.get("offer.gone", who.locale)}))
    request = await ctx.session.get(SupportRequest, match.support_request_id)
    assert request is not None
    if action.answer == "accept":
        if not await offers.settle(ctx, match, MatchStatus.ACCEPTED):
            return reply.add(
                EditPressed({"text": ctx.program.texts.get("offer.gone", who.locale)})
            )
        request.status = SupportRequestStatus.MATCHED
        request.updated_at = ctx.now
        await coordinators.post_match_card(ctx, "card.match_accepted", match, request)
        reply.add(EditPressed({"text": ctx.program.texts.get("offer.accepted", who.locale)}))
        await introductions.introduce(ctx, match, request, reply)
        return reply
    reason = action.answer.removeprefix("decline:")
    if reason not in offers.DECLINE_REASONS:
        return reply.add(offers.why_decline(ctx, who.locale, match))
    if not await offers.settle(ctx, match, MatchStatus.DECLINED, decline_reason=reason):
        return reply.add(EditPressed({"text": ctx.program.texts.get("offer.gone", who.locale)}))
    await coordinators.post_match_card(
        ctx,
        "card.offer_declined",
        match,
        request,
        reason=coordinators.text(ctx, f"offer.reason.{reason}"),
    )
    await proposals.propose(ctx, request)
    return reply.add(EditPressed({"text": ctx.program.texts.get("offer.declined", who.locale)}))


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
    if match is None or not await offers.settle(
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
