"""A database that cannot be reached or used gives one line naming the setting or the fix, and
an exit status other than 0, on every command: never a traceback."""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from tests.conftest import POSTGRES_ADMIN_DSN
from tests.support.bot_process import TEST_TOKEN
from tests.support.cli import OPERATOR_KEY, run_peerbot

# Every command that opens the database.
COMMANDS: dict[str, list[str]] = {
    "run": ["run"],
    "invite": ["invite"],
    "checkins run-due": ["checkins", "run-due"],
    "match propose-all": ["match", "propose-all"],
    "retention run": ["retention", "run"],
    "retention run --dry-run": ["retention", "run", "--dry-run"],
    "export": ["export", "requests", "--format", "csv"],
    "report": ["report", "--from", "2027-01-04", "--to", "2027-01-10", "--out", "report"],
    "keys rotate": ["keys", "rotate"],
}


def _settings(database_url: str) -> dict[str, str]:
    return {
        "PEERBOT_DATABASE_URL": database_url,
        "PEERBOT_ENCRYPTION_KEY": OPERATOR_KEY,
        "PEERBOT_BOT_TOKEN": TEST_TOKEN,
        # never reached: the database fails first
        "PEERBOT_TELEGRAM_API_URL": "http://127.0.0.1:1",
        "PEERBOT_COORDINATOR_CHAT_ID": "-1001",
    }


async def _all(
    names: list[str], workdir: Path, settings: dict[str, str]
) -> dict[str, subprocess.CompletedProcess[str]]:
    done = await asyncio.gather(
        *(
            asyncio.to_thread(
                run_peerbot, *COMMANDS[name], workdir=workdir, settings=settings, timeout=60
            )
            for name in names
        )
    )
    return dict(zip(names, done, strict=True))


def _one_line(result: subprocess.CompletedProcess[str], name: str) -> str:
    assert result.returncode != 0, f"{name}: {result.stdout}"
    assert "Traceback" not in result.stderr, name
    lines = [line for line in result.stderr.splitlines() if line.startswith("peerbot")]
    assert len(lines) == 1, f"{name}: {result.stderr}"  # besides log lines, if any
    return lines[0]


async def test_a_database_that_does_not_answer_is_named_on_every_command(tmp_path: Path) -> None:
    url = "postgresql+asyncpg://peerbot:secret-password@127.0.0.1:1/peerbot"

    results = await _all(list(COMMANDS), tmp_path, _settings(url))

    for name, result in results.items():
        line = _one_line(result, name)
        assert line.startswith("peerbot: cannot reach the database at 127.0.0.1:1/peerbot"), name
        assert "PEERBOT_DATABASE_URL" in line, name
        assert "secret-password" not in line


async def test_a_user_postgresql_refuses_names_the_url(tmp_path: Path) -> None:
    url = make_url(POSTGRES_ADMIN_DSN).set(
        drivername="postgresql+asyncpg", username="no_such_peerbot_user", password=None
    )

    results = await _all(["run", "export"], tmp_path, _settings(url.render_as_string()))

    for name, result in results.items():
        line = _one_line(result, name)
        if "cannot reach" in line:
            pytest.skip(f"PostgreSQL at {POSTGRES_ADMIN_DSN} does not answer")
        assert "refused the user or password in PEERBOT_DATABASE_URL" in line, name
        assert result.returncode == 2


async def test_commands_that_do_not_migrate_say_to_run_migrate(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'never-migrated.sqlite3'}"

    results = await _all(["export", "keys rotate"], tmp_path, _settings(url))

    for name, result in results.items():
        line = _one_line(result, name)
        assert "migrate" in line, name


@contextlib.contextmanager
def _small_folder(path: Path, size: str) -> Iterator[Path]:
    """A folder on a file system of its own (tmpfs): filled up, or made read-only, at will.

    Needs root (as CI runs); elsewhere the test is skipped.
    """
    if os.geteuid() != 0:
        pytest.skip("mounting a small file system needs root")
    path.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(path)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


async def test_a_read_only_database_folder_is_named(tmp_path: Path) -> None:
    with _small_folder(tmp_path / "data", "4m") as folder:
        url = f"sqlite+aiosqlite:///{folder / 'peerbot.sqlite3'}"
        migrated = run_peerbot("migrate", workdir=tmp_path, settings=_settings(url))
        assert migrated.returncode == 0, migrated.stderr
        subprocess.run(["mount", "-o", "remount,ro", str(folder)], check=True)  # noqa: ASYNC221

        results = await _all(["run", "match propose-all"], tmp_path, _settings(url))

    for name, result in results.items():
        line = _one_line(result, name)
        assert str(folder / "peerbot.sqlite3") in line, name
        assert "writable" in line and "PEERBOT_DATABASE_URL" in line, name


async def test_a_full_disk_is_named(tmp_path: Path) -> None:
    with _small_folder(tmp_path / "data", "64k") as folder:
        url = f"sqlite+aiosqlite:///{folder / 'peerbot.sqlite3'}"
        results = await _all(["run"], tmp_path, _settings(url))

    for name, result in results.items():
        line = _one_line(result, name)
        assert "the disk is full" in line, name
