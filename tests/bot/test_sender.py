"""The outbox sender against the fake Bot API: delivery, order, limits, errors and restarts."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from peerbot.bot.pacing import ChatPacer
from peerbot.storage import outbox
from peerbot.storage.clock import utcnow
from peerbot.storage.models import OutboxMessage
from peerbot.storage.outbox import Priority

sqlite_only = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


async def enqueue(
    sessions,
    chat_id: int,
    text: str | None = None,
    *,
    method: str = "sendMessage",
    priority: int = Priority.REPLY,
    **payload: Any,
) -> None:
    """Commit one outbox row, as a service does."""
    if text is not None:
        payload["text"] = text
    async with sessions() as session, session.begin():
        await outbox.enqueue(
            session,
            chat_id=chat_id,
            payload=payload,
            now=utcnow(),
            method=method,
            priority=priority,
        )


async def outbox_rows(sessions) -> list[OutboxMessage]:
    async with sessions() as session:
        return list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


async def counts(sessions) -> dict[str, int]:
    async with sessions() as session:
        return await outbox.count_by_status(session)


async def wait_until_sent(api, sessions, expected: int, timeout: float = 10.0) -> None:  # noqa: ASYNC109
    async def all_sent() -> bool:
        return await counts(sessions) == {"sent": expected}

    try:
        await api.wait_until(all_sent, timeout=timeout, interval=0.05)
    except AssertionError:
        raise AssertionError(f"outbox is {await counts(sessions)}, not {expected} sent") from None


def sent_texts(api, chat) -> list[str]:
    return [message.text for message in api.messages(chat)]


def send_requests(api) -> list[tuple[int, str, int | None]]:
    """(chat id, text, HTTP status) of every sendMessage the fake received, in order."""
    return [(r.params["chat_id"], r.params["text"], r.status) for r in api.calls("sendMessage")]


async def test_rows_are_delivered_with_buttons_and_telegram_ids_recorded(
    api, session_factory, make_sender
):
    alice, bob = api.private_user(first_name="Alice"), api.private_user(first_name="Bob")
    group = api.group()
    keyboard = {
        "inline_keyboard": [
            [{"text": "Yes", "callback_data": "ok:y:7"}, {"text": "No", "callback_data": "ok:n:7"}]
        ]
    }
    await enqueue(session_factory, alice.chat_id, "Hello Alice")
    await enqueue(session_factory, bob.chat_id, "Ready?", reply_markup=keyboard)
    await enqueue(session_factory, group.id, "New request", priority=Priority.COORDINATION)

    await make_sender().deliver_all_due()

    assert sent_texts(api, alice) == ["Hello Alice"]
    assert sent_texts(api, group) == ["New request"]
    [question] = api.messages(bob)
    assert question.text == "Ready?"
    assert question.inline_markup == keyboard
    assert await counts(session_factory) == {"sent": 3}
    rows = await outbox_rows(session_factory)
    delivered = {row.chat_id: api.messages(row.chat_id)[0].message_id for row in rows}
    assert {row.chat_id: row.telegram_message_id for row in rows} == delivered
    assert all(row.sent_at is not None and row.attempts == 1 for row in rows)


async def test_more_urgent_rows_reach_telegram_first(api, session_factory, make_sender):
    people = [api.private_user() for _ in range(6)]
    for person in people[:3]:
        await enqueue(session_factory, person.chat_id, "weekly check-in", priority=50)
    for person in people[3:]:
        await enqueue(session_factory, person.chat_id, "urgent", priority=Priority.ESCALATION)

    # one send at a time, so the order requests arrive in is the order they were made in
    await make_sender(concurrency=1).deliver_all_due()

    assert [text for _, text, _ in send_requests(api)] == ["urgent"] * 3 + ["weekly check-in"] * 3
    assert [chat for chat, _, _ in send_requests(api)][:3] == [p.chat_id for p in people[3:]]


async def test_one_chat_stays_in_order_when_its_first_message_is_rate_limited(
    api, session_factory, make_sender, start_sender
):
    person = api.private_user()
    for number in range(1, 6):
        await enqueue(session_factory, person.chat_id, f"message {number}")
    api.fail_next(1, status=429, retry_after=1, methods="sendMessage")

    start_sender(make_sender())
    await wait_until_sent(api, session_factory, 5)

    assert sent_texts(api, person) == [f"message {n}" for n in range(1, 6)]
    requested = [(text, status) for _, text, status in send_requests(api)]
    assert requested == [("message 1", 429)] + [(f"message {n}", 200) for n in range(1, 6)]


async def test_429_is_retried_after_retry_after_and_holds_every_chat(
    api, session_factory, make_sender, start_sender
):
    alice, bob = api.private_user(), api.private_user()
    api.fail_next(1, status=429, retry_after=1, methods="sendMessage")
    start_sender(sender := make_sender())
    await enqueue(session_factory, alice.chat_id, "for Alice")
    sender.wake()
    await api.wait_until(lambda: any(r.status == 429 for r in api.requests))
    await enqueue(session_factory, bob.chat_id, "for Bob")  # arrives during the pause
    sender.wake()

    await wait_until_sent(api, session_factory, 2)

    refused, *accepted = api.calls("sendMessage")
    assert refused.status == 429
    assert sorted((r.params["text"], r.status) for r in accepted) == [
        ("for Alice", 200),
        ("for Bob", 200),
    ]
    assert all(r.time - refused.time >= 1.0 for r in accepted), "sent during the pause"
    alice_row = next(r for r in await outbox_rows(session_factory) if r.chat_id == alice.chat_id)
    assert (alice_row.status, alice_row.attempts) == ("sent", 2)


async def test_a_5xx_outage_delays_but_loses_and_repeats_nothing(
    api, session_factory, make_sender, start_sender
):
    people = [api.private_user() for _ in range(3)]
    for number in (1, 2):
        for person in people:
            await enqueue(session_factory, person.chat_id, f"note {number}")
    api.fail_for(2, status=500, methods="sendMessage")

    start_sender(make_sender())
    await wait_until_sent(api, session_factory, 6)

    statuses = [status for _, _, status in send_requests(api)]
    assert 500 in statuses
    for person in people:  # each once, in order: no duplicates in the chat
        assert sent_texts(api, person) == ["note 1", "note 2"]
    assert len(api.sent_messages()) == 6


async def test_refused_rows_fail_once_and_not_modified_counts_as_sent(
    api, session_factory, make_sender
):
    reader, blocker = api.private_user(), api.private_user()
    api.block_user(blocker)
    await enqueue(session_factory, reader.chat_id, "Hello")
    await enqueue(session_factory, 987654321, "to nobody")
    await enqueue(session_factory, blocker.chat_id, "you blocked me")
    await enqueue(session_factory, reader.chat_id, "ignored", method="sendSticker")
    sender = make_sender()
    await sender.deliver_all_due()
    [hello] = api.messages(reader)
    await enqueue(
        session_factory,
        reader.chat_id,
        "Hello",
        method="editMessageText",
        message_id=hello.message_id,
    )

    await sender.deliver_all_due()

    answers = sorted((r.method, r.params["chat_id"], r.status) for r in api.requests[1:])
    assert answers == [  # one request each: nothing refused is tried again
        ("editMessageText", reader.chat_id, 400),
        ("sendMessage", reader.chat_id, 200),
        ("sendMessage", blocker.chat_id, 403),
        ("sendMessage", 987654321, 400),
    ]
    rows = await outbox_rows(session_factory)
    assert [(row.status, (row.last_error or "")[:3]) for row in rows] == [
        ("sent", ""),
        ("failed", "400"),
        ("failed", "403"),
        ("failed", "uns"),
        ("sent", ""),
    ]
    assert hello.edits == []


@sqlite_only
async def test_private_chat_pacing_stays_within_telegrams_limit(api, session_factory, make_sender):
    pacer = ChatPacer()
    api.enforce_rate_limits(per_private_chat_per_s=1, private_burst=pacer.burst)
    person = api.private_user()
    for number in range(1, 7):
        await enqueue(session_factory, person.chat_id, f"line {number}")

    await make_sender(pacer=pacer).deliver_all_due()

    assert api.rate_limit_hits == []
    assert sent_texts(api, person) == [f"line {n}" for n in range(1, 7)]


@sqlite_only
async def test_forty_chats_at_once_stay_within_the_global_limit(api, session_factory, make_sender):
    api.enforce_rate_limits(per_private_chat_per_s=None, global_per_s=30)
    people = [api.private_user() for _ in range(40)]
    for person in people:
        await enqueue(session_factory, person.chat_id, "Good morning")

    await make_sender().deliver_all_due()

    assert api.rate_limit_hits == []
    assert len(api.sent_messages()) == 40
    assert await counts(session_factory) == {"sent": 40}


async def test_a_restarted_sender_delivers_what_the_stopped_one_left(
    api, session_factory, make_sender, start_sender
):
    person = api.private_user()
    for number in range(1, 7):
        await enqueue(session_factory, person.chat_id, f"part {number}")
    api.slow(0.2, "sendMessage")
    first = make_sender()
    task = start_sender(first)
    await api.wait_until(lambda: len(api.calls("sendMessage")) >= 2)

    await first.stop(grace_seconds=0)
    await task

    left = [row for row in await outbox_rows(session_factory) if row.status == "pending"]
    assert left, "the sender was stopped too late to leave anything"
    assert all(row.claimed_until is None for row in left)
    api.slow(0)

    await make_sender().deliver_all_due()

    assert sent_texts(api, person) == [f"part {n}" for n in range(1, 7)]
    assert await counts(session_factory) == {"sent": 6}


async def test_a_payload_that_cannot_become_a_call_fails_instead_of_coming_back(
    api, session_factory, make_sender
):
    person = api.private_user()
    await enqueue(
        session_factory, person.chat_id, method="sendDocument", document={"filename": "a.csv"}
    )
    await enqueue(session_factory, person.chat_id, "after the broken one")

    await make_sender().deliver_all_due()

    broken, fine = await outbox_rows(session_factory)
    assert (broken.status, broken.claimed_until) == ("failed", None)
    assert broken.last_error.startswith("unsupported")
    assert fine.status == "sent"
    assert sent_texts(api, person) == ["after the broken one"]
