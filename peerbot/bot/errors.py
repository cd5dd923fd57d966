"""The one error handler: log ids and the exception type, and mark the update failed.

The update processor then undoes the update, tries it again after a passing database fault,
or apologises (bot/safety.py, with the crisis resources when its words were flagged).
"""

from __future__ import annotations

import logging
import traceback

from telegram import Update

from peerbot.bot.context import PeerbotContext
from peerbot.bot.processing import peek_scope

log = logging.getLogger(__name__)


async def on_error(update: object, context: PeerbotContext) -> None:
    """Mark the update failed, if the error is its own.

    A task the update started (answering a button press) may fail after or beside it;
    such an error is logged and never undoes the update.
    """
    error = context.error
    where = _innermost_frame(error)
    scope = peek_scope()
    if not isinstance(update, Update) or scope is None or scope.update_id != update.update_id:
        log.warning("background task failed: %s at %s", type(error).__name__, where)
        return
    log.error("update %s failed: %s at %s", update.update_id, type(error).__name__, where)
    scope.fail(error)


def _innermost_frame(error: BaseException | None) -> str:
    """File and line where it broke: enough to debug, and no values that could hold text."""
    if error is None or error.__traceback__ is None:
        return "?"
    frame = traceback.extract_tb(error.__traceback__)[-1]
    return f"{frame.filename.rsplit('/', 1)[-1]}:{frame.lineno} in {frame.name}"
