"""Offers to supporters: what they are told about a request, with Accept and Decline.

The offer shows the participant's own words only if they allowed it (release of
information); otherwise just what the supporter needs to decide.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, cast

from sqlalchemy import update
from sqlalchemy.engine import CursorResult

from peerbot.services.common.context import ServiceContext
from peerbot.services.conversations.actions import OfferAnswer
from peerbot.services.conversations.callback_data import encode
from peerbot.services.conversations.shown import EditPressed
from peerbot.services.matching import match_features, match_words
from peerbot.services.participants import consent
from peerbot.storage import outbox
from peerbot.storage.enums import ConsentKind, MatchStatus, SupportRequestStatus
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
    buttons = [
        [
            _button(ctx, locale, "offer.accept", OfferAnswer(match.id, "accept")),
            _button(ctx, locale, "offer.decline", OfferAnswer(match.id, "decline")),
        ]
    ]
    await outbox.enqueue(
        ctx.session,
        chat_id=supporter.telegram_user_id,
        payload={"text": text, "reply_markup": {"inline_keyboard": buttons}},
        now=ctx.now,
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
    """What the supporter may know: always the practical needs; more only with consent."""
    answers = await match_features.request_answers(ctx, request.id)
    texts = ctx.program.texts
    lines = [
        texts.get(
            "offer.practical",
            locale,
            languages=match_words.labels(ctx, "languages", answers.get("languages", []), locale),
            formats=match_words.labels(ctx, "formats", answers.get("channels", []), locale),
            times=match_words.labels(ctx, "times", answers.get("availability", []), locale),
        )
    ]
    shares = await consent.is_granted(
        ctx.session, request.person_id, ConsentKind.SHARE_WITH_SUPPORTER
    )
    if shares:
        topics = match_words.labels(ctx, "topics", request.topics, locale)
        lines.append(texts.get("offer.topics", locale, topics=topics))
        words = ctx.cipher.decrypt(request.summary_enc) if request.summary_enc else None
        if words:
            lines.append(texts.get("offer.words", locale, words=words))
    else:
        lines.append(texts.get("offer.no_details", locale))
    return "\n".join(lines)


def why_decline(ctx: ServiceContext, locale: str, match: Match) -> EditPressed:
    rows = [
        [
            _button(
                ctx, locale, f"offer.reason.{reason}", OfferAnswer(match.id, f"decline:{reason}")
            )
        ]
        for reason in DECLINE_REASONS
    ]
    text = ctx.program.texts.get("offer.decline_why", locale)
    return EditPressed({"text": text, "reply_markup": {"inline_keyboard": rows}})


def _button(ctx: ServiceContext, locale: str, key: str, action: object) -> dict[str, str]:
    return {"text": ctx.program.texts.get(key, locale), "callback_data": encode(action)}
