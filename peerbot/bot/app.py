"""Build the python-telegram-bot application from settings; nothing is built at import."""

from __future__ import annotations

from telegram import BotCommand, BotCommandScope, BotCommandScopeChat, BotCommandScopeDefault
from telegram.error import TelegramError
from telegram.ext import Application, ApplicationBuilder, ContextTypes

from peerbot.bot.authorization import GATE_KEY, CoordinatorGate
from peerbot.bot.context import PeerbotContext
from peerbot.bot.deps import DEPS_KEY, Deps
from peerbot.bot.errors import on_error
from peerbot.bot.handlers import common, coordinators, participant, setup, supporter
from peerbot.bot.processing import ChatOrderedUpdateProcessor
from peerbot.bot.safety import SafetyNet
from peerbot.services.common.context import unit_of_work
from peerbot.services.conversations.menus import publish_for_listed_coordinators

MAX_CONCURRENT_UPDATES = 64

PeerbotApplication = Application  # type: ignore[type-arg]


def build_application(deps: Deps) -> PeerbotApplication:
    """An application pointed at the configured Bot API server, with our update processor."""
    settings = deps.settings
    if settings.bot_token is None:
        raise ValueError("PEERBOT_BOT_TOKEN is required to build the application")
    api = settings.telegram_api_url
    processor = ChatOrderedUpdateProcessor(
        max_concurrent_updates=MAX_CONCURRENT_UPDATES,
        session_factory=deps.sessions,
        clock=deps.clock,
        after_commit=deps.wake_sender,
        guard=setup.SetupGuard(deps) if settings.setup_mode else SafetyNet(deps),
        single_writer=settings.is_sqlite,
    )
    builder = (
        ApplicationBuilder()
        .token(settings.bot_token.get_secret_value())
        .base_url(f"{api}/bot")
        .base_file_url(f"{api}/file/bot")
        .updater(None)
        .concurrent_updates(processor)
        .context_types(ContextTypes(context=PeerbotContext))
    )
    if deps.request_for is not None:
        builder = builder.request(deps.request_for()).get_updates_request(deps.request_for())
    else:
        # together well under the sender's 30 s lease, so a send ends before its lease does
        builder = (
            builder.connect_timeout(5)
            .read_timeout(10)
            .write_timeout(10)
            .pool_timeout(5)
            .connection_pool_size(16)
        )
    application = builder.build()
    processor.redo = application.process_update
    application.bot_data[DEPS_KEY] = deps
    application.bot_data[GATE_KEY] = CoordinatorGate(settings)
    if settings.setup_mode:
        setup.register(application)
    else:
        common.register(application)
        private_desk = settings.coordinator_ids if settings.no_coordinator_group else frozenset()
        coordinators.register(application, settings.coordinator_chat_id, private_desk)
        supporter.register(application)
        participant.register(application)
        common.register_fallbacks(application)
    application.add_error_handler(on_error)  # type: ignore[arg-type]
    return application


async def set_command_menu(application: PeerbotApplication, deps: Deps) -> bool:
    """Publish the command menus (private chats, and the coordinators' group) in every locale
    we have, and queue the listed coordinators' own; False if Telegram refused."""
    texts = deps.program.texts
    group = deps.settings.coordinator_chat_id
    menus: list[tuple[BotCommandScope, tuple[str, ...]]] = [
        (BotCommandScopeDefault(), participant.COMMAND_MENU)
    ]
    if group is not None:
        menus.append((BotCommandScopeChat(group), coordinators.COMMAND_MENU))
    try:
        for scope, names in menus:
            for locale in texts.locales:
                commands = [
                    BotCommand(name, texts.get(f"command_{name}", locale)) for name in names
                ]
                language = None if locale == texts.default_locale else locale
                await application.bot.set_my_commands(
                    commands, scope=scope, language_code=language
                )
    except TelegramError:
        return False
    async with unit_of_work(deps, now=deps.clock()) as ctx:
        await publish_for_listed_coordinators(ctx)
    return True
