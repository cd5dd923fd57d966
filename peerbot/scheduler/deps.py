"""What the scheduler's passes need from the running process; peerbot.runtime hands it in.

A protocol, so the scheduler depends on no adapter: the bot's Deps has this shape.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

    from peerbot.config import Settings
    from peerbot.program import ProgramData
    from peerbot.services.conversations.shown import Outgoing
    from peerbot.storage.crypto import FieldCipher


class SchedulerDeps(Protocol):
    """Settings, database, program data, clock, and the way out to the outbox."""

    @property
    def settings(self) -> Settings: ...

    @property
    def sessions(self) -> async_sessionmaker[AsyncSession]: ...

    @property
    def program(self) -> ProgramData: ...

    @property
    def cipher(self) -> FieldCipher: ...

    @property
    def sender(self) -> object | None:
        """This process's outbox sender, if it runs one."""

    def clock(self) -> datetime: ...

    def wake_sender(self) -> None:
        """Deliver what was just queued."""

    async def queue_outgoing(
        self, session: AsyncSession, outgoing: Outgoing, *, now: datetime
    ) -> None:
        """Queue a prompt for a chat that did not write, in the update's transaction."""
