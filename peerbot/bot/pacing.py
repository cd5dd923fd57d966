"""Pacing within Telegram's limits: about one message a second per private chat (short bursts
allowed) and at most 30 sends in any one second overall.

python-telegram-bot's AIORateLimiter keeps the per-group (20/min) limit and leaves private
chats alone. Its overall limiter is a leaky bucket that lets a burst of 30 be followed at once
by 30 more a second, which Telegram answers with 429, so the overall limit is kept here too.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

OVERALL_WINDOW_SECONDS = 1.1  # Telegram's one second, plus slack for network jitter


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
    clock: Callable[[], float] = time.monotonic
    _buckets: dict[int, _Bucket] = field(default_factory=dict)
    _recent_sends: deque[float] = field(default_factory=deque)
    _paused_until: float = 0.0

    def delay_for(self, chat_id: int) -> float:
        """Seconds to wait before sending to chat_id; reserves the slot when it returns 0."""
        now = self.clock()
        pause = self._paused_until - now
        if pause > 0:
            return pause
        overall = self._overall_delay(now)
        if overall > 0:
            return overall
        if chat_id > 0:  # a private chat; groups are paced by AIORateLimiter
            private = self._take_private_token(chat_id, now)
            if private > 0:
                return private
        self._recent_sends.append(now)
        return 0.0

    def _overall_delay(self, now: float) -> float:
        window = self._recent_sends
        while window and window[0] <= now - OVERALL_WINDOW_SECONDS:
            window.popleft()
        if len(window) < self.overall_per_second:
            return 0.0
        return window[0] + OVERALL_WINDOW_SECONDS - now

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

    async def wait_turn(self, chat_id: int) -> None:
        """Sleep until chat_id may receive a message, then take the slot."""
        # a computed delay, no event to await
        while (delay := self.delay_for(chat_id)) > 0:  # noqa: ASYNC110
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
