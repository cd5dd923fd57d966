"""What people send besides plain text: captions, voice notes, stickers, places, contacts,
edits and forwards, as the Bot API's Message objects carry them."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from .tg_entities import detect_entities

if TYPE_CHECKING:
    from .fake_models import FakeMessage
    from .fake_updates import UpdateQueue

# One example object per kind, shaped as the Bot API documents it.
_FILE = {"file_id": "AwACAgQAAxkBAAI", "file_unique_id": "AgAD"}
MEDIA_KINDS: dict[str, Any] = {
    "voice": {**_FILE, "duration": 7, "mime_type": "audio/ogg", "file_size": 21504},
    "audio": {**_FILE, "duration": 95, "mime_type": "audio/mpeg", "file_size": 1520000},
    "video_note": {**_FILE, "length": 240, "duration": 12, "file_size": 480000},
    "video": {**_FILE, "width": 640, "height": 360, "duration": 9, "file_size": 880000},
    "animation": {**_FILE, "width": 320, "height": 240, "duration": 3, "file_size": 90000},
    "sticker": {
        **_FILE,
        "type": "regular",
        "width": 512,
        "height": 512,
        "is_animated": False,
        "is_video": False,
        "emoji": "😢",
    },
    "photo": [{**_FILE, "width": 1280, "height": 960, "file_size": 150000}],
    "document": {**_FILE, "file_name": "note.pdf", "mime_type": "application/pdf"},
    "location": {"latitude": 40.4168, "longitude": -3.7038},
    "contact": {"phone_number": "+34600000000", "first_name": "Ana"},
}
CAPTIONED = frozenset({"photo", "video", "document", "audio", "voice", "animation"})


def media_attachment(kind: str, caption: str | None = None) -> dict[str, Any]:
    """What a voice note, a photo (with or without caption), a sticker, ... carries."""
    if kind not in MEDIA_KINDS:
        raise AssertionError(f"unknown media kind {kind!r}; one of {sorted(MEDIA_KINDS)}")
    if caption is not None and kind not in CAPTIONED:
        raise AssertionError(f"a {kind} cannot carry a caption on Telegram")
    attachment: dict[str, Any] = {kind: MEDIA_KINDS[kind]}
    if caption:
        attachment["caption"] = caption
        entities = detect_entities(caption)
        if entities:
            attachment["caption_entities"] = entities
    return attachment


def forward_attachment(origin_name: str = "Sam") -> dict[str, Any]:
    """What a text forwarded from someone else carries: where it came from."""
    origin = {"type": "hidden_user", "sender_user_name": origin_name, "date": int(time.time())}
    return {"forward_origin": origin}


def edit_text(
    message: FakeMessage, editor_id: int, text: str, updates: UpdateQueue
) -> FakeMessage:
    """A person edits a message they sent: an `edited_message` update with the new text."""
    if message.from_bot or message.sender.get("id") != editor_id:
        raise AssertionError("a user can only edit their own messages")
    message.edits.append(message.text)
    message.text = text
    message.entities = detect_entities(text)
    message.edit_date = int(time.time())
    update = updates.enqueue("edited_message", message.to_dict())
    message.update_id = update["update_id"]
    return message
