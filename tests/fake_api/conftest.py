"""Fixtures for the fake Bot API tests: a running server, an httpx client and a PTB Bot."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from telegram import Bot

from peerbot.emulator.fake_telegram import FakeBotApi

TOKEN = "424242:TEST-token_abc"
BOT_ID = 424242


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    """A fake Bot API server on a free port."""
    async with FakeBotApi() as server:
        yield server


@pytest.fixture
async def http(api: FakeBotApi) -> AsyncIterator[httpx.AsyncClient]:
    """Raw httpx client whose base URL is the bot's method root."""
    async with httpx.AsyncClient(base_url=f"{api.url}/bot{TOKEN}/", timeout=10) as client:
        yield client


@pytest.fixture
async def bot(api: FakeBotApi, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Bot]:
    """The real python-telegram-bot client pointed at the fake (base_url gets the token)."""
    # Opt in to timedelta periods so RetryAfter.retry_after does not emit a deprecation warning.
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    async with Bot(TOKEN, base_url=f"{api.url}/bot") as client:
        yield client
