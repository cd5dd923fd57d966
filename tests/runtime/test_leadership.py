"""One sender across replicas: only the holder of the PostgreSQL advisory lock runs the duty,
and a holder whose connection is lost (as when its process is SIGKILLed) hands over."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from peerbot.runtime.leadership import Leadership
from peerbot.storage.db import create_engine

FAST = {"retry_seconds": 0.1, "check_seconds": 0.1, "settle_seconds": 0.0}
ADVISORY_HOLDERS = text(
    "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted"
    " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
)


class Duty:
    """Runs until stopped, and says so."""

    def __init__(self) -> None:
        self.running = False
        self._stopped = asyncio.Event()

    async def run(self) -> None:
        self.running = True
        await self._stopped.wait()
        self.running = False

    async def stop(self) -> None:
        self._stopped.set()


class Replica:
    """A Leadership on an engine of its own (its own connections), and the duties it ran."""

    def __init__(self, database_url: str, **options: float) -> None:
        self.engine = create_engine(database_url)
        self.duties: list[Duty] = []
        self.leadership = Leadership(self.engine, self._new_duty, **{**FAST, **options})
        self.task: asyncio.Task[None] | None = None

    def _new_duty(self) -> Duty:
        self.duties.append(Duty())
        return self.duties[-1]

    def start(self) -> Replica:
        self.task = asyncio.create_task(self.leadership.run())
        return self

    @property
    def leading(self) -> bool:
        return self.leadership.leading and bool(self.duties) and self.duties[-1].running

    async def stop(self) -> None:
        self.leadership.stop()
        if self.task is not None:
            await asyncio.wait_for(self.task, timeout=10)
        await self.engine.dispose()


async def until(condition: Callable[[], bool], seconds: float = 5.0) -> None:
    """Wait until condition() holds (looked at every 20 ms); fail after `seconds`."""
    for _ in range(round(seconds / 0.02)):
        if condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("condition not met in time")


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_only_the_lock_holder_leads_and_a_lost_connection_hands_over(
    database_url: str, engine: AsyncEngine
) -> None:
    # the first, once it lost the lock, would not try again for a long while (a dead process)
    first = Replica(database_url, retry_seconds=60.0).start()
    await until(lambda: first.leading)
    second = Replica(database_url).start()
    try:
        await asyncio.sleep(0.5)  # several of the second's tries
        assert (first.leading, second.leading) == (True, False)
        assert not second.duties
        async with engine.connect() as connection:
            holders = list(await connection.scalars(ADVISORY_HOLDERS))
            assert len(holders) == 1
            # the first replica's connection is lost, as when its process is killed
            await connection.execute(
                text("SELECT pg_terminate_backend(:pid)"), {"pid": holders[0]}
            )

        await until(lambda: not first.duties[-1].running)  # it noticed, and stopped its duty
        await until(lambda: second.leading)
        assert not first.leading
        assert (len(first.duties), len(second.duties)) == (1, 1)
    finally:
        await first.stop()
        await second.stop()
    async with engine.connect() as connection:
        assert list(await connection.scalars(ADVISORY_HOLDERS)) == []


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_on_sqlite_the_one_process_always_leads(database_url: str) -> None:
    replica = Replica(database_url).start()
    try:
        await until(lambda: replica.leading)
    finally:
        await replica.stop()
    assert not replica.duties[-1].running
