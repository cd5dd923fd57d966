"""The one sender: delivers outbox rows within Telegram's limits and never drops one.

A row is marked sent only after Telegram accepted it. 429 answers are retried after
`retry_after`, 5xx answers and time-outs with growing back-off; a row that Telegram
will never accept (bad request, bot blocked) is marked failed with the error code; one meant
for the coordinators' group is then copied to every coordinator privately, in the same
transaction. A group Telegram migrated to a supergroup is followed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Bot
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
)

from peerbot.bot import metrics
from peerbot.bot.calls import UnsupportedMethod, call_bot_api, retry_after_seconds
from peerbot.bot.pacing import ChatPacer
from peerbot.bot.sent_marks import SentMarks
from peerbot.storage import outbox
from peerbot.storage.models import OutboxMessage

if TYPE_CHECKING:
    from peerbot.bot.group_watch import GroupWatch

log = logging.getLogger(__name__)

NOT_MODIFIED = "message is not modified"
POSTPONE_AFTER_SECONDS = 2.0
TOPIC_WAIT_SECONDS = 0.3  # a message for a forum topic being opened looks again this soon
EDITS = frozenset({"editMessageText", "editMessageReplyMarkup", "deleteMessage"})


@dataclass(frozen=True)
class SenderTuning:
    """Knobs with sensible defaults; tests shorten the waits."""

    batch_size: int = 30
    # With this many places free (or news of fresh messages) claim again: at 30 sends a second
    # one claim per send would be thirty transactions a second for nothing.
    claim_at_least: int = 10
    concurrency: int = 8
    lease: timedelta = timedelta(seconds=30)  # > the longest send (see the app's timeouts)
    idle_poll_seconds: float = 2.0
    backoff_base_seconds: float = 1.0
    backoff_max_seconds: float = 300.0


@dataclass(frozen=True)
class _Outcome:
    sent: bool = False
    telegram_message_id: int | None = None
    retry_after: float | None = None
    failed: bool = False
    error: str = ""


class OutboxSender:
    """Claims due outbox rows and delivers them concurrently, one chat at a time in order."""

    def __init__(
        self,
        *,
        session_factory: async_sessionmaker[AsyncSession],
        bot: Bot,
        clock: Callable[[], datetime],
        pacer: ChatPacer | None = None,
        tuning: SenderTuning | None = None,
        group: GroupWatch | None = None,
    ) -> None:
        """group: the coordinators' group to follow and to copy privately what it refuses."""
        self._sessions = session_factory
        self._bot = bot
        self._clock = clock
        self._pacer = pacer or ChatPacer()
        self._tuning = tuning or SenderTuning()
        self._wake = asyncio.Event()
        self._news = asyncio.Event()  # rows were queued since the last claim
        self._stopping = False
        self._in_flight: set[asyncio.Task[None]] = set()
        self._slots = asyncio.Semaphore(self._tuning.concurrency)
        self._drain_deadline = 0.0
        self._outage = True  # rows left backing off by an earlier run are retried on first success
        self._marks = SentMarks(session_factory)
        self._group = group

    def wake(self) -> None:
        """Look for new rows now (called after a transaction that enqueued messages)."""
        self._news.set()
        self._wake.set()

    async def run(self) -> None:
        """Deliver until stop() is called; survives database and network errors."""
        loop = asyncio.get_running_loop()
        while not self._stopping or loop.time() < self._drain_deadline:
            try:
                claimed = await self.deliver_due()
                if not claimed and self._stopping:
                    break  # nothing more is due: no need to use the whole grace period
                wait = 0.0 if claimed else await self._idle_wait()
            except Exception as error:  # keep delivering after a passing database fault
                log.error("outbox loop error: %s", type(error).__name__)
                wait = self._tuning.idle_poll_seconds
            if wait > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=wait)
            self._wake.clear()
        await self._drain_in_flight()

    async def stop(self, grace_seconds: float = 5.0) -> None:
        """Deliver what is due for a short grace period, then stop claiming.

        Messages already handed to Telegram always finish; the rest wait in the outbox.
        """
        self._drain_deadline = asyncio.get_running_loop().time() + grace_seconds
        self._stopping = True
        self._wake.set()

    async def deliver_due(self) -> int:
        """Claim one batch of due rows and start delivering them; return how many."""
        paused = self._pacer.paused_for()
        if paused > 0:  # Telegram asked us to wait: claiming now would only hold leases
            await asyncio.sleep(paused)
        free = self._tuning.batch_size - len(self._in_flight)
        if free <= 0 or (free < self._tuning.claim_at_least and not self._news.is_set()):
            await self._room(or_news=free > 0)
            return 1
        self._news.clear()
        now, lease = self._clock(), self._tuning.lease
        async with self._sessions() as session, session.begin():
            heads = await outbox.claim_due(session, now=now, limit=free, lease=lease)
            chains = await outbox.claim_chains(session, heads, now=now, lease=lease)
        for chain in chains:
            task = asyncio.create_task(self._deliver_chain(chain))
            self._in_flight.add(task)
            task.add_done_callback(self._in_flight.discard)
        return len(chains)

    async def _room(self, *, or_news: bool) -> None:
        """Wait until a delivery in flight ends (or, when there is room, new rows come)."""
        waiting: set[asyncio.Future[Any]] = set(self._in_flight)
        news = asyncio.ensure_future(self._news.wait()) if or_news else None
        if news is not None:
            waiting.add(news)
        try:
            await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
        finally:
            if news is not None:
                news.cancel()

    async def deliver_all_due(self) -> None:
        """Deliver until nothing is due (for tests and one-shot commands)."""
        while await self.deliver_due():
            await self._drain_in_flight()
        await self._drain_in_flight()

    async def _idle_wait(self) -> float:
        async with self._sessions() as session:
            due = await outbox.next_due_at(session, now=self._clock())
        if due is None:
            return self._tuning.idle_poll_seconds
        seconds = (due - self._clock()).total_seconds()
        return min(max(seconds, 0.01), self._tuning.idle_poll_seconds)

    async def _drain_in_flight(self) -> None:
        if self._in_flight:
            await asyncio.gather(*list(self._in_flight), return_exceptions=True)
        await self._marks.flush()

    async def _deliver_chain(self, chain: list[OutboxMessage]) -> None:
        """One chat's rows in order; a row that must wait gives back the leases behind it."""
        for index, row in enumerate(chain):
            if not await self._deliver(row):
                async with self._sessions() as session, session.begin():
                    await outbox.release(session, [later.id for later in chain[index + 1 :]])
                return

    async def _deliver(self, row: OutboxMessage) -> bool:
        """Send one row; True when it is done with (sent, or failed for good)."""
        new_message = row.method not in EDITS
        delay = self._pacer.chat_delay(row.chat_id, new_message=new_message, priority=row.priority)
        if delay > POSTPONE_AFTER_SECONDS:  # e.g. a busy group: give the lease back meanwhile
            async with self._sessions() as session, session.begin():
                await outbox.postpone(
                    session, row.id, until=self._clock() + timedelta(seconds=delay)
                )
            return False
        turn = await self._pacer.turn(row.chat_id, new_message=new_message, priority=row.priority)
        try:
            async with self._slots:
                outcome = await self._attempt(row)
        finally:
            self._pacer.finished(turn)
        await self._record(row, outcome)
        if not outcome.sent and not outcome.failed:
            self._wake.set()  # the chat's next row may be due at its new time
            return False
        return True

    async def _attempt(self, row: OutboxMessage) -> _Outcome:
        payload = row.payload or {}  # a pending row always holds one
        if outbox.awaits_thread(payload):
            await self._marks.flush()  # the topic may have been opened just before, in this chain
            async with self._sessions() as session:
                in_topic = await outbox.with_thread(session, payload)
            if in_topic is None:
                return _Outcome(retry_after=TOPIC_WAIT_SECONDS, error="waiting for its topic")
            payload = in_topic
        try:
            message_id = await call_bot_api(self._bot, row.method, row.chat_id, payload)
            metrics.message_sent(row.dedupe_key)
            return _Outcome(sent=True, telegram_message_id=message_id)
        except RetryAfter as error:
            metrics.TELEGRAM_429.inc()
            seconds = retry_after_seconds(error)
            if row.chat_id > 0:  # may be the bot-wide limit; a group's flood wait is its own
                self._pacer.pause_all(seconds)
            return _Outcome(retry_after=seconds, error="429 retry_after")
        except ChatMigrated as error:
            await self._follow_migration(row, error.new_chat_id)
            return _Outcome(retry_after=0.0, error="chat migrated")
        except BadRequest as error:
            if NOT_MODIFIED in error.message.lower():
                return _Outcome(sent=True)  # the edit is already what we wanted
            return _Outcome(failed=True, error=f"400 {_short(error)}")
        except Forbidden as error:
            return _Outcome(failed=True, error=f"403 {_short(error)}")
        except (UnsupportedMethod, TypeError, ValueError, KeyError) as error:
            # a payload that cannot become a call never will; left leased, it would hold its chat
            return _Outcome(failed=True, error=f"unsupported {type(error).__name__}")
        except (NetworkError, TelegramError) as error:
            self._outage = True
            return _Outcome(
                retry_after=self._backoff(row.attempts),
                error=outbox.BACKOFF_PREFIX + _short(error),
            )

    async def _record(self, row: OutboxMessage, outcome: _Outcome) -> None:
        now = self._clock()
        if outcome.sent and not self._outage:
            self._marks.add(row.id, at=now, telegram_message_id=outcome.telegram_message_id)
            return
        escalation_card = False
        async with self._sessions() as session, session.begin():
            if outcome.sent:
                await outbox.mark_sent(
                    session, row.id, now=now, telegram_message_id=outcome.telegram_message_id
                )
                if self._outage:  # Telegram is back: stop waiting out the back-off
                    self._outage = False
                    await outbox.retry_backed_off_now(session, now=now)
                    self._wake.set()
            elif outcome.failed:
                log.warning("outbox row %s failed: %s", row.id, outcome.error)
                await outbox.mark_failed(session, row.id, error=outcome.error)
                if self._group is not None and row.method not in EDITS:
                    escalation_card = await self._group.undeliverable(session, row, outcome.error)
            else:
                delay = timedelta(seconds=outcome.retry_after or 0.0)
                log.info(
                    "outbox row %s retried in %.1fs: %s",
                    row.id,
                    delay.total_seconds(),
                    outcome.error,
                )
                await outbox.retry_later(session, row.id, at=now + delay, error=outcome.error)
        if escalation_card:
            metrics.ESCALATION_DELIVERY_FAILED.inc()
        if outcome.failed and self._group is not None:
            self.wake()  # private copies may have been queued: they are due now

    async def _follow_migration(self, row: OutboxMessage, new_chat_id: int) -> None:
        async with self._sessions() as session, session.begin():
            await outbox.move_chat(session, old_chat_id=row.chat_id, new_chat_id=new_chat_id)
            if self._group is not None:
                await self._group.migrated(session, row.chat_id, new_chat_id)

    def _backoff(self, attempts: int) -> float:
        """Exponential back-off with jitter, capped, for outages and time-outs."""
        ceiling = min(
            self._tuning.backoff_max_seconds,
            self._tuning.backoff_base_seconds * 2 ** min(attempts, 16),
        )
        return random.uniform(ceiling / 2, ceiling)


def _short(error: TelegramError) -> str:
    """The error's class and Telegram's description; descriptions never carry message text."""
    return f"{type(error).__name__}: {error.message}"[:200]
