"""One sender across replicas: a duty that runs only where a PostgreSQL advisory lock is held.

The lock is a session lock on a connection of its own: when the replica holding it dies,
even by SIGKILL, PostgreSQL closes the connection and frees the lock, and another replica
takes over within a few seconds. On SQLite (one process) the duty always runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Protocol

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from peerbot.storage import locks

log = logging.getLogger(__name__)

# Advisory lock keys: any bigint, the same in every replica of this program.
SENDER_LOCK = 0x7065_6572_0001  # "peer" 1
WEBHOOK_LOCK = 0x7065_6572_0002


class Duty(Protocol):
    """Work done by the leader only (the outbox sender has this shape)."""

    async def run(self) -> None: ...

    async def stop(self) -> None: ...


class Leadership:
    """Tries for the lock every retry_seconds; while held, runs a fresh duty from make_duty."""

    def __init__(
        self,
        engine: AsyncEngine,
        make_duty: Callable[[], Duty],
        *,
        lock_key: int = SENDER_LOCK,
        retry_seconds: float = 2.0,
        check_seconds: float = 5.0,
        settle_seconds: float = 1.0,
    ) -> None:
        self._engine = engine
        self._make_duty = make_duty
        self._lock_key = lock_key
        self._retry_seconds = retry_seconds
        self._check_seconds = check_seconds
        # Telegram still counts the previous leader's last second of sends: a new leader that
        # sent at once could double the bot-wide rate (429s) right after taking over.
        self._settle_seconds = settle_seconds
        self._stopping = asyncio.Event()
        self.leading = False

    def stop(self) -> None:
        """Stop the duty (it finishes what it started) and give up the lock."""
        self._stopping.set()

    async def run(self) -> None:
        """Lead when possible until stop()."""
        if self._engine.dialect.name != "postgresql":
            await self._serve(None)
            return
        while not self._stopping.is_set():
            try:
                await self._try_to_lead()
            except (SQLAlchemyError, OSError) as error:
                log.warning("leadership check failed (%s)", type(error).__name__)
            await self._pause(self._retry_seconds)

    async def _try_to_lead(self) -> None:
        connection = await self._engine.connect()
        try:
            if not await locks.try_lock(connection, self._lock_key):
                return
            log.info("this replica now runs the sender")
            await self._pause(self._settle_seconds)
            await self._serve(connection)
        finally:
            await self._give_back(connection)

    async def _serve(self, connection: AsyncConnection | None) -> None:
        """Run the duty until stop(), or until the lock's connection is lost."""
        duty = self._make_duty()
        running = asyncio.create_task(duty.run(), name="leader-duty")
        self.leading = True
        try:
            while not self._stopping.is_set() and not running.done():
                await self._pause(self._check_seconds)
                if connection is not None and not self._stopping.is_set():
                    await locks.confirm_held(connection)
        finally:
            self.leading = False
            await duty.stop()
            try:
                await running
            except Exception as error:  # logged; the next term starts a fresh duty
                log.error("leader duty failed: %s", type(error).__name__)

    async def _give_back(self, connection: AsyncConnection) -> None:
        """Unlock before the connection goes back to the pool; if that fails, drop it."""
        try:
            await locks.unlock_all(connection)
            await connection.close()
        except (SQLAlchemyError, OSError):
            with contextlib.suppress(Exception):
                await connection.invalidate()
                await connection.close()

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)
