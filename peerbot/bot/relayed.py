"""What a Telegram message carries for a case relay: its words, or a photo, document or voice
note by the file id Telegram gave it, with its caption (the relay copies the message itself)."""

from __future__ import annotations

from telegram import Message

from peerbot.services.cases.relay import Written
from peerbot.storage.enums import CaseMessageKind


def written_in(message: Message) -> Written:
    """The message as the relay takes it (the largest size of a photo)."""
    files = (
        (CaseMessageKind.PHOTO, message.photo[-1] if message.photo else None),
        (CaseMessageKind.DOCUMENT, message.document),
        (CaseMessageKind.VOICE, message.voice),
    )
    for kind, file in files:
        if file is not None:
            return Written(kind, message.caption, file.file_id, message.message_id)
    return Written(CaseMessageKind.TEXT, message.text or "", None, message.message_id)
