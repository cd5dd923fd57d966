"""The check-in pass: due prompts sent once, waiting for night and other flows, breaks, misses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from peerbot.dialogs.inputs import Press
from peerbot.scheduler.checkin_pass import run_pass
from peerbot.services.conversations import reminders
from peerbot.services.supporters import supporters
from peerbot.storage.enums import CheckinStatus, ConversationStatus, SupporterStatus
from peerbot.storage.models import (
    Checkin,
    Conversation,
    Escalation,
    OutboxMessage,
    SupporterProfile,
)
from tests.support.supporter_steps import (
    COORDINATORS,
    Chat,
    context,
    deps_for,
    join,
    new_invite,
    rows,
)

JOINED = datetime(2027, 3, 3, 15, 0, tzinfo=UTC)  # a Wednesday
FIRST_DUE = datetime(2027, 3, 8, 23, 0, tzinfo=UTC)  # Monday 18:00 in New York (EST)
SECOND_DUE = datetime(2027, 3, 15, 22, 0, tzinfo=UTC)  # Monday 18:00 in New York (EDT)
SUPPORTER = 5001


async def joined(session_factory, telegram_id: int = SUPPORTER, **profile) -> Chat:
    chat = Chat(session_factory, telegram_id)
    await join(chat, JOINED, await new_invite(session_factory, JOINED), profile)
    return chat


async def prompts_to(session_factory, chat_id: int) -> list[OutboxMessage]:
    found = await rows(
        session_factory,
        OutboxMessage,
        OutboxMessage.chat_id == chat_id,
        OutboxMessage.dedupe_key.like("checkin:%"),
    )
    return sorted(found, key=lambda row: row.id)


async def checkins_by_status(session_factory) -> dict[str, list[datetime]]:
    found: dict[str, list[datetime]] = {}
    for row in sorted(await rows(session_factory, Checkin), key=lambda r: r.due_at):
        found.setdefault(row.status.value, []).append(row.due_at)
    return found


async def test_a_check_in_is_sent_when_due_and_the_next_one_is_scheduled(engine, session_factory):
    await joined(session_factory)
    deps = deps_for(engine, session_factory)

    early = await run_pass(deps, now=FIRST_DUE - timedelta(minutes=1))
    on_time = await run_pass(deps, now=FIRST_DUE)
    again = await run_pass(deps, now=FIRST_DUE + timedelta(minutes=1))

    assert (early.sent, on_time.sent, again.sent) == (0, 1, 0)
    [question] = await prompts_to(session_factory, SUPPORTER)  # one message: one notification
    assert question.payload["text"].startswith("Time for your well-being check-in")
    assert "cheerful" in question.payload["text"]
    assert len(question.payload["reply_markup"]["inline_keyboard"][0]) == 6  # 0..5
    assert await checkins_by_status(session_factory) == {
        "sent": [FIRST_DUE],
        "scheduled": [SECOND_DUE],  # 18:00 local again, after the clocks went forward
    }
    [conversation] = await rows(session_factory, Conversation, Conversation.flow == "checkin")
    assert conversation.chat_id == SUPPORTER and conversation.status == ConversationStatus.ACTIVE


async def test_a_prompt_waits_while_the_supporter_is_in_another_conversation(
    engine, session_factory
):
    chat = await joined(session_factory)
    deps = deps_for(engine, session_factory)
    await chat.call(FIRST_DUE - timedelta(minutes=5), supporters.show_profile)

    busy = await run_pass(deps, now=FIRST_DUE)
    await chat.send(FIRST_DUE + timedelta(minutes=2), Press("summary", "confirm"))
    free = await run_pass(deps, now=FIRST_DUE + timedelta(minutes=3))

    assert (busy.sent, busy.waiting, free.sent) == (0, 1, 1)
    assert len(await prompts_to(session_factory, SUPPORTER)) == 1


async def test_two_prompts_due_at_once_for_one_supporter_go_one_after_the_other(
    engine, session_factory
):
    await joined(session_factory)
    [scheduled] = await rows(session_factory, Checkin)
    async with session_factory() as session, session.begin():
        session.add(Checkin(person_id=scheduled.person_id, kind=scheduled.kind, due_at=FIRST_DUE))
    deps = deps_for(engine, session_factory)

    first = await run_pass(deps, now=FIRST_DUE)

    assert (first.sent, first.waiting) == (1, 1), "the second waits for the first to end"
    assert len(await prompts_to(session_factory, SUPPORTER)) == 1
    [active] = await rows(
        session_factory, Conversation, Conversation.status == ConversationStatus.ACTIVE
    )
    assert active.flow == "checkin"


async def test_a_prompt_held_up_into_the_night_waits_for_the_morning(engine, session_factory):
    chat = await joined(session_factory, checkin_time=4)  # 20:00
    deps = deps_for(engine, session_factory)
    due = FIRST_DUE + timedelta(hours=2)  # Monday 20:00 in New York
    await chat.call(due - timedelta(minutes=5), supporters.show_profile)
    await run_pass(deps, now=due)  # busy
    await chat.send(due + timedelta(hours=1, minutes=30), Press("summary", "confirm"))

    night = await run_pass(deps, now=due + timedelta(hours=1, minutes=31))  # 21:31 local
    morning = await run_pass(deps, now=datetime(2027, 3, 9, 13, 0, tzinfo=UTC))  # 08:00 local

    assert (night.sent, night.waiting, morning.sent) == (0, 1, 1)


async def test_no_check_ins_on_a_break_and_one_gentle_note_when_it_ends(engine, session_factory):
    chat = await joined(session_factory)
    deps = deps_for(engine, session_factory)
    await chat.call(JOINED, supporters.pause, ["until", "2027-03-20"])

    during = await run_pass(deps, now=FIRST_DUE)
    ends = await run_pass(deps, now=datetime(2027, 3, 20, 12, 0, tzinfo=UTC))
    after = await run_pass(deps, now=datetime(2027, 3, 20, 12, 5, tzinfo=UTC))

    assert during.sent == 0 and await prompts_to(session_factory, SUPPORTER) == []
    assert [len(report.outgoing) for report in (during, ends, after)] == [0, 1, 0]
    [note] = await rows(
        session_factory, OutboxMessage, OutboxMessage.dedupe_key.like("supporter:%:break_ended%")
    )
    assert note.chat_id == SUPPORTER and "Your break has ended" in note.payload["text"]
    [profile] = await rows(session_factory, SupporterProfile)
    assert profile.status == SupporterStatus.ACTIVE
    assert (await checkins_by_status(session_factory))["scheduled"] == [
        datetime(2027, 3, 22, 22, 0, tzinfo=UTC)
    ]


async def test_two_missed_check_ins_in_a_row_raise_one_medium_escalation(engine, session_factory):
    await joined(session_factory)
    deps = deps_for(engine, session_factory)
    await run_pass(deps, now=FIRST_DUE)
    first_missed = await run_pass(deps, now=FIRST_DUE + timedelta(hours=72))
    await run_pass(deps, now=SECOND_DUE)
    second_missed = await run_pass(deps, now=SECOND_DUE + timedelta(hours=72))
    third_due = SECOND_DUE + timedelta(days=7)
    await run_pass(deps, now=third_due)
    third_missed = await run_pass(deps, now=third_due + timedelta(hours=72))

    assert (first_missed.missed, second_missed.missed, third_missed.missed) == (1, 1, 1)
    assert (first_missed.escalated, second_missed.escalated, third_missed.escalated) == (0, 1, 0)
    [escalation] = await rows(session_factory, Escalation)
    assert (escalation.category.value, escalation.severity.value) == ("burnout", "medium")
    assert escalation.source == "checkin.missed"
    private = await rows(
        session_factory,
        OutboxMessage,
        OutboxMessage.dedupe_key.like(f"escalation:{escalation.id}:raised%"),
    )
    assert sorted(row.chat_id for row in private) == sorted(COORDINATORS)
    expired = await rows(session_factory, Conversation, Conversation.flow == "checkin")
    assert {c.status for c in expired} == {ConversationStatus.EXPIRED}


async def test_a_pass_run_twice_at_once_sends_each_prompt_once(engine, session_factory):
    import asyncio

    for telegram_id in range(6001, 6006):
        await joined(session_factory, telegram_id)
    deps = deps_for(engine, session_factory)

    reports = await asyncio.gather(*(run_pass(deps, now=FIRST_DUE) for _ in range(2)))

    assert sum(report.sent for report in reports) == 5
    async with session_factory() as session:
        keys = (
            await session.scalars(
                select(OutboxMessage.dedupe_key).where(OutboxMessage.dedupe_key.like("checkin:%"))
            )
        ).all()
    assert len(keys) == len(set(keys)) == 5
    statuses = await checkins_by_status(session_factory)
    assert len(statuses["sent"]) == 5 and len(statuses["scheduled"]) == 5
    assert CheckinStatus.SENT.value in statuses


async def test_one_reminder_a_day_after_an_unanswered_prompt(engine, session_factory):
    await joined(session_factory)
    deps = deps_for(engine, session_factory)
    await run_pass(deps, now=FIRST_DUE)

    async with session_factory() as session, session.begin():
        early = await reminders.remind_idle(context(session, FIRST_DUE + timedelta(hours=23)))
        on_time = await reminders.remind_idle(context(session, FIRST_DUE + timedelta(hours=24)))

    assert (early, on_time) == (0, 1)
    [reminder] = await rows(
        session_factory, OutboxMessage, OutboxMessage.dedupe_key.like("reminder.idle:%")
    )
    assert reminder.chat_id == SUPPORTER
    assert reminder.payload["text"].startswith("Your well-being check-in is still waiting")
