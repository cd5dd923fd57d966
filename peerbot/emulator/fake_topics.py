"""Where a new message goes in a chat: which forum topic or reply thread, as Telegram decides it.

The Bot API takes message_thread_id only for a forum topic: any other thread (the General
topic, a reply chain of a plain supergroup, a private chat) is "message thread not found".
Without one, a reply goes to the topic of the message it answers; in a supergroup a reply
outside topics carries the id of the first message of its reply chain as message_thread_id
(and no is_topic_message), which is why bots must check is_topic_message.
"""

from __future__ import annotations

from typing import Any

from .fake_errors import bad_request
from .fake_models import FakeChat, FakeGroup, FakeMessage, ForumTopic

THREAD_NOT_FOUND = "message thread not found"
TOPIC_CLOSED = "TOPIC_CLOSED"
# The only fallback icon colours Telegram allows (the Bot API documents the same list).
TOPIC_ICON_COLORS = (0x6FB9F0, 0xFFD67E, 0xCB86DB, 0x8EEE98, 0xFF93B2, 0xFB6F5F)
TOPIC_NAME_LIMIT = 128


def named_topic(chat: FakeChat, thread_id: Any) -> ForumTopic | None:
    """The topic a message_thread_id names (None when absent or 0); 400 unless it is a live
    topic of a forum."""
    if thread_id is None or (isinstance(thread_id, int) and thread_id <= 0):
        return None
    topic = chat.topic(thread_id) if isinstance(chat, FakeGroup) and chat.is_forum else None
    if topic is None:
        raise bad_request(THREAD_NOT_FOUND)
    return topic


def place(
    chat: FakeChat, topic: ForumTopic | None, reply_to: FakeMessage | None
) -> tuple[int | None, ForumTopic | None]:
    """(message_thread_id, topic) of a new message in `chat`, given the topic it was sent to
    and the message it answers."""
    if topic is None and reply_to is not None and reply_to.topic is not None:
        topic = reply_to.topic if not reply_to.topic.deleted else None
    if topic is not None:
        return topic.thread_id, topic
    if reply_to is not None and chat.type == "supergroup":
        return reply_to.thread_id or reply_to.message_id, None
    return None, None


def topic_name(value: Any, *, required: bool) -> str | None:
    """A topic name as Telegram keeps it: trimmed and cut to 128 characters; an empty one is
    refused where a name is required and means "keep the name" otherwise."""
    name = str(value or "").strip()[:TOPIC_NAME_LIMIT]
    if not name:
        if required:
            raise bad_request("title must be non-empty")
        return None
    return name
