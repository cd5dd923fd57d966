"""Recurring ticks on python-telegram-bot's JobQueue (APScheduler); the rows are the schedule."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from datetime import datetime, timedelta
from typing import Any, cast

from telegram.ext import CallbackContext, JobQueue

from peerbot.dialogs.checkin_schedule import time_zone_of
from peerbot.scheduler import checkin_pass, retention_pass
from peerbot.scheduler.deps import SchedulerDeps
from peerbot.services.common.context import ServiceContext, ServiceDeps, unit_of_work
from peerbot.services.conversations import reminders
from peerbot.services.escalations import escalation_timers
from peerbot.services.matching import batch_proposals, still_looking
from peerbot.services.program_view import digest
from peerbot.storage import outbox, processed_updates

KEEP_PROCESSED_UPDATES = timedelta(days=7)
KEEP_PRIVATE_MESSAGES = timedelta(hours=1)
KEEP_GROUP_MESSAGES = timedelta(days=30)

Tick = Callable[[CallbackContext], Coroutine[Any, Any, None]]  # type: ignore[type-arg]
# An escalation timer's pass (escalation_timers): how many messages it queued.
FollowUp = Callable[[ServiceContext], Awaitable[int]]


async def nudge_idle_conversations(context: CallbackContext) -> None:  # type: ignore[type-arg]
    """One reminder for a conversation left idle, then expiry; the rows say which are due."""
    deps = _deps(context)
    async with unit_of_work(deps, now=deps.clock()) as ctx:
        queued = await reminders.remind_idle(ctx)
        queued += await reminders.expire_idle(ctx)
    if queued:
        deps.wake_sender()


async def reraise_unclaimed_escalations(context: CallbackContext) -> None:  # type: ignore[type-arg]
    """Raise again the escalations nobody has claimed in time, then send them privately."""
    await _follow_up_escalations(_deps(context), escalation_timers.reraise_due)


async def remind_claimed_escalations(context: CallbackContext) -> None:  # type: ignore[type-arg]
    """Recall claimed escalations left unresolved: to the claimer, then to the group."""
    await _follow_up_escalations(_deps(context), escalation_timers.remind_claimed_due)


async def _follow_up_escalations(deps: SchedulerDeps, follow_up: FollowUp) -> None:
    """One escalation timer's pass in one transaction; what it queued goes out at once."""
    async with unit_of_work(deps, now=deps.clock()) as ctx:
        queued = await follow_up(ctx)
    if queued:
        deps.wake_sender()


async def run_checkins(context: CallbackContext) -> None:  # type: ignore[type-arg]
    """Send supporters' due check-ins, end breaks that are over, count missed check-ins."""
    deps = _deps(context)
    report = await checkin_pass.run_pass(deps, now=deps.clock())
    if report.outgoing or report.escalated:
        deps.wake_sender()


async def propose_waiting_requests(context: CallbackContext) -> None:  # type: ignore[type-arg]
    """Proposals for requests still waiting, with supporters' places shared out optimally."""
    deps = _deps(context)
    async with unit_of_work(deps, now=deps.clock()) as ctx:
        proposed = await batch_proposals.propose_all(ctx)
    if proposed:
        deps.wake_sender()


async def tell_still_looking(context: CallbackContext) -> None:  # type: ignore[type-arg]
    """Tell people waiting for days with no supporter found that we are still looking."""
    deps = _deps(context)
    async with unit_of_work(deps, now=deps.clock()) as ctx:
        told = await still_looking.tell_due(ctx)
    if told:
        deps.wake_sender()


async def post_weekly_digest(context: CallbackContext) -> None:  # type: ignore[type-arg]
    """Post the weekly digest to the coordinators' group when it is due and not yet posted."""
    deps = _deps(context)
    if await post_digest_due(deps, now=deps.clock()):
        deps.wake_sender()


async def post_digest_due(deps: ServiceDeps, *, now: datetime) -> bool:
    """Post the digest if one is due; True when it was queued.

    Read, draw, write: the chart is drawn in a child process between two short
    transactions, so no transaction stays open while it is drawn.
    """
    async with unit_of_work(deps, now=now) as ctx:
        draft = await digest.draft_due(ctx)
    if draft is None:
        return False
    picture = await digest.picture_of(draft)
    async with unit_of_work(deps, now=now) as ctx:
        return await digest.post(ctx, draft, picture)


async def apply_retention(context: CallbackContext) -> None:  # type: ignore[type-arg]
    """Once a day (program.yaml retention.run_at): erase old free text, pseudonymize the quiet."""
    deps = _deps(context)
    await retention_pass.run_if_due(
        deps,
        deps.program.policy.retention,
        time_zone=time_zone_of(deps.settings.timezone),
        now=deps.clock(),
    )


async def prune_processed_updates(context: CallbackContext) -> None:  # type: ignore[type-arg]
    """Forget update ids old enough that Telegram will never redeliver them."""
    deps = _deps(context)
    async with deps.sessions() as session, session.begin():
        await processed_updates.prune(
            session, processed_before=deps.clock() - KEEP_PROCESSED_UPDATES
        )


async def prune_outbox(context: CallbackContext) -> None:  # type: ignore[type-arg]
    """Delivered messages to people are deleted within the hour; group cards after a month."""
    deps = _deps(context)
    now = deps.clock()
    async with deps.sessions() as session, session.begin():
        await outbox.prune_finished(
            session,
            private_before=now - KEEP_PRIVATE_MESSAGES,
            group_before=now - KEEP_GROUP_MESSAGES,
        )


def _deps(context: CallbackContext) -> SchedulerDeps:  # type: ignore[type-arg]
    """What register() gave every tick."""
    assert context.job is not None
    return cast("SchedulerDeps", context.job.data)


TICKS: tuple[tuple[Tick, timedelta, timedelta], ...] = (
    (nudge_idle_conversations, timedelta(minutes=1), timedelta(seconds=20)),
    (reraise_unclaimed_escalations, timedelta(seconds=30), timedelta(seconds=10)),
    (remind_claimed_escalations, timedelta(minutes=1), timedelta(seconds=25)),
    (run_checkins, timedelta(minutes=1), timedelta(seconds=15)),
    (propose_waiting_requests, timedelta(minutes=15), timedelta(minutes=1)),
    (tell_still_looking, timedelta(minutes=10), timedelta(minutes=2)),
    (prune_outbox, timedelta(minutes=10), timedelta(minutes=2)),
    (post_weekly_digest, timedelta(minutes=1), timedelta(seconds=15)),
    (prune_processed_updates, timedelta(hours=6), timedelta(minutes=1)),
    (apply_retention, timedelta(minutes=10), timedelta(minutes=5)),
)


def register(job_queue: JobQueue, deps: SchedulerDeps) -> None:  # type: ignore[type-arg]
    """Add every tick with a fixed id, so a restart replaces rather than duplicates it."""
    for callback, interval, first in TICKS:
        name = callback.__name__
        job_queue.run_repeating(
            callback,
            interval=interval,
            first=first,
            data=deps,
            name=name,
            job_kwargs={
                "id": name,
                "coalesce": True,
                "max_instances": 1,
                "replace_existing": True,
            },
        )
