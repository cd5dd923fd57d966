"""Delivered outbox rows are marked sent in batches, not one transaction per message.

At Telegram's 30 messages a second, one transaction per send would keep SQLite's single
writer busy just when people's answers need it. Marks are written as soon as the previous
batch is written, so a mark waits for at most one other transaction. Until its mark is
written a row stays leased, so nothing else sends it meanwhile.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from peerbot.storage import outbox

log = logging.getLogger(__name__)

RETRY_SECONDS = 1.0


class SentMarks:
    """Collects "sent" marks and writes everything collected in one transaction."""

    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = session_factory
        self._pending: list[outbox.SentMark] = []
        self._writing: asyncio.Task[None] | None = None

    def add(self, message_id: int, *, at: datetime, telegram_message_id: int | None) -> None:
        """Mark the row sent soon (with the next batch)."""
        self._pending.append(outbox.SentMark(message_id, at, telegram_message_id))
        if self._writing is None or self._writing.done():
            self._writing = asyncio.create_task(self._write(), name="outbox-sent-marks")

    async def flush(self) -> None:
        """Wait until every mark collected so far is written."""
        while self._writing is not None and not self._writing.done():
            await self._writing

    async def _write(self) -> None:
        while self._pending:
            batch, self._pending = self._pending, []
            try:
                async with self._sessions() as session, session.begin():
                    await outbox.mark_sent_many(session, batch)
            except Exception as error:  # a passing database fault: keep the marks, try again
                log.error("marking %d rows sent failed: %s", len(batch), type(error).__name__)
                self._pending[:0] = batch
                await asyncio.sleep(RETRY_SECONDS)
