"""What people send besides plain text: captions, voice notes, stickers, places, contacts,
edits and forwards, as the Bot API's Message objects carry them."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .fake_models import FakeMessage
    from .fake_users import FakeUser

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


def send_media(user: FakeUser, kind: str, caption: str | None = None) -> FakeMessage:
    """The user sends a voice note, a photo (with or without caption), a sticker, ..."""
    if kind not in MEDIA_KINDS:
        raise AssertionError(f"unknown media kind {kind!r}; one of {sorted(MEDIA_KINDS)}")
    if caption is not None and kind not in CAPTIONED:
        raise AssertionError(f"a {kind} cannot carry a caption on Telegram")
    from .fake_users import detect_entities  # fake_users imports this module

    attachment: dict[str, Any] = {kind: MEDIA_KINDS[kind]}
    if caption:
        attachment["caption"] = caption
        entities = detect_entities(caption)
        if entities:
            attachment["caption_entities"] = entities
    return user.world.user_message(user, None, None, [], None, attachment=attachment)


def forward_text(user: FakeUser, text: str, *, origin_name: str = "Sam") -> FakeMessage:
    """The user forwards someone else's text message into the chat with the bot."""
    from .fake_users import detect_entities  # fake_users imports this module

    origin = {"type": "hidden_user", "sender_user_name": origin_name, "date": int(time.time())}
    attachment = {"forward_origin": origin}
    return user.world.user_message(
        user, None, text, detect_entities(text), None, attachment=attachment
    )


def edit_text(user: FakeUser, message: FakeMessage, text: str) -> FakeMessage:
    """The user edits a message they sent: an `edited_message` update with the new text."""
    if message.from_bot or message.sender.get("id") != user.id:
        raise AssertionError("a user can only edit their own messages")
    from .fake_users import detect_entities  # fake_users imports this module

    message.edits.append(message.text)
    message.text = text
    message.entities = detect_entities(text)
    message.edit_date = int(time.time())
    update = user.world.updates.enqueue("edited_message", message.to_dict())
    message.update_id = update["update_id"]
    return message
