"""Forum supergroups in the fake Bot API: topics opened, renamed, closed, reopened and deleted,
and messages that go into them, as python-telegram-bot sees them."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from telegram import Bot, Update
from telegram.constants import ChatMemberStatus
from telegram.error import BadRequest

from peerbot.emulator.fake_bot_joins import add_bot_to_group
from peerbot.emulator.fake_models import FakeGroup
from peerbot.emulator.fake_telegram import FakeBotApi

from .conftest import BOT_ID

FORUM = -1007007007
BLUE, RED = 0x6FB9F0, 0xFB6F5F


def forum(api: FakeBotApi, **options: Any) -> FakeGroup:
    """A forum supergroup where the bot is an administrator (options override)."""
    defaults: dict[str, Any] = {"title": "Cases", "bot_status": "administrator", "forum": True}
    return api.group(chat_id=FORUM, **(defaults | options))


async def updates(bot: Bot) -> list[Update]:
    return list(await bot.get_updates(timeout=0))


# -- the forum and the bot's rights -----------------------------------------------------------


async def test_a_forum_says_so_in_get_chat_and_an_admin_bot_may_manage_topics(
    api: FakeBotApi, bot: Bot
):
    forum(api)
    plain = api.group(chat_id=-1002, bot_status="administrator")
    narrow = api.group(
        chat_id=-1003, forum=True, bot_status="administrator",
        bot_rights={"can_manage_topics": False},
    )  # fmt: skip

    assert (await bot.get_chat(FORUM)).is_forum is True
    assert not (await bot.get_chat(plain.id)).is_forum
    me = await bot.get_chat_member(FORUM, BOT_ID)
    assert me.status == ChatMemberStatus.ADMINISTRATOR and me.can_manage_topics is True
    limited = await bot.get_chat_member(narrow.id, BOT_ID)
    assert limited.can_manage_topics is False and limited.can_delete_messages is True
    with pytest.raises(ValueError, match="supergroup"):
        api.group(chat_id=-4004, forum=True)


async def test_topics_are_turned_on_in_a_supergroup_and_by_migrating_a_basic_group(
    api: FakeBotApi, bot: Bot
):
    supergroup = api.group(chat_id=-1005, bot_status="administrator")
    basic = api.group(chat_id=-4005, bot_status="administrator")
    with pytest.raises(BadRequest, match="(?i)the chat is not a forum"):
        await bot.create_forum_topic(supergroup.id, "Case")

    api.enable_topics(supergroup)
    with pytest.raises(ValueError, match="migrate_group"):
        api.enable_topics(basic)
    upgraded = api.migrate_group(basic, -1006, forum=True)

    assert (await bot.create_forum_topic(supergroup.id, "Case")).name == "Case"
    assert (await bot.create_forum_topic(upgraded.id, "Case")).name == "Case"
    assert (await bot.get_chat(upgraded.id)).is_forum is True
    api.enable_topics(supergroup, False)
    with pytest.raises(BadRequest, match="(?i)the chat is not a forum"):
        await bot.create_forum_topic(supergroup.id, "Case")


async def test_the_bot_added_to_a_forum_sees_is_forum_in_its_my_chat_member(
    api: FakeBotApi, bot: Bot
):
    dana = api.private_user(first_name="Dana")
    add_bot_to_group(api, dana, chat_id=FORUM, status="administrator", forum=True)
    (joined,) = await bot.get_updates(timeout=0, allowed_updates=["my_chat_member"])
    assert joined.my_chat_member is not None and joined.my_chat_member.chat.is_forum is True


# -- createForumTopic and the other topic methods ----------------------------------------------


async def test_create_forum_topic_opens_it_with_a_service_message_whose_id_is_the_thread(
    api: FakeBotApi, bot: Bot
):
    group = forum(api)
    await bot.send_message(FORUM, "in General")

    topic = await bot.create_forum_topic(FORUM, "Case 12")
    red = await bot.create_forum_topic(FORUM, "Case 13", icon_color=RED)

    # Message 1 of a forum is its creation: the General topic's id, never a new topic's.
    assert (topic.name, topic.icon_color, topic.message_thread_id) == ("Case 12", BLUE, 3)
    assert (red.icon_color, red.message_thread_id) == (RED, 4)
    opening = group.transcript[1].to_dict()
    assert opening["message_id"] == opening["message_thread_id"] == topic.message_thread_id
    assert opening["is_topic_message"] is True and opening["from"]["id"] == BOT_ID
    assert opening["forum_topic_created"] == {"name": "Case 12", "icon_color": BLUE}
    assert [m.text for m in api.messages(group)] == ["in General"]  # service messages apart
    assert await updates(bot) == []  # the bot hears nothing of its own actions


async def test_create_forum_topic_names_and_colours(api: FakeBotApi, bot: Bot):
    forum(api)
    long = await bot.create_forum_topic(FORUM, "  " + "x" * 200)
    assert long.name == "x" * 128  # Telegram trims and cuts the name, it does not refuse it
    with pytest.raises(BadRequest, match="(?i)title must be non-empty"):
        await bot.create_forum_topic(FORUM, "   ")
    with pytest.raises(BadRequest, match="(?i)invalid icon color specified"):
        await bot.create_forum_topic(FORUM, "Case", icon_color=0x123456)


@pytest.mark.parametrize(
    ("chat_id", "options", "refusal"),
    [
        (-1001, {}, "the chat is not a forum"),
        (-4001, {}, "the chat is not a forum"),
        (FORUM, {"forum": True}, "not enough rights to create a topic"),
        (
            FORUM,
            {"forum": True, "bot_status": "administrator", "bot_rights": {"can_manage_topics": 0}},
            "not enough rights to create a topic",
        ),
    ],
)
async def test_create_forum_topic_refusals(
    api: FakeBotApi, bot: Bot, chat_id: int, options: dict, refusal: str
):
    api.group(chat_id=chat_id, **options)
    with pytest.raises(BadRequest, match=f"(?i){refusal}"):
        await bot.create_forum_topic(chat_id, "Case")
    alex = api.private_user()
    with pytest.raises(BadRequest, match="(?i)the chat is not a forum"):
        await bot.create_forum_topic(alex.id, "Case")


async def test_edit_close_and_reopen_leave_service_messages_in_the_topic(
    api: FakeBotApi, bot: Bot
):
    group = forum(api)
    thread = (await bot.create_forum_topic(FORUM, "Case 12")).message_thread_id

    assert await bot.edit_forum_topic(FORUM, thread, name="Case 12 (urgent)") is True
    assert await bot.edit_forum_topic(FORUM, thread, icon_custom_emoji_id="5312536423851630001")
    assert await bot.edit_forum_topic(FORUM, thread) is True  # nothing asked, nothing done
    assert await bot.close_forum_topic(FORUM, thread) is True
    assert await bot.reopen_forum_topic(FORUM, thread) is True

    service = [m.to_dict() for m in group.transcript[1:]]
    assert [m["message_thread_id"] for m in service] == [thread] * 4
    assert service[0]["forum_topic_edited"] == {"name": "Case 12 (urgent)"}
    assert service[1]["forum_topic_edited"] == {"icon_custom_emoji_id": "5312536423851630001"}
    assert "forum_topic_closed" in service[2] and "forum_topic_reopened" in service[3]
    assert service[2]["reply_to_message"]["forum_topic_created"]["name"] == "Case 12"
    topic = group.topics[thread]
    assert (topic.name, topic.closed, topic.icon_custom_emoji_id) == (
        "Case 12 (urgent)",
        False,
        "5312536423851630001",
    )
    await bot.edit_forum_topic(FORUM, thread, icon_custom_emoji_id="")
    assert group.transcript[-1].attachment["forum_topic_edited"] == {"icon_custom_emoji_id": ""}


async def test_topic_changes_refused_like_telegram(
    api: FakeBotApi, bot: Bot, http: httpx.AsyncClient
):
    group = forum(api)
    thread = (await bot.create_forum_topic(FORUM, "Case")).message_thread_id

    with pytest.raises(BadRequest, match="(?i)topic_not_modified"):
        await bot.edit_forum_topic(FORUM, thread, name="Case")
    with pytest.raises(BadRequest, match="(?i)topic_not_modified"):
        await bot.reopen_forum_topic(FORUM, thread)
    await bot.close_forum_topic(FORUM, thread)
    with pytest.raises(BadRequest, match="(?i)topic_not_modified"):
        await bot.close_forum_topic(FORUM, thread)
    for call in (bot.close_forum_topic, bot.reopen_forum_topic, bot.delete_forum_topic):
        with pytest.raises(BadRequest, match="(?i)topic_id_invalid"):
            await call(FORUM, 999)
    with pytest.raises(BadRequest, match="(?i)topic_id_invalid"):
        await bot.edit_forum_topic(FORUM, 1, name="General")  # General is not a topic to edit
    missing = await http.post("closeForumTopic", json={"chat_id": FORUM})
    assert missing.json()["description"] == (
        "Bad Request: invalid message thread identifier specified"
    )
    with pytest.raises(BadRequest, match="(?i)the chat is not a forum"):
        await bot.close_forum_topic(api.group(chat_id=-1002).id, thread)
    assert group.topics[thread].closed is True


async def test_rights_over_topics_the_bot_did_not_open(api: FakeBotApi, bot: Bot):
    dana = api.private_user(first_name="Dana")
    group = forum(api, admins=[dana], bot_rights={"can_manage_topics": False})
    by_dana = await dana.open_topic(group, "Dana's")
    group.bot_rights = {}
    by_bot = (await bot.create_forum_topic(FORUM, "Bot's")).message_thread_id
    group.bot_rights = {"can_manage_topics": False, "can_delete_messages": False}

    with pytest.raises(BadRequest, match="(?i)not enough rights to edit the topic"):
        await bot.edit_forum_topic(FORUM, by_dana.thread_id, name="Mine")
    with pytest.raises(BadRequest, match="(?i)not enough rights to close or open the topic"):
        await bot.close_forum_topic(FORUM, by_dana.thread_id)
    assert await bot.edit_forum_topic(FORUM, by_bot, name="Still mine") is True
    assert await bot.close_forum_topic(FORUM, by_bot) is True
    with pytest.raises(BadRequest, match="(?i)not enough rights to delete the topic"):
        await bot.delete_forum_topic(FORUM, by_bot)


async def test_a_topic_opened_by_hand_reaches_the_bot(api: FakeBotApi, bot: Bot):
    dana, sam = api.private_user(first_name="Dana"), api.private_user(first_name="Sam")
    group = forum(api, admins=[dana], members=[sam])
    topic = await dana.open_topic(group, "Intake", icon_color=RED)
    with pytest.raises(AssertionError, match="may not open topics"):
        await sam.open_topic(group, "Mine")
    (update,) = await updates(bot)
    assert update.message is not None and update.message.forum_topic_created is not None
    assert update.message.forum_topic_created.name == "Intake"
    assert update.message.message_thread_id == topic.thread_id == update.message.message_id
    assert update.message.is_topic_message is True and update.message.from_user.id == dana.id


# -- sending into topics --------------------------------------------------------------------


async def test_messages_sent_to_a_topic_carry_its_thread_and_answer_its_opening(
    api: FakeBotApi, bot: Bot
):
    group = forum(api)
    thread = (await bot.create_forum_topic(FORUM, "Case 12")).message_thread_id
    png = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000030000000200") + b"\0" * 20

    text = await bot.send_message(FORUM, "Card", message_thread_id=thread)
    photo = await bot.send_photo(FORUM, png, caption="pic", message_thread_id=thread)
    document = await bot.send_document(
        FORUM, b"a,b\n", filename="notes.csv", message_thread_id=thread
    )
    general = await bot.send_message(FORUM, "For everyone")
    assert await bot.send_chat_action(FORUM, "typing", message_thread_id=thread) is True

    for sent in (text, photo, document):
        assert sent.message_thread_id == thread and sent.is_topic_message is True
        assert sent.reply_to_message is not None
        assert sent.reply_to_message.forum_topic_created.name == "Case 12"
    assert general.message_thread_id is None and not general.is_topic_message
    assert general.reply_to_message is None
    assert [m.content for m in api.messages(group, thread_id=thread)] == ["Card", "pic", ""]
    assert group.transcript[-1].describe() == f"#{general.message_id} bot: 'For everyone'"
    assert api.messages(group)[0].describe() == f"#{text.message_id} [topic {thread}] bot: 'Card'"
    opening = f"#{thread} [topic {thread}] bot: '' <forum_topic_created>"
    assert group.transcript[0].describe() == opening


@pytest.mark.parametrize(
    ("where", "thread"), [("General", 1), ("unknown", 99), ("plain", 1), ("private", 1)]
)
async def test_a_thread_that_is_not_a_topic_is_not_found(
    api: FakeBotApi, bot: Bot, where: str, thread: int
):
    forum(api)
    chat_id = {
        "General": FORUM,
        "unknown": FORUM,
        "plain": api.group(chat_id=-1002).id,
        "private": api.private_user().id,
    }[where]
    with pytest.raises(BadRequest, match="(?i)message thread not found"):
        await bot.send_message(chat_id, "Card", message_thread_id=thread)
    with pytest.raises(BadRequest, match="(?i)message thread not found"):
        await bot.send_document(chat_id, b"x", filename="x.txt", message_thread_id=thread)
    assert api.sent_messages(chat_id) == []


async def test_a_closed_topic_takes_messages_only_from_those_who_manage_topics(
    api: FakeBotApi, bot: Bot
):
    dana, sam = api.private_user(first_name="Dana"), api.private_user(first_name="Sam")
    group = forum(api, admins=[dana], members=[sam])
    thread = (await bot.create_forum_topic(FORUM, "Case")).message_thread_id
    await bot.close_forum_topic(FORUM, thread)

    await bot.send_message(FORUM, "Closed, noted", message_thread_id=thread)
    await dana.send_text("admins may", chat=group, thread_id=thread)
    with pytest.raises(AssertionError, match="TOPIC_CLOSED"):
        await sam.send_text("members may not", chat=group, thread_id=thread)
    group.bot_rights = {"can_manage_topics": False}
    with pytest.raises(BadRequest, match="(?i)topic_closed"):
        await bot.send_message(FORUM, "Again", message_thread_id=thread)
    with pytest.raises(BadRequest, match="(?i)topic_closed"):  # a reply goes to the topic too
        await bot.send_message(FORUM, "Again", reply_to_message_id=thread)
    assert [m.text for m in api.messages(group, thread_id=thread)] == ["Closed, noted"]


async def test_deleting_a_topic_deletes_its_messages(api: FakeBotApi, bot: Bot):
    sam = api.private_user(first_name="Sam")
    group = forum(api, members=[sam])
    thread = (await bot.create_forum_topic(FORUM, "Case")).message_thread_id
    kept = (await bot.create_forum_topic(FORUM, "Other")).message_thread_id
    card = await bot.send_message(FORUM, "Card", message_thread_id=thread)
    said = await sam.send_text("hello", chat=group, thread_id=thread)
    await bot.send_message(FORUM, "Elsewhere", message_thread_id=kept)

    assert await bot.delete_forum_topic(FORUM, thread) is True

    assert [m.text for m in api.messages(group)] == ["Elsewhere"]
    assert said.deleted and api.find_message(group, card.message_id) is None
    assert group.topic(thread) is None and group.topic(kept) is not None
    with pytest.raises(BadRequest, match="(?i)message thread not found"):
        await bot.send_message(FORUM, "Card", message_thread_id=thread)
    with pytest.raises(BadRequest, match="(?i)topic_id_invalid"):
        await bot.delete_forum_topic(FORUM, thread)
    with pytest.raises(AssertionError, match="no topic"):
        await sam.send_text("still there?", chat=group, thread_id=thread)


# -- people writing in topics and reply threads ---------------------------------------------


async def test_a_person_writes_in_a_topic_and_replies_stay_in_it(api: FakeBotApi, bot: Bot):
    sam = api.private_user(first_name="Sam")
    group = forum(api, members=[sam])
    thread = (await bot.create_forum_topic(FORUM, "Case")).message_thread_id
    card = await bot.send_message(FORUM, "Card", message_thread_id=thread)
    card_stored = api.find_message(group, card.message_id)
    assert card_stored is not None

    await sam.send_text("first words", chat=group, thread_id=thread)
    await sam.send_text("about the card", reply_to=card_stored)  # chat and topic follow
    await sam.send_text("for everyone", chat=group)

    first, reply, general = [u.message for u in await updates(bot)]
    assert (first.message_thread_id, first.is_topic_message) == (thread, True)
    assert first.reply_to_message.message_id == thread  # the topic's opening
    assert first.reply_to_message.forum_topic_created.name == "Case"
    assert (reply.chat.id, reply.message_thread_id, reply.is_topic_message) == (
        FORUM,
        thread,
        True,
    )
    assert reply.reply_to_message.message_id == card.message_id
    assert reply.reply_to_message.text == "Card"
    assert general.message_thread_id is None and not general.is_topic_message
    with pytest.raises(AssertionError, match="no topic 99"):
        await sam.send_text("lost", chat=group, thread_id=99)


async def test_replies_outside_topics_carry_the_first_message_of_the_chain(
    api: FakeBotApi, bot: Bot
):
    sam = api.private_user(first_name="Sam")
    plain = api.group(chat_id=-1002, members=[sam], bot_status="administrator")
    basic = api.group(chat_id=-4002, members=[sam], bot_status="administrator")
    group = forum(api, members=[sam])  # its General topic is like a plain supergroup
    expected: list[tuple[int, int | None]] = []
    for chat in (plain, basic, group):
        card = await bot.send_message(chat.id, "Card")
        stored = api.find_message(chat, card.message_id)
        assert stored is not None
        first = await sam.send_text("re", reply_to=stored)
        await sam.send_text("re re", reply_to=first)
        answer = await bot.send_message(chat.id, "ok", reply_to_message_id=first.message_id)
        root = None if chat is basic else card.message_id
        assert answer.message_thread_id == root and not answer.is_topic_message
        expected += [(chat.id, root)] * 2
    messages = [u.message for u in await updates(bot)]
    assert [(m.chat.id, m.message_thread_id) for m in messages] == expected
    assert expected[0] == (plain.id, 1) and not any(m.is_topic_message for m in messages)
    assert messages[1].reply_to_message.text == "re"


# -- the control API ----------------------------------------------------------------------


async def test_control_api_for_forums(api: FakeBotApi, bot: Bot):
    async with httpx.AsyncClient(base_url=f"{api.url}/_test/") as control:
        made = await control.post(
            "groups",
            json={"chat_id": FORUM, "forum": True, "bot_status": "administrator",
                  "members": [7001], "bot_rights": {"can_delete_messages": False}},
        )  # fmt: skip
        assert made.json()["is_forum"] is True
        thread = (await bot.create_forum_topic(FORUM, "Case")).message_thread_id
        card = await bot.send_message(FORUM, "Card", message_thread_id=thread)
        said = await control.post(
            "users/7001/text",
            json={"text": "hi", "chat_id": FORUM, "reply_to_message_id": card.message_id},
        )
        assert said.json()["message_thread_id"] == thread and said.json()["is_topic_message"]
        photo = await control.post(
            "users/7001/media",
            json={"kind": "photo", "caption": "scan", "chat_id": FORUM,
                  "message_thread_id": thread},
        )  # fmt: skip
        assert photo.json()["caption"] == "scan" and photo.json()["message_thread_id"] == thread
        listed = (await control.get(f"chats/{FORUM}/topics")).json()
        assert listed == [
            {"message_thread_id": thread, "name": "Case", "icon_color": 0x6FB9F0,
             "is_closed": False, "is_deleted": False}
        ]  # fmt: skip
        in_topic = (await control.get(f"chats/{FORUM}/messages?thread_id={thread}")).json()
        assert [m.get("text") or m.get("caption") for m in in_topic] == [
            None, "Card", "hi", "scan"
        ]  # fmt: skip
        with pytest.raises(BadRequest, match="(?i)not enough rights to delete the topic"):
            await bot.delete_forum_topic(FORUM, thread)
        await control.post("groups", json={"chat_id": -1004, "forum": True, "admins": [7002]})
        opened = await control.post("users/7002/topics", json={"chat_id": -1004, "name": "Intake"})
        assert opened.json() == {"message_thread_id": 2, "name": "Intake", "icon_color": 0x6FB9F0}
        refused = await control.post("users/7001/topics", json={"chat_id": -1004, "name": "No"})
        assert refused.status_code == 400 and "may not open topics" in refused.json()["error"]
        plain = await control.post("groups", json={"chat_id": -1002})
        assert "is_forum" not in plain.json()
        assert (await control.post("groups/-1002/forum", json={})).json()["is_forum"] is True
        await control.post("groups", json={"chat_id": -4002, "members": [7001]})
        assert (await control.post("groups/-4002/forum", json={})).status_code == 400
        moved = await control.post(
            "groups/-4002/migrate", json={"new_chat_id": -1003, "forum": True, "by": 7001}
        )
        assert moved.json()["is_forum"] is True
        lost = await control.post(
            "users/7001/text", json={"text": "x", "chat_id": FORUM, "message_thread_id": 99}
        )
        assert lost.status_code == 400 and "no topic 99" in lost.json()["error"]
