"""The callback context handlers receive: typed access to deps, the update's session and actor."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update
from telegram.ext import CallbackContext, ExtBot

from peerbot.bot.deps import Deps, deps_from
from peerbot.bot.processing import UpdateScope, current_scope
from peerbot.services.context import ServiceContext, Who
from peerbot.storage import conversations, people
from peerbot.storage.enums import Role
from peerbot.storage.models import Person


@dataclass(frozen=True)
class Actor:
    """Who sent the update: their record (if any), roles and the locale to answer in."""

    telegram_user_id: int
    person: Person | None
    roles: frozenset[Role]
    locale: str


class PeerbotContext(
    CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]
):
    """CallbackContext with our dependencies; conversation state lives in the database."""

    @property
    def deps(self) -> Deps:
        return deps_from(self.bot_data)

    @property
    def scope(self) -> UpdateScope:
        return current_scope()

    @property
    def session(self) -> AsyncSession:
        return self.scope.session

    async def actor(self, update: Update) -> Actor:
        """Look the sender up once per update."""
        cached = self.scope.cache.get("actor")
        if isinstance(cached, Actor):
            return cached
        user = update.effective_user
        if user is None:
            raise LookupError("update has no sender")
        person = await people.find_by_telegram_id(self.session, user.id)
        roles = {assignment.role for assignment in person.roles} if person else set()
        if user.id in self.deps.settings.coordinator_ids:
            roles.add(Role.COORDINATOR)
        catalog = self.deps.program.texts
        locale = person.language if person else await self._chosen_locale(update)
        locale = locale or catalog.resolve_locale(user.language_code)
        actor = Actor(user.id, person, frozenset(roles), catalog.resolve_locale(locale))
        self.scope.cache["actor"] = actor
        self.scope.cache["locale"] = actor.locale
        return actor

    async def _chosen_locale(self, update: Update) -> str | None:
        """Before consent a language picked with /language lives on the conversation."""
        if update.effective_chat is None:
            return None
        conversation = await conversations.active_for_chat(self.session, update.effective_chat.id)
        meta = (conversation.state or {}).get("meta", {}) if conversation else {}
        locale = meta.get("locale")
        return locale if isinstance(locale, str) else None

    async def service(self, update: Update) -> tuple[ServiceContext, Who]:
        """The arguments of a service call for this update."""
        actor = await self.actor(update)
        chat = update.effective_chat
        deps = self.deps
        ctx = ServiceContext(
            session=self.session,
            program=deps.program,
            cipher=deps.cipher,
            settings=deps.settings,
            now=deps.clock(),
        )
        user = update.effective_user
        who = Who(
            telegram_user_id=actor.telegram_user_id,
            chat_id=chat.id if chat else actor.telegram_user_id,
            locale=actor.locale,
            person=actor.person,
            first_name=user.first_name if user else None,
            username=user.username if user else None,
        )
        return ctx, who
