"""Groups that change under the bot, as python-telegram-bot sees them through the fake."""

from __future__ import annotations

import pytest
from telegram import Bot, Update
from telegram.constants import ChatMemberStatus
from telegram.error import BadRequest, ChatMigrated, Forbidden

from peerbot.emulator.fake_telegram import FakeBotApi

OLD_GROUP = -4004004
SUPERGROUP = -1009009009

ALL_UPDATES = ["message", "my_chat_member", "chat_member"]


async def updates(bot: Bot) -> list[Update]:
    return list(await bot.get_updates(timeout=0, allowed_updates=ALL_UPDATES))


async def test_a_group_that_kicked_the_bot_answers_403_and_one_gone_answers_chat_not_found(
    api: FakeBotApi, bot: Bot
):
    kicked, gone = api.group(chat_id=-1001), api.group(chat_id=-1002)
    api.refuse_sends(kicked, 403)
    api.refuse_sends(gone, 400)

    with pytest.raises(Forbidden, match="bot was kicked from the group chat"):
        await bot.send_message(kicked.id, "card")
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(gone.id, "card")
    api.accept_sends(kicked)
    await bot.send_message(kicked.id, "card")
    assert [m.text for m in api.messages(kicked)] == ["card"]
    assert api.messages(gone) == []


async def test_a_migrated_group_answers_with_the_new_id_and_says_so_on_both_sides(
    api: FakeBotApi, bot: Bot
):
    dana = api.private_user(first_name="Dana")
    group = api.group(chat_id=OLD_GROUP, members=[dana])

    supergroup = api.migrate_group(group, SUPERGROUP, by=dana)

    with pytest.raises(ChatMigrated) as raised:
        await bot.send_message(OLD_GROUP, "card")
    assert raised.value.new_chat_id == SUPERGROUP
    await bot.send_message(SUPERGROUP, "card")
    assert [m.text for m in api.messages(supergroup)] == ["card"]
    assert supergroup.type == "supergroup" and supergroup.status_of(dana.id) == "member"
    old_side, new_side = [update.message for update in await updates(bot)]
    assert (old_side.chat.id, old_side.migrate_to_chat_id) == (OLD_GROUP, SUPERGROUP)
    assert (new_side.chat.id, new_side.migrate_from_chat_id) == (SUPERGROUP, OLD_GROUP)
    assert old_side.from_user.id == dana.id


async def test_a_member_leaving_is_a_chat_member_update_for_an_admin_bot_only(
    api: FakeBotApi, bot: Bot
):
    dana, eli = api.private_user(first_name="Dana"), api.private_user(first_name="Eli")
    admin_bot = api.group(chat_id=-1003, members=[dana, eli], bot_status="administrator")
    plain_bot = api.group(chat_id=-1004, members=[dana])

    api.member_leaves(admin_bot, dana)
    api.member_leaves(admin_bot, eli, removed=True)
    api.member_leaves(plain_bot, dana)

    changes = [update.chat_member for update in await updates(bot)]
    assert [(c.chat.id, c.new_chat_member.user.id) for c in changes] == [
        (admin_bot.id, dana.id),
        (admin_bot.id, eli.id),
    ]
    assert [c.new_chat_member.status for c in changes] == [
        ChatMemberStatus.LEFT,
        ChatMemberStatus.BANNED,
    ]
    assert changes[0].old_chat_member.status == ChatMemberStatus.MEMBER
    member = await bot.get_chat_member(plain_bot.id, dana.id)
    assert member.status == ChatMemberStatus.LEFT


async def test_the_bot_removed_or_restricted_gets_my_chat_member_and_is_refused(
    api: FakeBotApi, bot: Bot
):
    dana = api.private_user(first_name="Dana")
    removed = api.group(chat_id=-1005, admins=[dana])
    restricted = api.group(chat_id=-1006, admins=[dana])

    api.remove_bot(removed, by=dana)
    api.remove_bot(restricted, by=dana, status="restricted")

    removal, restriction = [update.my_chat_member for update in await updates(bot)]
    assert removal.chat.id == removed.id and removal.from_user.id == dana.id
    assert removal.new_chat_member.status == ChatMemberStatus.BANNED
    assert removal.new_chat_member.user.id == api.bot_id
    assert restriction.new_chat_member.status == ChatMemberStatus.RESTRICTED
    assert restriction.new_chat_member.can_send_messages is False
    with pytest.raises(Forbidden, match="kicked"):
        await bot.send_message(removed.id, "card")
    with pytest.raises(BadRequest, match="Not enough rights"):
        await bot.send_message(restricted.id, "card")
