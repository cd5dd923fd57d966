"""The safety net around every update: read what a person sent, commit its red flags first,
and make sure the crisis resources reach them whatever happens next.

Only private chats are screened: the coordinators' group talks about cases, and its words
are not a person's own.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Message, MessageEntity, Update
from telegram.constants import ChatType

from peerbot.bot.context import load_who, remember, service_args
from peerbot.bot.deps import Deps
from peerbot.bot.processing import RETRY_DELAYS, SCREENED, UpdateScope
from peerbot.dialogs.inputs import Input, Press, Text
from peerbot.services.common.context import context_for
from peerbot.services.conversations.actions import SafetyAnswer
from peerbot.services.conversations.callback_data import FlowPress, decode
from peerbot.services.escalations import escalations, safety
from peerbot.services.escalations.safety import Said
from peerbot.services.escalations.screening import Screened
from peerbot.storage import outbox
from peerbot.storage.transient import is_transient

log = logging.getLogger(__name__)


class SafetyNet:
    """The update processor's guard (processing.UpdateGuard)."""

    def __init__(self, deps: Deps) -> None:
        self._deps = deps

    async def screen_first(
        self, session: AsyncSession, update: Update, scope: UpdateScope
    ) -> None:
        """Raise and commit the update's flags in a transaction of their own."""
        said = said_in(update)
        if said is None:  # nothing to screen; flags its work raises are still kept
            scope.cache[SCREENED] = Screened()
            return
        for delay in (*RETRY_DELAYS, None):
            try:
                async with session.begin():
                    sender = await load_who(session, self._deps, update)
                    ctx, who = service_args(session, self._deps, update, sender)
                    scope.cache[SCREENED] = await safety.raise_first(ctx, who, said)
                remember(scope, sender)
                return
            except Exception as error:  # the flag could not be stored: fail safe
                if delay is not None and is_transient(error):
                    await asyncio.sleep(delay)
                    continue
                log.error("update %s not screened: %s", update.update_id, type(error).__name__)
                scope.cache[SCREENED] = Screened(unrecorded=True)
                scope.fail(None)  # nothing is done with words we could not screen
                return

    async def before_commit(self, session: AsyncSession, scope: UpdateScope) -> None:
        """A flagged update's answer carries the crisis resources, whatever handler ran."""
        screened = scope.cache.get(SCREENED)
        if isinstance(screened, Screened) and screened.flagged:
            await self._crisis_resources(session, scope, screened)

    def start_again(self, scope: UpdateScope) -> None:
        """The undone try's reply is gone: the next one gives the crisis resources again."""
        screened = scope.cache.get(SCREENED)
        if isinstance(screened, Screened):
            screened.resources_given = screened.coordinator_told = False
            screened.late.clear()

    async def on_failure(self, session: AsyncSession, scope: UpdateScope) -> None:
        """Raise again what the failed work raised; apologise, after the crisis resources when
        the update was flagged or in doubt."""
        deps = self._deps
        screened = scope.cache.get(SCREENED)
        if isinstance(screened, Screened) and screened.late:  # undone with the update: again
            ctx = context_for(deps, session, deps.clock())
            for escalation in await escalations.raise_late(ctx, screened.late):
                screened.add(escalation.id, escalation.severity)
        if isinstance(screened, Screened) and screened.needs_resources:
            self.start_again(scope)  # all was undone
            await self._crisis_resources(session, scope, screened)
        if scope.chat_id is None:
            return
        texts = self._deps.program.texts
        locale = self._locale(scope)
        await self._send(session, scope.chat_id, texts.get("something_went_wrong", locale))

    async def _crisis_resources(
        self, session: AsyncSession, scope: UpdateScope, screened: Screened
    ) -> None:
        if scope.chat_id is None:
            return
        texts, locale = self._deps.program.texts, self._locale(scope)
        if not screened.resources_given:
            await self._send(session, scope.chat_id, texts.get(screened.crisis_key, locale))
            screened.resources_given = True
        if screened.urgent and not screened.coordinator_told:
            told = texts.get("redflag.coordinator_told", locale)
            await self._send(session, scope.chat_id, told)
            screened.coordinator_told = True

    def _locale(self, scope: UpdateScope) -> str:
        return str(scope.cache.get("locale", self._deps.program.texts.default_locale))

    async def _send(self, session: AsyncSession, chat_id: int, text: str) -> None:
        payload: dict[str, Any] = {"text": text}
        await outbox.enqueue(session, chat_id=chat_id, payload=payload, now=self._deps.clock())


def said_in(update: Update) -> Said | None:
    """What a person wrote or pressed in a private chat; None for anything else."""
    chat = update.effective_chat
    if chat is None or chat.type != ChatType.PRIVATE or update.effective_user is None:
        return None
    if update.callback_query is not None:
        pressed = decode(update.callback_query.data)
        if isinstance(pressed, SafetyAnswer):
            return Said(None, None, safety=pressed)
        answer = _press(update.callback_query.data)
        return Said(None, None, answer) if answer is not None else None
    message = update.message or update.edited_message
    if message is None:
        return None
    edited = update.edited_message is not None
    words, answer = _words(message)
    return Said(
        message.message_id,
        words,
        None if edited else answer,
        forwarded=message.forward_origin is not None,
    )


def _words(message: Message) -> tuple[str | None, Input | None]:
    """The words to screen, and the flow input they are (a command's arguments are none)."""
    if message.text is None:
        return message.caption, None
    entities = message.entities
    if entities and entities[0].type == MessageEntity.BOT_COMMAND and entities[0].offset == 0:
        return message.text[entities[0].length :].strip() or None, None
    return message.text, Text(message.text)


def _press(data: str | None) -> Input | None:
    action = decode(data)
    if isinstance(action, FlowPress):
        return Press(action.step, press_choice(action.choice))
    return None


def press_choice(raw: str) -> int | str:
    """A flow button's choice: an option index, or a word such as "done"."""
    return int(raw) if raw.isdigit() else raw
