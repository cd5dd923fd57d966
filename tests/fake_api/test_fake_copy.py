"""copyMessage in the fake Bot API: what a copy keeps, where it goes, and what Telegram refuses."""

from __future__ import annotations

import httpx
import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, MessageId, ReplyParameters
from telegram.error import Forbidden, RetryAfter

from peerbot.emulator.fake_models import FakeGroup, FakeMessage
from peerbot.emulator.fake_telegram import FakeBotApi

FORUM = -1007007007


def desk(api: FakeBotApi) -> FakeGroup:
    """The coordinators' forum, where the bot manages topics."""
    return api.group(chat_id=FORUM, title="Desk", bot_status="administrator", forum=True)


def copied(api: FakeBotApi, chat: FakeGroup, copy: MessageId) -> FakeMessage:
    found = api.find_message(chat, copy.message_id)
    assert found is not None, api.transcript(chat)
    return found


async def test_a_text_is_copied_into_a_topic_without_a_link_to_the_original(
    api: FakeBotApi, bot: Bot
):
    group = desk(api)
    sam = api.private_user(first_name="Sam")
    thread = (await bot.create_forum_topic(FORUM, "Case")).message_thread_id
    said = await sam.send_text("I need help, see https://example.org")
    forwarded = await sam.forward_text("words someone else wrote")

    copy = await bot.copy_message(FORUM, sam.id, said.message_id, message_thread_id=thread)
    again = await bot.copy_message(FORUM, sam.id, forwarded.message_id)

    assert isinstance(copy, MessageId)
    message = copied(api, group, copy).to_dict()
    assert message["text"] == "I need help, see https://example.org"
    assert message["entities"] == said.entities and message["entities"][0]["type"] == "url"
    assert message["from"]["is_bot"] is True and message["message_thread_id"] == thread
    assert message["is_topic_message"] is True
    assert "forward_origin" not in copied(api, group, again).to_dict()
    assert [m.method for m in api.messages(group)] == ["copyMessage", "copyMessage"]


async def test_media_are_copied_with_their_caption_or_a_new_one(api: FakeBotApi, bot: Bot):
    group = desk(api)
    sam = api.private_user(first_name="Sam")
    photo = await sam.send_media("photo", caption="my scan")
    voice = await sam.send_media("voice")
    png = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000030000000200") + b"\0" * 20
    own = await bot.send_photo(sam.id, png, caption="a chart")

    same = copied(api, group, await bot.copy_message(FORUM, sam.id, photo.message_id))
    renamed = copied(
        api,
        group,
        await bot.copy_message(
            FORUM, sam.id, photo.message_id, caption="<b>Scan</b> from Sam", parse_mode="HTML"
        ),
    )
    bare = copied(api, group, await bot.copy_message(FORUM, sam.id, photo.message_id, caption=""))
    spoken = copied(api, group, await bot.copy_message(FORUM, sam.id, voice.message_id))
    chart = copied(api, group, await bot.copy_message(FORUM, sam.id, own.message_id))

    file_id = photo.attachment["photo"][-1]["file_id"]
    assert same.to_dict()["photo"][-1]["file_id"] == file_id and same.caption == "my scan"
    assert renamed.caption == "Scan from Sam"
    assert renamed.caption_entities == [{"type": "bold", "offset": 0, "length": 4}]
    assert bare.caption is None and "caption" not in bare.to_dict()
    assert spoken.to_dict()["voice"] == voice.attachment["voice"]
    assert chart.photo is not None and chart.caption == "a chart"


async def test_a_copy_takes_reply_parameters_and_buttons_of_its_own(api: FakeBotApi, bot: Bot):
    group = desk(api)
    sam = api.private_user(first_name="Sam")
    card = await bot.send_message(FORUM, "Card")
    said = await sam.send_text("details")
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Claim", callback_data="claim:1")]])

    copy = await bot.copy_message(
        FORUM,
        sam.id,
        said.message_id,
        reply_parameters=ReplyParameters(card.message_id),
        reply_markup=markup,
    )

    message = copied(api, group, copy)
    assert message.reply_to is not None and message.reply_to.message_id == card.message_id
    assert message.buttons == ["Claim"]


@pytest.mark.parametrize(
    ("case", "refusal"),
    [
        ("missing", "message to copy not found"),
        ("deleted", "message to copy not found"),
        ("hidden by privacy mode", "message to copy not found"),
        ("topic opening", "message can't be copied"),
        ("unknown chat", "chat not found"),
        ("to a missing reply", "message to be replied not found"),
        ("to a missing topic", "message thread not found"),
    ],
)
async def test_copies_refused_like_telegram(
    api: FakeBotApi, http: httpx.AsyncClient, case: str, refusal: str
):
    group = desk(api)
    sam = api.private_user(first_name="Sam")
    plain = api.group(chat_id=-1002, members=[sam])  # the bot is a member in privacy mode
    said = await sam.send_text("hello")
    gone = await sam.send_text("oops")
    gone.deleted = True
    chatter = await sam.send_text("just chatting", chat=plain)
    topic = (await http.post("createForumTopic", json={"chat_id": FORUM, "name": "C"})).json()
    thread = topic["result"]["message_thread_id"]
    params = {
        "missing": {"from_chat_id": sam.id, "message_id": 99},
        "deleted": {"from_chat_id": sam.id, "message_id": gone.message_id},
        "hidden by privacy mode": {"from_chat_id": plain.id, "message_id": chatter.message_id},
        "topic opening": {"from_chat_id": FORUM, "message_id": thread},
        "unknown chat": {"from_chat_id": -100999, "message_id": 1},
        "to a missing reply": {
            "from_chat_id": sam.id,
            "message_id": said.message_id,
            "reply_parameters": {"message_id": 99},
        },
        "to a missing topic": {
            "from_chat_id": sam.id,
            "message_id": said.message_id,
            "message_thread_id": 99,
        },
    }[case]

    response = await http.post("copyMessage", json={"chat_id": FORUM, **params})

    assert response.status_code == 400
    assert response.json()["description"] == f"Bad Request: {refusal}"
    assert api.messages(group) == []


async def test_copies_count_as_sends_for_failures_and_flood_control(api: FakeBotApi, bot: Bot):
    desk(api)
    sam = api.private_user(first_name="Sam")
    said = await sam.send_text("hello")
    api.fail_next(1, status=429, retry_after=4)
    with pytest.raises(RetryAfter):
        await bot.copy_message(FORUM, sam.id, said.message_id)
    api.enforce_rate_limits(per_private_chat_per_s=None, per_group_per_min=1)
    await bot.copy_message(FORUM, sam.id, said.message_id)
    with pytest.raises(RetryAfter):
        await bot.copy_message(FORUM, sam.id, said.message_id)
    assert [hit.scope for hit in api.rate_limit_hits] == ["group"]


async def test_copying_a_message_of_a_chat_the_bot_was_removed_from_is_refused(
    api: FakeBotApi, bot: Bot
):
    desk(api)
    dana = api.private_user(first_name="Dana")
    old = api.group(chat_id=-1003, admins=[dana])
    note = await bot.send_message(old.id, "note")
    api.remove_bot(old, by=dana)
    with pytest.raises(Forbidden, match="bot was kicked"):
        await bot.copy_message(FORUM, old.id, note.message_id)
