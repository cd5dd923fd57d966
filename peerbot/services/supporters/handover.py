"""Handover: a supporter who cannot go on (released, deactivated, left, erased, or on a long
break) has each support in progress ended and proposed again without them, each participant
told kindly, their open offers closed and proposed again, and the coordinators given one card
listing who was handed over."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from peerbot.services.common.context import ServiceContext
from peerbot.services.conversations.shown import Notice
from peerbot.services.coordination import coordinators
from peerbot.services.matching import match_actions, offers, proposals, relationships
from peerbot.storage import audit
from peerbot.storage.enums import MatchStatus
from peerbot.storage.models import ContactNote, Match, Person, SupportRequest
from peerbot.storage.outbox import Priority

#: Why a supporter's participants are handed over -> the matches' end_reason.
END_REASONS = {
    "released": "supporter_released",
    "deactivated": "supporter_deactivated",
    "left": "supporter_left",
    "erased": "supporter_erased",
    "break": "supporter_break",
}


async def hand_over(ctx: ServiceContext, supporter: Person, why: str, *, by: Person) -> int:
    """Hand the supporter's participants to others; return how many were handed over."""
    matches = list(
        await ctx.session.scalars(
            select(Match)
            .where(Match.supporter_id == supporter.id, Match.status == MatchStatus.ACCEPTED)
            .order_by(Match.decided_at, Match.id)
        )
    )
    handed: list[tuple[Match, SupportRequest]] = []
    lines = []
    for match in matches:
        request = await ctx.session.get(SupportRequest, match.support_request_id)
        if request is None:
            continue
        handed.append((match, request))
        lines.append(await _line(ctx, match, request))
    await _card(ctx, supporter, why, lines)
    for match, request in handed:
        await relationships.close(ctx, match, request, reason=END_REASONS[why], by=by)
        await _tell_participant(ctx, match, request)
        await match_actions.propose_again(ctx, request, without=supporter.id)
    await close_offers(ctx, supporter)
    await audit.record(
        ctx.session,
        "supporter.handed_over",
        now=ctx.now,
        actor_id=by.id,
        subject_id=supporter.id,
        why=why,
        matches=[match.id for match, _ in handed],
    )
    return len(handed)


async def close_offers(ctx: ServiceContext, supporter: Person) -> None:
    """Offers still open to the supporter close, and each request is proposed again."""
    for match in await offers.open_offers_to(ctx, supporter):
        if not await offers.settle(
            ctx, match, MatchStatus.DECLINED, decline_reason="supporter_left"
        ):
            continue
        request = await ctx.session.get(SupportRequest, match.support_request_id)
        assert request is not None
        await coordinators.post_match_card(ctx, "handover.offer_closed", match, request)
        await proposals.propose(ctx, request, skip=(supporter.id,))


async def accepted_count(ctx: ServiceContext, supporter: Person) -> int:
    """How many participants the supporter supports now."""
    count = await ctx.session.scalar(
        select(func.count())
        .select_from(Match)
        .where(Match.supporter_id == supporter.id, Match.status == MatchStatus.ACCEPTED)
    )
    return int(count or 0)


async def _line(ctx: ServiceContext, match: Match, request: SupportRequest) -> str:
    """Request code and pseudonym, how long matched, last contact (a try that did not reach
    them is no contact)."""
    participant = await ctx.session.get(Person, request.person_id)
    last: datetime | None = await ctx.session.scalar(
        select(func.max(ContactNote.contact_at)).where(
            ContactNote.match_id == match.id, ContactNote.reached.is_(True)
        )
    )
    since = match.decided_at or match.offered_at or match.proposed_at
    days = max(0, (ctx.now - since).days) if since is not None else 0
    zone = ZoneInfo(ctx.settings.timezone)
    return coordinators.text(
        ctx,
        "handover.card_line",
        code=request.code,
        participant=participant.pseudonym if participant else "—",
        days=days,
        last=last.astimezone(zone).date().isoformat()
        if last is not None
        else coordinators.text(ctx, "handover.never"),
    )


async def _card(ctx: ServiceContext, supporter: Person, why: str, lines: list[str]) -> None:
    days = ctx.program.policy.supporters.handover_after_break_days
    reason = coordinators.text(ctx, f"handover.why.{why}", days=days)
    key = "handover.card" if lines else "handover.card_none"
    await coordinators.post_card(
        ctx,
        key,
        priority=Priority.COORDINATION,
        dedupe_key=f"supporter:{supporter.id}:handover:{ctx.now.isoformat()}",
        case=supporter.pseudonym,
        why=reason,
        lines="\n".join(lines),
    )


async def _tell_participant(ctx: ServiceContext, match: Match, request: SupportRequest) -> None:
    participant = await ctx.session.get(Person, request.person_id)
    if participant is None or participant.telegram_user_id is None:
        return
    await ctx.outbox.post(
        participant.telegram_user_id,
        Notice("handover.told_participant"),
        locale=participant.language,
        priority=Priority.NOTICE,
        dedupe_key=f"match:{match.id}:handover",
    )
