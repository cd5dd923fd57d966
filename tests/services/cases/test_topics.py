"""Forum topics as case threads: a topic opened through the outbox with the card first in it,
messages that wait for the topic's id, a coordinator writing in it, closing, the person's next
case reopening it, and a new name when the severity rises."""

from __future__ import annotations

from peerbot.services.cases import case_view, relay, threads
from peerbot.services.cases.relay import Written
from peerbot.services.conversations.shown import Text as Shown
from peerbot.services.escalations import escalations
from peerbot.storage import outbox
from peerbot.storage.models import Case, OutboxMessage
from tests.services.cases.test_cases import (
    GROUP,
    context,
    group_rows,
    make_coordinator,
    make_person,
    rows,
    sent,
    t,
    who_of,
)

TOPIC = 41


def topic_calls(group: list[OutboxMessage]) -> list[tuple[str, object]]:
    return [
        (r.method, r.payload.get("name") or r.payload.get("message_thread_id"))
        for r in group
        if "Forum" in r.method
    ]


async def open_case_in_topic(session, *, opened: bool = True):
    """A participant wrote and confirmed; Telegram opened the case's topic as TOPIC."""
    person = await make_person(session)
    ctx = context(session, topics=True)
    held = await relay.from_person(ctx, who_of(person), Written.words("Hello?"))
    await relay.answer(ctx, who_of(person), held.items[-1].buttons[0][0].data)  # type: ignore[union-attr]
    if opened:
        await sent(session, threads.topic_key(1), TOPIC)
    case = await session.get(Case, 1)
    assert case is not None
    return person, ctx, case


async def test_a_case_opens_its_topic_first_and_its_messages_wait_for_the_topics_id(
    session_factory,
):
    async with session_factory() as session, session.begin():
        person, _, _ = await open_case_in_topic(session, opened=False)
        group = await group_rows(session)
        waiting = await outbox.with_thread(session, group[-1].payload)
        await sent(session, threads.topic_key(1), TOPIC)
        placed = await outbox.with_thread(session, group[-1].payload)
    opening, card, relayed = group
    assert (opening.method, opening.payload) == ("createForumTopic", {"name": person.pseudonym})
    assert opening.priority == card.priority <= relayed.priority, "the topic, then its card"
    assert card.payload["text"].startswith(
        t("case.card_topic", case=person.pseudonym, role=t("role.participant"))[:20]
    )
    assert relayed.payload["message_thread_id"] == {outbox.THREAD_OF: threads.topic_key(1)}
    assert "reply_parameters" not in relayed.payload, "no reply needed in a topic"
    assert waiting is None and placed is not None
    assert placed["message_thread_id"] == TOPIC


async def test_a_topic_telegram_refused_leaves_its_messages_in_the_group(session_factory):
    async with session_factory() as session, session.begin():
        person = await make_person(session)
        ctx = context(session, topics=True)
        await relay.from_person(ctx, who_of(person), Written.words("Hello?"))
        await outbox.enqueue(
            session, chat_id=GROUP, payload={}, now=ctx.now, dedupe_key="case:9:topic"
        )
        await outbox.mark_failed(session, (await group_rows(session))[-1].id, error="400")
        payload = {"text": "x", "message_thread_id": {outbox.THREAD_OF: "case:9:topic"}}
        assert await outbox.with_thread(session, payload) == {"text": "x"}


async def test_in_its_topic_a_coordinator_needs_no_reply_and_close_closes_the_topic(
    session_factory,
):
    async with session_factory() as session, session.begin():
        person, ctx, _ = await open_case_in_topic(session)
        coordinator = await make_coordinator(session)
        in_topic = threads.At(replied_to=None, topic=TOPIC)
        assert (
            await relay.from_coordinator(ctx, coordinator, Written.words("Hi", 90), in_topic)
            is None
        )
        (to_person,) = await rows(session, OutboxMessage, OutboxMessage.chat_id == 556)
        elsewhere = await threads.case_of(ctx, threads.At(topic=TOPIC + 1))
        closed = await case_view.close(ctx, coordinator, in_topic, ["contacted"])

        # the person's next message: a new case, in the same topic, reopened
        again = await relay.from_person(ctx, who_of(person), Written.words("One more"))
        await relay.answer(ctx, who_of(person), again.items[-1].buttons[0][0].data)  # type: ignore[union-attr]
        cases = await rows(session, Case)
        group = await group_rows(session)
    assert to_person.payload["text"].endswith("Hi") and elsewhere is None
    assert closed.items[0].key == "case.closed"  # type: ignore[union-attr]
    assert [c.thread_id for c in cases] == [TOPIC, TOPIC]
    assert ("closeForumTopic", TOPIC) in topic_calls(group)
    assert ("reopenForumTopic", TOPIC) in topic_calls(group)
    assert group[-1].payload["message_thread_id"] == TOPIC


async def test_the_topic_is_renamed_when_the_case_becomes_more_severe(session_factory):
    async with session_factory() as session, session.begin():
        person, ctx, case = await open_case_in_topic(session)
        flagged = await escalations.raise_flag(
            ctx, person, category="self_harm", severity="high", source="test", cause_key="t:1"
        )
        await threads.post(ctx, case, lambda _: Shown(text="one"), "k:1")
        await escalations.raise_severity(ctx, flagged, "critical")
        await threads.post(ctx, case, lambda _: Shown(text="two"), "k:2")
        await threads.post(ctx, case, lambda _: Shown(text="three"), "k:3")
        names = [name for _, name in topic_calls(await group_rows(session))]
    high, critical = (t(f"severity.{s}") for s in ("high", "critical"))
    assert names == [
        person.pseudonym,
        t("case.topic_name", case=person.pseudonym, severity=high),
        t("case.topic_name", case=person.pseudonym, severity=critical),
    ]
