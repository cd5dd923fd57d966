"""Validation of reply_markup objects the way Telegram checks them."""

from __future__ import annotations

from typing import Any

from .fake_errors import bad_request

_INLINE_ACTIONS = frozenset({
    "callback_data", "url", "web_app", "login_url", "switch_inline_query", "pay",
    "switch_inline_query_current_chat", "switch_inline_query_chosen_chat", "copy_text",
    "callback_game",
})  # fmt: skip
_MARKUP_JSON_ERROR = "can't parse reply keyboard markup JSON object"
MAX_BUTTONS = 100


def validate_markup(markup: Any, inline_only: bool = False) -> dict | None:
    """Check any reply_markup (or only InlineKeyboardMarkup); returns it or None."""
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise bad_request(_MARKUP_JSON_ERROR)
    if "inline_keyboard" in markup:
        _check_rows(markup["inline_keyboard"], _check_inline_button)
    elif inline_only:
        raise bad_request("inline keyboard expected")
    elif "keyboard" in markup:
        _check_rows(markup["keyboard"], _check_reply_button)
    elif markup.get("remove_keyboard") is not True and markup.get("force_reply") is not True:
        raise bad_request(_MARKUP_JSON_ERROR)
    return markup


def _check_rows(rows: Any, check_button: Any) -> None:
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request("can't parse keyboard: field must be an Array of Arrays")
    if sum(len(row) for row in rows) > MAX_BUTTONS:
        raise bad_request("reply markup is too long")
    for row in rows:
        for button in row:
            check_button(button)


def _check_inline_button(button: Any) -> None:
    if not isinstance(button, dict) or not isinstance(button.get("text"), str):
        raise bad_request(
            'can\'t parse inline keyboard button: Field "text" must be of type String'
        )
    if not button["text"]:
        raise bad_request("can't parse inline keyboard button: Text must be non-empty")
    actions = _INLINE_ACTIONS & button.keys()
    if not actions:
        raise bad_request(
            "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
        )
    if "callback_data" in button:
        data = button["callback_data"]
        if not isinstance(data, str) or not 1 <= len(data.encode("utf-8")) <= 64:
            raise bad_request("BUTTON_DATA_INVALID")
    if "url" in button and not str(button["url"]).startswith(("http://", "https://", "tg://")):
        raise bad_request(
            f"inline keyboard button URL '{button['url']}' is invalid: Wrong HTTP URL"
        )


def _check_reply_button(button: Any) -> None:
    text = button.get("text") if isinstance(button, dict) else button
    if not isinstance(text, str) or not text:
        raise bad_request("can't parse keyboard button: Text must be non-empty")
