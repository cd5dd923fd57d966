"""A supporter's answered check-in: scored, kept without its free text in the clear, and
worrying answers raised privately to each coordinator."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from peerbot.scheduler.checkin_pass import run_pass
from peerbot.storage.enums import CheckinStatus
from peerbot.storage.models import Answer, Checkin, Escalation, OutboxMessage
from tests.support.supporter_steps import (
    CIPHER,
    COORDINATORS,
    GROUP,
    Chat,
    answer_checkin,
    deps_for,
    join,
    new_invite,
    rows,
    texts_of,
)

JOINED = datetime(2027, 3, 3, 15, 0, tzinfo=UTC)
FIRST_DUE = datetime(2027, 3, 8, 23, 0, tzinfo=UTC)
SECOND_DUE = datetime(2027, 3, 15, 22, 0, tzinfo=UTC)


async def supporter_with_checkin(engine, session_factory, due: datetime = FIRST_DUE) -> Chat:
    chat = Chat(session_factory, 5001)
    await join(chat, JOINED, await new_invite(session_factory, JOINED))
    await run_pass(deps_for(engine, session_factory), now=due)
    return chat


async def answered(session_factory) -> list[Checkin]:
    found = await rows(session_factory, Checkin, Checkin.status == CheckinStatus.ANSWERED)
    return sorted(found, key=lambda row: row.due_at)


async def test_a_good_check_in_is_scored_and_thanked(engine, session_factory):
    chat = await supporter_with_checkin(engine, session_factory)

    last = await answer_checkin(chat, FIRST_DUE + timedelta(hours=1), (4, 4, 3, 3, 4))

    assert texts_of(last)[-1] == "checkin.thanks"
    [checkin] = await answered(session_factory)
    assert checkin.score == 72  # raw 18 × 4
    assert checkin.answers["raw"] == 18 and checkin.answers["band"] == "good"
    assert checkin.answers["burnout"] == 1 and checkin.answers["contact"] == "no"
    assert await rows(session_factory, Escalation) == []


async def test_a_low_score_alerts_each_coordinator_privately(engine, session_factory):
    chat = await supporter_with_checkin(engine, session_factory)

    last = await answer_checkin(
        chat, FIRST_DUE + timedelta(hours=1), (1, 1, 2, 1, 1), burnout=4, note="rough week"
    )

    assert texts_of(last)[-1] == "checkin.thanks.concern"
    [escalation] = await rows(session_factory, Escalation)
    assert (escalation.category.value, escalation.severity.value) == ("burnout", "high")
    cards = await rows(
        session_factory,
        OutboxMessage,
        OutboxMessage.dedupe_key.like(f"escalation:{escalation.id}:raised%"),
    )
    assert sorted(card.chat_id for card in cards) == sorted(COORDINATORS)
    assert GROUP not in {card.chat_id for card in cards}, "a supporter's distress stays private"
    assert "who5_very_low" in cards[0].payload["text"]
    assert "burnout_high" in cards[0].payload["text"]
    assert "rough week" not in cards[0].payload["text"]
    [note] = await rows(session_factory, Answer, Answer.flow == "checkin")
    assert note.value is None and CIPHER.decrypt(note.value_enc) == "rough week"
    [checkin] = await answered(session_factory)
    assert "note" not in checkin.answers and checkin.score == 24


async def test_a_drop_of_ten_points_is_a_medium_concern(engine, session_factory):
    chat = await supporter_with_checkin(engine, session_factory)
    await answer_checkin(chat, FIRST_DUE + timedelta(hours=1), (4, 4, 4, 4, 4))  # 80 %
    await run_pass(deps_for(engine, session_factory), now=SECOND_DUE)

    await answer_checkin(chat, SECOND_DUE + timedelta(hours=1), (3, 3, 3, 4, 4))  # 68 %

    [escalation] = await rows(session_factory, Escalation)
    assert escalation.severity.value == "medium"
    assert [row.score for row in await answered(session_factory)] == [80, 68]


async def test_asking_for_contact_is_a_medium_concern(engine, session_factory):
    chat = await supporter_with_checkin(engine, session_factory)
    await answer_checkin(chat, FIRST_DUE + timedelta(hours=1), (5, 5, 5, 5, 5), contact=0)
    [escalation] = await rows(session_factory, Escalation)
    assert escalation.severity.value == "medium"


async def test_alarming_words_in_the_note_are_escalated_with_crisis_resources(
    engine, session_factory
):
    chat = await supporter_with_checkin(engine, session_factory)
    last = await answer_checkin(
        chat, FIRST_DUE + timedelta(hours=1), (4, 4, 4, 4, 4), note="I want to kill myself"
    )
    assert any(key.startswith("crisis.resources") for key in texts_of(last))
    categories = {e.category.value for e in await rows(session_factory, Escalation)}
    assert "suicide" in categories
