"""A group's twenty messages a minute go by urgency: a backlog of coordination cards never holds
back an escalation card (the outbox and the sender against the fake Bot API's limits)."""

from __future__ import annotations

import pytest

from peerbot.bot.pacing import ChatPacer
from peerbot.storage import outbox
from peerbot.storage.clock import utcnow
from peerbot.storage.outbox import Priority

GROUP = -1001234567890


async def queue_card(sessions, text: str, priority: int) -> None:
    async with sessions() as session, session.begin():
        await outbox.enqueue(
            session, chat_id=GROUP, payload={"text": text}, now=utcnow(), priority=priority
        )


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_an_escalation_card_goes_before_a_backlog_of_coordination_cards(
    api, session_factory, make_sender, start_sender
):
    api.group(GROUP)
    api.enforce_rate_limits(per_private_chat_per_s=None)  # Telegram's 20 a minute per group
    for number in range(1, 26):
        await queue_card(session_factory, f"new request {number}", Priority.COORDINATION)
    await queue_card(session_factory, "escalation", Priority.ESCALATION)

    start_sender(make_sender(pacer=ChatPacer()))
    await api.wait_until(lambda: len(api.sent_messages(GROUP)) >= 16, timeout=10)

    texts = [message.text for message in api.sent_messages(GROUP)]
    assert texts[0] == "escalation", "sent first, not after the 25 waiting before it"
    assert texts[1:] == [f"new request {n}" for n in range(1, len(texts))], "the rest in order"
    assert api.rate_limit_hits == []
    assert len(texts) <= 20


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_an_escalation_queued_while_the_group_is_busy_goes_next(
    api, session_factory, make_sender, start_sender
):
    api.group(GROUP)
    api.enforce_rate_limits(per_private_chat_per_s=None)
    for number in range(1, 11):
        await queue_card(session_factory, f"new request {number}", Priority.COORDINATION)
    sender = make_sender(pacer=ChatPacer(), concurrency=1)
    start_sender(sender)
    await api.wait_until(lambda: len(api.sent_messages(GROUP)) >= 2, timeout=10)
    await queue_card(session_factory, "escalation", Priority.ESCALATION)
    sender.wake()

    await api.wait_until(
        lambda: "escalation" in [m.text for m in api.sent_messages(GROUP)], timeout=10
    )
    texts = [message.text for message in api.sent_messages(GROUP)]
    assert len(texts) < 11, "the backlog had not drained"
    at = texts.index("escalation")
    assert texts[:at] == [f"new request {n}" for n in range(1, at + 1)]
    assert at <= 2 + 5, "at most the chain already claimed went first"
    assert api.rate_limit_hits == []
