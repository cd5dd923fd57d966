"""Fixtures for the command tests: the fake Bot API that `check-config --online` asks."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from peerbot.emulator.fake_telegram import FakeBotApi


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    """A fake Bot API server on a free port."""
    async with FakeBotApi() as server:
        yield server
