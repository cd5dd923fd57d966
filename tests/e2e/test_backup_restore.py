"""The README's "Backups", tried: a copy of the SQLite file taken while the bot runs, restored
with the key into a fresh folder, gives back the program's data, free text readable."""

from __future__ import annotations

import asyncio
import json
import shutil
import sqlite3

from tests.support import cli
from tests.support.journeys import Person

WORDS = "Since the move I have nobody to talk to."


def backup_while_running(database, copy) -> None:
    """The README's way: `VACUUM INTO` writes a consistent copy while the bot writes."""
    with sqlite3.connect(database) as connection:
        connection.execute("VACUUM INTO ?", (str(copy),))


async def test_a_backup_taken_while_the_bot_runs_restores_with_the_key(
    api, start_bot, bot_workdir, tmp_path
):
    bot = start_bot()
    person = Person(api, api.private_user())
    await person.consent(evaluation=True)
    await person.intake(anything_else=WORDS)
    backups = tmp_path / "backups"
    backups.mkdir()
    key = next(bot_workdir.rglob(".peerbot-key"))  # generated on first start (SQLite)

    await asyncio.to_thread(
        backup_while_running, bot_workdir / "peerbot.sqlite3", backups / "peerbot.sqlite3"
    )
    shutil.copy2(key, backups / ".peerbot-key")
    assert bot.running, "taken without stopping the bot"

    restored = tmp_path / "restored"
    restored.mkdir()
    shutil.copy2(backups / "peerbot.sqlite3", restored / "peerbot.sqlite3")
    shutil.copy2(backups / ".peerbot-key", restored / key.relative_to(bot_workdir))
    export = await asyncio.to_thread(
        cli.run_peerbot, "export", "requests", "--format", "jsonl", "--include-free-text",
        workdir=restored, settings={},
    )  # fmt: skip

    assert export.returncode == 0, export.stderr
    [request] = [json.loads(line) for line in export.stdout.splitlines()]
    assert WORDS in json.dumps(request, ensure_ascii=False)

    keyless = tmp_path / "without-key"
    keyless.mkdir()
    shutil.copy2(backups / "peerbot.sqlite3", keyless / "peerbot.sqlite3")
    lost = await asyncio.to_thread(
        cli.run_peerbot, "export", "requests", "--format", "jsonl", "--include-free-text",
        workdir=keyless, settings={},
    )  # fmt: skip
    assert WORDS not in lost.stdout, "without the key the free text cannot be read"
