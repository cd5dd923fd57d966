"""`peerbot keys generate` and `peerbot keys rotate`, and a key that is not the database's
stopping a command with one line; the key file beside the SQLite database."""

from __future__ import annotations

import asyncio
import stat
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import select

from peerbot.config import load_settings
from peerbot.runtime.build import encryption_key
from peerbot.storage.crypto import FieldCipher
from peerbot.storage.db import create_engine, make_session_factory
from peerbot.storage.migrate import upgrade_to_head
from peerbot.storage.models import Person
from tests.support.cli import run_peerbot


def test_keys_generate_prints_a_new_key_and_nothing_else(tmp_path: Path) -> None:
    first = run_peerbot("keys", "generate", workdir=tmp_path, settings={})
    second = run_peerbot("keys", "generate", workdir=tmp_path, settings={})

    assert first.returncode == 0, first.stderr
    key = first.stdout.removesuffix("\n")
    assert "\n" not in key and len(key) == 44
    FieldCipher(key)  # a valid key
    assert second.stdout != first.stdout
    assert not list(tmp_path.iterdir()), "no database, no key file"


async def _seed(url: str, key: str) -> None:
    await asyncio.to_thread(upgrade_to_head, url)
    engine = create_engine(url)
    try:
        async with make_session_factory(engine)() as session, session.begin():
            cipher = FieldCipher(key)
            session.add_all(
                Person(
                    telegram_user_id=n, pseudonym=f"P-{n}", display_name_enc=cipher.encrypt("Ana")
                )
                for n in range(3)
            )
    finally:
        await engine.dispose()


async def _names(url: str, key: str) -> list[str | None]:
    engine = create_engine(url)
    try:
        async with make_session_factory(engine)() as session:
            stored = (await session.scalars(select(Person.display_name_enc))).all()
    finally:
        await engine.dispose()
    return [FieldCipher(key).decrypt(value) for value in stored]


async def test_a_new_key_is_refused_until_rotate_moves_everything_onto_it(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'peerbot.sqlite3'}"
    old, new = FieldCipher.generate_key(), FieldCipher.generate_key()
    await _seed(url, old)

    def peerbot(key: str, *args: str) -> subprocess.CompletedProcess[str]:
        settings = {"PEERBOT_DATABASE_URL": url, "PEERBOT_ENCRYPTION_KEY": key}
        return run_peerbot(*args, workdir=tmp_path, settings=settings)

    wrong = await asyncio.to_thread(peerbot, new, "match", "propose-all")
    assert wrong.returncode == 2
    assert wrong.stderr.count("\n") == 1 and "Traceback" not in wrong.stderr
    assert "is not the one this database was encrypted with" in wrong.stderr
    assert "peerbot keys rotate" in wrong.stderr

    rotated = await asyncio.to_thread(peerbot, f"{new},{old}", "keys", "rotate")
    assert rotated.returncode == 0, rotated.stderr
    assert "people: 3/3 rows" in rotated.stdout
    assert rotated.stdout.splitlines()[-1].startswith("done: re-encrypted 3 values")
    assert await _names(url, new) == ["Ana"] * 3

    retired = await asyncio.to_thread(peerbot, old, "match", "propose-all")
    assert retired.returncode == 2, "the old key alone is no longer the database's"
    fine = await asyncio.to_thread(peerbot, new, "match", "propose-all")
    assert fine.returncode == 0, fine.stderr


def test_the_key_file_is_made_beside_the_sqlite_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PEERBOT_ENCRYPTION_KEY", raising=False)
    monkeypatch.chdir(tmp_path)
    data = tmp_path / "data"
    data.mkdir()
    settings = load_settings(database_url=f"sqlite+aiosqlite:///{data / 'peerbot.sqlite3'}")

    key = encryption_key(settings)

    assert (data / ".peerbot-key").read_text().strip() == key
    assert stat.S_IMODE((data / ".peerbot-key").stat().st_mode) == 0o600
    assert not (tmp_path / ".peerbot-key").exists()
    assert encryption_key(settings) == key


def test_an_older_installs_key_in_the_working_folder_is_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PEERBOT_ENCRYPTION_KEY", raising=False)
    monkeypatch.chdir(tmp_path)
    old = FieldCipher.generate_key()
    (tmp_path / ".peerbot-key").write_text(old + "\n")
    data = tmp_path / "data"
    data.mkdir()
    settings = load_settings(database_url=f"sqlite+aiosqlite:///{data / 'peerbot.sqlite3'}")

    assert encryption_key(settings) == old

    assert (data / ".peerbot-key").read_text().strip() == old
    assert stat.S_IMODE((data / ".peerbot-key").stat().st_mode) == 0o600
    assert (tmp_path / ".peerbot-key").read_text().strip() == old  # copied, not moved


def test_an_in_memory_database_gets_a_key_and_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PEERBOT_ENCRYPTION_KEY", raising=False)
    monkeypatch.chdir(tmp_path)

    FieldCipher(encryption_key(load_settings(database_url="sqlite+aiosqlite://")))

    assert not list(tmp_path.iterdir())
