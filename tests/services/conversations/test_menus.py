"""Menus and help by role: each private chat offers its person's own commands, in their
language, from the moment a role is gained until it is lost."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from peerbot.program import load_program
from peerbot.services.common.context import Who
from peerbot.services.conversations import menus
from peerbot.services.conversations.shown import CommandMenu, Reply
from peerbot.services.coordination import coordinators, group_membership
from peerbot.services.escalations import safety
from peerbot.services.privacy import rights
from peerbot.storage.codes import new_pseudonym
from peerbot.storage.enums import Role
from peerbot.storage.models import OutboxMessage, Person, RoleAssignment
from tests.support.contexts import context_with_settings, rendered_texts

GROUP = -4001
LISTED = 901
NOW = datetime(2026, 4, 1, 12, 0, tzinfo=UTC)
TEXTS = load_program().texts


def test_each_role_sees_its_own_commands_and_a_coordinator_sees_theirs_first():
    assert menus.menu_for([Role.PARTICIPANT]) == menus.PARTICIPANT_MENU
    assert menus.menu_for([Role.SUPPORTER]) == menus.SUPPORTER_MENU
    both = menus.menu_for([Role.COORDINATOR, Role.SUPPORTER])
    assert both == menus.COORDINATOR_PRIVATE_MENU + menus.SUPPORTER_MENU
    assert "invite" not in menus.menu_for([Role.COORDINATOR])
    desk = menus.menu_for([Role.COORDINATOR], private_desk=True)
    desk_first = menus.COORDINATOR_PRIVATE_MENU + menus.COORDINATOR_DESK_MENU
    assert desk[: len(desk_first)] == desk_first


@pytest.mark.parametrize("locale", ["en", "es"])
def test_every_command_of_every_menu_is_described_in_each_language(locale):
    every = menus.PARTICIPANT_MENU + menus.SUPPORTER_MENU + menus.COORDINATOR_PRIVATE_MENU
    for name in every + menus.COORDINATOR_DESK_MENU:
        assert TEXTS.has(f"command_{name}") and TEXTS.get(f"command_{name}", locale)


async def menus_queued(session_factory) -> list[tuple[int, list[str], str]]:
    """(chat, commands, first description) of every queued setMyCommands."""
    async with session_factory() as session:
        rows = await session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.method == "setMyCommands")
            .order_by(OutboxMessage.id)
        )
        return [
            (
                row.chat_id,
                [c["command"] for c in row.payload["commands"]],
                row.payload["commands"][0]["description"],
            )
            for row in rows
        ]


async def test_a_coordinator_enrolled_gets_the_coordinators_menu_once(session_factory):
    async with session_factory() as session, session.begin():
        ctx = context_with_settings(session, NOW, coordinator_chat_id=GROUP)
        await coordinators.enroll(ctx, 902, "Sam")
        await coordinators.enroll(ctx, 902, "Sam")  # already a coordinator: nothing new
    [(chat, commands, first)] = await menus_queued(session_factory)
    assert chat == 902
    assert commands == list(menus.COORDINATOR_PRIVATE_MENU + menus.PARTICIPANT_MENU)
    assert first == TEXTS.get("command_open", "en")


async def test_listed_coordinators_get_their_menu_at_start_up_once_per_set_of_roles(
    session_factory,
):
    async with session_factory() as session, session.begin():
        also_supporter = Person(telegram_user_id=LISTED, pseudonym=new_pseudonym(), language="es")
        session.add(also_supporter)
        await session.flush()
        session.add(RoleAssignment(person_id=also_supporter.id, role=Role.SUPPORTER))
    for _restart in range(2):
        async with session_factory() as session, session.begin():
            ctx = context_with_settings(
                session, NOW, coordinator_chat_id=GROUP, coordinator_ids=frozenset({LISTED, 908})
            )
            await menus.publish_for_listed_coordinators(ctx)
    assert await menus_queued(session_factory) == [
        (
            LISTED,
            list(menus.COORDINATOR_PRIVATE_MENU + menus.SUPPORTER_MENU),
            TEXTS.get("command_open", "es"),
        ),
        (
            908,
            list(menus.COORDINATOR_PRIVATE_MENU + menus.PARTICIPANT_MENU),
            TEXTS.get("command_open", "en"),
        ),
    ]


async def test_a_coordinator_gone_from_the_group_is_back_to_a_supporters_menu(session_factory):
    async with session_factory() as session, session.begin():
        leaving = Person(telegram_user_id=903, pseudonym=new_pseudonym(), language="es")
        session.add(leaving)
        await session.flush()
        for role in (Role.COORDINATOR, Role.SUPPORTER):
            session.add(RoleAssignment(person_id=leaving.id, role=role, granted_at=NOW))
        await session.flush()
    async with session_factory() as session, session.begin():
        ctx = context_with_settings(session, NOW, coordinator_chat_id=GROUP)
        assert await group_membership.left_group(ctx, 903, seen_by="chat_member")
    [(chat, commands, first)] = await menus_queued(session_factory)
    assert (chat, commands) == (903, list(menus.SUPPORTER_MENU))
    assert first == TEXTS.get("command_profile", "es")  # in the person's own language


async def test_a_supporter_who_forgets_is_back_to_the_participants_menu(session_factory):
    async with session_factory() as session, session.begin():
        ctx = context_with_settings(session, NOW, coordinator_chat_id=GROUP)
        person = Person(telegram_user_id=904, pseudonym=new_pseudonym(), language="en")
        session.add(person)
        await session.flush()
        who = Who(904, 904, "en", person, roles=frozenset({Role.SUPPORTER}))
        reply = await rights.forget_answer(ctx, who, erase=True)
    assert reply.items[-1] == CommandMenu(menus.PARTICIPANT_MENU)


async def test_a_participant_who_forgets_keeps_the_default_menu(session_factory):
    async with session_factory() as session, session.begin():
        ctx = context_with_settings(session, NOW)
        person = Person(telegram_user_id=905, pseudonym=new_pseudonym(), language="en")
        session.add(person)
        await session.flush()
        who = Who(905, 905, "en", person, roles=frozenset({Role.PARTICIPANT}))
        reply = await rights.forget_answer(ctx, who, erase=True)
    assert not [item for item in reply.items if isinstance(item, CommandMenu)]


async def test_a_new_language_brings_the_menu_in_that_language(session_factory):
    async with session_factory() as session, session.begin():
        ctx = context_with_settings(session, NOW)
        who = Who(906, 906, "en", roles=frozenset({Role.SUPPORTER}))
        reply = await rights.choose_language(ctx, who, "es")
    assert reply.locale == "es"
    assert reply.items[-1] == CommandMenu(menus.SUPPORTER_MENU)


def help_texts(locale: str, roles: frozenset[Role], *, no_group: bool = False, **where) -> str:
    desk = {"no_coordinator_group": True, "coordinator_ids": frozenset({LISTED})}
    settings = desk if no_group else {"coordinator_chat_id": GROUP}
    ctx = context_with_settings(None, NOW, **settings)  # type: ignore[arg-type]
    who = Who(907, 907, locale, roles=roles)
    reply: Reply = safety.help_reply(ctx, who, **where)
    return "\n".join(rendered_texts(TEXTS, reply))


@pytest.mark.parametrize("locale", ["en", "es"])
def test_help_answers_each_role_with_its_own_commands(locale):
    participant = help_texts(locale, frozenset({Role.PARTICIPANT}))
    supporter = help_texts(locale, frozenset({Role.SUPPORTER}))
    coordinator = help_texts(locale, frozenset({Role.COORDINATOR}))
    assert TEXTS.get("help", locale) in participant and "/note" not in participant
    assert TEXTS.get("supporter.help", locale) in supporter and "/start" not in supporter
    assert TEXTS.get("coordinators.private_help", locale) in coordinator
    assert "/invite" not in coordinator  # with a group, inviting is the group's
    desk = help_texts(locale, frozenset({Role.COORDINATOR}), no_group=True)
    assert TEXTS.get("coordinators.desk_help", locale) in desk


@pytest.mark.parametrize("locale", ["en", "es"])
def test_help_in_the_group_is_the_groups_and_elsewhere_a_participants(locale):
    roles = frozenset({Role.COORDINATOR, Role.SUPPORTER})
    in_group = help_texts(locale, roles, in_group=True)
    assert TEXTS.get("coordinators.help", locale) in in_group
    assert TEXTS.get("coordinators.private_help", locale) not in in_group
    other_group = help_texts(locale, roles, private=False)
    assert TEXTS.get("help", locale) in other_group
    assert TEXTS.get("supporter.help", locale) not in other_group
