"""Bot API methods that create or change messages: send*, copyMessage, edit*, delete, callback
answers; sends go to a forum topic (message_thread_id) and answer a message (reply_parameters)."""

from __future__ import annotations

import struct
import time
from typing import TYPE_CHECKING, Any

from .fake_errors import bad_request
from .fake_markup import validate_markup
from .fake_models import FakeChat, FakeGroup, FakeMessage, StoredFile
from .fake_params import UploadedFile
from .fake_topics import TOPIC_CLOSED, named_topic, place
from .tg_text import caption_text, message_text

if TYPE_CHECKING:
    from .fake_world import FakeWorld

NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)
QUERY_INVALID = "query is too old and response timeout expired or query ID is invalid"
CHAT_ACTIONS = frozenset({
    "typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
    "upload_document", "choose_sticker", "find_location", "record_video_note",
    "upload_video_note",
})  # fmt: skip


def _image_size(data: bytes) -> tuple[int, int]:
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
        return struct.unpack(">II", data[16:24])
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return struct.unpack("<HH", data[6:10])
    return 512, 512


# What a copy keeps of a message besides text, caption and the bot's own files.
_NOT_COPIED = frozenset({"caption", "caption_entities", "forward_origin"})


class SendMethods:
    """sendMessage, copyMessage, editMessageText, editMessageReplyMarkup, editMessageCaption,
    deleteMessage, sendDocument, sendPhoto, sendChatAction, answerCallbackQuery."""

    def __init__(self, world: FakeWorld) -> None:
        self.world = world

    def _placement(self, chat: FakeChat, params: dict[str, Any]) -> dict[str, Any]:
        """reply_to, thread_id and topic of a new message, checked as the Bot API does: the
        message to reply to, then the thread, then (when sending) whether the topic is open."""
        reply_to = self._reply_target(chat, params)
        named = named_topic(chat, params.get("message_thread_id"))
        thread_id, topic = place(chat, named, reply_to)
        manages = isinstance(chat, FakeGroup) and chat.bot_can("can_manage_topics")
        if topic is not None and topic.closed and not manages:
            raise bad_request(TOPIC_CLOSED)
        return {"reply_to": reply_to, "thread_id": thread_id, "topic": topic}

    def _reply_target(self, chat: FakeChat, params: dict[str, Any]) -> FakeMessage | None:
        reply = params.get("reply_parameters") or {}
        message_id = reply.get("message_id", params.get("reply_to_message_id"))
        if message_id is None:
            return None
        target = self.world.find_message(chat, message_id)
        lenient = reply.get("allow_sending_without_reply") or params.get(
            "allow_sending_without_reply"
        )
        if target is None and not lenient:
            raise bad_request("message to be replied not found")
        return target

    async def sendMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        """Send a text message."""
        chat = self.world.target_chat(params)
        text, entities = message_text(params)
        markup = validate_markup(params.get("reply_markup"))
        return self.world.add_bot_message(
            chat,
            "sendMessage",
            text=text,
            entities=entities,
            reply_markup=markup,
            **self._placement(chat, params),
        ).to_dict()

    async def copyMessage(self, params: dict[str, Any]) -> dict[str, int]:
        """Send a copy of any message the bot can see (no link to the original); a caption
        given replaces the copied one ("" removes it). Returns the new MessageId."""
        caption, caption_entities = caption_text(params)
        markup = validate_markup(params.get("reply_markup"))
        source_chat = self.world.api_chat(params.get("from_chat_id"))
        source = self.world.find_message(source_chat, params.get("message_id"))
        # A message privacy mode kept from the bot is as unknown to it as a missing one.
        if source is None or (not source.from_bot and source.update_id is None):
            raise bad_request("message to copy not found")
        if source.is_service:
            raise bad_request("message can't be copied")
        chat = self.world.target_chat(params)
        placement = self._placement(chat, params)
        attachment = {k: v for k, v in source.attachment.items() if k not in _NOT_COPIED}
        fields: dict[str, Any] = {"text": source.text, "entities": list(source.entities)}
        if source.text is None:
            fields["caption"] = source.caption or source.attachment.get("caption")
            fields["caption_entities"] = list(
                source.caption_entities or source.attachment.get("caption_entities", [])
            )
            if "caption" in params:
                fields["caption"], fields["caption_entities"] = caption, caption_entities
        copy = self.world.add_bot_message(
            chat,
            "copyMessage",
            **fields,
            document=source.document,
            photo=source.photo,
            attachment=attachment,
            reply_markup=markup,
            **placement,
        )
        return {"message_id": copy.message_id}

    def _own_message(self, params: dict[str, Any]) -> FakeMessage:
        if "chat_id" not in params and params.get("inline_message_id"):
            raise bad_request("MESSAGE_ID_INVALID")
        chat = self.world.api_chat(params.get("chat_id"))
        message = self.world.find_message(chat, params.get("message_id"))
        if message is None:
            raise bad_request("message to edit not found")
        if not message.from_bot:
            raise bad_request("message can't be edited")
        return message

    @staticmethod
    def _apply_markup(message: FakeMessage, markup: dict | None) -> None:
        # An edit without reply_markup removes an inline keyboard (not a reply keyboard).
        if markup is not None or message.inline_markup is not None:
            message.reply_markup = markup

    async def editMessageText(self, params: dict[str, Any]) -> dict[str, Any]:
        """Edit a bot message's text (and inline keyboard: omitted means removed)."""
        message = self._own_message(params)
        text, entities = message_text(params)
        markup = validate_markup(params.get("reply_markup"), inline_only=True)
        if message.text is None:
            raise bad_request("there is no text in the message to edit")
        if (text, entities, markup) == (message.text, message.entities, message.inline_markup):
            raise bad_request(NOT_MODIFIED)
        message.edits.append(message.text)
        message.text, message.entities = text, entities
        self._apply_markup(message, markup)
        message.edit_date = int(time.time())
        return message.to_dict()

    async def editMessageCaption(self, params: dict[str, Any]) -> dict[str, Any]:
        """Edit a bot media message's caption."""
        message = self._own_message(params)
        caption, entities = caption_text(params)
        markup = validate_markup(params.get("reply_markup"), inline_only=True)
        if message.text is not None:
            raise bad_request("there is no caption in the message to edit")
        if (caption, entities, markup) == (
            message.caption,
            message.caption_entities,
            message.inline_markup,
        ):
            raise bad_request(NOT_MODIFIED)
        message.edits.append(message.caption)
        message.caption, message.caption_entities = caption, entities
        self._apply_markup(message, markup)
        message.edit_date = int(time.time())
        return message.to_dict()

    async def editMessageReplyMarkup(self, params: dict[str, Any]) -> dict[str, Any]:
        """Replace (or remove, when omitted) a bot message's inline keyboard."""
        message = self._own_message(params)
        markup = validate_markup(params.get("reply_markup"), inline_only=True)
        if markup == message.inline_markup:
            raise bad_request(NOT_MODIFIED)
        self._apply_markup(message, markup)
        message.edit_date = int(time.time())
        return message.to_dict()

    async def deleteMessage(self, params: dict[str, Any]) -> bool:
        """Delete a message (own ones, any in private chats, others' only as group admin)."""
        chat = self.world.api_chat(params.get("chat_id"))
        message = self.world.find_message(chat, params.get("message_id"))
        if message is None:
            raise bad_request("message to delete not found")
        is_admin = isinstance(chat, FakeGroup) and chat.bot_status in ("administrator", "creator")
        if not (message.from_bot or chat.type == "private" or is_admin):
            raise bad_request("message can't be deleted")
        message.deleted = True
        return True

    async def sendChatAction(self, params: dict[str, Any]) -> bool:
        """Show a chat action such as "typing" (in a forum, in the topic given)."""
        chat = self.world.target_chat(params)
        if params.get("action") not in CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        if isinstance(chat, FakeGroup) and chat.is_forum:
            named_topic(chat, params.get("message_thread_id"))
        return True

    async def answerCallbackQuery(self, params: dict[str, Any]) -> bool:
        """Answer a callback query once; unknown or repeated ids fail like on Telegram."""
        query_id = str(params.get("callback_query_id", ""))
        query = self.world.callback_queries.get(query_id)
        if query is None or query["answered"]:
            raise bad_request(QUERY_INVALID)
        if time.monotonic() - query["asked_at"] > self.world.callback_answer_seconds:
            raise bad_request(QUERY_INVALID)  # too old: e.g. a press replayed after a restart
        query["answered"] = True
        self.world.callback_answers[query_id] = params
        return True

    async def sendDocument(self, params: dict[str, Any]) -> dict[str, Any]:
        """Send a file (multipart upload, file_id or URL)."""
        return self._send_file(params, "document", "sendDocument")

    async def sendPhoto(self, params: dict[str, Any]) -> dict[str, Any]:
        """Send a photo (multipart upload, file_id or URL)."""
        return self._send_file(params, "photo", "sendPhoto")

    def _send_file(self, params: dict[str, Any], kind: str, method: str) -> dict[str, Any]:
        chat = self.world.target_chat(params)
        caption, entities = caption_text(params)
        markup = validate_markup(params.get("reply_markup"))
        placement = self._placement(chat, params)
        stored = self._store_file(params, kind)
        return self.world.add_bot_message(
            chat,
            method,
            caption=caption,
            caption_entities=entities,
            reply_markup=markup,
            **placement,
            **{kind: stored},
        ).to_dict()

    def _store_file(self, params: dict[str, Any], kind: str) -> StoredFile:
        value = params.get(kind)
        if isinstance(value, str) and value.startswith("attach://"):
            value = params.get(value.removeprefix("attach://"))
        if isinstance(value, UploadedFile):
            if not value.data:
                raise bad_request("file must be non-empty")
            return self._new_file(kind, value.filename, value.content_type, value.data)
        if not isinstance(value, str) or not value:
            raise bad_request(f"there is no {kind} in the request")
        if value in self.world.files:
            return self.world.files[value]
        if value.startswith(("http://", "https://")):
            name = value.rstrip("/").rpartition("/")[2] or None
            return self._new_file(kind, name, None, b"")
        raise bad_request("wrong file identifier/HTTP URL specified")

    def _new_file(self, kind: str, name: str | None, mime: str | None, data: bytes) -> StoredFile:
        number = self.world.serial()
        prefix = "BQACAgIAAxkDAAI" if kind == "document" else "AgACAgIAAxkDAAI"
        width, height = _image_size(data) if kind == "photo" else (0, 0)
        stored = StoredFile(
            f"{prefix}{number:012d}",
            f"AgAD{number:08d}",
            name if kind == "document" else None,
            mime if kind == "document" else None,
            len(data),
            data,
            width,
            height,
        )
        self.world.files[stored.file_id] = stored
        return stored
