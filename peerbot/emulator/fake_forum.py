"""Bot API methods on forum topics: createForumTopic, editForumTopic, closeForumTopic,
reopenForumTopic and deleteForumTopic, with the checks and texts Telegram answers.

Each change leaves its service message in the topic (forum_topic_created, whose id is the
topic's thread id, then forum_topic_edited/closed/reopened), as in a Telegram forum; the bot
gets no update for its own actions. Rights: creating needs can_manage_topics; editing,
closing and reopening need it too unless the bot opened the topic; deleting needs
can_delete_messages.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .fake_errors import bad_request
from .fake_models import FakeGroup, ForumTopic
from .fake_topics import TOPIC_ICON_COLORS, topic_name

if TYPE_CHECKING:
    from .fake_world import FakeWorld

NOT_A_FORUM = "the chat is not a forum"
TOPIC_ID_INVALID = "TOPIC_ID_INVALID"
TOPIC_NOT_MODIFIED = "TOPIC_NOT_MODIFIED"


class ForumMethods:
    """createForumTopic, editForumTopic, closeForumTopic, reopenForumTopic, deleteForumTopic."""

    def __init__(self, world: FakeWorld) -> None:
        self.world = world

    def _forum(self, params: dict[str, Any]) -> FakeGroup:
        chat = self.world.api_chat(params.get("chat_id"))
        if not (isinstance(chat, FakeGroup) and chat.is_forum):
            raise bad_request(NOT_A_FORUM)
        return chat

    def _topic(
        self, chat: FakeGroup, params: dict[str, Any], right: str, refusal: str
    ) -> ForumTopic:
        """The topic a call names, if the bot may change it: managing a topic the bot opened
        needs no right, deleting one always needs can_delete_messages."""
        thread_id = params.get("message_thread_id")
        if not isinstance(thread_id, int) or thread_id <= 0:
            raise bad_request("invalid message thread identifier specified")
        topic = chat.topic(thread_id)
        if topic is None:
            raise bad_request(TOPIC_ID_INVALID)
        exempt = right != "can_delete_messages" and topic.creator_id == self.world.bot_id
        if not (chat.bot_can(right) or exempt):
            raise bad_request(refusal)
        return topic

    def _announce(self, chat: FakeGroup, topic: ForumTopic, **field: dict[str, Any]) -> None:
        self.world.add_service_message(chat, topic, self.world.bot_user, **field)

    async def createForumTopic(self, params: dict[str, Any]) -> dict[str, Any]:
        """Open a topic; its opening message's id is the new message_thread_id."""
        chat = self._forum(params)
        if not chat.bot_can("can_manage_topics"):
            raise bad_request("not enough rights to create a topic")
        name = topic_name(params.get("name"), required=True)
        color = params.get("icon_color") or TOPIC_ICON_COLORS[0]
        if color not in TOPIC_ICON_COLORS:
            raise bad_request("invalid icon color specified")
        emoji = str(params.get("icon_custom_emoji_id") or "") or None
        topic = self.world.open_topic(chat, self.world.bot_user, str(name), color, emoji)
        return topic.as_dict()

    async def editForumTopic(self, params: dict[str, Any]) -> bool:
        """Rename a topic or change its icon (an empty name keeps the name)."""
        chat = self._forum(params)
        topic = self._topic(
            chat, params, "can_manage_topics", "not enough rights to edit the topic"
        )
        name = topic_name(params.get("name"), required=False)
        if name is None and "icon_custom_emoji_id" not in params:
            return True  # nothing asked: Telegram does not even ask its servers
        edited: dict[str, Any] = {}
        if name is not None and name != topic.name:
            edited["name"] = topic.name = name
        if "icon_custom_emoji_id" in params:
            emoji = str(params.get("icon_custom_emoji_id") or "") or None
            if emoji != topic.icon_custom_emoji_id:
                topic.icon_custom_emoji_id = emoji
                edited["icon_custom_emoji_id"] = emoji or ""  # "" says the icon was removed
        if not edited:
            raise bad_request(TOPIC_NOT_MODIFIED)
        self._announce(chat, topic, forum_topic_edited=edited)
        return True

    async def closeForumTopic(self, params: dict[str, Any]) -> bool:
        """Close a topic: only administrators who manage topics may write in it then."""
        return self._set_closed(params, closed=True)

    async def reopenForumTopic(self, params: dict[str, Any]) -> bool:
        """Reopen a closed topic."""
        return self._set_closed(params, closed=False)

    def _set_closed(self, params: dict[str, Any], *, closed: bool) -> bool:
        chat = self._forum(params)
        topic = self._topic(
            chat, params, "can_manage_topics", "not enough rights to close or open the topic"
        )
        if topic.closed == closed:
            raise bad_request(TOPIC_NOT_MODIFIED)
        topic.closed = closed
        if closed:
            self._announce(chat, topic, forum_topic_closed={})
        else:
            self._announce(chat, topic, forum_topic_reopened={})
        return True

    async def deleteForumTopic(self, params: dict[str, Any]) -> bool:
        """Delete a topic with all its messages."""
        chat = self._forum(params)
        topic = self._topic(
            chat, params, "can_delete_messages", "not enough rights to delete the topic"
        )
        topic.deleted = True
        for message in chat.transcript:
            if message.topic is topic:
                message.deleted = True
        return True
