"""Messages to the coordinators' group, always through the outbox, in the program's language."""

from __future__ import annotations

from peerbot.services.context import ServiceContext
from peerbot.storage import outbox
from peerbot.storage.outbox import Priority


def coordinator_locale(ctx: ServiceContext) -> str:
    return ctx.program.texts.default_locale


def text(ctx: ServiceContext, key: str, **values: object) -> str:
    """A text in the coordinators' language."""
    return ctx.program.texts.get(key, coordinator_locale(ctx), **values)


async def post_card(
    ctx: ServiceContext, key: str, *, priority: int, dedupe_key: str, **values: object
) -> bool:
    """Queue a card for the coordinators' group; False when no group is configured."""
    chat_id = ctx.settings.coordinator_chat_id
    if chat_id is None:
        return False
    await outbox.enqueue(
        ctx.session,
        chat_id=chat_id,
        payload={"text": text(ctx, key, **values)},
        now=ctx.now,
        priority=priority,
        dedupe_key=dedupe_key,
    )
    return True


__all__ = ["Priority", "coordinator_locale", "post_card", "text"]
