"""A fake Telegram Bot API server over real HTTP (aiohttp) for peerbot's tests.

Usage: `async with FakeBotApi() as api: ...`; run by hand with
`python -m peerbot.emulator.fake_telegram --port 8081` (driven through the /_test/ HTTP API).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import re
import signal
import time
from typing import Any

from aiohttp import web

from .fake_api import EmulatedBotApi
from .fake_control import add_control_routes
from .fake_errors import ApiError
from .fake_models import FakeChat, FakeGroup, FakeMessage, RequestRecord, StoredFile
from .fake_params import read_params
from .fake_users import FakeUser

__all__ = ["FakeBotApi", "FakeChat", "FakeGroup", "FakeMessage", "FakeUser", "StoredFile"]

_TOKEN_RE = re.compile(r"(\d+):(.+)")


class FakeBotApi(EmulatedBotApi):
    """The emulated Bot API served over HTTP, as the bot sees Telegram."""

    def __init__(self, port: int = 0, host: str = "127.0.0.1", **world_options: Any) -> None:
        super().__init__(**world_options)
        self.host = host
        self.port = port
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        """Server root, e.g. http://127.0.0.1:43123 (bots call {url}/bot<token>/<method>)."""
        return f"http://{self.host}:{self.port}"

    async def start(self) -> None:
        """Start serving (a restart after stop() reuses the same port)."""
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
        method = request.match_info["method"]
        if token_match is None:
            self.requests.append(
                RequestRecord(
                    method, {}, time.monotonic(), 404, request.method, request.content_type
                )
            )
            return web.json_response(ApiError(404, "Not Found").payload(), status=404)
        self.bot_id = int(token_match[1])
        try:
            params = await read_params(request)
        except ApiError as error:
            return web.json_response(error.payload(), status=error.status)
        status, body = await self.answer(method, params)
        self.requests[-1].http_method = request.method
        self.requests[-1].content_type = request.content_type
        return web.json_response(body, status=status)


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
