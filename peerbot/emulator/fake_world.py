"""State of the fake Telegram: the bot, users, chats, messages, files and callback queries."""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from .fake_errors import ApiError, bad_request, forbidden
from .fake_models import FakeChat, FakeGroup, FakeMessage, ForumTopic, StoredFile
from .fake_topics import TOPIC_CLOSED, named_topic, place
from .fake_updates import UpdateQueue
from .fake_users import FakeUser

# How long after a press Telegram still takes answerCallbackQuery (it then says the query is
# too old); the Bot API asks for an answer at once, and clients give up after about 15 s.
CALLBACK_ANSWER_SECONDS = 15.0
# Telegram's answer to a send to a user who never wrote to the bot.
CANNOT_INITIATE = "bot can't initiate conversation with a user"


class FakeWorld:
    """Everything the fake Bot API knows; FakeBotApi adds the HTTP server on top."""

    def __init__(
        self,
        *,
        first_user_id: int = 5001,
        first_update_id: int = 100000,
        bot_username: str = "peerbot_test_bot",
        bot_first_name: str = "Peerbot",
        can_read_all_group_messages: bool = False,
    ) -> None:
        self.updates = UpdateQueue(first_update_id)
        self.bot_id = 100000001  # replaced by the digits of the first token used
        self.bot_username = bot_username
        self.bot_first_name = bot_first_name
        self.can_read_all_group_messages = can_read_all_group_messages
        self.users: dict[int, FakeUser] = {}
        self.chats: dict[int, FakeChat] = {}
        self.files: dict[str, StoredFile] = {}
        self.blocked: set[int] = set()
        # Users who never wrote to the bot privately: Telegram lets no bot open that chat.
        self.not_started: set[int] = set()
        self.refusals: dict[int, ApiError] = {}  # chat id -> error (fake_membership)
        self.reply_keyboards: dict[int, dict | None] = {}
        self.callback_queries: dict[str, dict[str, Any]] = {}
        self.callback_answers: dict[str, dict[str, Any]] = {}
        # Telegram takes a button's answer only for a short while after the press.
        self.callback_answer_seconds = CALLBACK_ANSWER_SECONDS
        self._sent: list[FakeMessage] = []
        self._next_user_id = first_user_id
        self._serial = 0

    @property
    def bot_user(self) -> dict[str, Any]:
        """The bot's User object as getMe returns it."""
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": self.can_read_all_group_messages,
            "supports_inline_queries": False,
        }

    @property
    def confirmed_offset(self) -> int:
        """Highest getUpdates offset the bot has sent (0 before any)."""
        return self.updates.confirmed_offset

    def redeliver(self, update_ids: list[int]) -> None:
        """Deliver these (already confirmed) updates again, same ids, on the next getUpdates."""
        self.updates.redeliver(update_ids)

    def pending_updates(self) -> list[dict[str, Any]]:
        """Updates enqueued but not yet confirmed by the bot."""
        return self.updates.pending()

    def serial(self) -> int:
        """A fresh number for ids (callback queries, files)."""
        self._serial += 1
        return self._serial

    # -- people and chats ------------------------------------------------------------------

    def private_user(
        self,
        user_id: int | None = None,
        first_name: str = "Alex",
        language_code: str | None = "en",
        username: str | None = None,
        last_name: str | None = None,
        *,
        started: bool = True,
    ) -> FakeUser:
        """Create a user and their private chat with the bot (chat id == user id).

        started=False: they have not sent /start (nor anything) to the bot yet, so sending to
        them fails with 403 "bot can't initiate conversation with a user" until they write."""
        if user_id is None:
            while self._next_user_id in self.users:
                self._next_user_id += 1
            user_id = self._next_user_id
        user = FakeUser(
            self,
            user_id,
            first_name,
            language_code=language_code,
            username=username,
            last_name=last_name,
        )
        self.users[user_id] = user
        if not started:
            self.not_started.add(user_id)
        self.chats[user_id] = FakeChat(
            user_id, "private", first_name=first_name, last_name=last_name, username=username
        )
        return user

    def group(
        self,
        chat_id: int = -1001234567890,
        title: str = "Coordinators",
        members: Iterable[FakeUser] = (),
        admins: Iterable[FakeUser] = (),
        bot_status: str = "member",
        *,
        forum: bool = False,
        bot_rights: dict[str, bool] | None = None,
    ) -> FakeGroup:
        """Create a group the bot is in; admins get status "administrator".

        forum=True makes the supergroup a forum (topics on); bot_rights takes rights away from
        an administrator bot, e.g. {"can_manage_topics": False}."""
        group = FakeGroup(chat_id, title, bot_status)
        if forum and group.type != "supergroup":
            raise ValueError("only a supergroup (a -100… id) can be a forum; migrate_group first")
        if forum:
            group.make_forum()
        group.bot_rights = dict(bot_rights or {})
        for user in members:
            group.add_member(user)
        for user in admins:
            group.add_member(user, "administrator")
        self.chats[chat_id] = group
        return group

    def resolve_chat(self, ref: Any) -> FakeChat:
        """A FakeChat from a FakeChat, FakeUser (their private chat) or chat id."""
        if isinstance(ref, FakeChat):
            return ref
        chat_id = ref.id if isinstance(ref, FakeUser) else int(ref)
        if chat_id not in self.chats:
            raise KeyError(f"fake Telegram has no chat {chat_id}")
        return self.chats[chat_id]

    def api_chat(self, chat_id: Any) -> FakeChat:
        """Chat for a Bot API chat_id parameter (id or @username); 400 "chat not found"."""
        if isinstance(chat_id, int) and chat_id in self.refusals:
            raise self.refusals[chat_id]
        if isinstance(chat_id, str) and chat_id.startswith("@"):
            wanted = chat_id[1:].lower()
            for chat in self.chats.values():
                if str(chat.names.get("username", "")).lower() == wanted:
                    return chat
        elif isinstance(chat_id, int) and chat_id in self.chats:
            return self.chats[chat_id]
        raise bad_request("chat not found")

    def target_chat(self, params: dict[str, Any]) -> FakeChat:
        """Chat a sending method writes to; 403 if that user blocked the bot."""
        chat = self.api_chat(params.get("chat_id"))
        if chat.type == "private" and chat.id in self.blocked:
            raise forbidden("bot was blocked by the user")
        if chat.type == "private" and chat.id in self.not_started:
            raise forbidden(CANNOT_INITIATE)
        return chat

    # -- messages ----------------------------------------------------------------------------

    def messages(
        self, chat: Any, include_deleted: bool = False, thread_id: int | None = None
    ) -> list[FakeMessage]:
        """The bot's messages in a chat (in one thread, if given), oldest first; service
        messages such as a topic's opening are in the transcript only."""
        return [
            m
            for m in self.resolve_chat(chat).transcript
            if m.from_bot
            and not m.is_service
            and (include_deleted or not m.deleted)
            and (thread_id is None or m.thread_id == thread_id)
        ]

    def sent_messages(self, chat_id: Any = None) -> list[FakeMessage]:
        """Every message the bot created (deleted ones included), optionally in one chat."""
        if chat_id is None:
            return list(self._sent)
        chat = self.resolve_chat(chat_id)
        return [m for m in self._sent if m.chat is chat]

    def find_message(self, chat: FakeChat, message_id: Any) -> FakeMessage | None:
        """A not-deleted message in the chat by id."""
        for message in chat.transcript:
            if message.message_id == message_id and not message.deleted:
                return message
        return None

    def transcript(self, chat: Any) -> str:
        """Readable dump of a chat, used in assertion messages."""
        target = self.resolve_chat(chat)
        lines = [m.describe() for m in target.transcript] or ["(no messages)"]
        return f"chat {target.id} transcript:\n  " + "\n  ".join(lines)

    def add_service_message(
        self, chat: FakeChat, topic: ForumTopic | None, sender: dict[str, Any], **field: Any
    ) -> FakeMessage:
        """Store a service message (forum_topic_created, ...) in the chat, in the topic if any."""
        message = FakeMessage(
            chat,
            chat.next_message_id(),
            sender,
            sender.get("id") == self.bot_id,
            attachment=field,
            thread_id=topic.thread_id if topic is not None else None,
            topic=topic,
        )
        chat.transcript.append(message)
        return message

    def open_topic(
        self,
        chat: FakeGroup,
        sender: dict[str, Any],
        name: str,
        icon_color: int,
        icon_custom_emoji_id: str | None = None,
    ) -> ForumTopic:
        """Open a topic in a forum: the id of its forum_topic_created message is its thread id."""
        created: dict[str, Any] = {"name": name, "icon_color": icon_color}
        if icon_custom_emoji_id:
            created["icon_custom_emoji_id"] = icon_custom_emoji_id
        opening = self.add_service_message(chat, None, sender, forum_topic_created=created)
        topic = ForumTopic(
            opening.message_id,
            name,
            icon_color,
            icon_custom_emoji_id,
            sender["id"],
            opening=opening,
        )
        opening.thread_id, opening.topic = topic.thread_id, topic
        chat.topics[topic.thread_id] = topic
        return topic

    def user_opens_topic(
        self, user: FakeUser, chat: Any, name: str, icon_color: int
    ) -> ForumTopic:
        """An administrator opens a topic by hand; the bot gets its forum_topic_created."""
        group = self.resolve_chat(chat)
        if not (isinstance(group, FakeGroup) and group.is_forum):
            raise AssertionError(f"{group!r} is not a forum")
        if group.status_of(user.id) not in ("creator", "administrator"):
            raise AssertionError(f"{user!r} may not open topics in {group!r}")
        topic = self.open_topic(group, user.as_dict(), name, icon_color)
        opening = topic.opening
        assert opening is not None
        opening.update_id = self.updates.enqueue("message", opening.to_dict())["update_id"]
        return topic

    def add_bot_message(self, chat: FakeChat, method: str, **fields: Any) -> FakeMessage:
        """Store a message the bot sent; tracks the reply keyboard shown in the chat."""
        message = FakeMessage(chat, chat.next_message_id(), self.bot_user, True, method, **fields)
        chat.transcript.append(message)
        self._sent.append(message)
        markup = message.reply_markup or {}
        if "keyboard" in markup:
            self.reply_keyboards[chat.id] = markup
        elif markup.get("remove_keyboard"):
            self.reply_keyboards[chat.id] = None
        return message

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
    ) -> FakeMessage:
        """A user writes in a chat; enqueues a `message` update unless privacy mode hides it.

        The chat defaults to the replied message's, else the private chat; thread_id is a forum
        topic (a reply stays in the topic of the message it answers).
        attachment: what the message carries besides text (fake_media: voice, caption, ...)."""
        if chat is None:
            chat = reply_to.chat if reply_to is not None else user
        target = self.resolve_chat(chat)
        if isinstance(target, FakeGroup) and target.status_of(user.id) in ("left", "kicked"):
            raise AssertionError(f"{user!r} is not a member of {target!r}")
        thread, topic = self._user_thread(user, target, thread_id, reply_to)
        message = FakeMessage(
            target,
            target.next_message_id(),
            user.as_dict(),
            False,
            text=text,
            entities=entities,
            reply_to=reply_to,
            attachment=self._keep_files(attachment or {}),
            thread_id=thread,
            topic=topic,
        )
        target.transcript.append(message)
        if target.id == user.id:  # writing privately starts the chat with the bot
            self.not_started.discard(user.id)
        keyboard = self.reply_keyboards.get(target.id) or {}
        if keyboard.get("one_time_keyboard"):
            self.reply_keyboards[target.id] = None
        if self._bot_sees(target, message):
            message.update_id = self.updates.enqueue("message", message.to_dict())["update_id"]
        return message

    def _user_thread(
        self, user: FakeUser, chat: FakeChat, thread_id: int | None, reply_to: FakeMessage | None
    ) -> tuple[int | None, ForumTopic | None]:
        """Where a person's message goes; what no Telegram app lets them do fails the test."""
        if reply_to is not None and (reply_to.chat is not chat or reply_to.deleted):
            raise AssertionError(f"{user!r} cannot reply to #{reply_to.message_id} in {chat!r}")
        try:
            topic = named_topic(chat, thread_id)
        except ApiError:
            raise AssertionError(f"{chat!r} has no topic {thread_id}") from None
        if topic is not None and reply_to is not None and reply_to.topic not in (None, topic):
            raise AssertionError(f"#{reply_to.message_id} is in another topic than {thread_id}")
        thread, topic = place(chat, topic, reply_to)
        is_admin = isinstance(chat, FakeGroup) and chat.status_of(user.id) in (
            "creator",
            "administrator",
        )
        if topic is not None and topic.closed and not is_admin:
            raise AssertionError(f"{user!r} cannot write in closed topic {thread}: {TOPIC_CLOSED}")
        return thread, topic

    def _keep_files(self, attachment: dict[str, Any]) -> dict[str, Any]:
        """Give a person's photo or document a file_id of its own, which the bot may send again
        (sendPhoto/sendDocument with that id), as it may on Telegram."""
        kept = dict(attachment)
        if isinstance(kept.get("document"), dict):
            doc, number = kept["document"], self.serial()
            stored = StoredFile(
                f"BQACAgIAAxkBAAI{number:012d}",
                f"AgADu{number:07d}",
                doc.get("file_name"),
                doc.get("mime_type"),
                int(doc.get("file_size", 0)),
            )
            self.files[stored.file_id] = stored
            kept["document"] = stored.document_dict()
        if isinstance(kept.get("photo"), list) and kept["photo"]:
            size, number = kept["photo"][-1], self.serial()
            stored = StoredFile(
                f"AgACAgIAAxkBAAI{number:012d}",
                f"AQADu{number:07d}",
                None,
                None,
                int(size.get("file_size", 0)),
                width=int(size.get("width", 0)),
                height=int(size.get("height", 0)),
            )
            self.files[stored.file_id] = stored
            kept["photo"] = stored.photo_sizes()
        return kept

    def _bot_sees(self, chat: FakeChat, message: FakeMessage) -> bool:
        """Privacy mode: in groups a non-admin bot sees only commands, replies and mentions."""
        if not isinstance(chat, FakeGroup) or self.can_read_all_group_messages:
            return True
        if chat.bot_status in ("administrator", "creator"):
            return True
        if message.reply_to is not None and message.reply_to.from_bot:
            return True
        text = message.text or ""
        if any(e["type"] == "bot_command" and e["offset"] == 0 for e in message.entities):
            addressee = text.split()[0].partition("@")[2]
            return not addressee or addressee.lower() == self.bot_username.lower()
        return f"@{self.bot_username.lower()}" in text.lower()

    # -- inline buttons --------------------------------------------------------------------

    def user_press(self, user: FakeUser, text: str, message: FakeMessage | None, chat: Any) -> str:
        """Find the inline button and enqueue its callback_query; returns the query id."""
        target = message.chat if message else self.resolve_chat(chat if chat is not None else user)
        candidates = [message] if message else list(reversed(self.messages(target)))
        candidates = [m for m in candidates if m.inline_buttons]
        found = self._find_button(candidates, text)
        if found is None:
            listing = "\n  ".join(f"#{m.message_id}: {m.buttons}" for m in candidates[:5])
            raise AssertionError(
                f"no inline button {text!r} in chat {target.id}; visible "
                f"buttons (newest first):\n  {listing or '(none)'}"
            )
        owner, button = found
        if "callback_data" not in button:
            raise AssertionError(f"button {button['text']!r} has no callback_data: {button}")
        return self.forge_press(user, owner, button["callback_data"])

    def forge_press(self, user: FakeUser, message: FakeMessage, data: str) -> str:
        """A callback_query with any data on any bot message, as a modified client can send."""
        target = message.chat
        query_id = str(4_000_000_000_000_000_000 + self.serial())
        payload = {
            "id": query_id,
            "from": user.as_dict(),
            "message": message.to_dict(),
            "chat_instance": str(8_000_000_000_000_000_000 + abs(target.id)),
            "data": data,
        }
        self.callback_queries[query_id] = {
            "answered": False,
            "asked_at": time.monotonic(),
            "user_id": user.id,
            "message": message,
        }
        self.updates.enqueue("callback_query", payload)
        return query_id

    @staticmethod
    def _find_button(messages: list[FakeMessage], text: str) -> tuple[FakeMessage, dict] | None:
        for message in messages:
            for button in message.inline_buttons:
                if button["text"] == text:
                    return message, button
        for message in messages:
            partial = [b for b in message.inline_buttons if text.lower() in b["text"].lower()]
            if len(partial) > 1:
                raise AssertionError(
                    f"button text {text!r} is ambiguous in message "
                    f"#{message.message_id}: {message.buttons}"
                )
            if partial:
                return message, partial[0]
        return None
