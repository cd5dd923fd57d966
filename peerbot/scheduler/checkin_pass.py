"""One scheduling pass over supporters: ended breaks, due check-ins, missed ones.

Each batch is its own transaction: the rows it claimed, what it sent and what it scheduled
next commit together, so a restart between "due" and "sent" loses nothing and sends nothing
twice, and a second bot process sharing the database skips the rows this one holds.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from peerbot.bot.deps import Deps
from peerbot.bot.replies import queue_outgoing
from peerbot.services import checkins, supporters
from peerbot.services.checkins import BATCH_SIZE, PassReport
from peerbot.services.context import ServiceContext

Step = Callable[[ServiceContext, PassReport], Awaitable[int]]


async def run_pass(deps: Deps, *, now: datetime) -> PassReport:
    """Run every step of the pass as of `now`; return what was done."""
    total = PassReport()
    await _in_batches(deps, now, total, _end_breaks)
    await _in_batches(deps, now, total, checkins.send_due)
    await _in_batches(deps, now, total, checkins.close_missed)
    return total


async def _end_breaks(ctx: ServiceContext, report: PassReport) -> int:
    await supporters.end_due_breaks(ctx, report)
    return 0  # one statement takes them all


async def _in_batches(deps: Deps, now: datetime, total: PassReport, step: Step) -> None:
    while True:
        report = PassReport()
        async with deps.sessions() as session, session.begin():
            ctx = ServiceContext(session, deps.program, deps.cipher, deps.settings, now)
            looked_at = await step(ctx, report)
            for outgoing in report.outgoing:
                await queue_outgoing(session, deps.program.texts, outgoing, now=now)
        total.add(report)
        if looked_at < BATCH_SIZE:
            return
