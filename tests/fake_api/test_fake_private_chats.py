"""Who a bot may write to privately: Telegram lets no bot open a chat with a person."""

from __future__ import annotations

import pytest
from telegram import Bot
from telegram.constants import ChatAction
from telegram.error import BadRequest, Forbidden

from peerbot.emulator.fake_telegram import FakeBotApi


async def test_a_person_who_never_wrote_to_the_bot_cannot_be_written_to_until_they_start_it(
    api: FakeBotApi, bot: Bot
):
    dana = api.private_user(first_name="Dana", started=False)

    with pytest.raises(Forbidden, match="bot can't initiate conversation with a user"):
        await bot.send_message(dana.id, "a card")
    with pytest.raises(Forbidden, match="bot can't initiate conversation with a user"):
        await bot.send_chat_action(dana.id, ChatAction.TYPING)
    assert api.messages(dana) == []

    await dana.send_command("/start")
    assert await bot.send_chat_action(dana.id, ChatAction.TYPING) is True
    await bot.send_message(dana.id, "a card")
    assert [m.text for m in api.messages(dana)] == ["a card"]


async def test_someone_the_bot_has_never_seen_is_chat_not_found_and_a_blocked_user_forbidden(
    api: FakeBotApi, bot: Bot
):
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_chat_action(777001, ChatAction.TYPING)
    sam = api.private_user(first_name="Sam")
    api.block_user(sam)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_chat_action(sam.id, ChatAction.TYPING)
