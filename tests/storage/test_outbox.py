"""Outbox repository on SQLite and PostgreSQL: dedupe, claim order, leases, retries, chats."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from peerbot.storage import outbox
from peerbot.storage.crypto import FieldCipher
from peerbot.storage.enums import PersonStatus
from peerbot.storage.models import OutboxMessage, OutboxStatus, Person
from peerbot.storage.outbox import BACKOFF_PREFIX, Priority
from tests.support.rows import add_person

Factory = async_sessionmaker[AsyncSession]
T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
LEASE = timedelta(seconds=30)
SECOND = timedelta(seconds=1)
CIPHER = FieldCipher(FieldCipher.generate_key())


async def put(
    factory: Factory,
    label: str,
    *,
    chat_id: int,
    priority: int = Priority.REPLY,
    not_before: datetime | None = None,
    dedupe_key: str | None = None,
) -> bool:
    """Enqueue one message whose payload text is ``label``, in its own transaction."""
    async with factory() as session, session.begin():
        added = await outbox.enqueue(
            session,
            chat_id=chat_id,
            payload={"text": label},
            now=T0,
            priority=priority,
            not_before=not_before,
            dedupe_key=dedupe_key,
        )
        if added:
            newest = await session.scalar(select(func.max(OutboxMessage.id)))
            _LABELS.setdefault(id(factory), {})[newest] = label
        return added


#: Each test's labels by row id: a finished row's payload no longer says what it was.
_LABELS: dict[int, dict[int, str]] = {}


async def claim(factory: Factory, *, now: datetime = T0, limit: int = 10) -> list[str]:
    """Claim due rows in one transaction and return their labels in claim order."""
    async with factory() as session, session.begin():
        rows = await outbox.claim_due(session, now=now, limit=limit, lease=LEASE)
        return [row.payload["text"] for row in rows]


async def rows_by_label(factory: Factory) -> dict[str, OutboxMessage]:
    async with factory() as session:
        rows = (await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all()
    return {_LABELS[id(factory)][row.id]: row for row in rows}


async def id_of(factory: Factory, label: str) -> int:
    return (await rows_by_label(factory))[label].id


async def claimed_head(factory: Factory, **behind: Any) -> int:
    """Queue "head" and then "behind" (options given) in chat 1, claim "head"; its id."""
    await put(factory, "head", chat_id=1)
    await put(factory, "behind", chat_id=1, **behind)
    assert await claim(factory) == ["head"]
    return await id_of(factory, "head")


async def test_enqueue_stores_a_pending_row_due_now_or_not_before(
    session_factory: Factory,
) -> None:
    assert await put(session_factory, "now", chat_id=42, priority=Priority.ESCALATION)
    assert await put(session_factory, "later", chat_id=42, not_before=T0 + timedelta(hours=1))

    rows = await rows_by_label(session_factory)
    assert rows["now"].chat_id == 42
    assert rows["now"].method == "sendMessage"
    assert rows["now"].payload == {"text": "now"}
    assert rows["now"].priority == Priority.ESCALATION
    assert rows["now"].status == OutboxStatus.PENDING
    assert rows["now"].attempts == 0
    assert rows["now"].next_attempt_at == T0
    assert rows["now"].claimed_until is None
    assert rows["later"].next_attempt_at == T0 + timedelta(hours=1)


async def test_a_second_enqueue_with_the_same_dedupe_key_inserts_nothing(
    session_factory: Factory,
) -> None:
    assert await put(session_factory, "first", chat_id=1, dedupe_key="checkin:7") is True
    assert await put(session_factory, "second", chat_id=1, dedupe_key="checkin:7") is False
    # rows without a key never clash with each other
    assert await put(session_factory, "plain one", chat_id=1) is True
    assert await put(session_factory, "plain two", chat_id=1) is True

    assert sorted(await rows_by_label(session_factory)) == ["first", "plain one", "plain two"]


async def test_claim_due_returns_rows_by_priority_then_id(session_factory: Factory) -> None:
    await put(session_factory, "scheduled", chat_id=1, priority=Priority.SCHEDULED)
    await put(session_factory, "reply one", chat_id=2, priority=Priority.REPLY)
    await put(session_factory, "escalation", chat_id=3, priority=Priority.ESCALATION)
    await put(session_factory, "reply two", chat_id=4, priority=Priority.REPLY)

    assert await claim(session_factory) == ["escalation", "reply one", "reply two", "scheduled"]


async def test_claim_due_never_returns_a_row_due_in_the_future(session_factory: Factory) -> None:
    await put(session_factory, "later", chat_id=1, not_before=T0 + timedelta(minutes=1))

    assert await claim(session_factory, now=T0) == []
    assert await claim(session_factory, now=T0 + timedelta(minutes=1) - SECOND) == []
    assert await claim(session_factory, now=T0 + timedelta(minutes=1)) == ["later"]


async def test_claim_due_takes_only_the_oldest_pending_row_of_a_chat(
    session_factory: Factory,
) -> None:
    await put(session_factory, "chat 1 first", chat_id=1, priority=Priority.SCHEDULED)
    await put(session_factory, "chat 1 urgent", chat_id=1, priority=Priority.ESCALATION)
    await put(session_factory, "chat 2", chat_id=2, priority=Priority.REPLY)

    assert await claim(session_factory) == ["chat 2", "chat 1 first"]

    first = await id_of(session_factory, "chat 1 first")
    async with session_factory() as session, session.begin():
        await outbox.mark_sent(session, first, now=T0 + SECOND, telegram_message_id=None)
    assert await claim(session_factory, now=T0 + SECOND) == ["chat 1 urgent"]


async def test_a_leased_row_is_claimed_again_only_when_its_lease_expires(
    session_factory: Factory,
) -> None:
    await put(session_factory, "head", chat_id=1)
    await put(session_factory, "behind", chat_id=1, priority=Priority.ESCALATION)

    assert await claim(session_factory, now=T0) == ["head"]
    rows = await rows_by_label(session_factory)
    assert rows["head"].claimed_until == T0 + LEASE
    # the leased head keeps its chat's later row back, too
    assert await claim(session_factory, now=T0 + LEASE - SECOND) == []
    assert await claim(session_factory, now=T0 + LEASE) == ["head"]


async def test_a_head_waiting_for_retry_keeps_its_chat_in_order(session_factory: Factory) -> None:
    head = await claimed_head(session_factory, priority=Priority.ESCALATION)
    async with session_factory() as session, session.begin():
        await outbox.retry_later(
            session, head, at=T0 + timedelta(minutes=1), error="429 retry_after " + "x" * 300
        )

    rows = await rows_by_label(session_factory)
    assert rows["head"].attempts == 1
    assert rows["head"].claimed_until is None
    assert rows["head"].next_attempt_at == T0 + timedelta(minutes=1)
    assert rows["head"].last_error is not None
    assert rows["head"].last_error.startswith("429 retry_after")
    assert len(rows["head"].last_error) == 200
    assert await claim(session_factory, now=T0 + 2 * SECOND) == []
    assert await claim(session_factory, now=T0 + timedelta(minutes=1)) == ["head"]


async def test_claim_due_respects_the_limit(session_factory: Factory) -> None:
    for number in range(5):
        await put(session_factory, f"chat {number}", chat_id=number)

    assert await claim(session_factory, limit=2) == ["chat 0", "chat 1"]
    assert await claim(session_factory, limit=2) == ["chat 2", "chat 3"]
    assert await claim(session_factory, limit=2) == ["chat 4"]


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_concurrent_claimers_get_disjoint_rows(session_factory: Factory) -> None:
    await put(session_factory, "chat 1 first", chat_id=1)
    await put(session_factory, "chat 1 second", chat_id=1)
    await put(session_factory, "chat 2", chat_id=2)
    await put(session_factory, "chat 3", chat_id=3)

    async with session_factory() as first, session_factory() as second:
        async with first.begin():
            held = await outbox.claim_due(first, now=T0, limit=1, lease=LEASE)
            # the first transaction still holds its row locks, lease not yet committed
            async with second.begin():
                taken = await asyncio.wait_for(
                    outbox.claim_due(second, now=T0, limit=10, lease=LEASE), timeout=5
                )
                taken_labels = [row.payload["text"] for row in taken]
        held_labels = [row.payload["text"] for row in held]

    assert held_labels == ["chat 1 first"]
    assert taken_labels == ["chat 2", "chat 3"]


async def test_mark_sent_records_delivery_and_frees_the_chat(session_factory: Factory) -> None:
    head = await claimed_head(session_factory)
    async with session_factory() as session, session.begin():
        await outbox.mark_sent(session, head, now=T0 + SECOND, telegram_message_id=777)

    row = (await rows_by_label(session_factory))["head"]
    assert row.status == OutboxStatus.SENT
    assert row.sent_at == T0 + SECOND
    assert row.telegram_message_id == 777
    assert row.attempts == 1
    assert row.claimed_until is None
    assert row.payload is None, "what was said is not kept once sent"
    assert await claim(session_factory, now=T0 + SECOND) == ["behind"]


async def test_mark_failed_gives_up_and_frees_the_chat(session_factory: Factory) -> None:
    head = await claimed_head(session_factory)
    async with session_factory() as session, session.begin():
        await outbox.mark_failed(session, head, error="403 blocked")

    row = (await rows_by_label(session_factory))["head"]
    assert row.status == OutboxStatus.FAILED
    assert row.last_error == "403 blocked"
    assert row.attempts == 1
    assert row.claimed_until is None
    assert row.sent_at is None
    assert row.payload is None, "nor what failed to be said"
    assert await claim(session_factory, now=T0 + SECOND) == ["behind"]


async def test_retry_backed_off_now_brings_forward_only_outage_waits(
    session_factory: Factory,
) -> None:
    await put(session_factory, "outage", chat_id=1)
    await put(session_factory, "rate limited", chat_id=2)
    await put(session_factory, "outage due already", chat_id=3)
    assert len(await claim(session_factory)) == 3

    ids = {label: row.id for label, row in (await rows_by_label(session_factory)).items()}
    later = T0 + timedelta(minutes=10)
    async with session_factory() as session, session.begin():
        await outbox.retry_later(
            session, ids["outage"], at=later, error=BACKOFF_PREFIX + "timeout"
        )
        await outbox.retry_later(session, ids["rate limited"], at=later, error="429 retry_after")
        await outbox.retry_later(
            session, ids["outage due already"], at=T0 + SECOND, error=BACKOFF_PREFIX + "reset"
        )

    now = T0 + 5 * SECOND
    async with session_factory() as session, session.begin():
        assert await outbox.retry_backed_off_now(session, now=now) == 1

    rows = await rows_by_label(session_factory)
    assert rows["outage"].next_attempt_at == now
    assert rows["rate limited"].next_attempt_at == later
    assert rows["outage due already"].next_attempt_at == T0 + SECOND
    assert await claim(session_factory, now=now) == ["outage", "outage due already"]


async def test_move_chat_moves_the_pending_rows_only(session_factory: Factory) -> None:
    await put(session_factory, "sent", chat_id=-100)
    await put(session_factory, "pending one", chat_id=-100)
    await put(session_factory, "pending two", chat_id=-100)
    await put(session_factory, "elsewhere", chat_id=5)
    sent = await id_of(session_factory, "sent")
    async with session_factory() as session, session.begin():
        await outbox.mark_sent(session, sent, now=T0, telegram_message_id=1)

    async with session_factory() as session, session.begin():
        await outbox.move_chat(session, old_chat_id=-100, new_chat_id=-200)

    chats = {label: row.chat_id for label, row in (await rows_by_label(session_factory)).items()}
    assert chats == {"sent": -100, "pending one": -200, "pending two": -200, "elsewhere": 5}
    assert await claim(session_factory) == ["pending one", "elsewhere"]


async def test_next_due_at_ignores_leased_rows_and_later_rows_of_a_chat(
    session_factory: Factory,
) -> None:
    async with session_factory() as session:
        assert await outbox.next_due_at(session, now=T0) is None

    await put(session_factory, "chat 1 head", chat_id=1, not_before=T0 + 10 * SECOND)
    await put(session_factory, "chat 1 behind", chat_id=1)  # due at T0, but waits for its head
    await put(session_factory, "chat 2", chat_id=2, not_before=T0 + 5 * SECOND)

    async with session_factory() as session:
        assert await outbox.next_due_at(session, now=T0) == T0 + 5 * SECOND

    assert await claim(session_factory, now=T0 + 5 * SECOND) == ["chat 2"]
    async with session_factory() as session:
        assert await outbox.next_due_at(session, now=T0 + 5 * SECOND) == T0 + 10 * SECOND
        # once the lease runs out the leased row counts again
        assert await outbox.next_due_at(session, now=T0 + 5 * SECOND + LEASE) == T0 + 5 * SECOND


async def test_count_by_status(session_factory: Factory) -> None:
    async with session_factory() as session:
        assert await outbox.count_by_status(session) == {}

    for number in range(4):
        await put(session_factory, f"chat {number}", chat_id=number)
    ids = {label: row.id for label, row in (await rows_by_label(session_factory)).items()}
    async with session_factory() as session, session.begin():
        await outbox.mark_sent(session, ids["chat 0"], now=T0, telegram_message_id=None)
        await outbox.mark_failed(session, ids["chat 1"], error="400 bad")

    async with session_factory() as session:
        counts = await outbox.count_by_status(session)
    assert counts == {OutboxStatus.PENDING: 2, OutboxStatus.SENT: 1, OutboxStatus.FAILED: 1}


async def test_postpone_gives_the_lease_back_without_counting_an_attempt(
    session_factory: Factory,
) -> None:
    await put(session_factory, "busy group", chat_id=-100)
    assert await claim(session_factory) == ["busy group"]
    row_id = await id_of(session_factory, "busy group")
    async with session_factory() as session, session.begin():
        await outbox.postpone(session, row_id, until=T0 + 40 * SECOND)

    row = (await rows_by_label(session_factory))["busy group"]
    assert row.attempts == 0
    assert row.claimed_until is None
    assert await claim(session_factory, now=T0 + 39 * SECOND) == []
    assert await claim(session_factory, now=T0 + 40 * SECOND) == ["busy group"]


async def test_prune_finished_deletes_old_private_rows_and_keeps_pending_and_group_ones(
    session_factory: Factory,
) -> None:
    for label, chat in (("old private", 1), ("pending private", 2), ("old group", -100)):
        await put(session_factory, label, chat_id=chat)
    for label in ("old private", "old group"):
        async with session_factory() as session, session.begin():
            await outbox.mark_sent(
                session, await id_of(session_factory, label), now=T0, telegram_message_id=1
            )
    async with session_factory() as session, session.begin():
        deleted = await outbox.prune_finished(
            session, private_before=T0 + SECOND, group_before=T0 - SECOND
        )
    assert deleted == 1
    assert set(await rows_by_label(session_factory)) == {"pending private", "old group"}


async def chains(factory: Factory, *, now: datetime = T0) -> list[list[str]]:
    """Claim heads and the rows behind them; their labels, chain by chain."""
    async with factory() as session, session.begin():
        heads = await outbox.claim_due(session, now=now, limit=10, lease=LEASE)
        claimed = await outbox.claim_chains(session, heads, now=now, lease=LEASE)
        return [[row.payload["text"] for row in chain] for chain in claimed]


async def test_a_chain_is_the_head_and_the_due_rows_right_behind_it(
    session_factory: Factory,
) -> None:
    await put(session_factory, "edit", chat_id=1)
    await put(session_factory, "next question", chat_id=1)
    await put(session_factory, "tomorrow", chat_id=1, not_before=T0 + timedelta(days=1))
    await put(session_factory, "after tomorrow's", chat_id=1)
    await put(session_factory, "other chat", chat_id=2)

    assert await chains(session_factory) == [["edit", "next question"], ["other chat"]]
    assert await chains(session_factory) == [], "the whole chain is leased"

    rows = await rows_by_label(session_factory)
    async with session_factory() as session, session.begin():
        await outbox.release(session, [rows["next question"].id])
        await outbox.mark_sent(session, rows["edit"].id, now=T0, telegram_message_id=None)
    assert await chains(session_factory) == [["next question"]]


async def a_person_who_sent_stop(factory: Factory, chat_id: int) -> None:
    async with factory() as session, session.begin():
        await add_person(
            session, CIPHER, "Stopped", telegram_user_id=chat_id, status=PersonStatus.STOPPED
        )


async def test_a_stopped_persons_chat_gets_only_answers_to_what_they_send_and_safety_answers(
    session_factory: Factory,
) -> None:
    """The sender's catch-all behind /stop's "no more messages": whatever queued it."""
    await a_person_who_sent_stop(session_factory, 1)
    for label, priority in [
        ("introduction", Priority.NOTICE),
        ("card copy", Priority.COORDINATION),
        ("offer", Priority.MATCH_OFFER),
        ("check-in", Priority.SCHEDULED),
        ("answer to /stop", Priority.REPLY),
        ("crisis resources", Priority.ESCALATION),
    ]:
        await put(session_factory, label, chat_id=1, priority=priority)
    await put(session_factory, "someone else's check-in", chat_id=2, priority=Priority.SCHEDULED)

    assert await chains(session_factory) == [
        ["answer to /stop", "crisis resources"],
        ["someone else's check-in"],
    ], "held rows neither go out nor hold back the chat's answers"
    async with session_factory() as session:
        assert await outbox.next_due_at(session, now=T0 + SECOND) is None, "nothing to wake for"


async def test_held_rows_wait_for_the_person_and_only_stale_ones_are_dropped(
    session_factory: Factory,
) -> None:
    await a_person_who_sent_stop(session_factory, 1)
    await put(session_factory, "introduction", chat_id=1, priority=Priority.NOTICE)
    await put(session_factory, "offer", chat_id=1, priority=Priority.MATCH_OFFER)
    await put(session_factory, "check-in", chat_id=1, priority=Priority.SCHEDULED)
    await put(session_factory, "someone else's offer", chat_id=2, priority=Priority.MATCH_OFFER)
    assert await claim(session_factory) == ["someone else's offer"]

    async with session_factory() as session, session.begin():
        dropped = await outbox.drop_held(session, chat_id=1, from_priority=Priority.MATCH_OFFER)
        await session.execute(
            update(Person).where(Person.telegram_user_id == 1).values(status=PersonStatus.ACTIVE)
        )

    assert dropped == 2
    assert await claim(session_factory) == ["introduction"]
    assert set(await rows_by_label(session_factory)) == {"introduction", "someone else's offer"}


async def raw_payloads(factory: Factory) -> list[str | None]:
    """The payload column as stored, without the engine's key."""
    async with factory() as session:
        rows = await session.execute(text("SELECT payload_enc FROM outbox_messages ORDER BY id"))
        return [row[0] for row in rows]


