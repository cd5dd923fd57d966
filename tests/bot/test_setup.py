"""Set-up mode's guard: an update that fails still leaves a person the crisis resources."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from peerbot.bot.deps import Deps
from peerbot.bot.handlers.setup import SetupGuard
from peerbot.bot.processing import UpdateScope
from peerbot.config import load_settings
from peerbot.program import load_program
from peerbot.storage.crypto import FieldCipher
from peerbot.storage.models import OutboxMessage

NOW = datetime(2026, 4, 1, 12, 0, tzinfo=UTC)
PROGRAM = load_program()


def guard(engine, session_factory) -> SetupGuard:
    settings = load_settings(bot_token="1:test", database_url=str(engine.url))
    assert settings.setup_mode
    deps = Deps(
        settings=settings,
        engine=engine,
        sessions=session_factory,
        program=PROGRAM,
        cipher=FieldCipher(FieldCipher.generate_key()),
        clock=lambda: NOW,
    )
    return SetupGuard(deps)


@pytest.mark.parametrize("locale", ["en", "es"])
async def test_a_failed_private_update_still_says_not_open_with_the_crisis_resources(
    engine, session_factory, locale
):
    async with session_factory() as session, session.begin():
        scope = UpdateScope(update_id=1, session=session, chat_id=5001)
        scope.cache["locale"] = locale
        await guard(engine, session_factory).on_failure(session, scope)
    async with session_factory() as session:
        (row,) = (await session.scalars(select(OutboxMessage))).all()
    texts = PROGRAM.texts
    assert row.chat_id == 5001
    assert row.payload["text"].startswith(texts.get("setup.not_open", locale))
    assert row.payload["text"].endswith(texts.get("crisis.resources", locale))


async def test_a_failed_group_update_is_not_answered(engine, session_factory):
    async with session_factory() as session, session.begin():
        scope = UpdateScope(update_id=1, session=session, chat_id=-1001)
        await guard(engine, session_factory).on_failure(session, scope)
    async with session_factory() as session:
        assert (await session.scalars(select(OutboxMessage))).all() == []
