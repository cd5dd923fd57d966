"""Set-up mode, when no coordinators' group is configured: a group the bot is added to is told
its id and the line to set; a person writing privately is told the program is not open yet,
with the crisis resources, and nothing about them is stored."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ChatMemberHandler,
    MessageHandler,
    filters,
)

from peerbot.bot.context import PeerbotContext
from peerbot.bot.deps import Deps
from peerbot.bot.processing import UpdateScope
from peerbot.bot.replies import acknowledge, send
from peerbot.storage import outbox

GROUP_TYPES = (ChatType.GROUP, ChatType.SUPERGROUP)
PRESENT = (ChatMemberStatus.MEMBER, ChatMemberStatus.ADMINISTRATOR)


async def added_to_group(update: Update, context: PeerbotContext) -> None:
    """The bot became a member or an administrator of a group: say the group's id."""
    change = update.my_chat_member
    if change is None or change.chat.type not in GROUP_TYPES:
        return
    if change.new_chat_member.status not in PRESENT:
        return
    await _tell_group_id(context, change.chat.id, change.from_user.language_code)


async def command_in_group(update: Update, context: PeerbotContext) -> None:
    """Any command in a group (/start, /help, …): say the group's id."""
    chat, user = update.effective_chat, update.effective_user
    if chat is not None:
        await _tell_group_id(context, chat.id, user.language_code if user else None)


async def not_open_yet(update: Update, context: PeerbotContext) -> None:
    """Anything a person sends privately: not open yet, and where to find urgent help.

    The person's language comes from Telegram, not from a record: none is made.
    """
    if update.callback_query is not None:
        acknowledge(context, update.callback_query)
    chat, user = update.effective_chat, update.effective_user
    if chat is None or chat.type != ChatType.PRIVATE:
        return
    texts = context.deps.program.texts
    locale = texts.resolve_locale(user.language_code if user else None)
    context.scope.cache["locale"] = locale
    await send(context, chat.id, {"text": not_open_text(context.deps, locale)})


def not_open_text(deps: Deps, locale: str) -> str:
    texts = deps.program.texts
    return f"{texts.get('setup.not_open', locale)}\n\n{texts.get('crisis.resources', locale)}"


class SetupGuard:
    """The update processor's guard in set-up mode (processing.UpdateGuard): nothing is
    screened or recorded, since no card could reach anyone and every private answer carries
    the crisis resources; a failed update still gets that answer."""

    def __init__(self, deps: Deps) -> None:
        self._deps = deps

    async def screen_first(
        self, session: AsyncSession, update: Update, scope: UpdateScope
    ) -> None:
        """Nothing to commit first: nothing is kept about a person in set-up mode."""

    async def before_commit(self, session: AsyncSession, scope: UpdateScope) -> None:
        """The handler's answer already carries the crisis resources."""

    def start_again(self, scope: UpdateScope) -> None:
        """Nothing was kept from the undone try."""

    async def on_failure(self, session: AsyncSession, scope: UpdateScope) -> None:
        if scope.chat_id is None or scope.chat_id < 0:  # groups and channels have negative ids
            return
        locale = str(scope.cache.get("locale", self._deps.program.texts.default_locale))
        text = not_open_text(self._deps, locale)
        await outbox.enqueue(
            session, chat_id=scope.chat_id, payload={"text": text}, now=self._deps.clock()
        )


async def _tell_group_id(context: PeerbotContext, chat_id: int, language_code: str | None) -> None:
    texts = context.deps.program.texts
    locale = texts.resolve_locale(language_code)
    await send(context, chat_id, {"text": texts.get("setup.group_id", locale, chat_id=chat_id)})


def register(application: Application) -> None:  # type: ignore[type-arg]
    """The only handlers in set-up mode."""
    application.add_handler(
        ChatMemberHandler(added_to_group, ChatMemberHandler.MY_CHAT_MEMBER)  # type: ignore[arg-type]
    )
    messages = filters.UpdateType.MESSAGE
    application.add_handler(
        MessageHandler(messages & filters.ChatType.GROUPS & filters.COMMAND, command_in_group)  # type: ignore[arg-type]
    )
    application.add_handler(MessageHandler(messages & filters.ChatType.PRIVATE, not_open_yet))  # type: ignore[arg-type]
    application.add_handler(CallbackQueryHandler(not_open_yet))  # type: ignore[arg-type]
