"""Per-update processing: one chat in order, chats in parallel, one transaction per update.

Each update runs inside one database transaction that also marks its update_id as
processed, so the effect of an update and its de-duplication mark land together: an
update redelivered after a crash or restart is skipped, and a half-done one is redone.

Two things come before and around that transaction. What a person sent is screened first,
and its red flags committed on their own (the guard's screen_first), so no later failure
can undo them. A transaction that fails on a passing database fault (a lock, a lost
connection, a stale version) is tried again a few times before the update counts as failed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Update
from telegram.ext import BaseUpdateProcessor

from peerbot.bot import metrics
from peerbot.storage import processed_updates
from peerbot.storage.transient import is_transient

log = logging.getLogger(__name__)

# scope.cache: what screening raised (services.escalations.screening.Screened)
SCREENED = "screened"
RETRY_DELAYS = (0.05, 0.2, 0.5)  # seconds before each further try after a passing fault


@dataclass
class UpdateScope:
    """What belongs to the update being processed: its session and how it ended."""

    update_id: int
    session: AsyncSession
    chat_id: int | None
    failed: bool = False
    error: BaseException | None = None
    cache: dict[str, Any] = field(default_factory=dict)

    def fail(self, error: BaseException | None) -> None:
        """The update's work failed: undo it (and try again if the fault may pass)."""
        self.failed, self.error = True, error

    def start_again(self) -> None:
        """Before another try: forget the failure and what was loaded in the undone one."""
        self.failed, self.error = False, None
        self.cache = {key: value for key, value in self.cache.items() if key == SCREENED}


class UpdateGuard(Protocol):
    """What surrounds each update's transaction (see bot/safety.py)."""

    async def screen_first(
        self, session: AsyncSession, update: Update, scope: UpdateScope
    ) -> None:
        """Commit what must survive the update's failure, before its transaction."""

    async def before_commit(self, session: AsyncSession, scope: UpdateScope) -> None:
        """Last words inside a successful update's transaction."""

    async def on_failure(self, session: AsyncSession, scope: UpdateScope) -> None:
        """Tell the person, in the transaction that records the failure."""

    def start_again(self, scope: UpdateScope) -> None:
        """Before another try of the update: its earlier try was undone."""


_current_scope: ContextVar[UpdateScope | None] = ContextVar("peerbot_update_scope", default=None)


def peek_scope() -> UpdateScope | None:
    """The scope of the update this task is processing, if any."""
    return _current_scope.get()


def current_scope() -> UpdateScope:
    """The scope of the update this task is processing."""
    scope = _current_scope.get()
    if scope is None:
        raise RuntimeError("no update is being processed in this task")
    return scope


class _RolledBack(Exception):
    """Raised inside the transaction to undo a failed update's partial effects."""


class ChatOrderedUpdateProcessor(BaseUpdateProcessor):
    """Processes updates of one chat strictly in arrival order; different chats concurrently."""

    def __init__(
        self,
        *,
        max_concurrent_updates: int,
        session_factory: async_sessionmaker[AsyncSession],
        clock: Callable[[], datetime],
        after_commit: Callable[[], None],
        guard: UpdateGuard,
        single_writer: bool = False,
    ) -> None:
        """single_writer: the database takes one write transaction at a time (SQLite), so
        updates queue here, in order, rather than in the database's busy-wait."""
        super().__init__(max_concurrent_updates)
        self._sessions = session_factory
        self._clock = clock
        self._after_commit = after_commit
        self._guard = guard
        # Dispatches an update to the handlers again, for another try (set by the application).
        self.redo: Callable[[Update], Awaitable[Any]] | None = None
        self._chat_locks: dict[int, asyncio.Lock] = {}
        self._chat_waiters: dict[int, int] = {}
        self._writer = asyncio.Lock() if single_writer else contextlib.nullcontext()

    async def initialize(self) -> None:
        """Nothing to set up: locks are made per chat on demand."""

    async def shutdown(self) -> None:
        """Nothing to tear down: sessions close with each update."""

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        if not isinstance(update, Update):
            await coroutine
            return
        started, outcome = time.perf_counter(), metrics.ABORTED
        try:
            outcome = await self._in_chat_order(update, coroutine)
        finally:
            metrics.update_done(outcome, time.perf_counter() - started)

    async def _in_chat_order(self, update: Update, coroutine: Awaitable[Any]) -> str:
        """Process the update after its chat's earlier ones; return the metrics outcome."""
        key = chat_key(update)
        if key is None:
            return await self._process(update, coroutine)
        lock = self._chat_locks.setdefault(key, asyncio.Lock())
        self._chat_waiters[key] = self._chat_waiters.get(key, 0) + 1
        try:
            async with lock:
                return await self._process(update, coroutine)
        finally:
            self._chat_waiters[key] -= 1
            if not self._chat_waiters[key]:
                del self._chat_waiters[key], self._chat_locks[key]

    async def _process(self, update: Update, coroutine: Awaitable[Any]) -> str:
        async with self._writer, self._sessions() as session:
            scope = UpdateScope(update.update_id, session, chat_key(update))
            token = _current_scope.set(scope)
            try:
                await self._guard.screen_first(session, update, scope)
                outcome = await self._attempts(update, coroutine, session, scope)
            finally:
                _current_scope.reset(token)
        self._after_commit()
        return outcome

    async def _attempts(
        self, update: Update, coroutine: Awaitable[Any], session: AsyncSession, scope: UpdateScope
    ) -> str:
        """The update's transaction, tried again after a passing fault; the metrics outcome."""
        for delay in (*RETRY_DELAYS, None):
            outcome = None if scope.failed else await self._attempt(update, coroutine, session)
            if outcome is not None:
                return outcome
            if delay is None or self.redo is None or not is_transient(scope.error):
                break
            fault = type(scope.error).__name__
            log.warning("update %s tried again after %s", update.update_id, fault)
            await asyncio.sleep(delay)
            scope.start_again()
            self._guard.start_again(scope)
            coroutine = self.redo(update)
        _close(coroutine)
        await self._record_failure(scope)
        return metrics.ERROR

    async def _attempt(
        self, update: Update, coroutine: Awaitable[Any], session: AsyncSession
    ) -> str | None:
        """One try in one transaction: the outcome, or None when it failed (scope says why)."""
        scope = current_scope()
        try:
            async with session.begin():
                if not await processed_updates.claim(session, update.update_id, self._clock()):
                    _close(coroutine)
                    log.info("update %s skipped: already processed", update.update_id)
                    return metrics.DUPLICATE
                await coroutine
                if scope.failed:
                    raise _RolledBack
                await self._guard.before_commit(session, scope)
            return metrics.OK
        except _RolledBack:
            return None
        except Exception as error:  # at commit: a stale version, a lock, a lost connection
            log.error("update %s failed at commit: %s", update.update_id, type(error).__name__)
            scope.fail(error)
            return None

    async def _record_failure(self, scope: UpdateScope) -> None:
        """Undo the update's effects, but remember it was seen and tell the person."""
        async with self._sessions() as session, session.begin():
            await processed_updates.claim(session, scope.update_id, self._clock(), outcome="error")
            await self._guard.on_failure(session, scope)


def chat_key(update: Update) -> int | None:
    """The chat whose order an update keeps: its chat, else its sender; None if neither."""
    if update.effective_chat is not None:
        return update.effective_chat.id
    if update.effective_user is not None:
        return update.effective_user.id
    return None


def _close(coroutine: Awaitable[Any]) -> None:
    """Discard a coroutine we decided not to run, without a never-awaited warning."""
    close = getattr(coroutine, "close", None)
    if close is not None:
        close()
