"""A participant's follow-up while supported, on the real database: the check-in every few
weeks and what each answer does, the satisfaction question, the review, and what cancels
them (an ending, /stop, /forget, a consent given on a text that did not promise them)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import update

from peerbot.dialogs.inputs import Press, Text
from peerbot.scheduler.checkin_pass import run_pass
from peerbot.services.conversations.actions import MatchChoice
from peerbot.services.conversations.shown import Menu
from peerbot.services.matching import choices
from peerbot.services.privacy import data_rights
from peerbot.storage import people
from peerbot.storage.enums import (
    CaseStatus,
    CheckinKind,
    CheckinStatus,
    ConsentKind,
    ConversationStatus,
    MatchStatus,
)
from peerbot.storage.models import (
    Answer,
    Case,
    CaseMessage,
    Checkin,
    Consent,
    Conversation,
    Match,
    OutboxMessage,
)
from tests.services.matching.test_matching import NOW, group_cards, introduced
from tests.support.supporter_steps import CIPHER, PROGRAM, Chat, context, deps_for, rows, texts_of

POLICY = PROGRAM.policy.followup
DAY = timedelta(days=1)


async def _participant_id(sessions, chat: Chat) -> int:
    async with sessions() as session:
        person = await people.find_by_telegram_id(session, chat.telegram_id)
    assert person is not None
    return person.id


async def supported(sessions, engine) -> tuple[Chat, Chat, int]:
    """Robin supports a participant who said how to be reached and, three days on, that they
    have connected: nothing else is waiting in their chat."""
    robin, participant = await introduced(sessions)
    await participant.send(NOW, Press("how", 3))
    await run_pass(deps_for(engine, sessions), now=NOW + 3 * DAY)
    await participant.send(NOW + 3 * DAY, Press("connected", 0))
    return robin, participant, await _participant_id(sessions, participant)


async def followups(sessions, person_id: int, *kinds: CheckinKind) -> list[Checkin]:
    found = await rows(sessions, Checkin, Checkin.person_id == person_id, Checkin.kind.in_(kinds))
    return sorted(found, key=lambda row: (row.due_at, row.id))


async def prompted(engine, sessions, chat: Chat, when: datetime) -> list[str]:
    """Run the pass at `when`; the prompts queued for the chat since, by text key."""
    report = await run_pass(deps_for(engine, sessions), now=when)
    return [
        key
        for outgoing in report.outgoing
        if outgoing.chat_id == chat.telegram_id
        for key in texts_of(outgoing.reply)
    ]


async def test_the_introduction_schedules_what_the_consent_promised(engine, session_factory):
    _, _, alex = await supported(session_factory, engine)
    kinds = (CheckinKind.PARTICIPANT_FOLLOWUP, CheckinKind.SATISFACTION, CheckinKind.REVIEW)
    rows_ = await followups(session_factory, alex, *kinds)

    due = {row.kind: row.due_at for row in rows_}
    assert due == {
        CheckinKind.SATISFACTION: NOW + timedelta(days=POLICY.satisfaction_after_days),
        CheckinKind.PARTICIPANT_FOLLOWUP: NOW + timedelta(weeks=POLICY.every_weeks),
        CheckinKind.REVIEW: NOW + timedelta(weeks=POLICY.planned_weeks),
    }
    assert all(row.match_id is not None for row in rows_)
    [consent] = await rows(
        session_factory, Consent, Consent.person_id == alex, Consent.kind == "participation"
    )
    assert consent.promises == ["checkin", "satisfaction", "review"]


async def test_a_consent_on_the_older_text_gets_no_check_in_satisfaction_or_review(
    engine, session_factory
):
    """Someone who agreed before the contact text promised these prompts is sent none."""
    robin = await _older_consent_then_introduced(session_factory)
    participant = Chat(session_factory, 7001)
    alex = await _participant_id(session_factory, participant)
    for day in range(1, 13 * 7, 3):
        await prompted(engine, session_factory, participant, NOW + day * DAY)
    theirs = await rows(session_factory, Checkin, Checkin.person_id == alex)
    assert {row.kind for row in theirs} == {CheckinKind.MATCH_FOLLOWUP}
    assert robin.telegram_id == 5001


async def _older_consent_then_introduced(sessions) -> Chat:
    """A participant whose recorded consent is on the text before the follow-ups (no
    promises kept on it), then introduced to Robin."""
    from peerbot.services.conversations.actions import OfferAnswer
    from peerbot.services.matching.offers import answer as answer_offer
    from tests.services.matching.test_matching import approve_first
    from tests.support.supporter_steps import request_support, trained_supporter

    robin = await trained_supporter(sessions, NOW, 5001, first_name="Robin")
    participant = Chat(sessions, 7001, first_name="Alex")
    await request_support(participant, NOW)
    async with sessions() as session, session.begin():
        await session.execute(
            update(Consent).where(Consent.kind == ConsentKind.PARTICIPATION).values(promises=None)
        )
    await approve_first(sessions)
    [offer] = await rows(sessions, Match, Match.status == MatchStatus.OFFERED)
    await robin.call(NOW, answer_offer, OfferAnswer(offer.id, "accept"))
    await participant.send(NOW, Press("how", 3))
    return robin


async def test_satisfaction_at_two_weeks_is_kept_as_its_score(engine, session_factory):
    _, participant, alex = await supported(session_factory, engine)
    at = NOW + timedelta(days=POLICY.satisfaction_after_days)

    assert await prompted(engine, session_factory, participant, at - timedelta(hours=1)) == []
    assert await prompted(engine, session_factory, participant, at) == ["satisfaction.question"]
    thanks = await participant.send(at, Press("score", 4))

    assert texts_of(thanks)[-1] == "satisfaction.thanks"
    [row] = await followups(session_factory, alex, CheckinKind.SATISFACTION)
    assert (row.status, row.score, row.answered_at) == (CheckinStatus.ANSWERED, 4, at)


async def _to_first_check_in(engine, sessions, participant: Chat) -> datetime:
    """Answer the satisfaction question, then bring the first check-in: its time."""
    two_weeks = NOW + timedelta(days=POLICY.satisfaction_after_days)
    await prompted(engine, sessions, participant, two_weeks)
    await participant.send(two_weeks, Press("score", 5))
    at = NOW + timedelta(weeks=POLICY.every_weeks)
    assert await prompted(engine, sessions, participant, at) == ["followup.how"]
    return at


async def test_check_in_fine_is_kept_and_the_next_comes_4_weeks_on(engine, session_factory):
    _, participant, alex = await supported(session_factory, engine)
    at = await _to_first_check_in(engine, session_factory, participant)

    thanks = await participant.send(at, Press("how", 0))

    assert texts_of(thanks)[-1] == "followup.fine"
    first, second = await followups(session_factory, alex, CheckinKind.PARTICIPANT_FOLLOWUP)
    assert (first.status, first.answers) == (CheckinStatus.ANSWERED, {"how": "fine"})
    assert second.status == CheckinStatus.SCHEDULED
    assert second.due_at == first.due_at + timedelta(weeks=POLICY.every_weeks)


async def test_check_in_not_so_well_offers_a_change_or_a_coordinator(engine, session_factory):
    _, participant, alex = await supported(session_factory, engine)
    at = await _to_first_check_in(engine, session_factory, participant)

    kind = await participant.send(at, Press("how", 1))

    assert texts_of(kind)[-1] == "followup.not_well"
    said = PROGRAM.texts.get("followup.not_well", "en")
    assert "/change" in said and "write here" in said
    [first, _] = await followups(session_factory, alex, CheckinKind.PARTICIPANT_FOLLOWUP)
    assert first.answers == {"how": "not_well"}


async def test_check_in_change_goes_the_change_way(engine, session_factory):
    _, participant, alex = await supported(session_factory, engine)
    at = await _to_first_check_in(engine, session_factory, participant)

    asked = await participant.send(at, Press("how", 2))

    assert texts_of(asked)[-2:] == ["followup.change", "change.confirm"]
    [menu] = [item for item in asked.items if isinstance(item, Menu)]
    yes = menu.buttons[0][0].data
    assert isinstance(yes, MatchChoice) and yes.choice == "change_yes"
    await participant.call(at, choices.chosen, yes)
    cards = await group_cards(session_factory)
    assert any("asked for a different supporter" in card for card in cards)
    [first, _] = await followups(session_factory, alex, CheckinKind.PARTICIPANT_FOLLOWUP)
    assert first.answers == {"how": "change"}


async def test_check_in_coordinator_opens_a_case_their_words_reach(engine, session_factory):
    _, participant, alex = await supported(session_factory, engine)
    at = await _to_first_check_in(engine, session_factory, participant)

    told = await participant.send(at, Press("how", 3))
    await participant.send(at + timedelta(minutes=5), Text("We keep missing each other."))

    assert texts_of(told)[-1] == "followup.coordinator"
    [first, _] = await followups(session_factory, alex, CheckinKind.PARTICIPANT_FOLLOWUP)
    [case] = await rows(session_factory, Case, Case.person_id == alex)
    assert case.status == CaseStatus.OPEN
    assert case.card_key == f"checkin:{first.id}:followup_coordinator", "the card anchors it"
    [message] = await rows(session_factory, CaseMessage, CaseMessage.case_id == case.id)
    assert CIPHER.decrypt(message.body_enc) == "We keep missing each other."
    cards = await group_cards(session_factory)
    assert any("would like to talk to a coordinator" in card for card in cards)
    assert any("We keep missing each other." in card for card in cards), "in the thread"
    [first, _] = await followups(session_factory, alex, CheckinKind.PARTICIPANT_FOLLOWUP)
    assert first.answers == {"how": "coordinator"}


async def test_a_check_in_is_reminded_once_then_counted_missed(engine, session_factory):
    _, participant, alex = await supported(session_factory, engine)
    await _to_first_check_in(engine, session_factory, participant)
    [first, second] = await followups(session_factory, alex, CheckinKind.PARTICIPANT_FOLLOWUP)
    [conversation] = await rows(
        session_factory,
        Conversation,
        Conversation.person_id == alex,
        Conversation.flow == "followup",
    )
    assert conversation.reminder_due_at == first.sent_at + timedelta(
        hours=POLICY.remind_after_hours
    )

    missed_at = first.sent_at + timedelta(hours=POLICY.missed_after_hours)
    await run_pass(deps_for(engine, session_factory), now=missed_at - timedelta(minutes=1))
    [early, _] = await followups(session_factory, alex, CheckinKind.PARTICIPANT_FOLLOWUP)
    assert early.status == CheckinStatus.SENT
    await run_pass(deps_for(engine, session_factory), now=missed_at)

    [first, second] = await followups(session_factory, alex, CheckinKind.PARTICIPANT_FOLLOWUP)
    assert first.status == CheckinStatus.MISSED
    assert second.status == CheckinStatus.SCHEDULED, "the next one still comes"
    [conversation] = await rows(session_factory, Conversation, Conversation.id == conversation.id)
    assert conversation.status == ConversationStatus.EXPIRED


async def test_a_check_in_due_at_night_waits_for_the_morning(engine, session_factory):
    _, participant, alex = await supported(session_factory, engine)
    two_weeks = NOW + timedelta(days=POLICY.satisfaction_after_days)
    await prompted(engine, session_factory, participant, two_weeks)
    await participant.send(two_weeks, Press("score", 5))
    due = NOW + timedelta(weeks=POLICY.every_weeks)
    night = due.replace(hour=3) + DAY  # 23:00 in New York (summer time)

    async with session_factory() as session, session.begin():
        await session.execute(
            update(Checkin)
            .where(Checkin.kind == CheckinKind.PARTICIPANT_FOLLOWUP)
            .values(due_at=night)
        )
    assert await prompted(engine, session_factory, participant, night) == []
    morning = night.replace(hour=12)  # 08:00 in New York
    assert await prompted(engine, session_factory, participant, morning) == ["followup.how"]
    assert alex


async def test_the_review_takes_the_place_of_that_weeks_check_in(engine, session_factory):
    _, participant, alex = await supported(session_factory, engine)
    at = await _to_review(engine, session_factory, participant)

    check_ins = await followups(session_factory, alex, CheckinKind.PARTICIPANT_FOLLOWUP)
    weeks = [(row.due_at - NOW) / timedelta(weeks=1) for row in check_ins]
    assert weeks == [4, 8, 16], "none in the review's week"
    assert at - NOW < timedelta(weeks=12, days=1)


async def test_review_continue_brings_another_review_after_as_long(engine, session_factory):
    _, participant, alex = await supported(session_factory, engine)
    at = await _to_review(engine, session_factory, participant)

    kept = await participant.send(at, Press("review", 0))

    assert texts_of(kept)[-1] == "review.continued"
    first, second = await followups(session_factory, alex, CheckinKind.REVIEW)
    assert first.answers == {"review": "continue"}
    assert second.due_at == at + timedelta(weeks=POLICY.planned_weeks)
    accepted = await rows(session_factory, Match, Match.status == MatchStatus.ACCEPTED)
    assert len(accepted) == 1


async def test_review_end_ends_the_match_with_the_survey(engine, session_factory):
    robin, participant, alex = await supported(session_factory, engine)
    at = await _to_review(engine, session_factory, participant)

    ended = await participant.send(at, Press("review", 1))

    assert texts_of(ended)[-3:] == [
        "end.done_participant",
        "end.undo_offer",
        "feedback.satisfaction",
    ]
    [match] = await rows(session_factory, Match, Match.status == MatchStatus.ENDED)
    assert match.end_reason == "ended_by_participant"
    assert await rows(session_factory, Match, Match.status == MatchStatus.ACCEPTED) == []
    [review] = await followups(session_factory, alex, CheckinKind.REVIEW)
    assert review.answers == {"review": "end"}
    pending = await rows(
        session_factory,
        Checkin,
        Checkin.person_id == alex,
        Checkin.status == CheckinStatus.SCHEDULED,
    )
    assert pending == [], "the next check-in was cancelled with the ending"
    survey = await rows(session_factory, Conversation, Conversation.flow == "feedback")
    assert [c.status for c in survey] == [ConversationStatus.ACTIVE]
    robin_told = await rows(
        session_factory,
        OutboxMessage,
        OutboxMessage.chat_id == robin.telegram_id,
        OutboxMessage.dedupe_key.like(f"match:{match.id}:end:%"),
    )
    assert len(robin_told) == 1, "the supporter is told, as after /end"


async def _to_review(engine, sessions, participant: Chat) -> datetime:
    """Answer every prompt until the review comes; its time."""
    alex = await _participant_id(sessions, participant)
    at = NOW + timedelta(weeks=POLICY.planned_weeks)
    day = NOW + 4 * DAY
    while day <= at:
        keys = await prompted(engine, sessions, participant, day)
        if "satisfaction.question" in keys:
            await participant.send(day, Press("score", 5))
        if "followup.how" in keys:
            await participant.send(day, Press("how", 0))
        if "review.question" in keys:
            return day
        day += DAY
    raise AssertionError(f"no review for {alex} by {at}")


async def test_ending_the_match_cancels_every_follow_up(engine, session_factory):
    _, participant, alex = await supported(session_factory, engine)
    asked = await participant.call(NOW + 4 * DAY, choices.end)
    await participant.call(
        NOW + 4 * DAY,
        choices.chosen,
        MatchChoice(asked.items[0].buttons[0][0].data.match_id, "end_yes"),
    )
    kinds = (CheckinKind.PARTICIPANT_FOLLOWUP, CheckinKind.SATISFACTION, CheckinKind.REVIEW)
    assert {row.status for row in await followups(session_factory, alex, *kinds)} == {
        CheckinStatus.CANCELLED
    }


async def test_stop_and_forget_cancel_every_follow_up(engine, session_factory):
    kinds = (CheckinKind.PARTICIPANT_FOLLOWUP, CheckinKind.SATISFACTION, CheckinKind.REVIEW)
    _, participant, alex = await supported(session_factory, engine)
    async with session_factory() as session, session.begin():
        person = await people.find_by_telegram_id(session, participant.telegram_id)
        assert person is not None
        await data_rights.stop(context(session, NOW + 4 * DAY), person)
    assert {row.status for row in await followups(session_factory, alex, *kinds)} == {
        CheckinStatus.CANCELLED
    }
    for day in range(5, 13 * 7):
        await prompted(engine, session_factory, participant, NOW + day * DAY)
    assert {row.status for row in await followups(session_factory, alex, *kinds)} == {
        CheckinStatus.CANCELLED
    }


async def test_writing_again_after_stop_brings_the_follow_ups_back(engine, session_factory):
    kinds = (CheckinKind.PARTICIPANT_FOLLOWUP, CheckinKind.SATISFACTION, CheckinKind.REVIEW)
    _, participant, alex = await supported(session_factory, engine)
    before = {row.kind: row.due_at for row in await followups(session_factory, alex, *kinds)}
    async with session_factory() as session, session.begin():
        person = await people.find_by_telegram_id(session, participant.telegram_id)
        assert person is not None
        await data_rights.stop(context(session, NOW + 4 * DAY), person)
    back = NOW + 20 * DAY  # after the satisfaction question was due
    await participant.send(back, Text("Hello again"))

    after = await followups(session_factory, alex, *kinds)
    assert {row.status for row in after} == {CheckinStatus.SCHEDULED}
    assert {row.kind: row.due_at for row in after} == {
        **before,
        CheckinKind.SATISFACTION: back,  # the one due meanwhile comes now
    }


async def test_forget_cancels_every_follow_up(engine, session_factory):
    kinds = (CheckinKind.PARTICIPANT_FOLLOWUP, CheckinKind.SATISFACTION, CheckinKind.REVIEW)
    _, participant, alex = await supported(session_factory, engine)
    async with session_factory() as session, session.begin():
        person = await people.find_by_telegram_id(session, participant.telegram_id)
        assert person is not None
        await data_rights.forget(context(session, NOW + 4 * DAY), person)
    assert {row.status for row in await followups(session_factory, alex, *kinds)} <= {
        CheckinStatus.CANCELLED
    }
    assert await rows(session_factory, Answer, Answer.flow == "followup") == []
