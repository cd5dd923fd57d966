"""Service contexts for tests that call services directly, wired to the real renderer, and
what a service's reply shows once rendered."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from peerbot.bot.queue import RenderingOutbox
from peerbot.bot.render import Renderer
from peerbot.config import Settings
from peerbot.dialogs.texts import TextCatalog
from peerbot.program import ProgramData
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


def rendered_texts(texts: TextCatalog, reply: Reply) -> list[str]:
    """The texts a reply shows once rendered (edits of a pressed message included)."""
    deliveries = Renderer(texts, reply.locale, pressed_message_id=1).render(reply)
    return [str(d.payload["text"]) for d in deliveries if "text" in d.payload]
