"""Menus and help by role over real HTTP, in English and in Spanish: a supporter's chat
offers a supporter's commands from the moment they join, and a participant's again after
/forget; a coordinator's private chat offers theirs once enrolled; /help answers each role."""

from __future__ import annotations

import pytest

from peerbot.services.conversations import menus
from tests.support.journeys import Person

GROUP = -1001234567890
ON_CALL = 4242


def commands_of(api, chat_id: int) -> list[tuple[str, str]]:
    return [(c["command"], c["description"]) for c in api.commands[(f"chat:{chat_id}", "")]]


def described(person: Person, names: tuple[str, ...]) -> list[tuple[str, str]]:
    return [(name, person.t(f"command_{name}")) for name in names]


async def menu_changed(api, chat_id: int, names: tuple[str, ...]) -> None:
    """Wait until the chat's own menu lists exactly these commands."""
    key = (f"chat:{chat_id}", "")
    await api.wait_until(
        lambda: [c["command"] for c in api.commands.get(key, [])] == list(names), timeout=20
    )


@pytest.mark.parametrize("locale", ["en", "es"])
async def test_each_role_gets_its_menu_and_help_in_its_language(
    api, start_bot, bot_workdir, locale
):
    bot = start_bot(coordinator_chat_id=str(GROUP), coordinator_ids=str(ON_CALL))
    on_call_user = api.private_user(user_id=ON_CALL, first_name="Dana", language_code=locale)
    api.group(chat_id=GROUP, members=[on_call_user])
    await api.wait_until(lambda: api.calls("getUpdates"), timeout=30)
    coordinator = Person(api, on_call_user, locale=locale)
    # a coordinator the operator listed has their menu from start-up, before any action
    await menu_changed(api, ON_CALL, menus.COORDINATOR_PRIVATE_MENU + menus.PARTICIPANT_MENU)

    # a coordinator's /help in their private chat: the commands they have there
    await coordinator.command("/help")
    shown = await coordinator.expect("coordinators.private_help")
    assert "/open" in shown.text and "/invite" not in shown.text  # inviting is the group's
    await coordinator.command("/stats")  # their first action enrolls them
    # what coordinators.private_help names is answered there (in the coordinators' language)
    desk = Person(api, on_call_user)
    for command, answer in (
        ("/open", "card.open_none"),
        ("/case", "case.usage"),
        ("/audit", "audit.usage"),
    ):
        before = desk.newest_id()
        await desk.command(command)
        await desk.expect(answer, after=before)

    # a supporter joins from an invite: their own menu, in their language
    made = await bot.command("invite", "--expires", "2d")
    assert made.returncode == 0, made.stderr
    payload = made.stdout.strip().splitlines()[-1].split("?start=", 1)[1]
    supporter = Person(api, api.private_user(first_name="Robin", language_code=locale), locale)
    await supporter.command("/start", payload)
    await supporter.fill_supporter_profile()
    await supporter.expect("supporter.joined", after=supporter.last_pressed, when="")  # first line
    await menu_changed(api, supporter.chat_id, menus.SUPPORTER_MENU)
    assert commands_of(api, supporter.chat_id) == described(supporter, menus.SUPPORTER_MENU)
    await supporter.command("/help")  # as supporter.joined promises: what a supporter can do
    await supporter.expect_new("supporter.help")

    # the supporter forgets: back to a participant's menu and a participant's help
    await supporter.command("/forget")
    await supporter.press("forget.yes")
    await supporter.expect("forget.done", after=supporter.last_pressed)
    await menu_changed(api, supporter.chat_id, menus.PARTICIPANT_MENU)
    assert commands_of(api, supporter.chat_id) == described(supporter, menus.PARTICIPANT_MENU)
    await supporter.command("/help")
    await supporter.expect_new("help")
