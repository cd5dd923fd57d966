"""A person adds the bot to a group, as python-telegram-bot sees it through the fake."""

from __future__ import annotations

import pytest
from telegram import Bot
from telegram.constants import ChatMemberStatus, ChatType

from peerbot.emulator.fake_bot_joins import add_bot_to_group
from peerbot.emulator.fake_telegram import FakeBotApi

from .conftest import BOT_ID

ALL_UPDATES = ["message", "my_chat_member", "chat_member"]


@pytest.mark.parametrize("status", ["member", "administrator"])
async def test_the_bot_added_to_a_group_gets_my_chat_member_then_the_service_message(
    api: FakeBotApi, bot: Bot, status: str
):
    dana = api.private_user(first_name="Dana")
    await bot.get_me()  # the fake learns the bot's id from its token

    group = add_bot_to_group(api, dana, chat_id=-1005550001, title="Desk", status=status)

    joined, service = await bot.get_updates(timeout=0, allowed_updates=ALL_UPDATES)
    change = joined.my_chat_member
    assert change is not None
    assert (change.chat.id, change.chat.type, change.chat.title) == (
        -1005550001,
        ChatType.SUPERGROUP,
        "Desk",
    )
    assert change.from_user.id == dana.id
    assert change.old_chat_member.status == ChatMemberStatus.LEFT
    assert change.new_chat_member.status == status
    assert change.new_chat_member.user.id == BOT_ID
    assert service.message is not None
    assert [user.id for user in service.message.new_chat_members] == [BOT_ID]
    assert (await bot.get_chat_member(group.id, dana.id)).status == ChatMemberStatus.OWNER
    await bot.send_message(group.id, "hello")
    assert [m.text for m in api.messages(group)] == ["hello"]


async def test_a_small_group_id_is_a_basic_group(api: FakeBotApi, bot: Bot):
    group = add_bot_to_group(api, api.private_user(), chat_id=-4004)
    assert group.type == ChatType.GROUP
