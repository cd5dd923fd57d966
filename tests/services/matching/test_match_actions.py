"""Coordinators end or reassign a support in progress: asked first, both people told in words
for their side, the participant surveyed or proposed someone else, audited; a stale press
changes nothing."""

from __future__ import annotations

from sqlalchemy import update

from peerbot.services.cases import case_view, cases, threads
from peerbot.services.conversations.shown import EditPressed, Reply, Text
from peerbot.services.matching import batch_proposals, match_actions
from peerbot.services.matching.match_actions import MatchAct
from peerbot.storage.enums import CheckinKind, CheckinStatus, MatchStatus, SupportRequestStatus
from peerbot.storage.models import AuditEvent, Checkin, Match, Person, SupportRequest
from tests.services.matching.test_matching import NOW, PARTICIPANT, group_cards, introduced
from tests.support.supporter_steps import as_coordinator, context, rows, texts_of


def text_of(reply: Reply) -> Text:
    item = reply.items[0]
    return item.view if isinstance(item, EditPressed) else item  # type: ignore[return-value]


async def the_match(sessions) -> Match:
    [match] = await rows(
        sessions, Match, Match.status.in_((MatchStatus.ACCEPTED, MatchStatus.ENDED))
    )
    return match


async def press(sessions, match: Match, act: str) -> Reply:
    return await as_coordinator(sessions, NOW, match_actions.pressed, MatchAct(match.id, act))


async def audited(sessions, action: str) -> list[AuditEvent]:
    return await rows(sessions, AuditEvent, AuditEvent.action == action)


async def test_the_accepted_card_offers_end_match_and_reassign(session_factory):
    await introduced(session_factory)
    match = await the_match(session_factory)

    [card] = [c for c in await group_cards(session_factory) if "accepted request" in c]

    async with session_factory() as session:
        ctx = context(session, NOW)
        labels = [b.label_text for b in match_actions.buttons_for(ctx, match)[0]]
    assert card and labels == ["End match", "Reassign"]


async def test_end_match_asks_first_then_ends_tells_both_and_surveys_the_participant(
    session_factory,
):
    """match_action.end_confirm: "Both will be told it has ended, with no reason given"."""
    await introduced(session_factory)
    match = await the_match(session_factory)

    asked = await press(session_factory, match, "end")
    assert (await the_match(session_factory)).status == MatchStatus.ACCEPTED
    confirm = text_of(asked)
    assert "End the support for request" in (confirm.text or "")
    assert confirm.buttons[0][0].data == MatchAct(match.id, "end_yes")

    done = await press(session_factory, match, "end_yes")

    ended = await the_match(session_factory)
    assert ended.status == MatchStatus.ENDED and ended.end_reason == "ended_by_coordinator"
    assert (text_of(done).text or "").startswith("Ended by Dana at")
    told = {texts_of(o.reply)[0] for o in done.elsewhere}
    assert told == {"match_action.told_supporter", "match_action.told_participant"}
    [request] = await rows(session_factory, SupportRequest)
    assert request.status == SupportRequestStatus.CLOSED
    survey = await rows(session_factory, Checkin, Checkin.kind == CheckinKind.FEEDBACK)
    assert [c.status for c in survey] == [CheckinStatus.SCHEDULED]
    followups = await rows(session_factory, Checkin, Checkin.kind == CheckinKind.MATCH_FOLLOWUP)
    assert followups and all(c.status == CheckinStatus.CANCELLED for c in followups)
    [event] = await audited(session_factory, "match.ended_by_coordinator")
    assert event.details["match_id"] == match.id
    assert any("ended by a coordinator" in c for c in await group_cards(session_factory))


async def test_a_second_or_stale_press_answers_kindly_and_changes_nothing(session_factory):
    await introduced(session_factory)
    match = await the_match(session_factory)
    kept = await press(session_factory, match, "keep")
    assert (text_of(kept).text or "").startswith("Kept: nothing was changed")
    assert (await the_match(session_factory)).status == MatchStatus.ACCEPTED
    await press(session_factory, match, "end_yes")

    again = await press(session_factory, match, "end_yes")
    reassign = await press(session_factory, match, "reassign_yes")

    for reply in (again, reassign):
        assert (
            text_of(reply).text == "This support is no longer in progress, so nothing was changed."
        )
        assert reply.elsewhere == []
    assert len(await audited(session_factory, "match.ended_by_coordinator")) == 1
    assert await audited(session_factory, "match.reassigned") == []


async def test_reassign_proposes_again_and_never_the_old_supporter_even_in_the_batch(
    session_factory,
):
    await introduced(session_factory)
    match = await the_match(session_factory)

    done = await press(session_factory, match, "reassign_yes")

    ended = await the_match(session_factory)
    assert ended.end_reason == "reassigned"
    told = {texts_of(o.reply)[0] for o in done.elsewhere}
    assert told == {"match_action.reassigned_supporter", "match_action.reassigned_participant"}
    proposed = await rows(session_factory, Match, Match.status == MatchStatus.PROPOSED)
    assert proposed and match.supporter_id not in {m.supporter_id for m in proposed}
    [request] = await rows(session_factory, SupportRequest)
    assert request.status == SupportRequestStatus.PROPOSED
    assert await rows(session_factory, Checkin, Checkin.kind == CheckinKind.FEEDBACK) == []

    # the proposals go stale and the batch proposes again: still not the old supporter
    async with session_factory() as session, session.begin():
        await session.execute(
            update(Match)
            .where(Match.status == MatchStatus.PROPOSED)
            .values(status=MatchStatus.WITHDRAWN)
        )
        await session.execute(update(SupportRequest).values(status=SupportRequestStatus.MATCHING))
    async with session_factory() as session, session.begin():
        await batch_proposals.propose_all(context(session, NOW))
    again = await rows(session_factory, Match, Match.status == MatchStatus.PROPOSED)
    assert again and match.supporter_id not in {m.supporter_id for m in again}
    [event] = await audited(session_factory, "match.reassigned")
    assert event.details["supporter_id"] == match.supporter_id


async def test_case_shows_end_match_and_reassign_for_a_support_in_progress(session_factory):
    await introduced(session_factory)
    match = await the_match(session_factory)
    [participant] = await rows(session_factory, Person, Person.telegram_user_id == PARTICIPANT)
    async with session_factory() as session, session.begin():
        await cases.open_for(context(session, NOW), participant, cases.WROTE)

    shown = await as_coordinator(
        session_factory, NOW, case_view.show, threads.At(), [participant.pseudonym]
    )

    [facts] = [item for item in shown.items if isinstance(item, Text)]
    assert [b.data for b in facts.buttons[0]] == [
        MatchAct(match.id, "end"),
        MatchAct(match.id, "reassign"),
    ]
