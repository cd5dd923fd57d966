"""`--json` on the operator's chores (`checkins run-due`, `match propose-all`): one JSON object
on stdout with the counts the text gives, for scripts and schedulers."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from peerbot.storage.db import create_engine, make_session_factory
from peerbot.storage.migrate import upgrade_to_head
from tests.support.cli import operator_command as peerbot
from tests.support.db_inspect import sqlite_url
from tests.support.rows import add_supporters_due

DUE = datetime(2027, 3, 8, 23, 0, tzinfo=UTC)


async def seed_due_checkins(database_url: str, supporters: int) -> None:
    engine = create_engine(database_url)
    try:
        async with make_session_factory(engine)() as session, session.begin():
            await add_supporters_due(session, range(810_000, 810_000 + supporters), DUE)
    finally:
        await engine.dispose()


def test_checkins_run_due_json_counts_what_the_text_counts(tmp_path: Path) -> None:
    at = (DUE + timedelta(minutes=1)).isoformat()
    outputs = []
    for name, flags in (("json", ["--json"]), ("text", [])):
        url = sqlite_url(tmp_path / f"{name}.sqlite3")
        upgrade_to_head(url)
        asyncio.run(seed_due_checkins(url, 3))
        done = peerbot(url, tmp_path, "checkins", "run-due", "--at", at, *flags)
        assert done.returncode == 0, done.stderr
        outputs.append(done.stdout)
    as_json, as_text = outputs

    counts = {"sent": 0, "waiting": 3, "cancelled": 0, "missed": 0, "escalated": 0}
    assert json.loads(as_json) == {"checkins": counts}
    assert len(as_json.splitlines()) == 1, "one object, nothing else on stdout"
    assert as_text == "check-ins sent 0, waiting 3, cancelled 0, missed 0; escalations 0\n"


def test_match_propose_all_json_gives_the_count_the_text_gives(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path / "peerbot.sqlite3")

    as_json = peerbot(url, tmp_path, "match", "propose-all", "--json")
    as_text = peerbot(url, tmp_path, "match", "propose-all")

    assert as_json.returncode == 0, as_json.stderr
    assert json.loads(as_json.stdout) == {"requests_proposed": 0}
    assert as_text.stdout == "requests proposed: 0\n"
