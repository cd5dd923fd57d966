"""Someone waiting with no supporter found is told, kindly, that we are still looking: after
program.yaml waiting.still_looking_after_days in matching with nobody offered, once per that
many days, at most still_looking_at_most times; never inside quiet hours."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select

from peerbot.dialogs.checkin_schedule import outside_quiet_hours
from peerbot.services.common.context import ServiceContext
from peerbot.services.conversations.shown import Notice
from peerbot.storage.dialect import skip_locked
from peerbot.storage.enums import MatchStatus, PersonStatus, SupportRequestStatus
from peerbot.storage.models import Match, Person, SupportRequest
from peerbot.storage.outbox import Priority

STILL_LOOKING = "requests.still_looking"
WAITING = (
    SupportRequestStatus.NEW,
    SupportRequestStatus.MATCHING,
    SupportRequestStatus.PROPOSED,
)
BUSY = (MatchStatus.OFFERED, MatchStatus.ACCEPTED)  # a supporter is asked, or found
MOST_AT_ONCE = 200


def start(ctx: ServiceContext, request: SupportRequest) -> None:
    """The request starts waiting for a supporter now (at the intake, or when released)."""
    policy = ctx.program.policy.waiting
    if request.still_looking_sent >= policy.still_looking_at_most:
        request.still_looking_due_at = None
        return
    request.still_looking_due_at = ctx.now + _interval(ctx)


async def tell_due(ctx: ServiceContext) -> int:
    """Tell each person whose request is due that we are still looking; return how many."""
    query = (
        select(SupportRequest)
        .where(
            SupportRequest.still_looking_due_at <= ctx.now,
            SupportRequest.status.in_(WAITING),
        )
        .order_by(SupportRequest.still_looking_due_at, SupportRequest.id)
        .limit(MOST_AT_ONCE)
    )
    dialect = ctx.session.get_bind().dialect.name
    due = (await ctx.session.scalars(skip_locked(query, dialect))).all()
    told = 0
    for request in due:
        told += await _tell_one(ctx, request)
    return told


async def _tell_one(ctx: ServiceContext, request: SupportRequest) -> int:
    policy = ctx.program.policy.waiting
    if request.still_looking_sent >= policy.still_looking_at_most:
        request.still_looking_due_at = None
        return 0
    since = await _waiting_since(ctx, request)
    if since is None:  # a supporter is being asked, or was found: the clock starts again
        request.still_looking_due_at = ctx.now + _interval(ctx)
        return 0
    if ctx.now < since + _interval(ctx):
        request.still_looking_due_at = since + _interval(ctx)
        return 0
    person = await ctx.session.get(Person, request.person_id)
    if person is None or person.telegram_user_id is None or person.status != PersonStatus.ACTIVE:
        request.still_looking_due_at = ctx.now + _interval(ctx)  # stopped: asked for quiet
        return 0
    zone = person.time_zone or ctx.settings.timezone
    allowed = outside_quiet_hours(ctx.now, zone, ctx.program.policy.checkins.quiet_hours)
    if allowed > ctx.now:
        request.still_looking_due_at = allowed
        return 0
    request.still_looking_sent += 1
    await ctx.outbox.post(
        person.telegram_user_id,
        Notice(STILL_LOOKING),
        priority=Priority.SCHEDULED,
        dedupe_key=f"still_looking:{request.id}:{request.still_looking_sent}",
        locale=person.language,
    )
    start(ctx, request)
    return 1


async def _waiting_since(ctx: ServiceContext, request: SupportRequest) -> datetime | None:
    """Since when nobody has been offered the request (None: somebody is, or was accepted)."""
    busy = await ctx.session.scalar(
        select(func.count(Match.id)).where(
            Match.support_request_id == request.id, Match.status.in_(BUSY)
        )
    )
    if busy:
        return None
    # an offer declined or a support ended starts the wait again; a proposal nobody approved
    # was never news to the person
    latest = await ctx.session.execute(
        select(func.max(Match.decided_at), func.max(Match.ended_at)).where(
            Match.support_request_id == request.id, Match.offered_at.is_not(None)
        )
    )
    moments = [moment for moment in latest.one() if moment is not None]
    return max([request.created_at, *moments])


def _interval(ctx: ServiceContext) -> timedelta:
    return timedelta(days=ctx.program.policy.waiting.still_looking_after_days)
