"""Replies both ways through the fake Bot API, and people's photos and documents in groups."""

from __future__ import annotations

import httpx
import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, ReplyParameters
from telegram.error import BadRequest

from peerbot.emulator.fake_telegram import FakeBotApi

GROUP = -1002002002


async def test_the_bot_replies_with_reply_parameters_or_the_older_reply_to_message_id(
    api: FakeBotApi, bot: Bot, http: httpx.AsyncClient
):
    sam = api.private_user(first_name="Sam")
    said = await sam.send_text("Can we talk?")

    answer = ReplyParameters(said.message_id)
    modern = await bot.send_message(sam.id, "Yes", reply_parameters=answer)
    older = await http.post(
        "sendMessage", json={"chat_id": sam.id, "text": "Sure", "reply_to_message_id": 1}
    )

    assert modern.reply_to_message is not None and modern.reply_to_message.text == "Can we talk?"
    assert older.json()["result"]["reply_to_message"]["message_id"] == said.message_id
    assert api.calls("sendMessage")[0].params["reply_parameters"] == {"message_id": 1}


async def test_a_reply_to_a_missing_message_fails_unless_sent_without_reply(
    api: FakeBotApi, bot: Bot, http: httpx.AsyncClient
):
    sam = api.private_user(first_name="Sam")
    with pytest.raises(BadRequest, match="Message to be replied not found"):
        await bot.send_message(sam.id, "Yes", reply_parameters=ReplyParameters(77))
    with pytest.raises(BadRequest, match="Message to be replied not found"):
        await bot.send_document(sam.id, b"x", filename="x.txt", reply_to_message_id=77)
    lenient = await bot.send_message(
        sam.id, "Yes", reply_parameters=ReplyParameters(77, allow_sending_without_reply=True)
    )
    legacy = await http.post(
        "sendMessage",
        json={"chat_id": sam.id, "text": "Ok", "reply_to_message_id": 77,
              "allow_sending_without_reply": True},
    )  # fmt: skip
    assert lenient.reply_to_message is None
    assert "reply_to_message" not in legacy.json()["result"]
    assert [m.text for m in sam.messages()] == ["Yes", "Ok"]


async def test_people_reply_in_a_group_with_text_photo_or_document(api: FakeBotApi, bot: Bot):
    dana = api.private_user(first_name="Dana")
    group = api.group(chat_id=GROUP, members=[dana])  # privacy mode: replies still reach it
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Claim", callback_data="claim:1")]])
    card = await bot.send_message(GROUP, "New request", reply_markup=markup)
    stored = api.find_message(group, card.message_id)
    assert stored is not None

    await dana.send_text("I'll take it", reply_to=stored)
    await dana.send_media("photo", caption="their note", reply_to=stored)
    await dana.send_media("document", reply_to=stored)
    await dana.send_text("unrelated chatter", chat=group)  # hidden by privacy mode

    text, photo, document = [u.message for u in await bot.get_updates()]
    for message in (text, photo, document):
        assert message.chat.id == GROUP and message.from_user.id == dana.id
        replied = message.reply_to_message
        assert replied is not None and replied.message_id == card.message_id
        assert replied.text == "New request" and replied.reply_markup == markup
        assert replied.reply_to_message is None  # Telegram nests one level only
    assert photo.caption == "their note" and photo.photo
    assert document.document is not None and document.document.file_name == "note.pdf"


async def test_people_send_captioned_photos_and_documents_the_bot_may_send_again(
    api: FakeBotApi, bot: Bot
):
    dana = api.private_user(first_name="Dana")
    group = api.group(chat_id=GROUP, members=[dana], bot_status="administrator")
    await dana.send_media("photo", caption="scan #1", chat=group)
    await dana.send_media("document", caption="form", chat=group)
    await dana.send_media("photo", caption="private one")

    in_group, form, private = [u.message for u in await bot.get_updates()]
    assert (in_group.chat.id, in_group.caption) == (GROUP, "scan #1")
    assert (form.chat.id, form.caption, private.chat.id) == (GROUP, "form", dana.id)
    assert in_group.photo[-1].file_id != private.photo[-1].file_id  # each upload its own

    again = await bot.send_photo(dana.id, in_group.photo[-1].file_id, caption="yours?")
    sent_back = await bot.send_document(GROUP, form.document.file_id)
    assert again.photo[-1].file_id == in_group.photo[-1].file_id
    assert sent_back.document.file_id == form.document.file_id
    with pytest.raises(AssertionError, match="cannot reply"):
        await dana.send_text("x", chat=dana.id, reply_to=api.find_message(group, 1))
