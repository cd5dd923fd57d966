"""What the scheduler's passes need from the running process; peerbot.runtime hands it in.

A protocol, so the scheduler depends on no adapter: the bot's Deps has this shape.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from peerbot.services.common.context import ServiceDeps


class SchedulerDeps(ServiceDeps, Protocol):
    """Settings, database, program data, and besides: the clock and the way out to the outbox."""

    @property
    def sender(self) -> object | None:
        """This process's outbox sender, if it runs one."""

    def clock(self) -> datetime: ...

    def wake_sender(self) -> None:
        """Deliver what was just queued."""
