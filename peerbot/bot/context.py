"""The callback context handlers receive: typed access to deps, the update's session and sender."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update
from telegram.ext import CallbackContext, ExtBot

from peerbot.bot.deps import Deps, deps_from
from peerbot.bot.processing import SCREENED, UpdateScope, current_scope
from peerbot.services.common.context import ServiceContext, Who, context_for
from peerbot.services.escalations.screening import Screened
from peerbot.storage import conversations, people
from peerbot.storage.enums import Role

WHO = "who"  # scope.cache: the sender, looked up once per update


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

    async def who(self, update: Update) -> Who:
        """Look the sender up once per update."""
        cached = self.scope.cache.get(WHO)
        if isinstance(cached, Who):
            return cached
        who = await load_who(self.session, self.deps, update)
        remember(self.scope, who)
        return who

    async def service(self, update: Update) -> tuple[ServiceContext, Who]:
        """The arguments of a service call for this update."""
        who = await self.who(update)
        screened = self.scope.cache.get(SCREENED)
        return service_args(
            self.session,
            self.deps,
            update,
            who,
            screened=screened if isinstance(screened, Screened) else None,
        )


def remember(scope: UpdateScope, who: Who) -> None:
    """Keep the sender for the rest of the update, and the language to answer in."""
    scope.cache[WHO] = who
    scope.cache["locale"] = who.locale


async def load_who(session: AsyncSession, deps: Deps, update: Update) -> Who:
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
    chat = update.effective_chat
    return Who(
        telegram_user_id=user.id,
        chat_id=chat.id if chat else user.id,
        locale=catalog.resolve_locale(locale),
        person=person,
        first_name=user.first_name,
        username=user.username,
        roles=frozenset(roles),
    )


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
    who: Who,
    *,
    screened: Screened | None = None,
) -> tuple[ServiceContext, Who]:
    """A service call's context and its own copy of the sender, for this update."""
    ctx = context_for(deps, session, deps.clock(), update_id=update.update_id, screened=screened)
    return ctx, replace(who)
