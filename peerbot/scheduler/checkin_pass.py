"""One scheduling pass: ended breaks, breaks long enough to hand participants over, due
prompts (check-ins, follow-ups, surveys), missed check-ins and offers left unanswered.

Each row is its own transaction, opened by a conditional write that claims it: the claim,
what was sent and what was scheduled next commit together, so a restart between "due" and
"sent" loses nothing and sends nothing twice, and a second process sharing the database
finds the row taken.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime

from sqlalchemy.exc import OperationalError

from peerbot.scheduler.deps import SchedulerDeps
from peerbot.services.common.context import ServiceContext, context_for, unit_of_work
from peerbot.services.matching import offers
from peerbot.services.participants import followup_schedule
from peerbot.services.supporters import checkins, lifecycle, supporters
from peerbot.services.supporters.checkins import BATCH_SIZE, PassReport
from peerbot.storage import outbox
from peerbot.storage.outbox import Priority

LOCKED_RETRIES = 5  # SQLite's own wait (busy_timeout, 5 s) each time
# Due prompts are prepared this many to a transaction: far fewer round trips than one by one,
# yet short enough that a person's message is never held up long behind a pass.
SEND_TOGETHER = 20
# Prompts queued ahead of the running sender (twenty seconds at Telegram's 30 a second):
# preparing them faster only takes the machine from replies and makes the outbox longer.
AHEAD_OF_SENDER = 600
log = logging.getLogger(__name__)

Find = Callable[[ServiceContext, int], Awaitable[Sequence[int]]]
Act = Callable[[ServiceContext, int, PassReport], Awaitable[None]]
ActOnMany = Callable[[ServiceContext, Sequence[int], PassReport], Awaitable[None]]


async def run_pass(deps: SchedulerDeps, *, now: datetime) -> PassReport:
    """Run every step of the pass as of `now`; return what was done."""
    total = PassReport()
    await _each(deps, now, total, supporters.ended_break_ids, _singly(supporters.end_break_of))
    await _each(
        deps, now, total, lifecycle.long_break_ids, _singly(lifecycle.hand_over_after_break)
    )
    await _each(deps, now, total, checkins.due_ids, checkins.send_due, together=SEND_TOGETHER)
    await _each(deps, now, total, checkins.unanswered_ids, _singly(checkins.close_one))
    await _each(deps, now, total, followup_schedule.unanswered_ids, _singly(_followup_missed))
    await _each(deps, now, total, offers.expired_ids, _singly(_close_offer))
    return total


def _singly(act: Act) -> ActOnMany:
    """A step done row by row (each transaction holds one row)."""

    async def each_of(ctx: ServiceContext, row_ids: Sequence[int], report: PassReport) -> None:
        for row_id in row_ids:
            await act(ctx, row_id, report)

    return each_of


async def _followup_missed(ctx: ServiceContext, checkin_id: int, report: PassReport) -> None:
    if await followup_schedule.close_missed(ctx, checkin_id):
        report.missed += 1


async def _close_offer(ctx: ServiceContext, match_id: int, report: PassReport) -> None:
    await offers.close_expired(ctx, match_id, report.outgoing)


async def _each(
    deps: SchedulerDeps,
    now: datetime,
    total: PassReport,
    find: Find,
    act: ActOnMany,
    *,
    together: int = 1,
) -> None:
    """Act on every row find() returns, `together` rows to a short transaction.

    Short transactions matter on SQLite, where a writer holds the whole file: another
    process (the bot beside `peerbot checkins run-due`) gets its turn between them.
    """
    seen: set[int] = set()
    while True:
        async with deps.sessions() as session:
            found = await find(context_for(deps, session, now), BATCH_SIZE)
        fresh = [row_id for row_id in found if row_id not in seen]
        for start in range(0, len(fresh), together):
            report = await _transaction(deps, now, fresh[start : start + together], act)
            total.add(report)
            if report.outgoing:
                deps.wake_sender()  # the first prompts go out while the rest are prepared
                await _keep_pace_with_sender(deps)
        seen.update(fresh)
        if not fresh or len(found) < BATCH_SIZE:
            return


async def _keep_pace_with_sender(deps: SchedulerDeps) -> None:
    """Wait while plenty of prompts are queued for this process's sender (none: don't wait)."""
    while deps.sender is not None:
        async with deps.sessions() as session:
            if await outbox.waiting_at(session, Priority.SCHEDULED) < AHEAD_OF_SENDER:
                return
        await asyncio.sleep(1.0)


async def _transaction(
    deps: SchedulerDeps, now: datetime, row_ids: Sequence[int], act: ActOnMany
) -> PassReport:
    """One transaction; on SQLite, tried again while another process holds the file."""
    for attempt in range(1, LOCKED_RETRIES + 1):
        report = PassReport()
        try:
            async with unit_of_work(deps, now=now) as ctx:
                await act(ctx, row_ids, report)
                for outgoing in report.outgoing:
                    await ctx.outbox.post_reply(outgoing, priority=Priority.SCHEDULED)
            return report
        except OperationalError as error:
            if "database is locked" not in str(error) or attempt == LOCKED_RETRIES:
                raise
            log.info("rows %s: database busy, trying again (%d)", row_ids[0], attempt)
            await asyncio.sleep(0.2 * attempt)
    return PassReport()
