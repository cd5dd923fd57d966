"""Per-chat pacing for private chats (about one message a second, short bursts allowed).

python-telegram-bot's AIORateLimiter already keeps the overall (30/s) and per-group
(20/min) limits; it leaves private chats alone, which Telegram also limits.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class _Bucket:
    tokens: float
    updated: float


@dataclass
class ChatPacer:
    """Token buckets per private chat, plus a global pause after Telegram answers 429."""

    rate_per_second: float = 1.0
    burst: int = 3
    clock: Callable[[], float] = time.monotonic
    _buckets: dict[int, _Bucket] = field(default_factory=dict)
    _paused_until: float = 0.0

    def delay_for(self, chat_id: int) -> float:
        """Seconds to wait before sending to chat_id; reserves the slot when it returns 0."""
        now = self.clock()
        pause = self._paused_until - now
        if pause > 0:
            return pause
        if chat_id < 0:  # groups and channels are paced by AIORateLimiter
            return 0.0
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
        while (delay := self.delay_for(chat_id)) > 0:
            await asyncio.sleep(delay)  # noqa: ASYNC110 - a computed delay, no event to await

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
