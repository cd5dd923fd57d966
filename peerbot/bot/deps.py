"""Long-lived objects the handlers need, passed through application.bot_data (peerbot.runtime
builds them)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from peerbot.bot.queue import RenderingOutbox
from peerbot.config import Settings
from peerbot.program import ProgramData
from peerbot.storage.clock import utcnow
from peerbot.storage.crypto import FieldCipher

if TYPE_CHECKING:
    from telegram.request import BaseRequest

    from peerbot.bot.pacing import ChatPacer
    from peerbot.bot.sender import OutboxSender

@dataclass
class Deps:
    """Settings, database, program data and clock for one running application."""

    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    program: ProgramData
    cipher: FieldCipher
    clock: Callable[[], datetime] = utcnow
    sender: OutboxSender | None = None
    # The network layer, made once per use (None: Telegram over HTTP); `peerbot simulate`
    # passes an emulated Bot API here.
    request_for: Callable[[], BaseRequest] | None = None
    # The outbox's pacing (None: Telegram's limits).
    pacer: ChatPacer | None = None
    # Webhook mode: the inbox worker's wake-up (a processed update may free its chat's next).
    inbox_wake: Callable[[], None] | None = None

    def wake_sender(self) -> None:
        """Called after each update's commit: deliver what it queued, claim what it freed."""
        if self.sender is not None:
            self.sender.wake()
        if self.inbox_wake is not None:
            self.inbox_wake()

    def outbox_for(self, session: AsyncSession, now: datetime) -> RenderingOutbox:
        """Services' way out: views rendered in the program's texts, queued in `session`."""
        return RenderingOutbox(session, self.program.texts, now)


DEPS_KEY = "peerbot.deps"


def deps_from(bot_data: dict[str, Any]) -> Deps:
    """The Deps stored by build_application."""
    deps = bot_data[DEPS_KEY]
    assert isinstance(deps, Deps)
    return deps
