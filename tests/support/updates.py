"""Builders for Telegram updates with sensible defaults; ids increase by themselves."""

from __future__ import annotations

import itertools
from typing import Any

from telegram import Update

_update_ids = itertools.count(1)
_message_ids = itertools.count(1)


def message_update(
    chat_id: int,
    text: str,
    *,
    user_id: int | None = None,
    update_id: int | None = None,
    language_code: str = "en",
) -> Update:
    """A text message from a person; commands get their bot_command entity."""
    user_id = user_id if user_id is not None else chat_id
    chat: dict[str, Any] = {"id": chat_id, "type": "private" if chat_id > 0 else "group"}
    if chat_id < 0:
        chat["title"] = "Coordinators"
    message: dict[str, Any] = {
        "message_id": next(_message_ids),
        "date": 1_700_000_000,
        "chat": chat,
        "from": {
            "id": user_id,
            "is_bot": False,
            "first_name": "Sam",
            "language_code": language_code,
        },
        "text": text,
    }
    if text.startswith("/"):
        command = text.split()[0]
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
    data = {
        "update_id": update_id if update_id is not None else next(_update_ids),
        "message": message,
    }
    update = Update.de_json(data, None)
    assert update is not None
    return update
