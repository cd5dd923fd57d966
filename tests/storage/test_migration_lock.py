"""Migrations are serialised: peerbot processes started together on a fresh database migrate it
once and all carry on (SQLite: a file lock beside the database; PostgreSQL: an advisory lock)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import text

from peerbot.storage.db import create_engine
from peerbot.storage.migrate import head_revision, migration_lock, sqlite_lock_path
from tests.support.cli import OPERATOR_KEY

PROCESSES = 5
# `migrate` always runs Alembic's upgrade; `checkins run-due` upgrades only when the schema is
# behind, as `run`, `invite` and the other operator commands do.
COMMANDS = [("migrate",), ("checkins", "run-due")] * 3


async def version_rows(database_url: str) -> list[str]:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(text("SELECT version_num FROM alembic_version"))
            return [str(revision) for (revision,) in rows.all()]
    finally:
        await engine.dispose()


def start_together(database_url: str, workdir: Path) -> list[subprocess.CompletedProcess[str]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PEERBOT_")}
    env |= {"PEERBOT_DATABASE_URL": database_url, "PEERBOT_ENCRYPTION_KEY": OPERATOR_KEY}
    children = [
        subprocess.Popen(
            [sys.executable, "-m", "peerbot", *command],
            cwd=workdir,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for command in COMMANDS[:PROCESSES]
    ]
    finished = []
    for child in children:
        out, err = child.communicate(timeout=180)
        finished.append(subprocess.CompletedProcess(child.args, child.returncode, out, err))
    return finished


async def test_five_processes_started_together_migrate_a_fresh_database_once(
    database_url: str, tmp_path: Path
) -> None:
    finished = await asyncio.to_thread(start_together, database_url, tmp_path)

    for child in finished:
        assert child.returncode == 0, (child.args, child.stderr[-3000:])
    assert await version_rows(database_url) == [head_revision()]


async def test_the_lock_is_exclusive_and_let_go_after(database_url: str) -> None:
    order: list[str] = []
    first_holds = asyncio.Event()

    async def first() -> None:
        async with migration_lock(database_url):
            first_holds.set()
            order.append("first in")
            await asyncio.sleep(0.5)
            order.append("first out")

    async def second() -> None:
        await first_holds.wait()
        async with migration_lock(database_url):
            order.append("second in")

    await asyncio.wait_for(asyncio.gather(first(), second()), timeout=30)
    assert order == ["first in", "first out", "second in"]


def test_the_sqlite_lock_file_sits_beside_the_database(tmp_path: Path) -> None:
    database = tmp_path / "peerbot.sqlite3"
    assert sqlite_lock_path(f"sqlite+aiosqlite:///{database}") == (
        tmp_path / "peerbot.sqlite3.migrate.lock"
    )
    assert sqlite_lock_path("sqlite+aiosqlite:///relative.sqlite3") == Path(
        "relative.sqlite3.migrate.lock"
    )
    assert sqlite_lock_path("sqlite+aiosqlite://") is None
    assert sqlite_lock_path("sqlite+aiosqlite:///:memory:") is None
    assert sqlite_lock_path("postgresql+asyncpg://peer@db.example/peerbot") is None
