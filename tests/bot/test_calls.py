"""Stored outbox payloads become real Bot API calls: markups, files, unknown methods."""

from __future__ import annotations

import base64

import pytest
from telegram import ForceReply, InlineKeyboardMarkup, ReplyKeyboardMarkup, ReplyKeyboardRemove

from peerbot.bot.calls import UnsupportedMethod, call_bot_api, markup_from_json

INLINE = {"inline_keyboard": [[{"text": "Claim", "callback_data": "esc:c:42"}]]}
REPLY = {
    "keyboard": [[{"text": "Yes"}, {"text": "No"}]],
    "resize_keyboard": True,
    "one_time_keyboard": True,
}
REMOVE = {"remove_keyboard": True}
FORCE_REPLY = {"force_reply": True, "input_field_placeholder": "Your answer"}


@pytest.mark.parametrize(
    ("markup", "kind"),
    [
        (INLINE, InlineKeyboardMarkup),
        (REPLY, ReplyKeyboardMarkup),
        (REMOVE, ReplyKeyboardRemove),
        (FORCE_REPLY, ForceReply),
    ],
    ids=["inline", "reply", "remove", "force-reply"],
)
async def test_markups_are_rebuilt_and_reach_telegram_unchanged(api, bot, markup, kind):
    person = api.private_user()

    rebuilt = markup_from_json(markup, bot)
    message_id = await call_bot_api(
        bot, "sendMessage", person.chat_id, {"text": "Choose", "reply_markup": markup}
    )

    assert isinstance(rebuilt, kind)
    assert rebuilt.to_dict() == markup
    [request] = api.calls("sendMessage")
    assert request.params["reply_markup"] == markup
    assert message_id == api.messages(person)[0].message_id


async def test_missing_markup_is_none_and_an_unknown_shape_is_refused(bot):
    assert markup_from_json(None, bot) is None
    with pytest.raises(UnsupportedMethod):
        markup_from_json({"menu": []}, bot)


async def test_an_unsupported_method_is_refused_before_calling_telegram(api, bot):
    person = api.private_user()

    with pytest.raises(UnsupportedMethod):
        await call_bot_api(bot, "sendSticker", person.chat_id, {"sticker": "CAACAgIAAx"})

    assert api.calls("sendSticker") == []


async def test_a_stored_document_arrives_with_its_bytes_and_can_be_sent_again_by_id(api, bot):
    person = api.private_user()
    content = b"date,mood\n2026-01-05,ok\n"
    upload = {"filename": "checkins.csv", "content_b64": base64.b64encode(content).decode()}

    first_id = await call_bot_api(
        bot, "sendDocument", person.chat_id, {"document": upload, "caption": "Your check-ins"}
    )
    [sent] = api.messages(person)
    second_id = await call_bot_api(
        bot, "sendDocument", person.chat_id, {"document": {"file_id": sent.document.file_id}}
    )

    assert first_id == sent.message_id
    assert (sent.document.file_name, sent.document.content) == ("checkins.csv", content)
    assert sent.caption == "Your check-ins"
    again = api.messages(person)[1]
    assert (again.message_id, again.document) == (second_id, sent.document)


async def test_a_chat_gets_its_own_command_menu(api, bot):
    person = api.private_user()
    commands = [{"command": "profile", "description": "See or change your profile"}]

    await call_bot_api(bot, "setMyCommands", person.chat_id, {"commands": commands})

    assert api.commands[(f"chat:{person.chat_id}", "")] == commands
    assert ("default", "") not in api.commands
