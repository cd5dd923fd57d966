"""Records kept by the fake Bot API: files, messages, chats, groups, forum topics and request
log entries."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Protocol


class Member(Protocol):
    """Anyone a group can list (a FakeUser): only the id matters to the group."""

    @property
    def id(self) -> int: ...


@dataclass
class RequestRecord:
    """One Bot API call seen by the fake (status stays None until the answer is sent)."""

    method: str
    params: dict[str, Any]
    time: float
    status: int | None = None
    http_method: str = "POST"
    content_type: str = ""


@dataclass
class StoredFile:
    """An uploaded (or referenced) file, as sendDocument/sendPhoto stored it."""

    file_id: str
    file_unique_id: str
    file_name: str | None
    mime_type: str | None
    size: int
    content: bytes = b""
    width: int = 0
    height: int = 0

    def document_dict(self) -> dict[str, Any]:
        """Telegram Document object."""
        doc: dict[str, Any] = {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": self.size,
        }
        if self.file_name:
            doc["file_name"] = self.file_name
        if self.mime_type:
            doc["mime_type"] = self.mime_type
        return doc

    def photo_sizes(self) -> list[dict[str, Any]]:
        """Telegram PhotoSize list (a single size)."""
        return [
            {
                "file_id": self.file_id,
                "file_unique_id": self.file_unique_id,
                "width": self.width,
                "height": self.height,
                "file_size": self.size,
            }
        ]


class FakeChat:
    """A chat the fake knows about, with its own per-chat message id sequence and transcript."""

    def __init__(self, chat_id: int, chat_type: str, **names: str | None) -> None:
        self.id = chat_id
        self.type = chat_type
        self.names = {key: value for key, value in names.items() if value}
        self.transcript: list[FakeMessage] = []
        self._last_message_id = 0

    def next_message_id(self) -> int:
        """Allocate the next message id in this chat (bot and user messages share it)."""
        self._last_message_id += 1
        return self._last_message_id

    def as_dict(self) -> dict[str, Any]:
        """Telegram Chat object."""
        return {"id": self.id, "type": self.type, **self.names}

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.id} {self.type}>"


class FakeGroup(FakeChat):
    """A group/supergroup with member statuses (creator/administrator/member/left/kicked).

    A supergroup may be a forum (is_forum): its topics are kept by thread id. bot_rights
    narrows what an administrator bot may do (e.g. {"can_manage_topics": False}); an
    administrator has every right it does not name."""

    def __init__(self, chat_id: int, title: str, bot_status: str = "member") -> None:
        super().__init__(
            chat_id, "supergroup" if str(chat_id).startswith("-100") else "group", title=title
        )
        self.title = title
        self.bot_status = bot_status
        self.members: dict[int, str] = {}
        self.bot_rights: dict[str, bool] = {}
        self.is_forum = False
        self.topics: dict[int, ForumTopic] = {}

    def as_dict(self) -> dict[str, Any]:
        """Telegram Chat object (with is_forum for a forum)."""
        return super().as_dict() | ({"is_forum": True} if self.is_forum else {})

    def bot_can(self, right: str) -> bool:
        """Whether the bot holds an administrator right such as "can_manage_topics"."""
        if self.bot_status == "creator":
            return True
        return self.bot_status == "administrator" and self.bot_rights.get(right, True)

    def make_forum(self, enabled: bool = True) -> None:
        """Turn topics on (or off). Message 1 of a forum is its creation, never a topic: the
        General topic has thread id 1, so a topic opened first in a new forum gets 2."""
        self.is_forum = enabled
        self._last_message_id = max(self._last_message_id, 1)

    def topic(self, thread_id: Any) -> ForumTopic | None:
        """The forum topic with this thread id, unless it was deleted."""
        topic = self.topics.get(thread_id) if isinstance(thread_id, int) else None
        return topic if topic is not None and not topic.deleted else None

    def add_member(self, user: Member, status: str = "member") -> None:
        """Put a user in the group with the given status."""
        self.members[user.id] = status

    def remove_member(self, user: Member) -> None:
        """Mark a user as having left the group."""
        self.members[user.id] = "left"

    def ban_member(self, user: Member) -> None:
        """Mark a user as banned ("kicked") from the group."""
        self.members[user.id] = "kicked"

    def status_of(self, user_id: int) -> str:
        """Membership status of a user ("left" when unknown)."""
        return self.members.get(user_id, "left")


# Message fields that make a service message (nothing to copy, not a "bot message").
SERVICE_FIELDS = frozenset({
    "forum_topic_created", "forum_topic_edited", "forum_topic_closed", "forum_topic_reopened",
    "new_chat_members", "left_chat_member", "migrate_to_chat_id", "migrate_from_chat_id",
    "pinned_message", "new_chat_title",
})  # fmt: skip


@dataclass(eq=False)
class ForumTopic:
    """A topic of a forum supergroup; its thread id is the id of the message that opened it."""

    thread_id: int
    name: str
    icon_color: int
    icon_custom_emoji_id: str | None = None
    creator_id: int = 0
    closed: bool = False
    deleted: bool = False
    opening: FakeMessage | None = None  # the forum_topic_created service message

    def as_dict(self) -> dict[str, Any]:
        """Telegram ForumTopic object."""
        data: dict[str, Any] = {
            "message_thread_id": self.thread_id,
            "name": self.name,
            "icon_color": self.icon_color,
        }
        if self.icon_custom_emoji_id:
            data["icon_custom_emoji_id"] = self.icon_custom_emoji_id
        return data


@dataclass(eq=False)
class FakeMessage:
    """A message in a fake chat, sent by the bot (from_bot=True) or by a fake user."""

    chat: FakeChat
    message_id: int
    sender: dict[str, Any]
    from_bot: bool
    method: str | None = None
    text: str | None = None
    entities: list[dict] = field(default_factory=list)
    caption: str | None = None
    caption_entities: list[dict] = field(default_factory=list)
    reply_markup: dict | None = None
    document: StoredFile | None = None
    photo: StoredFile | None = None
    reply_to: FakeMessage | None = None
    date: int = field(default_factory=lambda: int(time.time()))
    edit_date: int | None = None
    edits: list[str | None] = field(default_factory=list)
    deleted: bool = False
    update_id: int | None = None
    # What a person sends besides text: voice, sticker, location, forward_origin, ... (fake_media)
    attachment: dict[str, Any] = field(default_factory=dict)
    # message_thread_id: a forum topic's, or in a supergroup the first message a reply chain
    # answers; topic is set only for messages in a forum topic (is_topic_message).
    thread_id: int | None = None
    topic: ForumTopic | None = None

    @property
    def is_service(self) -> bool:
        """A service message (a topic opened or closed, a member joined, ...)."""
        return not SERVICE_FIELDS.isdisjoint(self.attachment)

    @property
    def replied(self) -> FakeMessage | None:
        """What reply_to_message shows: the message answered, else (in a topic) the topic's
        opening message, as Telegram shows every topic message as a reply to it."""
        if self.reply_to is not None:
            return self.reply_to
        opening = self.topic.opening if self.topic is not None else None
        return opening if opening is not self else None

    @property
    def chat_id(self) -> int:
        """Id of the chat the message is in."""
        return self.chat.id

    @property
    def content(self) -> str:
        """Current text, else caption, else empty string."""
        return self.text if self.text is not None else (self.caption or "")

    @property
    def inline_markup(self) -> dict | None:
        """The attached InlineKeyboardMarkup, if any (the only markup Telegram echoes back)."""
        markup = self.reply_markup
        return markup if markup and "inline_keyboard" in markup else None

    @property
    def inline_buttons(self) -> list[dict]:
        """All inline button objects, row by row."""
        markup = self.inline_markup or {"inline_keyboard": []}
        return [button for row in markup["inline_keyboard"] for button in row]

    @property
    def buttons(self) -> list[str]:
        """Visible texts of the inline buttons, flattened."""
        return [button["text"] for button in self.inline_buttons]

    def to_dict(self, with_reply: bool = True) -> dict[str, Any]:
        """Telegram Message object for the current state of the message."""
        data: dict[str, Any] = {
            "message_id": self.message_id,
            "from": self.sender,
            "chat": self.chat.as_dict(),
            "date": self.date,
        }
        if self.thread_id is not None:
            data["message_thread_id"] = self.thread_id
        if self.topic is not None:
            data["is_topic_message"] = True
        if self.edit_date:
            data["edit_date"] = self.edit_date
        replied = self.replied
        if with_reply and replied is not None:
            data["reply_to_message"] = replied.to_dict(with_reply=False)
        if self.text is not None:
            data["text"] = self.text
        if self.entities:
            data["entities"] = self.entities
        if self.document:
            data["document"] = self.document.document_dict()
        if self.photo:
            data["photo"] = self.photo.photo_sizes()
        if self.caption:
            data["caption"] = self.caption
        if self.caption_entities:
            data["caption_entities"] = self.caption_entities
        if self.inline_markup:
            data["reply_markup"] = self.inline_markup
        data.update(self.attachment)
        return data

    def describe(self) -> str:
        """One transcript line, e.g. `#3 bot: Pick one [Yes | No] (edited 1x)`."""
        who = "bot" if self.from_bot else f"{self.sender.get('first_name')} ({self.sender['id']})"
        where = f"[topic {self.thread_id}] " if self.topic is not None else ""
        line = f"#{self.message_id} {where}{who}: {self.content!r}"
        for name in sorted(SERVICE_FIELDS & self.attachment.keys()):
            line += f" <{name}>"
        if self.document:
            line += f" <document {self.document.file_name}>"
        if self.photo:
            line += " <photo>"
        if self.buttons:
            line += " [" + " | ".join(self.buttons) + "]"
        if self.edits:
            line += f" (edited {len(self.edits)}x)"
        return line + (" (deleted)" if self.deleted else "")
