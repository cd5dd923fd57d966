"""Turn a stored outbox payload (plain JSON) into the matching python-telegram-bot call."""

from __future__ import annotations

import base64
import functools
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    ForceReply,
    ForumTopic,
    InlineKeyboardMarkup,
    InputFile,
    Message,
    MessageId,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    ReplyParameters,
)
from telegram.error import RetryAfter

Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove | ForceReply


def retry_after_seconds(error: RetryAfter) -> float:
    """Telegram's retry_after as seconds, whichever type this library version gives."""
    value = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class UnsupportedMethod(ValueError):
    """The outbox holds a method this adapter does not send."""


def markup_from_json(data: dict[str, Any] | None, bot: Bot) -> Markup | None:
    """Rebuild a reply markup object from its Bot API JSON."""
    if data is None:
        return None
    if "inline_keyboard" in data:
        return InlineKeyboardMarkup.de_json(data, bot)
    if "keyboard" in data:
        return ReplyKeyboardMarkup.de_json(data, bot)
    if data.get("remove_keyboard"):
        return ReplyKeyboardRemove(selective=data.get("selective"))
    if data.get("force_reply"):
        return ForceReply.de_json(data, bot)
    raise UnsupportedMethod("unknown reply_markup shape")


def _file(data: dict[str, Any]) -> InputFile | str:
    """A stored file is either a Telegram file_id or {filename, content_b64}."""
    if "file_id" in data:
        return str(data["file_id"])
    return InputFile(base64.b64decode(data["content_b64"]), filename=data["filename"])


def _prepare(bot: Bot, payload: dict[str, Any]) -> dict[str, Any]:
    kwargs = dict(payload)
    if "reply_markup" in kwargs:
        kwargs["reply_markup"] = markup_from_json(kwargs["reply_markup"], bot)
    if "reply_parameters" in kwargs:
        kwargs["reply_parameters"] = ReplyParameters.de_json(kwargs["reply_parameters"], bot)
    for key in ("document", "photo"):
        if key in kwargs:
            kwargs[key] = _file(kwargs[key])
    return kwargs


async def _set_chat_commands(
    bot: Bot, *, chat_id: int, commands: list[dict[str, str]], language_code: str | None = None
) -> bool:
    """One chat's own command menu (e.g. a supporter's), over the default menu."""
    return await bot.set_my_commands(
        [BotCommand(c["command"], c["description"]) for c in commands],
        scope=BotCommandScopeChat(chat_id),
        language_code=language_code,
    )


_METHODS: dict[str, Callable[[Bot], Callable[..., Awaitable[Any]]]] = {
    "sendMessage": lambda bot: bot.send_message,
    "editMessageText": lambda bot: bot.edit_message_text,
    "editMessageReplyMarkup": lambda bot: bot.edit_message_reply_markup,
    "deleteMessage": lambda bot: bot.delete_message,
    "sendDocument": lambda bot: bot.send_document,
    "sendPhoto": lambda bot: bot.send_photo,
    "copyMessage": lambda bot: bot.copy_message,
    "createForumTopic": lambda bot: bot.create_forum_topic,
    "editForumTopic": lambda bot: bot.edit_forum_topic,
    "closeForumTopic": lambda bot: bot.close_forum_topic,
    "reopenForumTopic": lambda bot: bot.reopen_forum_topic,
    "setMyCommands": lambda bot: functools.partial(_set_chat_commands, bot),
}


async def call_bot_api(bot: Bot, method: str, chat_id: int, payload: dict[str, Any]) -> int | None:
    """Send one stored message; return Telegram's message id when the answer carries one (a
    new forum topic's: its message_thread_id)."""
    if method not in _METHODS:
        raise UnsupportedMethod(method)
    result = await _METHODS[method](bot)(chat_id=chat_id, **_prepare(bot, payload))
    if isinstance(result, ForumTopic):
        return result.message_thread_id
    return result.message_id if isinstance(result, Message | MessageId) else None
