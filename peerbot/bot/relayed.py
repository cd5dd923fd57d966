"""What a Telegram message carries for a case relay: its words, or a photo or document by
the file id Telegram gave it, with its caption."""

from __future__ import annotations

from telegram import Message

from peerbot.services.cases.relay import Written
from peerbot.storage.enums import CaseMessageKind


def written_in(message: Message) -> Written:
    """The message as the relay takes it (the largest size of a photo)."""
    if message.photo:
        photo = message.photo[-1].file_id
        return Written(CaseMessageKind.PHOTO, message.caption, photo, message.message_id)
    if message.document is not None:
        document = message.document.file_id
        return Written(CaseMessageKind.DOCUMENT, message.caption, document, message.message_id)
    return Written(CaseMessageKind.TEXT, message.text or "", None, message.message_id)
