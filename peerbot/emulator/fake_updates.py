"""The fake's update queue: getUpdates offset/limit/timeout semantics and long-poll wake-ups."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from .fake_errors import ApiError

# Update types Telegram delivers when allowed_updates is empty/unset.
NOT_DEFAULT = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
TERMINATED = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)


class UpdateQueue:
    """Unconfirmed updates; an update is dropped once getUpdates is called with a higher offset."""

    def __init__(self, first_update_id: int = 100000) -> None:
        self._updates: list[dict[str, Any]] = []
        self._history: dict[int, dict[str, Any]] = {}
        self._next_id = first_update_id
        self.confirmed_offset = 0
        self.allowed_updates: list[str] = []
        self._wakeup = asyncio.Event()
        self._poll_seq = 0
        self._closed = False

    def enqueue(self, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        """Append an update with the next update_id and wake any long poll."""
        update_id = self._next_id
        update: dict[str, Any] = {"update_id": update_id, kind: payload}
        self._next_id += 1
        self._updates.append(update)
        self._history[update_id] = update
        self._wake()
        return update

    def redeliver(self, update_ids: list[int]) -> None:
        """Offer already confirmed updates again, as Telegram does when it lost the offset."""
        known = {u["update_id"] for u in self._updates}
        again = [self._history[i] for i in update_ids if i not in known]
        self._updates = sorted(self._updates + again, key=lambda u: u["update_id"])
        self._wake()

    def pending(self) -> list[dict[str, Any]]:
        """Updates not yet confirmed by the bot."""
        return list(self._updates)

    def clear(self) -> None:
        """Drop all pending updates (drop_pending_updates=True)."""
        self._updates.clear()

    def confirm(self, offset: int) -> None:
        """Apply a getUpdates offset (negative: keep only the last -offset updates)."""
        if offset < 0:
            self._updates = self._updates[offset:]
            offset = self._updates[0]["update_id"] if self._updates else self._next_id
        self._updates = [u for u in self._updates if u["update_id"] >= offset]
        self.confirmed_offset = max(self.confirmed_offset, min(offset, self._next_id))

    async def poll(
        self,
        offset: int | None,
        limit: int,
        timeout: float,  # noqa: ASYNC109
        allowed: list[str] | None,
    ) -> list[dict[str, Any]]:
        """getUpdates: confirm, then return up to `limit` updates, waiting up to `timeout`."""
        self._poll_seq += 1
        me = self._poll_seq
        self._wake()  # an older long poll is terminated with 409, as on Telegram
        if allowed is not None:
            self.allowed_updates = list(allowed)
        if offset:
            self.confirm(offset)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max(0.0, timeout)
        while True:
            if me != self._poll_seq:
                raise ApiError(409, TERMINATED)
            batch = self._take(limit)
            remaining = deadline - loop.time()
            if batch or self._closed or remaining <= 0:
                return batch
            waiter = self._wakeup
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(waiter.wait(), remaining)

    def close(self) -> None:
        """Make every waiting long poll return now (server shutdown)."""
        self._closed = True
        self._wake()

    def reopen(self) -> None:
        """Allow long polls to wait again after a restart."""
        self._closed = False

    def _take(self, limit: int) -> list[dict[str, Any]]:
        allowed = set(self.allowed_updates)
        # Telegram never delivers updates of types the bot did not ask for.
        self._updates = [u for u in self._updates if self._is_allowed(u, allowed)]
        return self._updates[:limit]

    @staticmethod
    def _is_allowed(update: dict[str, Any], allowed: set[str]) -> bool:
        kind = next(key for key in update if key != "update_id")
        return kind in allowed if allowed else kind not in NOT_DEFAULT

    def _wake(self) -> None:
        self._wakeup.set()
        self._wakeup = asyncio.Event()
