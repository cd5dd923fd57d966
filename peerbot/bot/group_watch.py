"""The coordinators' group as this process knows it: followed when Telegram migrates it, whether
its cases can be forum topics, and a private copy for every coordinator of whatever the group
refuses."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Bot
from telegram.error import TelegramError
from telegram.ext import filters

from peerbot.bot import private_copies
from peerbot.bot.deps import Deps
from peerbot.services.cases import relay
from peerbot.services.common.context import ServiceContext, context_for, unit_of_work
from peerbot.services.coordination import group_membership
from peerbot.storage.models import OutboxMessage

log = logging.getLogger(__name__)

WATCH_KEY = "peerbot.group_watch"
TOPIC_METHODS = frozenset(
    {"createForumTopic", "editForumTopic", "closeForumTopic", "reopenForumTopic"}
)
# Words of Telegram's refusals that say topics are off, gone or not ours to manage.
TOPIC_TROUBLE = ("topic", "thread", "forum")


class GroupWatch:
    """Where cards go and which chat the coordinators' handlers listen to, after migrations.

    The settings object is shared by every service context and the coordinator gate, so moving
    its coordinator_chat_id moves new cards and membership checks at once.
    """

    def __init__(self, deps: Deps) -> None:
        self._deps = deps
        self._earlier: set[int] = set()
        self._bot: Bot | None = None
        self._checking: asyncio.Task[bool] | None = None
        configured = deps.settings.coordinator_chat_id
        self.chats = filters.Chat(configured) if configured is not None else filters.Chat()

    @property
    def chat_id(self) -> int | None:
        """The group's chat id now."""
        return self._deps.settings.coordinator_chat_id

    def is_group(self, chat_id: int) -> bool:
        """The coordinators' group, now or before a migration."""
        return chat_id == self.chat_id or chat_id in self._earlier

    def context(self, session: AsyncSession) -> ServiceContext:
        return context_for(self._deps, session, self._deps.clock())

    async def load(self, bot: Bot | None = None) -> None:
        """At start: follow the migrations recorded by an earlier run, and see whether cases
        can be forum topics there."""
        configured = self.chat_id
        async with unit_of_work(self._deps, now=self._deps.clock()) as ctx:
            now = await group_membership.group_in_use(ctx)
        if now is not None and now != configured:
            self._follow(now)
        self._bot = bot or self._bot
        await self.check_topics()

    async def check_topics(self) -> bool:
        """Cases are forum topics when the group is a forum and the bot may manage topics
        (getChat, getChatMember); when Telegram cannot say, the mode stays as it was."""
        settings, chat_id = self._deps.settings, self.chat_id
        if self._bot is None or chat_id is None:
            return settings.case_topics
        try:
            chat = await self._bot.get_chat(chat_id)
            member = await self._bot.get_chat_member(chat_id, self._bot.id)
        except TelegramError as error:
            log.warning("could not see whether the group has topics: %s", type(error).__name__)
            return settings.case_topics
        manages = member.status == "creator" or bool(getattr(member, "can_manage_topics", False))
        allowed = bool(chat.is_forum) and manages
        if allowed != settings.case_topics:
            log.info("cases in the coordinators' group: %s", "topics" if allowed else "replies")
        settings.use_case_topics(allowed)
        return allowed

    def _check_topics_soon(self) -> None:
        """Look again without holding up the caller's transaction."""
        if self._checking is None or self._checking.done():
            self._checking = asyncio.create_task(self.check_topics(), name="group-topics-check")

    async def migrated(self, session: AsyncSession, old_chat_id: int, new_chat_id: int) -> bool:
        """Telegram moved a chat: if it is our group, record it and follow it (cards, commands,
        membership checks); True when it was ours and new."""
        if not await group_membership.record_move(self.context(session), old_chat_id, new_chat_id):
            return False
        self._follow(new_chat_id)
        self._check_topics_soon()  # a supergroup now; a forum only if it was made one
        return True

    async def undeliverable(self, session: AsyncSession, row: OutboxMessage, error: str) -> bool:
        """A message Telegram refused for good: if it was for the group, every coordinator gets
        it privately; a coordinator's message to a case's person is reported in the case's
        thread. True when it was an escalation card."""
        if not self.is_group(row.chat_id):
            if row.dedupe_key is not None:
                blocked = error.startswith("403")
                await relay.not_delivered(self.context(session), row.dedupe_key, blocked=blocked)
            return False
        if row.method in TOPIC_METHODS or any(word in error.lower() for word in TOPIC_TROUBLE):
            self._check_topics_soon()  # topics turned off, or the bot's right taken away
        if row.method in TOPIC_METHODS:
            return False  # a topic's own change: the case's messages still go to the group
        escalation = await private_copies.card_not_delivered(self.context(session), row, error)
        log.warning(
            "outbox row %s could not reach the coordinators' group (%s); sent privately",
            row.id,
            error.split(":", 1)[0],
        )
        return escalation is not None

    def _follow(self, new_chat_id: int) -> None:
        settings = self._deps.settings
        if settings.coordinator_chat_id is not None:
            self._earlier.add(settings.coordinator_chat_id)
        settings.coordinator_chat_id = new_chat_id
        self.chats.add_chat_ids(new_chat_id)
        log.warning(
            "the coordinators' group moved to chat %s (a supergroup); cards follow it. "
            "Update the setting: PEERBOT_COORDINATOR_CHAT_ID=%s",
            new_chat_id,
            new_chat_id,
        )


def watch_from(bot_data: dict[str, Any]) -> GroupWatch:
    """The GroupWatch stored by the coordinators' handlers."""
    watch = bot_data[WATCH_KEY]
    assert isinstance(watch, GroupWatch)
    return watch
