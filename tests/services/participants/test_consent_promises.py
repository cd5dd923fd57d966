"""What the consent texts promise about our own messages and about evaluation use, checked
on the real database (the other promises have their tests beside the behaviour; the table in
tests/test_consent_claims.py names them all)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from peerbot.dialogs.inputs import Press
from peerbot.scheduler.checkin_pass import run_pass
from peerbot.services.common.context import unit_of_work
from peerbot.services.conversations import reminders
from peerbot.services.conversations.actions import OfferAnswer
from peerbot.services.matching.offers import answer as answer_offer
from peerbot.storage.enums import CheckinKind, CheckinStatus, MatchStatus
from peerbot.storage.models import Checkin, Match, Person
from tests.services.matching.test_matching import approve_first, proposed
from tests.support.supporter_steps import (
    PROGRAM,
    Chat,
    deps_for,
    request_support,
    rows,
    trained_supporter,
)

NOW = datetime(2027, 3, 3, 15, 0, tzinfo=UTC)
PARTICIPANT = 7001


async def test_evaluation_promise_a_no_does_not_change_the_support(session_factory):
    """consent.evaluation: "Your answer does not change the support you get." """
    await trained_supporter(session_factory, NOW, 5001, first_name="Robin")
    said_no = Chat(session_factory, PARTICIPANT, first_name="Alex")
    await request_support(said_no, NOW, evaluation=False)
    said_yes = Chat(session_factory, PARTICIPANT + 1, first_name="Kim")
    await request_support(said_yes, NOW, evaluation=True)

    matches = await proposed(session_factory)
    scores = {match.support_request_id: match.score for match in matches}
    assert len(scores) == 2, "both requests are proposed"
    assert len(set(scores.values())) == 1, "to the same supporter, with the same score"


async def test_contact_promise_our_own_messages_are_a_follow_up_and_nothing_more(
    engine, session_factory
):
    """consent.about_contact: "a few days after your introduction we ask whether you and your
    supporter have connected; while you are supported, we ask after two weeks how satisfied
    you are, every 4 weeks how it is going, and after 12 weeks whether you would like to
    continue" — and, over the three months after, nothing else is sent to the participant by
    the clock (prompts left unanswered included)."""
    robin = await trained_supporter(session_factory, NOW, 5001, first_name="Robin")
    participant = Chat(session_factory, PARTICIPANT, first_name="Alex")
    await request_support(participant, NOW)
    await approve_first(session_factory)
    [offer] = await rows(session_factory, Match, Match.status == MatchStatus.OFFERED)
    await robin.call(NOW, answer_offer, OfferAnswer(offer.id, "accept"))
    await participant.send(NOW, Press("how", 3))  # how they would like to be reached
    [alex] = await rows(session_factory, Person, Person.telegram_user_id == PARTICIPANT)

    [follow_up] = await rows(
        session_factory,
        Checkin,
        Checkin.person_id == alex.id,
        Checkin.kind == CheckinKind.MATCH_FOLLOWUP,
    )
    days = PROGRAM.policy.introductions.followup_after_days
    assert 1 <= days <= 7 and follow_up.due_at == NOW + timedelta(days=days)

    deps = deps_for(engine, session_factory)
    for day in range(1, 13 * 7):
        await run_pass(deps, now=NOW + timedelta(days=day))
        async with unit_of_work(deps, now=NOW + timedelta(days=day)) as ctx:
            await reminders.expire_idle(ctx)  # an unanswered question is closed in time
    theirs = await rows(session_factory, Checkin, Checkin.person_id == alex.id)
    sent = sorted((c.due_at, c.kind) for c in theirs if c.status != CheckinStatus.SCHEDULED)
    weeks = PROGRAM.policy.followup.every_weeks
    assert [(due - NOW, kind) for due, kind in sent] == [
        (timedelta(days=days), CheckinKind.MATCH_FOLLOWUP),
        (timedelta(days=14), CheckinKind.SATISFACTION),
        (timedelta(weeks=weeks), CheckinKind.PARTICIPANT_FOLLOWUP),
        (timedelta(weeks=2 * weeks), CheckinKind.PARTICIPANT_FOLLOWUP),
        (timedelta(weeks=12), CheckinKind.REVIEW),  # in place of that week's check-in
    ]
