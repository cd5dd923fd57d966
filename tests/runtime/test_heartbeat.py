"""The heartbeat file: where it goes, written while the loops live, stale after 90 s."""

from __future__ import annotations

import asyncio
import os
import time
from datetime import UTC, datetime
from pathlib import Path

from peerbot.cli.check import heartbeat_finding
from peerbot.config import load_settings
from peerbot.runtime import heartbeat


def test_the_file_goes_where_the_setting_says_else_beside_the_sqlite_file(tmp_path):
    sqlite = load_settings(database_url=f"sqlite:///{tmp_path / 'data' / 'peerbot.sqlite3'}")
    assert heartbeat.path_for(sqlite) == tmp_path / "data" / "peerbot.heartbeat"
    postgres = load_settings(database_url="postgresql://peerbot@db/peerbot")
    assert heartbeat.path_for(postgres) == Path("peerbot.heartbeat")
    chosen = load_settings(heartbeat_file=str(tmp_path / "beat"))
    assert heartbeat.path_for(chosen) == tmp_path / "beat"


async def test_it_is_rewritten_while_alive_and_removed_when_the_loops_stop(tmp_path):
    path = tmp_path / "peerbot.heartbeat"
    alive = True
    writes: list[datetime] = []

    def clock() -> datetime:
        writes.append(datetime.now(UTC))
        return writes[-1]

    beating = asyncio.create_task(
        heartbeat.beat(path, lambda: alive, interval=0.01, clock=clock)
    )
    await asyncio.sleep(0.1)
    assert path.exists() and len(writes) >= 3
    assert heartbeat_finding(path).ok

    alive = False  # the poller or the sender ended
    await asyncio.wait_for(beating, 1)
    assert not path.exists()
    assert not heartbeat_finding(path).ok


def test_a_heartbeat_older_than_90_seconds_fails(tmp_path):
    path = tmp_path / "peerbot.heartbeat"
    heartbeat.write(path, datetime.now(UTC))
    assert heartbeat_finding(path).ok
    old = time.time() - 91
    os.utime(path, (old, old))
    stale = heartbeat_finding(path)
    assert (stale.ok, stale.blocking) == (False, True)
    assert "more than 90 s" in stale.line
