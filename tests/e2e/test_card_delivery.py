"""A card always reaches a person, and coordinator rights follow the coordinators' group."""

from __future__ import annotations

import asyncio
import sqlite3

from tests.support.journeys import Person, catalog

GROUP = -1001234567890
OLD_GROUP = -4005005
SUPERGROUP = -1005005005
CRISIS = "I want to kill myself tonight"


def t(key: str, **values: object) -> str:
    return catalog().get(key, "en", **values)


async def test_the_bot_removed_from_the_group_every_card_comes_to_each_coordinator_privately(
    api, start_bot
):
    """delivery.bot_removed promises it: until the bot is back, every card comes privately."""
    dana, eli = api.private_user(first_name="Dana"), api.private_user(first_name="Eli")
    group = api.group(chat_id=GROUP, members=[eli], admins=[dana])
    start_bot(coordinator_chat_id=str(GROUP), coordinator_ids=f"{dana.id},{eli.id}")
    api.remove_bot(group, by=dana)  # from now on the group answers 403
    alert = t("delivery.bot_removed")
    for coordinator in (dana, eli):
        await api.wait_for_message(coordinator.chat_id, contains=alert, timeout=20)
    person = Person(api, api.private_user(first_name="Sam"))

    await person.say(CRISIS)

    await person.expect("crisis.resources")
    for coordinator in (dana, eli):
        card = await api.wait_for_message(coordinator.chat_id, contains="CRITICAL", timeout=20)
        assert t("card.claim") in card.buttons
        assert t("delivery.private_copy") in card.text
    await dana.send_command("/open")
    listing = await api.wait_for_message(dana.chat_id, contains=t("card.open_heading"), timeout=20)
    assert t("delivery.open_undelivered", count=1) in listing.text


async def test_a_migrated_group_gets_the_card_and_a_member_asked_to_try_again_can_claim(
    api, start_bot, bot_workdir
):
    dana, eli = api.private_user(first_name="Dana"), api.private_user(first_name="Eli")
    group = api.group(chat_id=OLD_GROUP, members=[dana, eli])
    bot = start_bot(coordinator_chat_id=str(OLD_GROUP), coordinator_ids=str(dana.id))
    api.migrate_group(group, SUPERGROUP, by=dana)
    await api.wait_for_updates_consumed(timeout=20)
    person = Person(api, api.private_user(first_name="Sam"))

    await person.say(CRISIS)

    card = await api.wait_for_message(SUPERGROUP, contains="CRITICAL", timeout=20)
    api.fail_next(3, status=502, methods="getChatMember")  # Telegram cannot say who is in
    unknown = await eli.press(t("card.claim"), message=card)
    await api.wait_until(lambda: unknown in api.callback_answers, timeout=20)
    assert api.callback_answers[unknown].get("text") == t("delivery.rights_unknown")
    await eli.press(t("card.claim"), message=card)  # Eli is in the group, not in the setting
    await api.wait_for_message(
        SUPERGROUP, predicate=lambda m: "Claimed by Eli" in m.text, timeout=20
    )
    assert f"PEERBOT_COORDINATOR_CHAT_ID={SUPERGROUP}" in bot.log()
    with sqlite3.connect(bot_workdir / "peerbot.sqlite3") as db:
        moved = db.execute(
            "select count(*) from audit_events where action = 'coordinator_group.migrated'"
        ).fetchone()[0]
    assert moved == 1


async def test_a_member_who_leaves_the_group_can_no_longer_claim_nor_gets_private_cards(
    api, start_bot, bot_workdir
):
    dana, eli = api.private_user(first_name="Dana"), api.private_user(first_name="Eli")
    group = api.group(chat_id=GROUP, members=[dana, eli], bot_status="administrator")
    start_bot(coordinator_chat_id=str(GROUP), coordinator_ids=str(dana.id))
    first = Person(api, api.private_user(first_name="Sam"))
    await first.say(CRISIS)
    card = await api.wait_for_message(GROUP, contains="CRITICAL", timeout=20)
    await eli.press(t("card.claim"), message=card)  # Eli acts once: the coordinator role
    await api.wait_for_message(GROUP, predicate=lambda m: "Claimed by Eli" in m.text, timeout=20)

    api.member_leaves(group, eli)
    await api.wait_for_updates_consumed(timeout=20)

    refused = await eli.press(t("card.resolve"), message=card)
    await api.wait_until(lambda: refused in api.callback_answers, timeout=20)
    assert api.callback_answers[refused].get("text") == t("card.not_allowed")
    api.refuse_sends(GROUP, 403)
    second = Person(api, api.private_user(first_name="Ana"))
    await second.say(CRISIS)
    await api.wait_for_message(dana.chat_id, contains="CRITICAL", timeout=20)
    await asyncio.sleep(0.5)  # room for a copy to Eli to show up
    assert api.messages(eli.chat_id) == []
    with sqlite3.connect(bot_workdir / "peerbot.sqlite3") as db:
        roles = db.execute(
            "select count(*) from role_assignments r join people p on p.id = r.person_id "
            "where p.telegram_user_id = ? and r.role = 'coordinator'",
            (eli.id,),
        ).fetchone()[0]
    assert roles == 0
