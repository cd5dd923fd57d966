"""When a participant's follow-ups are due: scheduled at the introduction (only what their
consent text promised: see consent.promised), sent by the check-in pass while the match lasts
(quiet hours, one at a time, one reminder), counted as missed when left unanswered.

The prompts are rows of the checkins table; the answers are kept on them (followup.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from peerbot.dialogs.policy import FollowupPolicy
from peerbot.services.common.context import ServiceContext
from peerbot.services.conversations import flows
from peerbot.services.participants import consent
from peerbot.storage import checkins as checkin_rows
from peerbot.storage.enums import CheckinKind, CheckinStatus, ConversationStatus, MatchStatus
from peerbot.storage.models import Checkin, Conversation, Match, Person

FOLLOWUP_FLOW = "followup"
SATISFACTION_FLOW = "satisfaction"
REVIEW_FLOW = "review"
#: The conversation each follow-up prompt opens.
FLOWS = {
    CheckinKind.PARTICIPANT_FOLLOWUP: FOLLOWUP_FLOW,
    CheckinKind.SATISFACTION: SATISFACTION_FLOW,
    CheckinKind.REVIEW: REVIEW_FLOW,
}
KINDS = tuple(FLOWS)
#: The name program.yaml (followup.consent_promises) and the consent row give each prompt.
PROMISE = {
    CheckinKind.PARTICIPANT_FOLLOWUP: "checkin",
    CheckinKind.SATISFACTION: "satisfaction",
    CheckinKind.REVIEW: "review",
}
#: A check-in this close to the review is left out (the review asks how it is going).
REVIEW_TAKES_ITS_PLACE = timedelta(days=7)


def policy_of(ctx: ServiceContext) -> FollowupPolicy:
    return ctx.program.policy.followup


async def schedule_at_introduction(ctx: ServiceContext, match: Match, participant: Person) -> None:
    """Schedule the participant's follow-ups for this new match: each one their consent text
    promised, counted from now (the introduction)."""
    policy = policy_of(ctx)
    first = {
        CheckinKind.PARTICIPANT_FOLLOWUP: timedelta(weeks=policy.every_weeks),
        CheckinKind.SATISFACTION: timedelta(days=policy.satisfaction_after_days),
        CheckinKind.REVIEW: timedelta(weeks=policy.planned_weeks),
    }
    for kind, after in first.items():
        if await consent.promised(ctx, participant.id, PROMISE[kind]):
            schedule(ctx, participant.id, match.id, kind, ctx.now + after)


def schedule(
    ctx: ServiceContext, person_id: int, match_id: int, kind: CheckinKind, due: datetime
) -> None:
    ctx.session.add(
        Checkin(
            person_id=person_id,
            kind=kind,
            match_id=match_id,
            due_at=due,
            status=CheckinStatus.SCHEDULED,
        )
    )


async def still_due(ctx: ServiceContext, row: Checkin) -> bool:
    """A follow-up is sent only while its match lasts (however the match ended)."""
    match = await ctx.find(Match, row.match_id)
    return match is not None and match.status == MatchStatus.ACCEPTED


def prompt_meta(ctx: ServiceContext) -> dict[str, Any]:
    """What a sent follow-up's conversation keeps beside the check-in's id."""
    return {flows.REMIND_AFTER_HOURS: policy_of(ctx).remind_after_hours}


async def sent(ctx: ServiceContext, row: Checkin) -> None:
    """After a "how is it going?" goes out, the next one is scheduled (the chain goes on while
    the match lasts; the ending cancels what is scheduled). One that would come within a week
    of the review is left out: the review asks how it is going anyway."""
    if row.kind != CheckinKind.PARTICIPANT_FOLLOWUP or row.match_id is None:
        return
    every = timedelta(weeks=policy_of(ctx).every_weeks)
    due = row.due_at + every
    reviews = await ctx.session.scalars(
        select(Checkin.due_at).where(
            Checkin.match_id == row.match_id,
            Checkin.kind == CheckinKind.REVIEW,
            Checkin.status == CheckinStatus.SCHEDULED,
        )
    )
    if any(abs(review - due) < REVIEW_TAKES_ITS_PLACE for review in reviews):
        due += every
    schedule(ctx, row.person_id, row.match_id, row.kind, due)


async def unanswered_ids(ctx: ServiceContext, limit: int) -> Sequence[int]:
    """Follow-ups sent and unanswered for longer than followup.missed_after_hours."""
    sent_before = ctx.now - timedelta(hours=policy_of(ctx).missed_after_hours)
    return (
        await ctx.session.scalars(
            select(Checkin.id)
            .where(
                Checkin.kind.in_(KINDS),
                Checkin.status == CheckinStatus.SENT,
                Checkin.sent_at <= sent_before,
            )
            .order_by(Checkin.sent_at, Checkin.id)
            .limit(limit)
        )
    ).all()


async def close_missed(ctx: ServiceContext, checkin_id: int) -> bool:
    """Count a follow-up unanswered for too long as missed, and close its conversation."""
    taken = await checkin_rows.take(
        ctx.session, checkin_id, from_status=CheckinStatus.SENT, to_status=CheckinStatus.MISSED
    )
    row = await ctx.session.get(Checkin, checkin_id, populate_existing=True)
    if not taken or row is None:
        return False
    conversation = await ctx.session.scalar(
        select(Conversation).where(
            Conversation.person_id == row.person_id,
            Conversation.flow == FLOWS[row.kind],
            Conversation.status == ConversationStatus.ACTIVE,
        )
    )
    if (
        conversation is not None
        and (conversation.state or {}).get("meta", {}).get("checkin") == row.id
    ):
        conversation.status = ConversationStatus.EXPIRED
        conversation.reminder_due_at = conversation.expires_at = None
    return True


async def restore_after_stop(ctx: ServiceContext, person: Person) -> None:
    """Writing again after /stop: the follow-ups /stop cancelled before they were sent come
    back for the supports still going on (one due meanwhile comes now)."""
    rows = await ctx.session.scalars(
        select(Checkin)
        .join(Match, Match.id == Checkin.match_id)
        .where(
            Checkin.person_id == person.id,
            Checkin.kind.in_(KINDS),
            Checkin.status == CheckinStatus.CANCELLED,
            Checkin.sent_at.is_(None),
            Match.status == MatchStatus.ACCEPTED,
        )
    )
    for row in rows:
        row.status = CheckinStatus.SCHEDULED
        row.due_at = max(row.due_at, ctx.now)
        row.claimed_until = None