async def test_a_payload_is_stored_encrypted_and_read_back_whole(
    session_factory: Factory, engine_cipher: FieldCipher
) -> None:
    payload = {"text": "Mi hermana sabe lo que pasó", "reply_markup": {"inline_keyboard": []}}
    async with session_factory() as session, session.begin():
        await outbox.enqueue(session, chat_id=7, payload=payload, now=T0)

    [stored] = await raw_payloads(session_factory)
    assert stored is not None and "hermana" not in stored
    assert engine_cipher.decrypt(stored) is not None, "a token of the engine's key"
    async with session_factory() as session, session.begin():
        [row] = await outbox.claim_due(session, now=T0, limit=5, lease=LEASE)
    assert row.payload == payload


async def test_finished_rows_keep_no_payload_but_a_topic_keeps_its_name(
    session_factory: Factory,
) -> None:
    calls = [
        ("sendMessage", {"text": "first words"}),
        (
            "sendDocument",
            {"document": {"filename": "my-peerbot-data.json", "content_b64": "e30="}},
        ),
        ("createForumTopic", {"name": "R-7 · high"}),
        ("editForumTopic", {"message_thread_id": 9, "name": "R-7 · critical"}),
        ("sendMessage", {"text": "refused words"}),
    ]
    async with session_factory() as session, session.begin():
        for number, (method, payload) in enumerate(calls):
            await outbox.enqueue(
                session, chat_id=-100 - number, payload=payload, method=method, now=T0
            )
    async with session_factory() as session, session.begin():
        ids = [row.id for row in await outbox.claim_due(session, now=T0, limit=9, lease=LEASE)]
        marks = [outbox.SentMark(row_id, T0, 1) for row_id in ids[:3]]
        await outbox.mark_sent_many(session, marks)
        await outbox.mark_sent(session, ids[3], now=T0, telegram_message_id=2)
        await outbox.mark_failed(session, ids[4], error="400 chat not found")

    async with session_factory() as session:
        rows = (await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all()
    assert [row.payload for row in rows] == [
        None,
        None,
        {"name": "R-7 · high"},
        {"message_thread_id": 9, "name": "R-7 · critical"},
        None,
    ]
    stored = await raw_payloads(session_factory)
    assert stored[0] is None and stored[1] is None and stored[4] is None
    assert all("R-7" not in (value or "") for value in stored), "kept, but still sealed"
