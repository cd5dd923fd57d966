"""What the consent texts promise about our own messages and about evaluation use, checked
on the real database (the other promises have their tests beside the behaviour; the table in
tests/test_consent_claims.py names them all)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from peerbot.dialogs.inputs import Press
from peerbot.scheduler.checkin_pass import run_pass
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
    supporter have connected" — and, over the two months after, nothing else is sent to the
    participant by the clock."""
    robin = await trained_supporter(session_factory, NOW, 5001, first_name="Robin")
    participant = Chat(session_factory, PARTICIPANT, first_name="Alex")
    await request_support(participant, NOW)
    await approve_first(session_factory)
    [offer] = await rows(session_factory, Match, Match.status == MatchStatus.OFFERED)
    await robin.call(NOW, answer_offer, OfferAnswer(offer.id, "accept"))
    await participant.send(NOW, Press("how", 3))  # how they would like to be reached
    [alex] = await rows(session_factory, Person, Person.telegram_user_id == PARTICIPANT)

    [follow_up] = await rows(session_factory, Checkin, Checkin.person_id == alex.id)
    assert follow_up.kind == CheckinKind.MATCH_FOLLOWUP
    days = PROGRAM.policy.introductions.followup_after_days
    assert 1 <= days <= 7 and follow_up.due_at == NOW + timedelta(days=days)

    deps = deps_for(engine, session_factory)
    for day in range(1, 61):
        await run_pass(deps, now=NOW + timedelta(days=day))
    theirs = await rows(session_factory, Checkin, Checkin.person_id == alex.id)
    sent = [c.kind for c in theirs if c.status != CheckinStatus.SCHEDULED]
    assert sent == [CheckinKind.MATCH_FOLLOWUP]
