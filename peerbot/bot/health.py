"""The operator's endpoints: /healthz (the process answers), /readyz (the database is reachable
and migrated), /metrics (Prometheus)."""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from peerbot.bot import metrics
from peerbot.bot.deps import Deps
from peerbot.storage.migrate import head_revisions, stored_revisions

log = logging.getLogger(__name__)

# A probe must answer before the load balancer's own time-out, even when the database hangs.
DATABASE_TIMEOUT_SECONDS = 2.0

# Why /readyz answers 503.
DATABASE_UNREACHABLE = "database_unreachable"
DATABASE_TIMEOUT = "database_timeout"
NOT_MIGRATED = "not_migrated"
REVISION_MISMATCH = "revision_mismatch"


def health_routes(deps: Deps) -> list[BaseRoute]:
    """GET /healthz, /readyz and /metrics for the bot described by deps."""
    expected = head_revisions()  # the code's schema: fixed for the life of the process

    async def healthz(_request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(_request: Request) -> Response:
        reason = await not_ready_because(deps.engine, expected)
        if reason is None:
            return JSONResponse({"status": "ready"})
        return JSONResponse({"status": "unavailable", "reason": reason}, status_code=503)

    async def metrics_page(_request: Request) -> Response:
        try:
            async with asyncio.timeout(DATABASE_TIMEOUT_SECONDS):
                await metrics.refresh_backlog(deps.sessions, deps.clock)
        except Exception as error:  # the database is down or slow: the counters still count
            log.warning("backlog gauges not refreshed: %s", type(error).__name__)
        return Response(metrics.exposition(), media_type=metrics.CONTENT_TYPE)

    return [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Route("/metrics", metrics_page, methods=["GET"]),
    ]


async def not_ready_because(engine: AsyncEngine, expected: list[str]) -> str | None:
    """A short reason code when the database cannot serve this code; None when it can."""
    try:
        async with asyncio.timeout(DATABASE_TIMEOUT_SECONDS), engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
            revisions = await stored_revisions(connection)
    except TimeoutError:
        return DATABASE_TIMEOUT
    except Exception as error:  # whatever the driver raises, the answer is "not ready"
        log.warning("readiness: database error %s", type(error).__name__)
        return DATABASE_UNREACHABLE
    if not revisions:
        return NOT_MIGRATED
    if revisions != expected:
        return REVISION_MISMATCH
    return None
