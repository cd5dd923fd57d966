"""JSON-line logs: one object per record, with level, logger and ids, and no exception text."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from peerbot.bot.log_format import JsonLineFormatter, use_json_lines
from tests.support.cli import run_peerbot


@pytest.fixture
def logged() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    """A logger of its own writing JSON lines into a buffer."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logger = logging.getLogger("peerbot.test_log_format")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    use_json_lines(logger)
    yield logger, stream
    logger.removeHandler(handler)


def lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_a_record_is_one_json_line_with_level_logger_message_and_ids(logged):
    logger, stream = logged

    logger.info("update %s skipped: already processed", 42, extra={"update_id": 42, "chat": 7})
    logger.warning("outbox row %s failed", 9)

    first, second = lines(stream)
    assert first["level"] == "INFO"
    assert first["logger"] == "peerbot.test_log_format"
    assert first["message"] == "update 42 skipped: already processed"
    assert (first["update_id"], first["chat"]) == (42, 7)
    assert str(first["time"]).endswith("+00:00")
    assert (second["level"], second["message"]) == ("WARNING", "outbox row 9 failed")


def test_an_exception_gives_its_type_and_frames_but_not_its_text(logged):
    logger, stream = logged

    try:
        raise ValueError("what the person wrote")
    except ValueError:
        logger.exception("update %s failed", 43)

    [entry] = lines(stream)
    assert entry["exc_type"] == "ValueError"
    assert any("test_log_format.py" in frame for frame in entry["stack"])
    assert "what the person wrote" not in stream.getvalue()


def test_values_json_cannot_hold_are_written_as_text():
    record = logging.makeLogRecord({"msg": "tick", "levelname": "INFO", "path": Path("/x")})

    assert json.loads(JsonLineFormatter().format(record))["path"] == "/x"


def test_the_command_logs_json_lines_when_asked(tmp_path):
    settings = {
        "PEERBOT_LOG_FORMAT": "json",
        "PEERBOT_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'peerbot.sqlite3'}",
    }
    done = run_peerbot("migrate", workdir=tmp_path, settings=settings)

    assert done.returncode == 0, done.stderr
    entries = [json.loads(line) for line in done.stderr.splitlines()]
    assert any(entry["message"].startswith("database is at revision") for entry in entries)
    assert all({"time", "level", "logger", "message"} <= entry.keys() for entry in entries)
