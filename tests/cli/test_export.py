"""`peerbot export` as an operator runs it: a real process, settings from the environment."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from pathlib import Path

import pytest

from peerbot.services.program_view.disclosure import Disclosure
from peerbot.storage.db import create_engine, make_session_factory
from peerbot.storage.migrate import upgrade_to_head
from tests.support.cli import OPERATOR_CIPHER, operator_command
from tests.support.rows import add_intake_answer, add_person, add_request, consent_row

CIPHER = OPERATOR_CIPHER
SHOWN = Disclosure(CIPHER)
TELEGRAM_ID = 8_420_000_017


async def seed(database_url: str) -> tuple[str, str]:
    """One person with evaluation consent and one request; returns (request code, pseudonym)."""
    engine = create_engine(database_url)
    try:
        async with make_session_factory(engine)() as session, session.begin():
            person = await add_person(
                session, CIPHER, "Ada Lovelace", telegram_user_id=TELEGRAM_ID
            )
            session.add(consent_row(person))
            summary = CIPHER.encrypt("the summary, in confidence")
            request = await add_request(session, person, summary_enc=summary)
            await add_intake_answer(session, request, "who_for", "myself")
            return request.code, person.pseudonym
    finally:
        await engine.dispose()


@pytest.fixture
def migrated(database_url: str) -> str:
    upgrade_to_head(database_url)
    return database_url


peerbot = operator_command


def test_export_writes_json_lines_to_stdout(migrated: str, tmp_path: Path) -> None:
    code, pseudonym = asyncio.run(seed(migrated))

    done = peerbot(migrated, tmp_path, "export", "requests", "--format", "jsonl")

    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert [(row["request"], row["person"]) for row in rows] == [
        (SHOWN.code(code), SHOWN.code(pseudonym))
    ]
    assert rows[0]["answers"] == {"who_for": "myself"}
    assert str(TELEGRAM_ID) not in done.stdout
    assert "in confidence" not in done.stdout
    assert "left out" not in done.stderr


def test_export_says_how_many_rows_it_left_out(migrated: str, tmp_path: Path) -> None:
    asyncio.run(seed(migrated))
    asyncio.run(seed_without_consent(migrated))

    done = peerbot(migrated, tmp_path, "export", "requests", "--format", "jsonl")

    assert done.returncode == 0, done.stderr
    assert len(done.stdout.splitlines()) == 1
    assert "1 requests rows left out: their person has not consented" in done.stderr


async def seed_without_consent(database_url: str) -> None:
    """A second person who never consented to evaluation use, with a request."""
    engine = create_engine(database_url)
    try:
        async with make_session_factory(engine)() as session, session.begin():
            person = await add_person(
                session, CIPHER, "Bo Brown", telegram_user_id=TELEGRAM_ID + 1
            )
            await add_request(session, person)
    finally:
        await engine.dispose()


def test_export_out_writes_a_file(migrated: str, tmp_path: Path) -> None:
    code, _ = asyncio.run(seed(migrated))
    out = tmp_path / "requests.csv"

    done = peerbot(
        migrated,
        tmp_path,
        "export",
        "requests",
        "--format",
        "csv",
        "--include-free-text",
        "--out",
        str(out),
    )

    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    # utf-8-sig: Excel reads the file as UTF-8 only after its byte order mark
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"), newline="")))
    assert [(row["request"], row["summary"]) for row in rows] == [
        (SHOWN.code(code), "the summary, in confidence")
    ]
    assert out.stat().st_mode & 0o077 == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["requests.csv"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["requests", "--format", "xml"], "invalid choice: 'xml'"),
        (["requests"], "the following arguments are required: --format"),
        (["people", "--format", "csv"], "invalid choice: 'people'"),
        (["requests", "--format", "csv", "--bogus"], "unrecognized arguments: --bogus"),
        (
            ["consents", "--format", "csv", "--include-free-text"],
            "requests, notes and feedback only",
        ),
        (["requests", "--format", "csv", "--out", "missing/x.csv"], "does not exist"),
    ],
)
def test_a_bad_argument_exits_2_with_one_line(
    tmp_path: Path, args: list[str], message: str
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'peerbot.sqlite3'}"

    done = peerbot(url, tmp_path, "export", *args)

    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1, done.stderr
    assert message in done.stderr


def test_an_unmigrated_database_fails_in_one_line_and_leaves_no_file(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'peerbot.sqlite3'}"
    out = tmp_path / "requests.jsonl"

    done = peerbot(url, tmp_path, "export", "requests", "--format", "jsonl", "--out", str(out))

    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        "peerbot export: (sqlite3.OperationalError) no such table: support_requests "
        "(is the database migrated?)"
    ]
    assert not out.exists()
    assert not list(tmp_path.glob(".*partial"))
