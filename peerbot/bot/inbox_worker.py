"""Feed the application from the shared inbox: claim chats' updates by lease, queue them in order.

In webhook mode the HTTP endpoint only stores what Telegram posts; this worker, one per
replica, leases the next updates of chats no other replica is busy with and puts them on
the application's update queue, where the chat-ordered processor handles them.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Bot, Update
from telegram.ext import BaseUpdateProcessor

from peerbot.storage import inbox, processed_updates
from peerbot.storage.crypto import DecryptionError, FieldCipher

log = logging.getLogger(__name__)

UNREADABLE = "unreadable"


@dataclass(frozen=True)
class InboxTuning:
    """Knobs with sensible defaults; tests shorten the waits."""

    # Updates queued or being processed here at most: more would only hold leases idle.
    capacity: int = 64
    # Far above one update's processing time: a lease ends only when its replica died.
    lease: timedelta = timedelta(seconds=30)
    idle_poll_seconds: float = 0.25
    error_pause_seconds: float = 1.0


class InboxWorker:
    """Claims chains of inbox updates for this replica and queues them, oldest first."""

    def __init__(
        self,
        *,
        bot: Bot,
        session_factory: async_sessionmaker[AsyncSession],
        cipher: FieldCipher,
        clock: Callable[[], datetime],
        update_queue: asyncio.Queue[object],
        processor: BaseUpdateProcessor,
        replica_id: str,
        tuning: InboxTuning | None = None,
    ) -> None:
        self._bot = bot
        self._sessions = session_factory
        self._cipher = cipher
        self._clock = clock
        self._queue = update_queue
        self._processor = processor
        self._replica_id = replica_id
        self._tuning = tuning or InboxTuning()
        self._wake = asyncio.Event()
        self._stopping = False

    def wake(self) -> None:
        """Claim now: an update was stored, or one was processed and its chat may go on."""
        self._wake.set()

    def stop(self) -> None:
        """Stop claiming; what is queued already is left to the application to finish."""
        self._stopping = True
        self._wake.set()

    async def run(self) -> None:
        """Claim and queue until stop(); survives database faults."""
        while not self._stopping:
            self._wake.clear()
            wait = self._tuning.idle_poll_seconds
            try:
                if await self.claim_once():
                    continue  # there may be more waiting
            except (SQLAlchemyError, OSError) as error:  # the database is away: try again
                log.warning("inbox claim failed (%s)", type(error).__name__)
                wait = self._tuning.error_pause_seconds
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=wait)

    async def claim_once(self) -> int:
        """Lease what this replica has room for and queue it; return how many were queued."""
        room = self._tuning.capacity - self._outstanding()
        if room <= 0:
            return 0
        async with self._sessions() as session, session.begin():
            chains = await inbox.claim_chains(
                session,
                replica_id=self._replica_id,
                now=self._clock(),
                lease=self._tuning.lease,
                limit=room,
            )
        unreadable: list[int] = []
        queued = 0
        for chain in chains:
            for row in chain:
                update = self._decode(row)
                if update is None:
                    unreadable.append(row.update_id)
                    continue
                await self._queue.put(update)
                queued += 1
        if unreadable:
            await self._set_aside(unreadable)
        return queued

    async def release(self) -> int:
        """Give back the leases this replica still holds (after the application stopped)."""
        async with self._sessions() as session, session.begin():
            released = await inbox.release(session, replica_id=self._replica_id)
        if released:
            log.info("released %d inbox leases", released)
        return released

    def _outstanding(self) -> int:
        return self._queue.qsize() + self._processor.current_concurrent_updates

    def _decode(self, row: inbox.InboxUpdate) -> Update | None:
        try:
            data = json.loads(self._cipher.decrypt(row.payload_enc) or "{}")
            return Update.de_json(data, self._bot)
        except (DecryptionError, ValueError, TypeError, KeyError) as error:
            log.error("inbox update %s unreadable (%s)", row.update_id, type(error).__name__)
            return None

    async def _set_aside(self, update_ids: list[int]) -> None:
        """Mark updates that can never be processed, so they do not hold their chat forever."""
        async with self._sessions() as session, session.begin():
            for update_id in update_ids:
                await processed_updates.claim(
                    session, update_id, self._clock(), outcome=UNREADABLE
                )
