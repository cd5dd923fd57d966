"""The person's own controls: /consent, /stop, /mydata, /forget and /language."""

from __future__ import annotations

import json

from peerbot.dialogs.inputs import Begin
from peerbot.services.common.context import ServiceContext, Who
from peerbot.services.conversations import flows, menus
from peerbot.services.conversations.actions import ConsentWithdraw, ForgetAnswer, LanguageChoice
from peerbot.services.conversations.shown import (
    CloseMenu,
    Document,
    Menu,
    MenuButton,
    Notice,
    Reply,
)
from peerbot.services.participants import consent
from peerbot.services.privacy import data_rights
from peerbot.storage.enums import ConsentKind, Role
from peerbot.storage.models import Conversation

STATE_KEYS = {state: f"consent.state.{state.value}" for state in consent.ConsentState}


async def consent_overview(ctx: ServiceContext, who: Who) -> Reply:
    """Current decisions, with a button to withdraw each one that is a yes."""
    reply = Reply(who.locale)
    if who.person is None:
        return reply.add(Notice("consent.none"))
    states = await consent.current_states(ctx, who.person.id)
    texts = ctx.program.texts
    values = {
        kind.value: texts.get(STATE_KEYS[state], who.locale) for kind, state in states.items()
    }
    buttons = tuple(
        (MenuButton(ConsentWithdraw(kind.value), label_key=f"consent.withdraw.{kind.value}"),)
        for kind, state in states.items()
        if state == consent.ConsentState.GRANTED and kind not in consent.ASKED_EACH_TIME
    )
    return reply.add(Menu("consent.status", buttons, values))


async def withdraw_consent(ctx: ServiceContext, who: Who, kind: str) -> Reply:
    """Withdraw one permission; withdrawing participation also stops contact."""
    reply = Reply(who.locale).add(CloseMenu())
    if who.person is None or kind not in {k.value for k in consent.PARTICIPANT_CONSENTS}:
        return reply.add(Notice("consent.none"))
    withdrawn = await consent.withdraw(ctx, person_id=who.person.id, kind=ConsentKind(kind))
    if withdrawn and kind == ConsentKind.PARTICIPATION:
        await data_rights.withdraw_participation(ctx, who.person)
        return reply.add(
            Notice("consent.withdrawn"), Notice("consent.withdraw_participation_note")
        )
    return reply.add(Notice("consent.withdrawn"))


async def stop(ctx: ServiceContext, who: Who) -> Reply:
    """/stop: no more messages from the program until the person writes again."""
    if who.person is not None:
        await data_rights.stop(ctx, who.person)
    return Reply(who.locale).add(Notice("stop.done"))


async def my_data(ctx: ServiceContext, who: Who) -> Reply:
    """/mydata: a readable summary and a JSON file of everything stored."""
    reply = Reply(who.locale)
    if who.person is None:
        return reply.add(Notice("mydata.nothing"))
    summary, data = await data_rights.export(ctx, who.person)
    states = await consent.current_states(ctx, who.person.id)
    texts = ctx.program.texts
    granted = (
        ", ".join(
            texts.get(f"consent.kind.{kind.value}", who.locale)
            for kind, state in states.items()
            if state == consent.ConsentState.GRANTED
        )
        or "—"
    )
    content = json.dumps(data, ensure_ascii=False, indent=2, default=str).encode("utf-8")
    return reply.add(
        Notice(
            "mydata.summary",
            {
                "since": summary.since.date().isoformat(),
                "consents": granted,
                "requests": summary.requests,
                "answers": summary.answers,
            },
        ),
        Document("my-peerbot-data.json", content, "mydata.file_caption"),
    )


async def forget_question(ctx: ServiceContext, who: Who) -> Reply:
    """/forget: ask first; erasing cannot be undone."""
    reply = Reply(who.locale)
    if who.person is None:
        return reply.add(Notice("mydata.nothing"))
    buttons = (
        (
            MenuButton(ForgetAnswer(True), "forget.yes"),
            MenuButton(ForgetAnswer(False), "forget.no"),
        ),
    )
    return reply.add(Menu("forget.confirm", buttons))


async def forget_answer(ctx: ServiceContext, who: Who, erase: bool) -> Reply:
    reply = Reply(who.locale).add(CloseMenu())
    if not erase or who.person is None:
        return reply.add(Notice("forget.kept"))
    await data_rights.forget(ctx, who.person)
    who.person = None
    reply.add(Notice("forget.done"))
    if who.roles - {Role.PARTICIPANT}:  # a supporter's or coordinator's menu no longer fits
        reply.add(menus.command_menu(ctx, who.telegram_user_id, ()))
    return reply


async def language_question(ctx: ServiceContext, who: Who) -> Reply:
    texts = ctx.program.texts
    buttons = tuple(
        (MenuButton(LanguageChoice(locale), label_text=texts.get("language_name", locale)),)
        for locale in texts.locales
    )
    return Reply(who.locale).add(Menu("language.choose", buttons))


async def choose_language(ctx: ServiceContext, who: Who, locale: str) -> Reply:
    """Answer in this language from now on (stored once the person has a record)."""
    if locale not in ctx.program.texts.locales:
        return Reply(who.locale).add(CloseMenu())
    who.locale = locale
    reply = Reply(locale).add(CloseMenu(), Notice("language.changed"))
    conversation = await flows.active(ctx, who)
    if who.person is not None:
        who.person.language = locale
    elif conversation is not None:
        _remember_on_conversation(conversation, locale)
    if conversation is not None:  # the question being asked, again, in the new language
        turn = await flows.advance(ctx, who, conversation, Begin())
        reply.add(*turn.transition.outputs)
    return reply.add(menus.command_menu(ctx, who.telegram_user_id, who.roles))


def _remember_on_conversation(conversation: Conversation, locale: str) -> None:
    """Before consent nothing is stored about the person; the conversation keeps the choice."""
    state = dict(conversation.state)
    state["meta"] = {**state.get("meta", {}), "locale": locale}
    conversation.state = state
