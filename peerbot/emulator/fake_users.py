"""FakeUser: a person in the fake Telegram who sends texts, commands and media (in private,
in groups, in forum topics, as replies), opens topics and presses buttons."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol

from . import fake_media
from .tg_entities import detect_entities, utf16_len

if TYPE_CHECKING:
    from .fake_models import FakeChat, FakeMessage, ForumTopic
    from .fake_updates import UpdateQueue


class UserWorld(Protocol):
    """What a person reaches of the fake Telegram (a FakeWorld), named here so users need
    not import the world that creates them."""

    @property
    def bot_username(self) -> str: ...

    @property
    def chats(self) -> Mapping[int, FakeChat]: ...

    @property
    def reply_keyboards(self) -> Mapping[int, dict | None]: ...

    @property
    def updates(self) -> UpdateQueue: ...

    def user_message(
        self,
        user: FakeUser,
        chat: Any,
        text: str | None,
        entities: list[dict],
        reply_to: FakeMessage | None,
        *,
        attachment: dict[str, Any] | None = None,
        thread_id: int | None = None,
    ) -> FakeMessage: ...

    def user_press(
        self, user: FakeUser, text: str, message: FakeMessage | None, chat: Any
    ) -> str: ...

    def user_opens_topic(
        self, user: FakeUser, chat: Any, name: str, icon_color: int
    ) -> ForumTopic: ...

    def messages(self, chat: Any, include_deleted: bool = False) -> list[FakeMessage]: ...

    def resolve_chat(self, ref: Any) -> FakeChat: ...


class FakeUser:
    """A human Telegram user; chat defaults to the private chat with the bot."""

    def __init__(
        self,
        world: UserWorld,
        user_id: int,
        first_name: str,
        *,
        language_code: str | None = "en",
        username: str | None = None,
        last_name: str | None = None,
    ) -> None:
        self.world = world
        self.id = user_id
        self.first_name = first_name
        self.last_name = last_name
        self.username = username
        self.language_code = language_code

    @property
    def chat_id(self) -> int:
        """Id of the private chat with the bot (equal to the user id)."""
        return self.id

    @property
    def private_chat(self) -> FakeChat:
        """The private chat with the bot."""
        return self.world.chats[self.id]

    def as_dict(self) -> dict[str, Any]:
        """Telegram User object."""
        data: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        for key in ("last_name", "username", "language_code"):
            if getattr(self, key):
                data[key] = getattr(self, key)
        return data

    async def send_text(
        self,
        text: str,
        chat: Any = None,
        reply_to: FakeMessage | None = None,
        *,
        thread_id: int | None = None,
    ) -> FakeMessage:
        """Send a text message (enqueues a `message` update unless privacy mode hides it).

        chat defaults to reply_to's chat, else the private chat; thread_id writes in a forum
        topic (a reply stays in the topic of the message it answers)."""
        return self.world.user_message(
            self, chat, text, detect_entities(text), reply_to, thread_id=thread_id
        )

    async def send_command(
        self,
        command: str,
        args: str = "",
        chat: Any = None,
        mention: bool = False,
        *,
        thread_id: int | None = None,
    ) -> FakeMessage:
        """Send "/command args" (with "@botname" when mention=True) with a bot_command entity."""
        name = command.lstrip("/")
        head = f"/{name}@{self.world.bot_username}" if mention else f"/{name}"
        text = f"{head} {args}" if args else head
        entities = [{"type": "bot_command", "offset": 0, "length": utf16_len(head)}]
        entities += [e for e in detect_entities(text) if e["offset"] >= utf16_len(head)]
        return self.world.user_message(self, chat, text, entities, None, thread_id=thread_id)

    async def send_media(
        self,
        kind: str,
        caption: str | None = None,
        chat: Any = None,
        reply_to: FakeMessage | None = None,
        *,
        thread_id: int | None = None,
    ) -> FakeMessage:
        """Send a voice note, photo, document, sticker, location, contact, ... (see fake_media),
        where send_text would; a photo or document gets a file_id the bot may send again."""
        attachment = fake_media.media_attachment(kind, caption)
        return self.world.user_message(
            self, chat, None, [], reply_to, attachment=attachment, thread_id=thread_id
        )

    async def open_topic(self, chat: Any, name: str, icon_color: int = 0x6FB9F0) -> ForumTopic:
        """As an administrator of a forum, open a topic by hand (the bot gets the service
        message); write in it with send_text(..., chat=chat, thread_id=topic.thread_id)."""
        return self.world.user_opens_topic(self, chat, name, icon_color)

    async def forward_text(self, text: str) -> FakeMessage:
        """Forward someone else's text message to the bot."""
        attachment = fake_media.forward_attachment()
        return self.world.user_message(
            self, None, text, detect_entities(text), None, attachment=attachment
        )

    async def edit_text(self, message: FakeMessage, text: str) -> FakeMessage:
        """Edit a message this user sent (an edited_message update)."""
        return fake_media.edit_text(message, self.id, text, self.world.updates)

    async def press(
        self, button_text: str, message: FakeMessage | None = None, chat: Any = None
    ) -> str:
        """Press an inline button by visible text; enqueues a callback_query, returns its id."""
        return self.world.user_press(self, button_text, message, chat)

    def messages(self, chat: Any = None, include_deleted: bool = False) -> list[FakeMessage]:
        """The bot's messages in the chat (private chat by default)."""
        return self.world.messages(chat if chat is not None else self, include_deleted)

    def last_message(self, chat: Any = None) -> FakeMessage | None:
        """The bot's newest (not deleted) message in the chat, or None."""
        found = self.messages(chat)
        return found[-1] if found else None

    def keyboard(self, chat: Any = None) -> list[str]:
        """Button texts of the reply keyboard currently shown to this user in the chat."""
        target = self.world.resolve_chat(chat if chat is not None else self)
        markup = self.world.reply_keyboards.get(target.id) or {"keyboard": []}
        return [b if isinstance(b, str) else b["text"] for row in markup["keyboard"] for b in row]

    def __repr__(self) -> str:
        return f"<FakeUser {self.id} {self.first_name!r}>"
