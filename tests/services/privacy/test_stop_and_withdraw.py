"""/stop and withdrawing from the program do what their texts promise, on the real database.

stop.done: "You will get no more messages from the program until you write to us again."
consent.withdraw_participation_note: "Withdrawing from the program means we stop your support
and our messages. What we have stored stays with us until you ask us to erase it with
/forget." consent.about_program: "You can stop at any time, with no need to give a reason."

What the sender would deliver is read by draining the outbox as the sender does; a reply's
messages for other people are queued as the bot queues them (bot.queue.queue_elsewhere).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from peerbot.bot.queue import queue_elsewhere
from peerbot.dialogs.inputs import Press, Text
from peerbot.scheduler.checkin_pass import run_pass
from peerbot.services.conversations.actions import MatchApprove, NameShare, OfferAnswer
from peerbot.services.conversations.shown import EditPressed, Menu, Notice, Reply
from peerbot.services.matching import offers, proposals
from peerbot.services.matching.introductions import name_answer
from peerbot.services.privacy import data_rights, rights
from peerbot.storage import outbox, people
from peerbot.storage.enums import (
    CheckinKind,
    CheckinStatus,
    ConsentKind,
    ConversationStatus,
    MatchStatus,
    PersonStatus,
    SupportRequestStatus,
)
from peerbot.storage.models import Checkin, Consent, Conversation, Match, Person, SupportRequest
from tests.support.contexts import rendered_texts
from tests.support.supporter_steps import (
    GROUP,
    PROGRAM,
    Chat,
    as_coordinator,
    context,
    deps_for,
    request_support,
    rows,
    texts_of,
    trained_supporter,
)

Sessions = async_sessionmaker[AsyncSession]
NOW = datetime(2027, 3, 3, 15, 0, tzinfo=UTC)
PARTICIPANT, ROBIN = 7001, 5001
LEASE = timedelta(seconds=30)


async def sent_now(sessions: Sessions, now: datetime = NOW) -> dict[int, list[str]]:
    """Everything the sender delivers as of now, per chat (marked sent, as Telegram took it)."""
    sent: dict[int, list[str]] = {}
    while True:
        async with sessions() as session, session.begin():
            heads = await outbox.claim_due(session, now=now, limit=100, lease=LEASE)
            for chain in await outbox.claim_chains(session, heads, now=now, lease=LEASE):
                for row in chain:
                    sent.setdefault(row.chat_id, []).append(row.payload.get("text", row.method))
                    await outbox.mark_sent(session, row.id, now=now, telegram_message_id=None)
        if not heads:
            return sent


async def told_elsewhere(sessions: Sessions, reply: Reply) -> None:
    """Queue what the reply tells other people, as the bot does after the update."""
    async with sessions() as session, session.begin():
        await queue_elsewhere(session, PROGRAM.texts, reply, now=NOW)


async def offered(sessions: Sessions) -> tuple[Chat, Chat, Match]:
    """Robin is offered Alex's request (grief, shared with a supporter)."""
    robin = await trained_supporter(sessions, NOW, ROBIN, first_name="Robin", username="robin_s")
    participant = Chat(sessions, PARTICIPANT, first_name="Alex")
    await request_support(participant, NOW)
    await sent_now(sessions)  # all that came before
    [proposal] = await rows(sessions, Match, Match.status == MatchStatus.PROPOSED)
    await as_coordinator(sessions, NOW, proposals.approve, MatchApprove(proposal.id))
    [offer] = await rows(sessions, Match, Match.status == MatchStatus.OFFERED)
    return robin, participant, offer


async def introduced(sessions: Sessions) -> tuple[Chat, Chat, Match]:
    """Robin accepted: both introduced, and all of it delivered."""
    robin, participant, offer = await offered(sessions)
    accepted = await robin.call(NOW, offers.answer, OfferAnswer(offer.id, "accept"))
    await told_elsewhere(sessions, accepted)
    await sent_now(sessions)
    return robin, participant, offer


async def withdraw(participant: Chat) -> Reply:
    return await participant.call(NOW, rights.withdraw_consent, ConsentKind.PARTICIPATION.value)


async def person(sessions: Sessions, telegram_id: int) -> Person:
    async with sessions() as session:
        found = await people.find_by_telegram_id(session, telegram_id)
    assert found is not None
    return found


def group_cards(sent: dict[int, list[str]]) -> str:
    return "\n".join(sent.get(GROUP, []))


