"""The sender and a case's forum topic: the topic is opened first, through an outage, and the
messages queued for it wait for its id; a topic Telegram refuses leaves them in the group."""

from __future__ import annotations

from peerbot.storage import outbox
from peerbot.storage.clock import utcnow
from peerbot.storage.outbox import THREAD_OF, Priority
from tests.bot.test_sender import counts, wait_until_sent

FORUM = -1002223334445
TOPIC_KEY = "case:1:topic"


async def queue_topic_and_message(sessions) -> None:
    """As a case's first message in a forum: the topic, then the message naming it by key."""
    async with sessions() as session, session.begin():
        await outbox.enqueue(
            session,
            chat_id=FORUM,
            payload={"name": "K7QX · high"},
            now=utcnow(),
            method="createForumTopic",
            priority=Priority.ESCALATION,
            dedupe_key=TOPIC_KEY,
        )
        await outbox.enqueue(
            session,
            chat_id=FORUM,
            payload={"text": "Safety flag", "message_thread_id": {THREAD_OF: TOPIC_KEY}},
            now=utcnow(),
            priority=Priority.ESCALATION,
        )


async def test_messages_for_a_topic_wait_for_it_through_an_outage(
    api, session_factory, make_sender, start_sender
):
    group = api.group(chat_id=FORUM, bot_status="administrator", forum=True)
    await queue_topic_and_message(session_factory)
    api.fail_for(1.0, status=500, methods="createForumTopic")

    start_sender(make_sender())
    await wait_until_sent(api, session_factory, 2)

    [topic] = group.topics.values()
    [message] = api.messages(FORUM, thread_id=topic.thread_id)
    assert (topic.name, message.text) == ("K7QX · high", "Safety flag")


async def test_a_topic_telegram_refuses_leaves_its_messages_in_the_group(
    api, session_factory, make_sender, start_sender
):
    api.group(chat_id=FORUM, bot_status="member", forum=True)  # may not manage topics
    await queue_topic_and_message(session_factory)

    async def settled() -> bool:
        return await counts(session_factory) == {"failed": 1, "sent": 1}

    start_sender(make_sender())
    await api.wait_until(settled, timeout=10)

    [message] = api.messages(FORUM)
    assert message.thread_id is None and message.text == "Safety flag"
