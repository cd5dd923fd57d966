"""Recurring ticks on python-telegram-bot's JobQueue (APScheduler); the rows are the schedule."""

from __future__ import annotations

from datetime import timedelta

from telegram.ext import CallbackContext, JobQueue

from peerbot.bot.deps import deps_from
from peerbot.storage import processed_updates

KEEP_PROCESSED_UPDATES = timedelta(days=7)


async def prune_processed_updates(context: CallbackContext) -> None:  # type: ignore[type-arg]
    """Forget update ids old enough that Telegram will never redeliver them."""
    deps = deps_from(context.bot_data)
    async with deps.sessions() as session, session.begin():
        await processed_updates.prune(
            session, processed_before=deps.clock() - KEEP_PROCESSED_UPDATES
        )


def register(job_queue: JobQueue) -> None:  # type: ignore[type-arg]
    """Add every tick with a fixed id, so a restart replaces rather than duplicates it."""
    job_queue.run_repeating(
        prune_processed_updates,
        interval=timedelta(hours=6),
        first=timedelta(minutes=1),
        name="prune_processed_updates",
        job_kwargs={
            "id": "prune_processed_updates",
            "coalesce": True,
            "max_instances": 1,
            "replace_existing": True,
        },
    )
