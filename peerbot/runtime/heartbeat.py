"""The polling bot's heartbeat: a file rewritten every 30 s while the poller and the sender run.

Long polling serves no HTTP, so a container healthcheck reads this file instead
(`peerbot check-config --heartbeat`). Its place: PEERBOT_HEARTBEAT_FILE, else
`peerbot.heartbeat` beside the SQLite file, else in the working folder.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.engine import make_url

if TYPE_CHECKING:
    from peerbot.config import Settings

log = logging.getLogger(__name__)

FILE_NAME = "peerbot.heartbeat"
INTERVAL_SECONDS = 30.0
STALE_AFTER_SECONDS = 90.0  # three beats missed


def path_for(settings: Settings) -> Path:
    """Where this configuration's heartbeat is written."""
    if settings.heartbeat_file and settings.heartbeat_file.strip():
        return Path(settings.heartbeat_file.strip())
    if settings.is_sqlite:
        database = make_url(settings.database_url).database
        if database and database != ":memory:":
            return Path(database).parent / FILE_NAME
    return Path(FILE_NAME)


def write(path: Path, now: datetime) -> None:
    """Replace the file at once (a reader never sees half of it)."""
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(json.dumps({"at": now.isoformat(), "pid": os.getpid()}), "utf-8")
    partial.replace(path)


async def beat(
    path: Path,
    alive: Callable[[], bool],
    *,
    interval: float = INTERVAL_SECONDS,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> None:
    """Write the heartbeat while alive() holds; the file is removed when this stops."""
    try:
        while alive():
            try:
                await asyncio.to_thread(write, path, clock())
            except OSError as error:  # a full or read-only disk must not stop the bot
                log.warning("heartbeat file not written (%s)", type(error).__name__)
            await asyncio.sleep(interval)
    finally:
        with contextlib.suppress(OSError):
            os.remove(path)  # noqa: ASYNC240 - one small unlink as the bot stops


def age_of(path: Path) -> float | None:
    """Seconds since the heartbeat was last written; None when there is none."""
    try:
        return time.time() - path.stat().st_mtime
    except FileNotFoundError:
        return None
