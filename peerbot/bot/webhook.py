"""The webhook endpoint: store what Telegram posts, answer at once, process it afterwards.

Telegram posts each update with the secret token given to setWebhook. A post without it is
refused (401) before anything is read or stored. A good one is stored encrypted in the
inbox with its chat and committed; then the answer is 200, and the replica's inbox worker
takes it from there. A repeated update_id is acknowledged and ignored.
"""

from __future__ import annotations

import contextlib
import hmac
import json
import logging
from collections.abc import Callable, Iterator

import uvicorn
from sqlalchemy.exc import SQLAlchemyError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from telegram import Update

from peerbot.bot import metrics
from peerbot.bot.deps import Deps
from peerbot.bot.health import health_routes
from peerbot.bot.processing import chat_key
from peerbot.storage import inbox

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def webhook_server(deps: Deps, *, on_received: Callable[[], None]) -> uvicorn.Server:
    """uvicorn serving webhook_app on PEERBOT_LISTEN_HOST:PEERBOT_LISTEN_PORT in this loop.

    Stop it with `server.should_exit = True`: it stops accepting connections and finishes
    answering the posts it has.
    """
    config = uvicorn.Config(
        webhook_app(deps, on_received=on_received),
        host=deps.settings.listen_host,
        port=deps.settings.listen_port,
        log_config=None,
        access_log=False,
        lifespan="off",
        timeout_graceful_shutdown=10,
    )
    return _QuietServer(config)


class _QuietServer(uvicorn.Server):
    """uvicorn without signal handlers of its own: the runner handles SIGTERM and SIGINT."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def webhook_app(deps: Deps, *, on_received: Callable[[], None]) -> Starlette:
    """The replica's ASGI app: POST on the webhook URL's path, and the health routes."""
    settings = deps.settings
    if settings.webhook_secret is None:
        raise ValueError("PEERBOT_WEBHOOK_SECRET is required in webhook mode")
    expected = settings.webhook_secret.get_secret_value().encode()

    async def receive(request: Request) -> Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, expected):
            return PlainTextResponse("unauthorized", status_code=401)
        body = await request.body()
        update = _parse(body)
        if update is None:
            return PlainTextResponse("not an update", status_code=400)
        try:
            async with deps.sessions() as session, session.begin():
                new = await inbox.record(
                    session,
                    update_id=update.update_id,
                    chat_id=chat_key(update),
                    payload_enc=deps.cipher.encrypt(body.decode()) or "",
                    now=deps.clock(),
                )
        except SQLAlchemyError as error:  # not stored: Telegram posts it again later
            log.warning("update %s not stored (%s)", update.update_id, type(error).__name__)
            return PlainTextResponse("try again", status_code=503)
        if new:
            metrics.UPDATES_RECEIVED.inc()
            on_received()
        return PlainTextResponse("ok")

    routes = [Route(settings.webhook_path, receive, methods=["POST"]), *health_routes(deps)]
    return Starlette(routes=routes)


def _parse(body: bytes) -> Update | None:
    """The posted update, or None when the body is not one."""
    try:
        data = json.loads(body.decode())  # UTF-8, or a ValueError
        if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
            return None
        return Update.de_json(data, None)
    except (ValueError, TypeError, KeyError):
        return None
