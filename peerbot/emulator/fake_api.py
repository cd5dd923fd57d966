"""The emulated Bot API without a network: methods, failures, rate limits, and waiting.

`EmulatedBotApi.answer(method, params)` is one Bot API call; `fake_telegram.FakeBotApi`
serves the same over HTTP for the tests, and `request.EmulatorRequest` hands
python-telegram-bot's calls to it in-process (for `peerbot simulate`).
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from .fake_admin import AdminMethods
from .fake_errors import ApiError
from .fake_failures import (
    RATE_LIMITED_METHODS,
    FailurePlan,
    RateLimiter,
    RateLimitHit,
    method_set,
    rate_limit_error,
)
from .fake_forum import ForumMethods
from .fake_membership import MembershipEvents
from .fake_models import FakeMessage, RequestRecord
from .fake_send import SendMethods
from .fake_users import FakeUser

__all__ = ["EmulatedBotApi"]

_log = logging.getLogger(__name__)
_DEFAULT: Any = object()


class EmulatedBotApi(MembershipEvents):
    """The Bot API's methods on an emulated world, called in-process; also the side that acts
    as users and injects failures."""

    #: How long a wait may first wait for a bot to make its first call: a bot process starting
    #: on a busy machine is not what a wait's timeout measures, how the bot answers is.
    startup_grace: float = 90.0

    def __init__(self, **world_options: Any) -> None:
        super().__init__(**world_options)
        self.requests: list[RequestRecord] = []
        self.rate_limit_hits: list[RateLimitHit] = []
        self.internal_errors: list[Exception] = []
        self.failures = FailurePlan()
        self.rate_limiter: RateLimiter | None = None
        self._send = SendMethods(self)
        self._admin = AdminMethods(self)
        self._forum = ForumMethods(self)
        self._methods: dict[str, Callable[[dict], Awaitable[Any]]] = {}
        for impl in (self._send, self._admin, self._forum):
            for name, func in inspect.getmembers(impl, inspect.iscoroutinefunction):
                if not name.startswith("_"):
                    self._methods[name.lower()] = func
        self._closing = asyncio.Event()
        self._called = asyncio.Event()  # set by a bot's first call

    @property
    def commands(self) -> dict[tuple[str, str], list[dict[str, str]]]:
        """setMyCommands data keyed by (scope key, language_code), e.g. ("default", "")."""
        return self._admin.commands

    @property
    def webhook(self) -> dict[str, Any] | None:
        """Parameters of the last setWebhook, or None."""
        return self._admin.webhook

    @property
    def descriptions(self) -> dict[tuple[str, str], str]:
        """setMy(Short)Description data keyed by (field, language_code)."""
        return self._admin.descriptions

    async def answer(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """Call one Bot API method as Telegram would: (HTTP status, JSON body)."""
        func = self._methods.get(method.lower())
        name = func.__name__ if func else method
        record = RequestRecord(name, params, time.monotonic(), None, "POST", "application/json")
        self.requests.append(record)
        self._called.set()
        try:
            if func is None:
                raise ApiError(404, "Not Found")
            result = await self._call(name.lower(), func, params)
            status, body = 200, {"ok": True, "result": result}
        except ApiError as error:
            status, body = error.status, error.payload()
        except Exception as error:  # a bug in the emulator: answer 500 and keep it
            _log.exception("emulated Bot API failed on %s", name)
            self.internal_errors.append(error)
            status, body = 500, {"ok": False, "error_code": 500, "description": repr(error)}
        delay = self.failures.delay_for(name.lower())
        if delay:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closing.wait(), delay)
        record.status = status
        return status, body

    async def _call(
        self, method: str, func: Callable[[dict], Awaitable[Any]], params: dict[str, Any]
    ) -> Any:
        failure = self.failures.failure_for(method)
        if failure is not None:
            raise failure
        limiter, chat_id = self.rate_limiter, params.get("chat_id")
        if limiter is None or method not in RATE_LIMITED_METHODS or chat_id not in self.chats:
            return await func(params)
        hit = limiter.check(func.__name__, chat_id, time.monotonic())
        if hit is not None:
            self.rate_limit_hits.append(hit)
            raise rate_limit_error(hit)
        result = await func(params)
        limiter.record(chat_id, time.monotonic())
        return result

    # -- failure switches ------------------------------------------------------------------

    def fail_next(
        self,
        count: int = 1,
        status: int = 429,
        retry_after: int = 3,
        methods: str | Iterable[str] | None = None,
        description: str | None = None,
    ) -> None:
        """The next `count` calls to `methods` (default: sending methods) fail with `status`."""
        self.failures.fail_next(count, status, retry_after, method_set(methods), description)

    def fail_for(
        self,
        seconds: float,
        status: int = 500,
        methods: str | Iterable[str] | None = None,
        retry_after: int = 3,
        description: str | None = None,
    ) -> None:
        """All calls to `methods` fail with `status` for the next `seconds`."""
        self.failures.fail_for(seconds, status, retry_after, method_set(methods), description)

    def slow(self, seconds: float, methods: str | Iterable[str] | None = None) -> None:
        """Delay answers to `methods` by `seconds` (the call still takes effect); 0 clears."""
        self.failures.slow(seconds, method_set(methods))

    def reset_failures(self) -> None:
        """Clear fail_next/fail_for/slow (blocked users and rate limits stay)."""
        self.failures.reset()

    def block_user(self, user: FakeUser | int) -> None:
        """Sends to this user's private chat get 403 "Forbidden: bot was blocked by the user"."""
        self.blocked.add(user if isinstance(user, int) else user.id)

    def unblock_user(self, user: FakeUser | int) -> None:
        """Undo block_user."""
        self.blocked.discard(user if isinstance(user, int) else user.id)

    def enforce_rate_limits(
        self,
        per_private_chat_per_s: float | None = 1,
        per_group_per_min: int | None = _DEFAULT,
        global_per_s: int | None = _DEFAULT,
        private_burst: int = 1,
    ) -> None:
        """429 for sends beyond sliding windows (defaults 1/s per private chat + burst,
        20/min per group, 30/s overall); a bare enforce_rate_limits(None) disables."""
        if per_private_chat_per_s is None and _DEFAULT is per_group_per_min is global_per_s:
            self.rate_limiter = None
            return
        self.rate_limiter = RateLimiter(
            per_private_chat_per_s,
            20 if per_group_per_min is _DEFAULT else per_group_per_min,
            30 if global_per_s is _DEFAULT else global_per_s,
            private_burst,
        )

    def disable_rate_limits(self) -> None:
        """Stop enforcing rate limits."""
        self.rate_limiter = None

    # -- observation and waiting -----------------------------------------------------------

    def calls(self, method: str) -> list[RequestRecord]:
        """Recorded requests for one method (case-insensitive)."""
        return [r for r in self.requests if r.method.lower() == method.lower()]

    async def wait_until(
        self,
        predicate: Callable[[], Any],
        timeout: float = 5.0,  # noqa: ASYNC109
        interval: float = 0.01,
        message: str | None = None,
    ) -> Any:
        """Poll `predicate` (sync or async) until truthy; returns its value or raises. The
        timeout starts once a bot has called the API (``startup_grace`` at most)."""
        await self._first_call()
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if inspect.isawaitable(value):
                value = await value
            if value:
                return value
            if time.monotonic() >= deadline:
                raise AssertionError(message or f"condition not met within {timeout}s")
            await asyncio.sleep(interval)

    async def _first_call(self) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._called.wait(), self.startup_grace)

    async def wait_for_message(
        self,
        chat_id: Any,
        contains: str | None = None,
        predicate: Callable[[FakeMessage], bool] | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109
        after: int = 0,
        thread_id: int | None = None,
    ) -> FakeMessage:
        """First bot message in the chat (in the thread, if given) with id > after matching
        contains/predicate (current text or caption, i.e. after edits); raises with the
        transcript on timeout."""

        def match() -> FakeMessage | None:
            for message in self.messages(chat_id, thread_id=thread_id):
                if message.message_id <= after:
                    continue
                if contains is not None and contains not in message.content:
                    continue
                if predicate is None or predicate(message):
                    return message
            return None

        try:
            return await self.wait_until(match, timeout)
        except AssertionError:
            wanted = f"contains={contains!r}" + (" + predicate" if predicate else "")
            wanted += f" in thread {thread_id}" if thread_id is not None else ""
            raise AssertionError(
                f"no bot message ({wanted}, after #{after}) within {timeout}s; "
                f"{self.transcript(chat_id)}"
            ) from None

    async def wait_for_updates_consumed(self, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Wait until the bot confirmed (via getUpdates offset) every enqueued update."""
        try:
            await self.wait_until(lambda: not self.pending_updates(), timeout)
        except AssertionError:
            ids = [u["update_id"] for u in self.pending_updates()]
            raise AssertionError(
                f"updates {ids} not confirmed within {timeout}s "
                f"(confirmed offset {self.confirmed_offset})"
            ) from None
