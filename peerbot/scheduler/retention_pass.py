"""A retention run: the service's batches, each in a transaction of its own, then its audit.

One transaction a batch keeps each short, so the bot's own writes get their turn between
them on large tables, and a run stopped midway (a crash, a restart) loses at most the batch
in hand: what earlier batches erased stays erased, and the next run finds only what is left.
The daily tick and `peerbot retention run` both run it.
"""

from __future__ import annotations

import logging
from datetime import datetime, tzinfo

from peerbot.dialogs.policy import RetentionPolicy
from peerbot.services.common.context import ServiceDeps, unit_of_work
from peerbot.services.privacy import retention
from peerbot.services.privacy.retention import RetentionReport

log = logging.getLogger(__name__)


async def run(
    deps: ServiceDeps, policy: RetentionPolicy, *, now: datetime, dry_run: bool = False
) -> RetentionReport:
    """Erase what the policy no longer lets us keep, a batch to a transaction; audit the run.

    A dry run reads the same rows and changes nothing (not even the audit trail).
    """
    progress = retention.start(policy, now=now, dry_run=dry_run)
    while not progress.finished:
        async with unit_of_work(deps, now=now) as ctx:
            progress = await retention.erase_one_batch(ctx, progress)
    if not dry_run:
        async with unit_of_work(deps, now=now) as ctx:
            await retention.record_run(ctx, progress.report)
    return progress.report


async def run_if_due(
    deps: ServiceDeps, policy: RetentionPolicy, *, time_zone: tzinfo, now: datetime
) -> RetentionReport | None:
    """Run unless a run already finished since the last daily time (``run_at``)."""
    async with unit_of_work(deps, now=now) as ctx:
        due = await retention.is_due(ctx, policy, time_zone=time_zone)
    if not due:
        return None
    report = await run(deps, policy, now=now)
    log.info(
        "retention: %d values erased, %d people pseudonymized",
        report.values_erased,
        report.pseudonymized,
    )
    return report
