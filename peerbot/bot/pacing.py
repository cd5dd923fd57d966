"""Pacing within Telegram's limits: about one message a second per private chat (short bursts
allowed), at most 20 in any minute per group and at most 30 sends in any one second overall.

python-telegram-bot's AIORateLimiter (kept for the bot's direct calls) uses leaky buckets that
let a full burst be followed at once by more, which Telegram answers with 429; the outbox is
therefore paced here with sliding windows.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

OVERALL_WINDOW_SECONDS = 1.1  # Telegram's one second, plus slack for network jitter
GROUP_WINDOW_SECONDS = 61.0  # Telegram's minute, plus slack


@dataclass
class SlidingWindow:
    """At most `limit` events in any `seconds`."""

    limit: int
    seconds: float
    times: deque[float] = field(default_factory=deque)

    def delay(self, now: float) -> float:
        """Seconds until one more event fits (0 if it fits now)."""
        while self.times and self.times[0] <= now - self.seconds:
            self.times.popleft()
        if len(self.times) < self.limit:
            return 0.0
        return self.times[0] + self.seconds - now

    def record(self, now: float) -> None:
        self.times.append(now)


@dataclass
class _Bucket:
    tokens: float
    updated: float


@dataclass
class ChatPacer:
    """Token buckets per private chat, an overall sliding window, and a global pause after
    Telegram answers 429."""

    rate_per_second: float = 1.0
    burst: int = 3
    overall_per_second: int = 30
    group_per_minute: int = 20
    clock: Callable[[], float] = time.monotonic
    _buckets: dict[int, _Bucket] = field(default_factory=dict)
    _overall: SlidingWindow | None = None
    _groups: dict[int, SlidingWindow] = field(default_factory=dict)
    _paused_until: float = 0.0

    def __post_init__(self) -> None:
        self._overall = SlidingWindow(self.overall_per_second, OVERALL_WINDOW_SECONDS)

    def delay_for(self, chat_id: int, *, new_message: bool = True) -> float:
        """Seconds to wait before a call for chat_id; reserves the slot when it returns 0.

        Edits of the bot's own messages (new_message=False) count only toward the overall
        limit: the per-chat limits are about new messages, and an answer to a button press
        is an edit followed by the next question.
        """
        now = self.clock()
        pause = self._paused_until - now
        if pause > 0:
            return pause
        assert self._overall is not None
        overall = self._overall.delay(now)
        if overall > 0:
            return overall
        chat_wait = self._take_chat_slot(chat_id, now) if new_message else 0.0
        if chat_wait > 0:
            return chat_wait
        self._overall.record(now)
        return 0.0

    def _take_chat_slot(self, chat_id: int, now: float) -> float:
        """A group's minute window or a private chat's bucket; 0 when the slot is taken."""
        if chat_id > 0:
            return self._take_private_token(chat_id, now)
        group = self._groups.setdefault(
            chat_id, SlidingWindow(self.group_per_minute, GROUP_WINDOW_SECONDS)
        )
        wait = group.delay(now)
        if wait == 0:
            group.record(now)
        return wait

    def _take_private_token(self, chat_id: int, now: float) -> float:
        bucket = self._buckets.get(chat_id)
        if bucket is None:
            bucket = self._buckets[chat_id] = _Bucket(tokens=float(self.burst), updated=now)
        bucket.tokens = min(
            self.burst, bucket.tokens + (now - bucket.updated) * self.rate_per_second
        )
        bucket.updated = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            self._forget_full_buckets(now)
            return 0.0
        return (1.0 - bucket.tokens) / self.rate_per_second

    async def wait_turn(self, chat_id: int, *, new_message: bool = True) -> None:
        """Sleep until chat_id may receive a message, then take the slot."""
        # a computed delay, no event to await
        while (delay := self.delay_for(chat_id, new_message=new_message)) > 0:  # noqa: ASYNC110
            await asyncio.sleep(delay)

    def paused_for(self) -> float:
        """Seconds left of a pause Telegram asked for (0 when none)."""
        return max(0.0, self._paused_until - self.clock())

    def pause_all(self, seconds: float) -> None:
        """Hold every send for a while: Telegram said to retry after that many seconds."""
        self._paused_until = max(self._paused_until, self.clock() + seconds)

    def _forget_full_buckets(self, now: float) -> None:
        if len(self._buckets) < 10_000:
            return
        refill_time = self.burst / self.rate_per_second
        for chat_id in [c for c, b in self._buckets.items() if now - b.updated > refill_time]:
            del self._buckets[chat_id]
