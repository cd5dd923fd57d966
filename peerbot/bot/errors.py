"""The one error handler: log ids and the exception type, undo the update, apologise."""

from __future__ import annotations

import logging
import traceback

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update

from peerbot.bot.context import PeerbotContext
from peerbot.bot.deps import Deps
from peerbot.bot.processing import UpdateScope, peek_scope
from peerbot.storage import outbox

log = logging.getLogger(__name__)


async def on_error(update: object, context: PeerbotContext) -> None:
    """Mark the update failed; the processor rolls it back and calls apologise()."""
    error = context.error
    update_id = update.update_id if isinstance(update, Update) else None
    where = _innermost_frame(error)
    log.error("update %s failed: %s at %s", update_id, type(error).__name__, where)
    scope = peek_scope()
    if scope is not None:
        scope.failed = True


def apologiser(deps: Deps):  # type: ignore[no-untyped-def]
    """Build the processor's failure callback: a kind message to the chat, in its language."""

    async def apologise(session: AsyncSession, scope: UpdateScope) -> None:
        if scope.chat_id is None:
            return
        locale = str(scope.cache.get("locale", deps.program.texts.default_locale))
        text = deps.program.texts.get("something_went_wrong", locale)
        await outbox.enqueue(
            session, chat_id=scope.chat_id, payload={"text": text}, now=deps.clock()
        )

    return apologise


def _innermost_frame(error: BaseException | None) -> str:
    """File and line where it broke: enough to debug, and no values that could hold text."""
    if error is None or error.__traceback__ is None:
        return "?"
    frame = traceback.extract_tb(error.__traceback__)[-1]
    return f"{frame.filename.rsplit('/', 1)[-1]}:{frame.lineno} in {frame.name}"
