"""A fake Telegram Bot API server over real HTTP (aiohttp) for peerbot's tests.

Usage: `async with FakeBotApi() as api: ...`; run by hand with
`python -m tests.support.fake_telegram --port 8081` (driven through the /_test/ HTTP API).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import inspect
import logging
import re
import signal
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from aiohttp import web

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
from .fake_models import FakeChat, FakeGroup, FakeMessage, RequestRecord, StoredFile
from .fake_params import read_params
from .fake_send import SendMethods
from .fake_users import FakeUser
from .fake_world import FakeWorld

__all__ = ["FakeBotApi", "FakeChat", "FakeGroup", "FakeMessage", "FakeUser", "StoredFile"]

_log = logging.getLogger(__name__)
_TOKEN_RE = re.compile(r"(\d+):(.+)")
_DEFAULT: Any = object()


class FakeBotApi(FakeWorld):
    """Fake Bot API server; also the test-side API for acting as users and injecting failures."""

    def __init__(self, port: int = 0, host: str = "127.0.0.1", **world_options: Any) -> None:
        super().__init__(**world_options)
        self.host = host
        self.port = port
        self.requests: list[RequestRecord] = []
        self.rate_limit_hits: list[RateLimitHit] = []
        self.internal_errors: list[Exception] = []
        self.failures = FailurePlan()
        self.rate_limiter: RateLimiter | None = None
        self._send = SendMethods(self)
        self._admin = AdminMethods(self)
        self._methods: dict[str, Callable[[dict], Awaitable[Any]]] = {}
        for impl in (self._send, self._admin):
            for name, func in inspect.getmembers(impl, inspect.iscoroutinefunction):
                if not name.startswith("_"):
                    self._methods[name.lower()] = func
        self._runner: web.AppRunner | None = None
        self._closing = asyncio.Event()

    # -- lifecycle -------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """Server root, e.g. http://127.0.0.1:43123 (bots call {url}/bot<token>/<method>)."""
        return f"http://{self.host}:{self.port}"

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

    async def start(self) -> None:
        """Start serving (a restart after stop() reuses the same port)."""
        from .fake_control import add_control_routes

        self._closing = asyncio.Event()
        self.updates.reopen()
        app = web.Application(client_max_size=50 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        add_control_routes(app, self)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        """Stop serving; in-flight long polls and slowed calls are released first."""
        self._closing.set()
        self.updates.close()
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()

    async def __aenter__(self) -> FakeBotApi:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    # -- request handling --------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        token_match = _TOKEN_RE.fullmatch(request.match_info["token"])
        func = self._methods.get(request.match_info["method"].lower())
        name = func.__name__ if func else request.match_info["method"]
        record = RequestRecord(
            name, {}, time.monotonic(), None, request.method, request.content_type
        )
        self.requests.append(record)
        try:
            if token_match is None or func is None:
                raise ApiError(404, "Not Found")
            self.bot_id = int(token_match[1])
            record.params = await read_params(request)
            result = await self._call(name.lower(), func, record.params)
            status, body = 200, {"ok": True, "result": result}
        except ApiError as error:
            status, body = error.status, error.payload()
        except Exception as error:  # a bug in the fake: answer 500 and keep it for the test
            _log.exception("fake Bot API failed on %s", name)
            self.internal_errors.append(error)
            status, body = 500, {"ok": False, "error_code": 500, "description": repr(error)}
        delay = self.failures.delay_for(name.lower())
        if delay:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closing.wait(), delay)
        record.status = status
        return web.json_response(body, status=status)

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
        """Poll `predicate` (sync or async) until truthy; returns its value or raises."""
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

    async def wait_for_message(
        self,
        chat_id: Any,
        contains: str | None = None,
        predicate: Callable[[FakeMessage], bool] | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109
        after: int = 0,
    ) -> FakeMessage:
        """First bot message in the chat with id > after matching contains/predicate
        (current text or caption, i.e. after edits); raises with the transcript on timeout."""

        def match() -> FakeMessage | None:
            for message in self.messages(chat_id):
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


async def _serve(host: str, port: int) -> None:
    async with FakeBotApi(port=port, host=host) as api:
        curl = (
            f"curl -X POST {api.url}/_test/users/5001/command "
            "-H 'Content-Type: application/json' -d '{\"command\": \"/start\"}'"
        )
        print(f"Fake Bot API on {api.url} (bot base_url {api.url}/bot); try: {curl}", flush=True)  # noqa: T201
        stopped = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stopped.set)
        await stopped.wait()


def main() -> None:
    """Command-line entry point: serve until interrupted."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args.host, args.port))


if __name__ == "__main__":
    main()
