"""`peerbot retention run` as an operator runs it: a real process on a seeded SQLite file."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta
from pathlib import Path

from peerbot.storage.clock import utcnow
from peerbot.storage.db import create_engine, make_session_factory
from peerbot.storage.enums import SupportRequestStatus
from peerbot.storage.migrate import upgrade_to_head
from tests.support.cli import OPERATOR_CIPHER as CIPHER
from tests.support.cli import operator_command as peerbot
from tests.support.db_inspect import sqlite_rows, sqlite_url
from tests.support.rows import add_person, add_request


async def seed(database_url: str) -> None:
    """A request closed 200 days ago, one still open, and a participant quiet for 25 months."""
    now = utcnow()
    engine = create_engine(database_url)
    try:
        async with make_session_factory(engine)() as session, session.begin():
            active = await add_person(session, CIPHER, "Ana Active")
            active.last_seen_at = now - timedelta(days=1)
            for status, closed_at, words in (
                (SupportRequestStatus.CLOSED, now - timedelta(days=200), "long closed"),
                (SupportRequestStatus.NEW, None, "still open"),
            ):
                await add_request(
                    session,
                    active,
                    status=status,
                    created_at=now - timedelta(days=210),
                    closed_at=closed_at,
                    summary_enc=CIPHER.encrypt(words),
                )
            quiet = await add_person(session, CIPHER, "Quentin Quiet")
            quiet.last_seen_at = now - timedelta(days=25 * 31)
    finally:
        await engine.dispose()


def summaries(database: Path) -> list[str | None]:
    rows = sqlite_rows(database, "SELECT summary_enc FROM support_requests ORDER BY id")
    return [CIPHER.decrypt(row["summary_enc"]) for row in rows]


def test_a_dry_run_then_a_real_run(tmp_path: Path) -> None:
    database = tmp_path / "peerbot.sqlite3"
    url = sqlite_url(database)
    upgrade_to_head(url)
    asyncio.run(seed(url))

    dry = peerbot(url, tmp_path, "retention", "run", "--dry-run")

    assert dry.returncode == 0, dry.stderr
    lines = dry.stdout.splitlines()
    assert lines[0] == "Dry run: nothing was changed."
    assert "  support_requests.summary_enc   would erase 1" in lines
    assert "  answers.value_enc              would erase 0" in lines
    assert lines[-1] == "  people                         would pseudonymize 1"
    assert summaries(database) == ["long closed", "still open"]
    assert sqlite_rows(database, "SELECT action FROM audit_events") == []

    done = peerbot(url, tmp_path, "retention", "run")

    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "Retention applied."
    assert "  support_requests.summary_enc   erased 1" in lines
    assert lines[-1] == "  people                         pseudonymized 1"
    assert summaries(database) == [None, "still open"]
    people = sqlite_rows(database, "SELECT telegram_user_id, status FROM people ORDER BY id")
    assert [row["status"] for row in people] == ["active", "erased"]
    assert people[1]["telegram_user_id"] is None
    actions = {row["action"] for row in sqlite_rows(database, "SELECT action FROM audit_events")}
    assert {"retention.ran", "retention.erased", "retention.pseudonymized"} <= actions
    assert "Quentin" not in done.stdout + done.stderr


def test_the_report_as_json_has_the_texts_counts(tmp_path: Path) -> None:
    database = tmp_path / "peerbot.sqlite3"
    url = sqlite_url(database)
    upgrade_to_head(url)
    asyncio.run(seed(url))

    dry = peerbot(url, tmp_path, "retention", "run", "--dry-run", "--json")

    assert dry.returncode == 0, dry.stderr
    report = json.loads(dry.stdout)
    assert report["dry_run"] is True
    assert report["erased"]["support_requests.summary_enc"] == 1
    assert report["erased"]["answers.value_enc"] == 0
    assert report["values_erased"] == sum(report["erased"].values())
    assert report["pseudonymized"] == 1
    assert datetime.fromisoformat(report["free_text_before"]) < utcnow() - timedelta(days=179)
    assert summaries(database) == ["long closed", "still open"], "a dry run changes nothing"