async def test_stop_promise_no_more_messages_holds_an_introduction_until_they_write_again(
    session_factory,
):
    """stop.done's promise, and stop.resumed's: what waited is sent once they are back."""
    robin, participant, offer = await offered(session_factory)
    await participant.call(NOW, rights.stop)

    accepted = await robin.call(NOW, offers.answer, OfferAnswer(offer.id, "accept"))
    await told_elsewhere(session_factory, accepted)
    named = await robin.call(NOW, name_answer, NameShare(offer.id, True))
    await told_elsewhere(session_factory, named)
    sent = await sent_now(session_factory)

    assert PARTICIPANT not in sent, "no introduction while stopped"
    assert ROBIN in sent, "the supporter still hears"
    back = await participant.send(NOW, Text("hello again"))
    assert "stop.resumed" in texts_of(back)
    later = await sent_now(session_factory)
    assert any("Good news: we have found a peer supporter" in t for t in later[PARTICIPANT])
    assert any("t.me/robin_s" in t for t in later[PARTICIPANT])


async def test_stop_promise_no_more_messages_a_stopped_supporter_gets_no_offer(session_factory):
    robin, _, offer = await offered(session_factory)

    await robin.call(NOW, rights.stop)

    sent = await sent_now(session_factory)
    assert ROBIN not in sent, "the offer queued before /stop is held"
    [closed] = await rows(session_factory, Match, Match.id == offer.id)
    assert closed.status == MatchStatus.DECLINED and closed.decline_reason == "stopped"
    assert "paused messages from the program" in group_cards(sent)
    [request] = await rows(session_factory, SupportRequest)
    assert request.status == SupportRequestStatus.MATCHING, "proposed again, without Robin"
    pressed = await robin.call(NOW, offers.answer, OfferAnswer(offer.id, "accept"))
    assert rendered_texts(PROGRAM.texts, pressed) == [PROGRAM.texts.get("offer.gone", "en")]
    await robin.start(NOW)  # back: the stale offer is dropped, not delivered late
    assert ROBIN not in await sent_now(session_factory)


async def test_stop_promise_until_you_write_again_news_waits_and_stale_prompts_are_dropped(
    engine, session_factory
):
    """stop.done: "To come back, send /start"; what was news is delivered then, while
    prompts queued for a time now past (a check-in, have you connected?) never burst out."""
    robin, participant, _ = await introduced(session_factory)
    robin_id = (await person(session_factory, ROBIN)).id
    [wellbeing] = await rows(
        session_factory,
        Checkin,
        Checkin.person_id == robin_id,
        Checkin.kind == CheckinKind.SUPPORTER_WELLBEING,
    )
    due = wellbeing.due_at
    report = await run_pass(deps_for(engine, session_factory), now=due)
    assert report.sent == 1, "the check-in is queued for Robin"

    await robin.call(due, rights.stop)
    await participant.send(due, Press("how", 0))  # phone
    await participant.send(due, Text("+1 555 0100"))
    assert ROBIN not in await sent_now(session_factory, due)

    back = await robin.start(due + timedelta(days=1))
    delivered = await sent_now(session_factory, due + timedelta(days=1))

    assert "stop.resumed" in texts_of(back)
    assert len(delivered[ROBIN]) == 1 and "+1 555 0100" in delivered[ROBIN][0]
    scheduled = await rows(
        session_factory, Checkin, Checkin.person_id == robin_id, Checkin.due_at > due
    )
    assert [c.status for c in scheduled] == [CheckinStatus.SCHEDULED], "the next check-in"


async def test_stop_cancels_what_was_scheduled_for_the_person(engine, session_factory):
    _, participant, _ = await introduced(session_factory)
    participant_id = (await person(session_factory, PARTICIPANT)).id

    await participant.call(NOW, rights.stop)
    report = await run_pass(deps_for(engine, session_factory), now=NOW + timedelta(days=3))

    theirs = await rows(session_factory, Checkin, Checkin.person_id == participant_id)
    # "have you connected?" and the participant's follow-ups (check-in, satisfaction, review)
    assert [c.status for c in theirs] == [CheckinStatus.CANCELLED] * 4
    assert report.sent == 1, "only Robin is asked whether they have connected"
    assert PARTICIPANT not in await sent_now(session_factory, NOW + timedelta(days=3))


