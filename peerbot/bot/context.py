"""The callback context handlers receive: typed access to deps, the update's session and actor."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update
from telegram.ext import CallbackContext, ExtBot

from peerbot.bot.deps import Deps, deps_from
from peerbot.bot.processing import SCREENED, UpdateScope, current_scope
from peerbot.services.common.context import ServiceContext, Who
from peerbot.services.escalations.screening import Screened
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
        actor = await load_actor(self.session, self.deps, update)
        self.scope.cache["actor"] = actor
        self.scope.cache["locale"] = actor.locale
        return actor

    async def service(self, update: Update) -> tuple[ServiceContext, Who]:
        """The arguments of a service call for this update."""
        actor = await self.actor(update)
        screened = self.scope.cache.get(SCREENED)
        return service_args(
            self.session,
            self.deps,
            update,
            actor,
            screened=screened if isinstance(screened, Screened) else None,
        )


async def load_actor(session: AsyncSession, deps: Deps, update: Update) -> Actor:
    """The sender's record, roles and language."""
    user = update.effective_user
    if user is None:
        raise LookupError("update has no sender")
    person = await people.find_by_telegram_id(session, user.id)
    roles = {assignment.role for assignment in person.roles} if person else set()
    if user.id in deps.settings.coordinator_ids:
        roles.add(Role.COORDINATOR)
    catalog = deps.program.texts
    locale = person.language if person else await _chosen_locale(session, update)
    locale = locale or catalog.resolve_locale(user.language_code)
    return Actor(user.id, person, frozenset(roles), catalog.resolve_locale(locale))


async def _chosen_locale(session: AsyncSession, update: Update) -> str | None:
    """Before consent a language picked with /language lives on the conversation."""
    if update.effective_chat is None:
        return None
    conversation = await conversations.active_for_chat(session, update.effective_chat.id)
    meta = (conversation.state or {}).get("meta", {}) if conversation else {}
    locale = meta.get("locale")
    return locale if isinstance(locale, str) else None


def service_args(
    session: AsyncSession,
    deps: Deps,
    update: Update,
    actor: Actor,
    *,
    screened: Screened | None = None,
) -> tuple[ServiceContext, Who]:
    """A service call's context and the person writing, for this update."""
    ctx = ServiceContext(
        session=session,
        program=deps.program,
        cipher=deps.cipher,
        settings=deps.settings,
        now=deps.clock(),
        update_id=update.update_id,
        screened=screened,
    )
    chat = update.effective_chat
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
