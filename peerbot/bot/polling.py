"""Long polling that stores each update before confirming it to Telegram.

python-telegram-bot's Updater confirms an update (by the next offset) as soon as it is
fetched, so a crash loses whatever was queued. Here a batch is written to the database
first; unprocessed updates found at start-up are processed before new ones.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Bot, Update
from telegram.error import Conflict, InvalidToken, NetworkError, RetryAfter, TelegramError

from peerbot.bot import metrics
from peerbot.bot.calls import retry_after_seconds
from peerbot.storage import processed_updates
from peerbot.storage.crypto import FieldCipher

log = logging.getLogger(__name__)

ALLOWED_UPDATES = ["message", "edited_message", "callback_query", "my_chat_member", "chat_member"]


class InboxPoller:
    """Fetches updates with getUpdates and hands them to the application's update queue."""

    def __init__(
        self,
        *,
        bot: Bot,
        session_factory: async_sessionmaker[AsyncSession],
        cipher: FieldCipher,
        clock: Callable[[], datetime],
        update_queue: asyncio.Queue[object],
        poll_timeout: int = 25,
    ) -> None:
        self._bot = bot
        self._sessions = session_factory
        self._cipher = cipher
        self._clock = clock
        self._queue = update_queue
        self._poll_timeout = poll_timeout
        self._stopping = asyncio.Event()
        self._failures = 0

    async def run(self) -> None:
        """Replay what a previous run left unprocessed, then poll until stop()."""
        offset = await self._replay_unprocessed()
        while not self._stopping.is_set():
            updates = await self._fetch(offset)
            if updates:
                try:
                    await self._store(updates)
                except SQLAlchemyError as error:  # not stored, so not confirmed: fetched again
                    await self._pause(self._backoff(), type(error).__name__)
                    continue
                for update in updates:
                    await self._queue.put(update)
                offset = updates[-1].update_id + 1

    def stop(self) -> None:
        """Stop polling; an in-flight long poll is abandoned (Telegram redelivers it)."""
        self._stopping.set()

    async def _replay_unprocessed(self) -> int | None:
        async with self._sessions() as session:
            left = await processed_updates.unprocessed(session)
            offset = await processed_updates.next_offset(session)
        for update_id, payload in left:
            data = json.loads(self._cipher.decrypt(payload) or "{}")
            update = Update.de_json(data, self._bot)
            if update is not None:
                log.info("replaying stored update %s", update_id)
                await self._queue.put(update)
        return offset

    async def _fetch(self, offset: int | None) -> list[Update]:
        poll = asyncio.ensure_future(
            self._bot.get_updates(
                offset=offset,
                timeout=timedelta(seconds=self._poll_timeout),
                allowed_updates=ALLOWED_UPDATES,
            )
        )
        stop = asyncio.ensure_future(self._stopping.wait())
        try:
            await asyncio.wait({poll, stop}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stop.cancel()
        if not poll.done():
            poll.cancel()
            with contextlib.suppress(asyncio.CancelledError, TelegramError):
                await poll
            return []
        try:
            updates = list(poll.result())
        except InvalidToken:
            raise
        except RetryAfter as error:
            await self._pause(retry_after_seconds(error), "429")
            return []
        except Conflict:
            await self._pause(self._backoff(), "409 conflict: another poller or a webhook")
            return []
        except (NetworkError, TelegramError) as error:
            await self._pause(self._backoff(), type(error).__name__)
            return []
        self._failures = 0
        return updates

    async def _store(self, updates: list[Update]) -> None:
        encrypted = [(u.update_id, self._cipher.encrypt(u.to_json()) or "") for u in updates]
        async with self._sessions() as session, session.begin():
            new = await processed_updates.record_received(session, encrypted, now=self._clock())
        metrics.UPDATES_RECEIVED.inc(new)

    async def _pause(self, seconds: float, reason: str) -> None:
        log.warning("getUpdates failed (%s); retrying in %.1fs", reason, seconds)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)

    def _backoff(self) -> float:
        self._failures += 1
        return float(min(30, 2 ** min(self._failures, 5)) / 4)