async def test_withdraw_promise_we_stop_your_support_closes_the_request_and_its_offer(
    session_factory,
):
    """No reason is asked (consent.about_program), and the offered supporter's buttons say
    kindly that the offer is no longer open."""
    robin, participant, offer = await offered(session_factory)

    reply = await withdraw(participant)

    assert texts_of(reply) == ["consent.withdrawn", "consent.withdraw_participation_note"]
    assert not any(isinstance(item, Menu) for item in reply.items), "no reason asked"
    [request] = await rows(session_factory, SupportRequest)
    assert request.status == SupportRequestStatus.WITHDRAWN and request.closed_at == NOW
    [match] = await rows(session_factory, Match)
    assert match.status == MatchStatus.WITHDRAWN
    sent = await sent_now(session_factory)
    assert f"Request {request.code} was withdrawn" in group_cards(sent)
    pressed = await robin.call(NOW, offers.answer, OfferAnswer(offer.id, "accept"))
    [gone] = pressed.items
    assert isinstance(gone, EditPressed)
    assert rendered_texts(PROGRAM.texts, pressed) == [
        "This offer is no longer open, so there is nothing you need to do. "
        "Thank you for being ready to help."
    ]


async def test_withdraw_promise_we_stop_your_support_ends_the_match_with_a_kind_word(
    session_factory,
):
    """The supporter is thanked, and given no reason: the participant owes none."""
    _, participant, offer = await introduced(session_factory)

    await withdraw(participant)

    [match] = await rows(session_factory, Match, Match.id == offer.id)
    assert match.status == MatchStatus.ENDED and match.end_reason == "withdrawn"
    [request] = await rows(session_factory, SupportRequest)
    assert request.status == SupportRequestStatus.WITHDRAWN
    followups = await rows(session_factory, Checkin, Checkin.kind == CheckinKind.MATCH_FOLLOWUP)
    assert {c.status for c in followups} == {CheckinStatus.CANCELLED}
    sent = await sent_now(session_factory)
    assert sent[ROBIN] == [PROGRAM.texts.get("end.told_supporter", "en")]
    assert "the participant left the program" in group_cards(sent)


async def test_withdraw_promise_and_our_messages_stop_as_with_stop(session_factory):
    _, participant, _ = await introduced(session_factory)

    await withdraw(participant)

    withdrawn = await person(session_factory, PARTICIPANT)
    assert withdrawn.status == PersonStatus.STOPPED
    asking = await rows(
        session_factory,
        Conversation,
        Conversation.person_id == withdrawn.id,
        Conversation.status == ConversationStatus.ACTIVE,
    )
    assert asking == [], "the question how to reach them is not pursued"
    async with session_factory() as session, session.begin():
        ctx = context(session, NOW)
        await ctx.outbox.post(PARTICIPANT, Notice("end.told_participant"), priority=50)
    assert PARTICIPANT not in await sent_now(session_factory)


async def test_withdraw_promise_what_we_stored_stays_until_forget(session_factory):
    """consent.withdrawn: "We recorded that you withdrew this permission"; the data stays
    until /forget, which works while messages are stopped (stop.done: "send /forget")."""
    _, participant, _ = await offered(session_factory)
    await withdraw(participant)

    [participation] = await rows(
        session_factory, Consent, Consent.kind == ConsentKind.PARTICIPATION
    )
    assert participation.withdrawn_at == NOW
    async with session_factory() as session, session.begin():
        ctx = context(session, NOW)
        stored = await people.find_by_telegram_id(session, PARTICIPANT)
        assert stored is not None
        summary, data = await data_rights.export(ctx, stored)
    assert summary.requests == 1 and summary.answers > 0
    assert data["support_requests"][0]["summary"] == "My mother died in May and evenings are hard."

    erased = await participant.call(NOW, rights.forget_answer, True)

    assert texts_of(erased) == ["forget.done"]
    [gone] = await rows(session_factory, Person, Person.status == PersonStatus.ERASED)
    assert gone.telegram_user_id is None


async def test_stop_promise_no_more_messages_a_stopped_persons_request_waits_out_of_matching(
    session_factory,
):
    """stop.done: no introduction can follow while they are stopped, so their request is not
    proposed to anyone; once they write again it is matched as before."""
    participant = Chat(session_factory, PARTICIPANT, first_name="Alex")
    await request_support(participant, NOW)
    await participant.call(NOW, rights.stop)

    async def waiting() -> list[int]:
        async with session_factory() as session:
            found = await proposals.waiting_without_proposal(context(session, NOW), limit=10)
            return [request.person_id for request in found]

    participant_id = (await person(session_factory, PARTICIPANT)).id
    assert await waiting() == []
    await participant.start(NOW + timedelta(hours=1))
    assert await waiting() == [participant_id]
