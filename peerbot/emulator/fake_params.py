"""Decode Bot API call parameters the way Telegram does: query, JSON, urlencoded or multipart.

Form bodies (what PTB sends) carry every value as a string: objects are JSON text, numbers are
digits and booleans are "true"/"false", so values are converted by parameter name.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .fake_errors import bad_request

if TYPE_CHECKING:  # the HTTP server only; the in-process emulator needs no aiohttp
    from aiohttp import web

JSON_PARAMS = frozenset({
    "reply_markup", "entities", "caption_entities", "allowed_updates", "commands", "scope",
    "reply_parameters", "link_preview_options", "media", "results", "permissions",
})  # fmt: skip
INT_PARAMS = frozenset({
    "message_id", "offset", "limit", "user_id", "reply_to_message_id", "message_thread_id",
    "max_connections", "cache_time", "until_date", "icon_color",
})  # fmt: skip
FLOAT_PARAMS = frozenset({"timeout"})
BOOL_PARAMS = frozenset({
    "disable_notification", "protect_content", "show_alert", "drop_pending_updates",
    "disable_web_page_preview", "allow_sending_without_reply", "has_spoiler",
    "disable_content_type_detection", "only_if_banned", "revoke_messages", "is_personal",
    "allow_paid_broadcast", "show_caption_above_media",
})  # fmt: skip
CHAT_ID_PARAMS = frozenset({"chat_id", "from_chat_id"})
_JSON_ERRORS = {"reply_markup": "can't parse reply keyboard markup JSON object"}
_INT_RE = re.compile(r"-?\d+")


@dataclass
class UploadedFile:
    """One multipart file part (e.g. PTB's `document` upload)."""

    field: str
    filename: str | None
    content_type: str | None
    data: bytes

    def __repr__(self) -> str:
        return f"UploadedFile({self.field!r}, {self.filename!r}, {len(self.data)} bytes)"


async def read_params(request: web.Request) -> dict[str, Any]:
    """All call parameters from the query string and body, converted to Python values."""
    params: dict[str, Any] = dict(request.query)
    if request.can_read_body:
        params.update(await _read_body(request))
    return convert_params(params)


async def _read_body(request: web.Request) -> dict[str, Any]:
    ctype = request.content_type
    if ctype == "application/json":
        try:
            body = json.loads(await request.read() or b"{}")
        except ValueError as exc:
            raise bad_request("can't parse JSON encoded request body") from exc
        if not isinstance(body, dict):
            raise bad_request("request body must be a JSON object")
        return body
    if ctype.startswith("multipart/"):
        return await _read_multipart(request)
    return dict(await request.post())


async def _read_multipart(request: web.Request) -> dict[str, Any]:
    from aiohttp import BodyPartReader

    values: dict[str, Any] = {}
    reader = await request.multipart()
    async for part in reader:
        if not isinstance(part, BodyPartReader) or part.name is None:
            continue
        if part.filename is not None:
            data = bytes(await part.read())
            ctype = part.headers.get("Content-Type")
            values[part.name] = UploadedFile(part.name, part.filename, ctype, data)
        else:
            values[part.name] = await part.text()
    return values


def _convert(key: str, value: Any) -> Any:
    if not isinstance(value, str):
        return value
    if key in JSON_PARAMS:
        try:
            return json.loads(value)
        except ValueError as exc:
            raise bad_request(_JSON_ERRORS.get(key, f"can't parse {key} JSON object")) from exc
    if key in CHAT_ID_PARAMS:
        return int(value) if _INT_RE.fullmatch(value.strip()) else value
    if key in INT_PARAMS:
        if not _INT_RE.fullmatch(value.strip()):
            raise bad_request(f"invalid {key} specified")
        return int(value)
    if key in FLOAT_PARAMS:
        try:
            return float(value)
        except ValueError as exc:
            raise bad_request(f"invalid {key} specified") from exc
    if key in BOOL_PARAMS:
        return value.strip().lower() in ("true", "1")
    return value


def convert_params(params: dict[str, Any]) -> dict[str, Any]:
    """Form-style values (strings, JSON text) as Python values, as read_params gives them."""
    return {key: _convert(key, value) for key, value in params.items()}
