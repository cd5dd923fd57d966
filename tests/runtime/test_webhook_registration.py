"""setWebhook is called once for all replicas, and again only when what was registered changed."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from peerbot.bot.app import PeerbotApplication, build_application
from peerbot.bot.deps import Deps
from peerbot.emulator.fake_telegram import FakeBotApi
from peerbot.runtime.runner import WEBHOOK_REGISTERED, register_webhook
from peerbot.storage.models import AuditEvent
from tests.support.supporter_steps import CIPHER, PROGRAM, settings

URL = "https://bot.example.org/telegram"
TOKEN = "123456:registration-test"


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi() as server:
        yield server


@pytest.fixture
def replica(
    api: FakeBotApi, engine: AsyncEngine, session_factory: async_sessionmaker[AsyncSession]
) -> Callable[..., Deps]:
    def deps(**overrides: str) -> Deps:
        values = {"webhook_url": URL, "webhook_secret": "first_secret", **overrides}
        return Deps(
            settings=settings(
                bot_token=TOKEN,
                telegram_api_url=api.url,
                database_url=engine.url.render_as_string(hide_password=False),
                **values,
            ),
            engine=engine,
            sessions=session_factory,
            program=PROGRAM,
            cipher=CIPHER,
        )

    return deps


async def register(deps: Deps) -> bool:
    application: PeerbotApplication = build_application(deps)
    await application.initialize()
    try:
        return await register_webhook(application, deps)
    finally:
        await application.shutdown()


async def test_registered_once_then_again_only_when_the_secret_or_url_changes(
    api: FakeBotApi,
    replica: Callable[..., Deps],
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    assert await register(replica()) is True
    assert await register(replica()) is False  # a second replica, or a restart: nothing to do
    assert await register(replica(webhook_secret="second_secret")) is True
    assert await register(replica(webhook_url=URL + "2", webhook_secret="second_secret")) is True

    calls = api.calls("setWebhook")
    assert [call.params["secret_token"] for call in calls] == [
        "first_secret",
        "second_secret",
        "second_secret",
    ]
    assert calls[-1].params["url"] == URL + "2"
    async with session_factory() as session:
        recorded = (
            await session.scalars(
                select(AuditEvent.details).where(AuditEvent.action == WEBHOOK_REGISTERED)
            )
        ).all()
    assert len(recorded) == 3
    for details in recorded:
        assert set(details) == {"fingerprint"}
        assert "first_secret" not in str(details) and "second_secret" not in str(details)
