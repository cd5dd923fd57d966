"""Service contexts for tests that call services directly, wired to the real renderer, the
dependencies a caller opens units of work from, and what a service's reply shows once
rendered."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from peerbot.bot.deps import Deps
from peerbot.bot.queue import RenderingOutbox
from peerbot.bot.render import Renderer
from peerbot.config import Settings, load_settings
from peerbot.dialogs.texts import TextCatalog
from peerbot.program import ProgramData, load_program
from peerbot.services.common.context import ServiceContext
from peerbot.services.conversations.shown import Reply
from peerbot.storage.crypto import FieldCipher


def service_context(
    session: AsyncSession,
    program: ProgramData,
    cipher: FieldCipher,
    settings: Settings,
    now: datetime,
    **extra: Any,
) -> ServiceContext:
    """A unit of work's context on a session the test has opened (and will commit)."""
    outbox = RenderingOutbox(session, program.texts, now)
    return ServiceContext(session, program, cipher, settings, now, outbox=outbox, **extra)


def context_with_settings(session: AsyncSession, now: datetime, **settings: Any) -> ServiceContext:
    """A unit of work's context with the built-in program, a fresh key and these settings."""
    cipher = FieldCipher(FieldCipher.generate_key())
    return service_context(session, _built_in_program(), cipher, load_settings(**settings), now)


def caller_deps(sessions: async_sessionmaker[AsyncSession], cipher: FieldCipher) -> Deps:
    """What a caller (a tick, a CLI command) opens units of work from, on the test database:
    its settings, the built-in program and this cipher."""
    engine = sessions.kw["bind"]
    return Deps(
        settings=load_settings(database_url=str(engine.url)),
        engine=engine,
        sessions=sessions,
        program=_built_in_program(),
        cipher=cipher,
    )


@cache
def _built_in_program() -> ProgramData:
    return load_program()


def rendered_texts(texts: TextCatalog, reply: Reply) -> list[str]:
    """The texts a reply shows once rendered (edits of a pressed message included)."""
    deliveries = Renderer(texts, reply.locale, pressed_message_id=1).render(reply)
    return [str(d.payload["text"]) for d in deliveries if "text" in d.payload]
