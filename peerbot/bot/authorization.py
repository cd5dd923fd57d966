"""Who may act as a coordinator: the allow-list, or membership of the coordinators' group.

Checked on the server for every coordinator action, never taken from button data. Group
membership comes from Telegram's getChatMember and is cached briefly. A check Telegram could
not answer is retried, then reported as unknown: never as "not a coordinator".
"""

from __future__ import annotations

import asyncio
import enum
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from telegram import Bot
from telegram.constants import ChatMemberStatus
from telegram.error import TelegramError

from peerbot.config import Settings

MEMBER_STATUSES = frozenset(
    {ChatMemberStatus.OWNER, ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.MEMBER}
)
GONE_STATUSES = frozenset({ChatMemberStatus.LEFT, ChatMemberStatus.BANNED})
GATE_KEY = "peerbot.coordinator_gate"


class Verdict(enum.Enum):
    """What the gate found out about a person."""

    ALLOWED = "allowed"
    REFUSED = "refused"  # no group to check, or in it without full rights (restricted)
    GONE = "gone"  # not (or no longer) in the coordinators' group
    UNKNOWN = "unknown"  # Telegram did not answer: ask again later


@dataclass
class CoordinatorGate:
    """Answers "is this Telegram user a coordinator?" with a short-lived cache."""

    settings: Settings
    ttl_seconds: float = 60.0
    clock: Callable[[], float] = time.monotonic
    retry_delays: tuple[float, ...] = (0.2, 0.6)  # then the check counts as unknown
    _cache: dict[int, tuple[Verdict, float]] = field(default_factory=dict)

    async def allows(self, bot: Bot, user_id: int) -> bool:
        return await self.check(bot, user_id) is Verdict.ALLOWED

    async def check(self, bot: Bot, user_id: int) -> Verdict:
        """The allow-list first, then the group's membership as Telegram has it now."""
        if user_id in self.settings.coordinator_ids:
            return Verdict.ALLOWED
        group = self.settings.coordinator_chat_id  # moves when the group migrates
        if group is None:
            return Verdict.REFUSED
        cached = self._cache.get(user_id)
        if cached is not None and cached[1] > self.clock():
            return cached[0]
        for delay in (*self.retry_delays, None):
            try:
                member = await bot.get_chat_member(group, user_id)
                break
            except TelegramError:
                if delay is None:
                    return Verdict.UNKNOWN  # nothing is cached: the next action asks again
                await asyncio.sleep(delay)
        if member.status in MEMBER_STATUSES:
            verdict = Verdict.ALLOWED
        elif member.status in GONE_STATUSES or getattr(member, "is_member", True) is False:
            verdict = Verdict.GONE
        else:
            verdict = Verdict.REFUSED
        self._cache[user_id] = (verdict, self.clock() + self.ttl_seconds)
        return verdict

    def forget(self, user_id: int) -> None:
        """Drop what was cached about a person (their membership just changed)."""
        self._cache.pop(user_id, None)
