"""A card the coordinators' group refuses for good, copied to each coordinator privately.

The copy is made from the rendered outbox row (Telegram's shape, so it lives beside the
sender): the text cut to Telegram's limits, its inline buttons kept, and a note appended.
It is queued in the same transaction that marks the card failed.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from typing import Any

from peerbot.services.common.context import ServiceContext
from peerbot.services.coordination import coordinators, group_delivery
from peerbot.storage import audit, outbox
from peerbot.storage.models import OutboxMessage
from peerbot.storage.outbox import Priority

COPY_PREFIX = "undelivered:"  # dedupe keys of private copies: a copy is never copied again
TEXT_LIMIT = 4096  # Telegram's, in UTF-16 code units after entity parsing
CAPTION_LIMIT = 1024
_ESCALATION_CARD = re.compile(r"escalation:(\d+):(?:raised|reraised)(?::\d+)?")
_TAG = re.compile(r"<[^>]*>")


def escalation_of(dedupe_key: str | None) -> int | None:
    """The escalation a queued card is about (its raised or re-raised card), else None."""
    found = _ESCALATION_CARD.fullmatch(dedupe_key or "")
    return int(found.group(1)) if found else None


async def card_not_delivered(ctx: ServiceContext, row: OutboxMessage, error: str) -> int | None:
    """Copy a group message Telegram will never accept to every coordinator privately.

    Returns the escalation id when the message was an escalation card. A copy is sent as a
    new private message (no reply to a group message) with the same buttons, its text trimmed
    to what Telegram accepts, and a line saying why it came privately.
    """
    if (row.dedupe_key or "").startswith(COPY_PREFIX):
        return None  # a private copy that failed in turn is not copied again
    chats = await coordinators.coordinator_chats(ctx)
    locales = await group_delivery.coordinator_locales(ctx, chats)
    for chat_id in chats:
        note = ctx.program.texts.get("delivery.private_copy", locales[chat_id])
        await outbox.enqueue(
            ctx.session,
            chat_id=chat_id,
            payload=private_copy(row.method, row.payload or {}, note),
            now=ctx.now,
            method=row.method,
            priority=min(row.priority, Priority.ESCALATION),
            dedupe_key=f"{COPY_PREFIX}{row.id}:{chat_id}",
        )
    escalation_id = escalation_of(row.dedupe_key)
    undelivered = group_delivery.UNDELIVERED, group_delivery.GROUP_UNDELIVERED
    await audit.record(
        ctx.session,
        undelivered[0] if escalation_id is not None else undelivered[1],
        now=ctx.now,
        escalation_id=escalation_id,
        outbox_id=row.id,
        error=error[:80],  # Telegram's description: never message text
        copies=len(chats),
    )
    return escalation_id


def private_copy(method: str, payload: Mapping[str, Any], note: str) -> dict[str, Any]:
    """The group message as a private one: no reply or thread of the group, only inline
    buttons, the note appended, and the text cut to Telegram's limit (as plain text when cut,
    so no markup is left half open)."""
    copy = {
        key: value
        for key, value in payload.items()
        if key not in ("reply_to_message_id", "reply_parameters", "message_thread_id")
    }
    markup = copy.get("reply_markup")
    if not (isinstance(markup, Mapping) and "inline_keyboard" in markup):
        copy.pop("reply_markup", None)
    field, limit = ("text", TEXT_LIMIT) if method == "sendMessage" else ("caption", CAPTION_LIMIT)
    body = copy.get(field)
    if not isinstance(body, str):
        return copy
    parse_mode = str(copy.get("parse_mode") or "").upper()
    if parse_mode not in ("", "HTML"):  # Markdown would need its own escaping: leave the note out
        note = ""
    tail = f"\n\n{html.escape(note, quote=False) if parse_mode else note}" if note else ""
    if _utf16_len(body + tail) <= limit:
        copy[field] = body + tail
        return copy
    if parse_mode:
        body = html.unescape(_TAG.sub("", body))
        tail = f"\n\n{note}" if note else ""
        copy.pop("parse_mode", None)
    copy.pop("entities" if field == "text" else "caption_entities", None)
    copy[field] = _cut(body, limit - _utf16_len(tail) - 1) + "…" + tail
    return copy


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _cut(text: str, units: int) -> str:
    """The longest start of text within this many UTF-16 code units (never half a pair)."""
    if _utf16_len(text) <= units:
        return text
    out, used = [], 0
    for char in text:
        size = 2 if ord(char) > 0xFFFF else 1
        if used + size > units:
            break
        out.append(char)
        used += size
    return "".join(out)
