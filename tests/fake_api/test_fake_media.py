"""The fake Bot API carries what people send besides text, as Telegram's Message objects do."""

from __future__ import annotations

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest

from peerbot.emulator.fake_telegram import FakeBotApi


async def test_photo_with_caption_arrives_as_caption_not_text(api: FakeBotApi, bot: Bot):
    user = api.private_user()
    await user.send_media("photo", caption="look at this /help")
    (update,) = await bot.get_updates()
    message = update.message
    assert message is not None and message.text is None
    assert message.caption == "look at this /help" and message.photo
    assert message.caption_entities[0].type == "bot_command"


@pytest.mark.parametrize(
    "kind", ["voice", "audio", "video_note", "sticker", "document", "location", "contact"]
)
async def test_each_kind_of_message_parses_in_python_telegram_bot(
    api: FakeBotApi, bot: Bot, kind: str
):
    user = api.private_user()
    await user.send_media(kind)
    (update,) = await bot.get_updates()
    assert update.message is not None and update.message.text is None
    assert getattr(update.message, kind), f"{kind} is missing from the parsed message"


async def test_sticker_cannot_carry_a_caption(api: FakeBotApi):
    user = api.private_user()
    with pytest.raises(AssertionError, match="caption"):
        await user.send_media("sticker", caption="hi")


async def test_edit_arrives_as_edited_message_with_the_same_id(api: FakeBotApi, bot: Bot):
    user = api.private_user()
    sent = await user.send_text("first words")
    await user.edit_text(sent, "second words")
    first, edited = await bot.get_updates()
    assert first.message is not None and first.message.text == "first words"
    assert edited.message is None and edited.edited_message is not None
    assert edited.edited_message.message_id == first.message.message_id
    assert edited.edited_message.text == "second words"
    assert edited.edited_message.edit_date is not None


async def test_forwarded_text_carries_its_origin(api: FakeBotApi, bot: Bot):
    user = api.private_user()
    await user.forward_text("words someone else wrote")
    (update,) = await bot.get_updates()
    assert update.message is not None and update.message.forward_origin is not None
    assert update.message.text == "words someone else wrote"


async def test_a_press_answered_too_late_is_refused_like_telegram(api: FakeBotApi, bot: Bot):
    user = api.private_user()
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Go", callback_data="go")]])
    await bot.send_message(user.id, "Pick", reply_markup=markup)
    query_id = await user.press("Go")
    api.callback_answer_seconds = 0.0
    with pytest.raises(BadRequest, match="Query is too old"):
        await bot.answer_callback_query(query_id)
