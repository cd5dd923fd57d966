"""A participant's answers to their follow-ups while supported: "how is it going?" every few
weeks, a satisfaction question two weeks in, and a review when the planned length is reached.
Each answer is kept on its checkins row (the figures read them there) and does what it says.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from peerbot.services.cases import cases
from peerbot.services.common.context import ServiceContext, Who
from peerbot.services.conversations import flows
from peerbot.services.conversations.shown import Notice, Shown
from peerbot.services.coordination import coordinators
from peerbot.services.matching import choices, relationships
from peerbot.services.participants.followup_schedule import policy_of, schedule
from peerbot.storage import audit
from peerbot.storage.enums import CheckinKind, CheckinStatus, MatchStatus
from peerbot.storage.models import Checkin, Match, Person, SupportRequest
from peerbot.storage.outbox import Priority

#: Why a case was opened from a follow-up answer (``cases.reason``).
FOLLOWUP_CASE = "followup"


async def _answered(ctx: ServiceContext, who: Who, meta: dict[str, Any]) -> Checkin | None:
    """The prompt this answer is for, marked answered (None: not theirs, or gone)."""
    row = await ctx.find(Checkin, meta.get("checkin"))
    if row is None or who.person is None or row.person_id != who.person.id:
        return None
    row.status = CheckinStatus.ANSWERED
    row.answered_at = ctx.now
    return row


async def _match_of(
    ctx: ServiceContext, row: Checkin | None
) -> tuple[Match, SupportRequest] | None:
    """The prompt's match and request, while the match lasts."""
    match = await ctx.find(Match, row.match_id) if row is not None else None
    if match is None or match.status != MatchStatus.ACCEPTED:
        return None
    request = await ctx.session.get(SupportRequest, match.support_request_id)
    return (match, request) if request is not None else None


async def how_answered(
    ctx: ServiceContext, who: Who, turn: flows.FlowTurn, answers: dict[str, Any]
) -> Sequence[Shown]:
    """ "How is it going?": kept; each answer does what it says."""
    row = await _answered(ctx, who, turn.meta)
    how = str(answers.get("how"))
    if row is not None:
        row.answers = {"how": how}
    if how == "fine":
        return [Notice("followup.fine")]
    if how == "not_well":
        return [Notice("followup.not_well")]
    if how == "change":
        asked = await choices.change(ctx, who)
        return [Notice("followup.change"), *asked.items]
    assert who.person is not None
    return await _to_coordinators(ctx, who.person, row)


async def _to_coordinators(
    ctx: ServiceContext, person: Person, row: Checkin | None
) -> Sequence[Shown]:
    """ "I would like to talk to a coordinator": a card, and a case the person's words reach."""
    pair = await _match_of(ctx, row)
    card_key = f"checkin:{row.id if row else 'none'}:followup_coordinator"
    await coordinators.post_card(
        ctx,
        "card.followup_coordinator",
        priority=Priority.COORDINATION,
        dedupe_key=card_key,
        case=person.pseudonym,
        code=pair[1].code if pair else "—",
    )
    await cases.open_for(ctx, person, FOLLOWUP_CASE, card_key=card_key)
    return [Notice("followup.coordinator")]


async def satisfaction_answered(
    ctx: ServiceContext, who: Who, turn: flows.FlowTurn, answers: dict[str, Any]
) -> Sequence[Shown]:
    """How satisfied, 1-5: kept as the prompt's score."""
    row = await _answered(ctx, who, turn.meta)
    score = answers.get("score")
    if row is not None and isinstance(score, int):
        row.score = score
    return [Notice("satisfaction.thanks")]


async def review_answered(
    ctx: ServiceContext, who: Who, turn: flows.FlowTurn, answers: dict[str, Any]
) -> Sequence[Shown]:
    """The planned length is reached: continue (reviewed again after as long) or end (as the
    participant's /end does, with the end-of-support survey)."""
    row = await _answered(ctx, who, turn.meta)
    said = str(answers.get("review"))
    if row is not None:
        row.answers = {"review": said}
    pair = await _match_of(ctx, row)
    if pair is None or row is None or who.person is None:
        return [Notice("review.ended_already")]
    match, request = pair
    if said == "continue":
        weeks = timedelta(weeks=policy_of(ctx).planned_weeks)
        schedule(ctx, row.person_id, match.id, CheckinKind.REVIEW, ctx.now + weeks)
        return [Notice("review.continued")]
    await audit.record(
        ctx.session, "match.end_by_review", now=ctx.now, actor_id=who.person.id, match=match.id
    )
    ended = await relationships.end(ctx, who, match, request)
    for outgoing in ended.elsewhere:
        await ctx.outbox.post_reply(outgoing, priority=Priority.NOTICE)
    return list(ended.items)
