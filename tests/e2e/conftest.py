"""Fixtures for end-to-end tests: a fake Bot API server and a way to start the bot."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest

from peerbot.emulator.fake_telegram import FakeBotApi
from tests.support.bot_process import BotProcess


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi() as server:
        yield server


@pytest.fixture
def bot_workdir(tmp_path: Path) -> Path:
    folder = tmp_path / "bot"
    folder.mkdir()
    return folder


# The coordinators' group a bot gets unless a test names its own (or, with
# coordinator_chat_id="", none: set-up mode, tests/e2e/test_setup_mode.py).
DEFAULT_GROUP = -1009990001


@pytest.fixture
def start_bot(api: FakeBotApi, bot_workdir: Path) -> Iterator[Callable[..., BotProcess]]:
    started: list[BotProcess] = []

    def start(**settings: str) -> BotProcess:
        if "coordinator_chat_id" not in settings:
            settings["coordinator_chat_id"] = str(DEFAULT_GROUP)
            if DEFAULT_GROUP not in api.chats:
                api.group(chat_id=DEFAULT_GROUP)
        process = BotProcess(api.url, bot_workdir, **settings).start()
        started.append(process)
        return process

    yield start
    for process in started:
        process.cleanup()
