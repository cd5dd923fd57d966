"""Fake Bot API failure injection: scripted errors, slowness, Telegram-like flood limits."""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass

from .fake_errors import ApiError, error_for_status, too_many_requests

SENDING_METHODS = frozenset({
    "sendmessage", "editmessagetext", "editmessagereplymarkup", "senddocument", "sendphoto",
    "answercallbackquery", "sendchataction", "copymessage",
})  # fmt: skip
RATE_LIMITED_METHODS = frozenset({"sendmessage", "senddocument", "sendphoto", "copymessage"})


def method_set(methods: str | Iterable[str] | None) -> frozenset[str]:
    """Lower-cased method names; None means the default sending methods."""
    if methods is None:
        return SENDING_METHODS
    if isinstance(methods, str):
        methods = [methods]
    return frozenset(name.lower() for name in methods)


@dataclass
class _Rule:
    methods: frozenset[str]
    status: int
    retry_after: int
    description: str | None
    remaining: int | None = None  # fail_next
    until: float | None = None  # fail_for (monotonic deadline)


class FailurePlan:
    """Scripted failures (fail_next / fail_for) and artificial delays (slow)."""

    def __init__(self) -> None:
        self.rules: list[_Rule] = []
        self.delays: list[tuple[frozenset[str], float]] = []

    def fail_next(
        self,
        count: int,
        status: int,
        retry_after: int,
        methods: frozenset[str],
        description: str | None,
    ) -> None:
        """The next `count` matching calls fail."""
        self.rules.append(_Rule(methods, status, retry_after, description, remaining=count))

    def fail_for(
        self,
        seconds: float,
        status: int,
        retry_after: int,
        methods: frozenset[str],
        description: str | None,
    ) -> None:
        """All matching calls fail until `seconds` from now."""
        deadline = time.monotonic() + seconds
        self.rules.append(_Rule(methods, status, retry_after, description, until=deadline))

    def slow(self, seconds: float, methods: frozenset[str]) -> None:
        """Delay answers of matching calls (0 clears delays)."""
        self.delays = [(methods, seconds)] if seconds > 0 else []

    def reset(self) -> None:
        """Forget all scripted failures and delays."""
        self.rules.clear()
        self.delays.clear()

    def failure_for(self, method: str) -> ApiError | None:
        """The error a call to `method` must get now, consuming a fail_next slot."""
        now = time.monotonic()
        self.rules = [r for r in self.rules if r.remaining != 0 and (r.until or now + 1) > now]
        for rule in self.rules:
            if method in rule.methods:
                if rule.remaining is not None:
                    rule.remaining -= 1
                return error_for_status(rule.status, rule.retry_after, rule.description)
        return None

    def delay_for(self, method: str) -> float:
        """Seconds to wait before answering a call to `method`."""
        return max((s for methods, s in self.delays if method in methods), default=0.0)


@dataclass
class RateLimitHit:
    """A send refused by enforce_rate_limits."""

    method: str
    chat_id: int
    scope: str  # "private_chat", "group" or "global"
    retry_after: int
    time: float


class RateLimiter:
    """Sliding-window flood control like Telegram's (per private chat, per group, global)."""

    def __init__(
        self,
        per_private_chat_per_s: float | None,
        per_group_per_min: int | None,
        global_per_s: int | None,
        private_burst: int,
    ) -> None:
        # scope -> (messages allowed per period, period in seconds, extra burst allowance)
        self.limits = {
            "private_chat": (per_private_chat_per_s, 1.0, private_burst),
            "group": (per_group_per_min, 60.0, 0),
            "global": (global_per_s, 1.0, 0),
        }
        self.windows: dict[tuple[str, int], deque[float]] = {}

    def _keys(self, chat_id: int) -> list[tuple[str, int]]:
        return [("private_chat" if chat_id > 0 else "group", chat_id), ("global", 0)]

    def check(self, method: str, chat_id: int, now: float) -> RateLimitHit | None:
        """A RateLimitHit if this send would exceed a window, else None (nothing recorded)."""
        for scope, key in self._keys(chat_id):
            rate, period, burst = self.limits[scope]
            if rate is None:
                continue
            allowed = max(1, math.floor(rate)) + burst
            window = self.windows.setdefault((scope, key), deque())
            while window and window[0] <= now - period:
                window.popleft()
            if len(window) >= allowed:
                wait = window[len(window) - allowed] + period - now
                return RateLimitHit(method, chat_id, scope, max(1, math.ceil(wait)), now)
        return None

    def record(self, chat_id: int, now: float) -> None:
        """Count a successful send in every window it belongs to."""
        for scope, key in self._keys(chat_id):
            self.windows.setdefault((scope, key), deque()).append(now)


def rate_limit_error(hit: RateLimitHit) -> ApiError:
    """Telegram's 429 for a flood-control hit."""
    return too_many_requests(hit.retry_after)
