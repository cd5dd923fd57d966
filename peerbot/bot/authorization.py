"""Who may act as a coordinator: the allow-list, or membership of the coordinators' group.

Checked on the server for every coordinator action, never taken from button data. Group
membership comes from Telegram's getChatMember and is cached briefly.
"""

from __future__ import annotations

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
GATE_KEY = "peerbot.coordinator_gate"


@dataclass
class CoordinatorGate:
    """Answers "is this Telegram user a coordinator?" with a short-lived cache."""

    settings: Settings
    ttl_seconds: float = 60.0
    clock: Callable[[], float] = time.monotonic
    _cache: dict[int, tuple[bool, float]] = field(default_factory=dict)

    async def allows(self, bot: Bot, user_id: int) -> bool:
        if user_id in self.settings.coordinator_ids:
            return True
        group = self.settings.coordinator_chat_id
        if group is None:
            return False
        cached = self._cache.get(user_id)
        if cached is not None and cached[1] > self.clock():
            return cached[0]
        try:
            member = await bot.get_chat_member(group, user_id)
        except TelegramError:
            return False  # unknown is not allowed; nothing is cached so the next press asks again
        allowed = member.status in MEMBER_STATUSES
        self._cache[user_id] = (allowed, self.clock() + self.ttl_seconds)
        return allowed
