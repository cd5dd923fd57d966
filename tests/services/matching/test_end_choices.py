"""/end and /change made safe: which support, a confirmation, and an undo of /end for a day."""

from __future__ import annotations

from datetime import timedelta

from peerbot.dialogs.inputs import Press, Text
from peerbot.services.conversations.actions import MatchApprove, MatchChoice, OfferAnswer
from peerbot.services.conversations.shown import Menu, Reply
from peerbot.services.matching import choices, proposals
from peerbot.services.matching.offers import answer as answer_offer
from peerbot.storage.enums import (
    CheckinKind,
    CheckinStatus,
    ConversationStatus,
    MatchStatus,
    SupportRequestStatus,
)
from peerbot.storage.models import (
    Answer,
    AuditEvent,
    Checkin,
    Conversation,
    Match,
    SupportRequest,
)
from tests.services.matching.test_matching import NOW, group_cards, introduced, proposed
from tests.support.supporter_steps import Chat, as_coordinator, request_support, rows, texts_of


def menu_of(reply: Reply) -> Menu:
    return next(item for item in reply.items if isinstance(item, Menu))


def pressed(reply: Reply, row: int = 0, column: int = 0) -> object:
    return menu_of(reply).buttons[row][column].data


async def the_match(sessions) -> Match:
    [match] = await rows(
        sessions, Match, Match.status.in_((MatchStatus.ACCEPTED, MatchStatus.ENDED))
    )
    return match


async def audited(sessions, action: str) -> int:
    return len(await rows(sessions, AuditEvent, AuditEvent.action == action))


async def ended_by_participant(sessions) -> tuple[Chat, Chat, Reply]:
    robin, participant = await introduced(sessions)
    asked = await participant.call(NOW, choices.end)
    ended = await participant.call(NOW, choices.chosen, pressed(asked))
    return robin, participant, ended


async def test_end_asks_first_naming_the_supporter_and_no_keeps_the_support(session_factory):
    """end.confirm names them; choice.kept: "nothing has changed"."""
    robin, participant = await introduced(session_factory)

    asked = await participant.call(NOW, choices.end)
    kept = await participant.call(NOW, choices.chosen, pressed(asked, column=1))

    menu = menu_of(asked)
    assert menu.key == "end.confirm" and menu.values["name"] == "Robin"
    assert [b.label_key for b in menu.buttons[0]] == ["end.yes", "end.no"]
    assert texts_of(kept) == ["choice.kept"]
    assert (await the_match(session_factory)).status == MatchStatus.ACCEPTED


async def test_yes_ends_it_tells_the_supporter_and_offers_an_undo(session_factory):
    robin, participant, ended = await ended_by_participant(session_factory)

    assert texts_of(ended)[:3] == [
        "end.done_participant",
        "end.undo_offer",
        "feedback.satisfaction",
    ]
    assert menu_of(ended).buttons[0][0].label_key == "end.undo"
    assert texts_of(ended.elsewhere[0].reply) == ["end.told_supporter"]
    match = await the_match(session_factory)
    assert match.status == MatchStatus.ENDED and match.end_reason == "ended_by_participant"
    assert await audited(session_factory, "match.end_confirmed") == 1


async def test_undo_within_a_day_restores_the_match_and_tells_everyone(session_factory):
    """end.undo_offer: "You can undo this within a day"; undo.done and undo.told_supporter:
    "your support continues as before" (the match, its request and follow-ups are back)."""
    robin, participant, ended = await ended_by_participant(session_factory)

    undone = await participant.call(NOW + timedelta(hours=23), choices.undo, pressed(ended))

    assert texts_of(undone) == ["undo.done"]
    assert texts_of(undone.elsewhere[0].reply) == ["undo.told_supporter"]
    match = await the_match(session_factory)
    assert match.status == MatchStatus.ACCEPTED and match.ended_at is None
    [request] = await rows(session_factory, SupportRequest)
    assert request.status == SupportRequestStatus.MATCHED and request.closed_reason is None
    followups = await rows(session_factory, Checkin, Checkin.kind == CheckinKind.MATCH_FOLLOWUP)
    assert followups and all(c.status == CheckinStatus.SCHEDULED for c in followups)
    cards = await group_cards(session_factory)
    assert any("the participant undid the ending" in card for card in cards)
    assert await audited(session_factory, "match.end_undone") == 1


async def test_undo_stops_a_survey_in_progress(session_factory):
    robin, participant, ended = await ended_by_participant(session_factory)
    await participant.send(NOW, Press("satisfaction", 4))

    await participant.call(NOW + timedelta(minutes=2), choices.undo, pressed(ended))
    later = await participant.send(NOW + timedelta(minutes=3), Text("Robin called me today."))

    assert "feedback.thanks" not in texts_of(later), "the words were not taken as a comment"
    assert await rows(session_factory, Answer, Answer.flow == "feedback") == []
    survey = await rows(
        session_factory,
        Conversation,
        Conversation.flow == "feedback",
        Conversation.status == ConversationStatus.ACTIVE,
    )
    assert survey == []


async def test_undo_keeps_a_survey_already_answered(session_factory):
    robin, participant, ended = await ended_by_participant(session_factory)
    await participant.send(NOW, Press("satisfaction", 4))
    await participant.send(NOW, Press("understood", 0))
    await participant.send(NOW, Press("recommend", 0))
    await participant.send(NOW, Text("Kind and patient."))

    await participant.call(NOW + timedelta(minutes=5), choices.undo, pressed(ended))

    answers = await rows(session_factory, Answer, Answer.flow == "feedback")
    assert {a.question for a in answers} == {"satisfaction", "understood", "recommend", "comments"}
    assert (await the_match(session_factory)).status == MatchStatus.ACCEPTED


async def test_a_late_undo_answers_kindly_and_changes_nothing(session_factory):
    """undo.too_late: "within a day ... nothing was changed"."""
    robin, participant, ended = await ended_by_participant(session_factory)

    late = await participant.call(NOW + timedelta(hours=25), choices.undo, pressed(ended))

    assert texts_of(late) == ["undo.too_late"]
    assert (await the_match(session_factory)).status == MatchStatus.ENDED


async def test_a_second_undo_press_answers_kindly(session_factory):
    """undo.already: "already back on; there is nothing else to do"."""
    robin, participant, ended = await ended_by_participant(session_factory)
    await participant.call(NOW + timedelta(hours=1), choices.undo, pressed(ended))

    again = await participant.call(NOW + timedelta(hours=2), choices.undo, pressed(ended))

    assert texts_of(again) == ["undo.already"]
    assert again.elsewhere == []


async def test_no_undo_once_the_participant_has_asked_for_support_again(session_factory):
    """undo.asked_again: "this ending stays and your new request goes on"."""
    robin, participant, ended = await ended_by_participant(session_factory)
    [old] = await rows(session_factory, SupportRequest)
    async with session_factory() as session, session.begin():
        session.add(
            SupportRequest(
                person_id=old.person_id, code="R-AGAIN1", status=SupportRequestStatus.MATCHING
            )
        )

    refused = await participant.call(NOW + timedelta(hours=2), choices.undo, pressed(ended))

    assert texts_of(refused) == ["undo.asked_again"]
    assert (await the_match(session_factory)).status == MatchStatus.ENDED


async def test_only_the_person_who_ended_it_can_undo(session_factory):
    robin, participant, ended = await ended_by_participant(session_factory)

    refused = await robin.call(NOW, choices.undo, pressed(ended))

    assert texts_of(refused) == ["undo.too_late"]
    assert (await the_match(session_factory)).status == MatchStatus.ENDED


async def test_ending_again_after_an_undo_tells_the_supporter_and_coordinators_again(
    session_factory,
):
    robin, participant, ended = await ended_by_participant(session_factory)
    await participant.call(NOW + timedelta(hours=1), choices.undo, pressed(ended))

    asked = await participant.call(NOW + timedelta(hours=2), choices.end)
    again = await participant.call(NOW + timedelta(hours=2), choices.chosen, pressed(asked))

    assert texts_of(again.elsewhere[0].reply) == ["end.told_supporter"]
    assert again.elsewhere[0].dedupe_key != ended.elsewhere[0].dedupe_key
    cards = await group_cards(session_factory)
    assert sum("has ended" in card for card in cards) == 2


async def two_participants(sessions) -> tuple[Chat, Chat, Chat]:
    """Robin supports Alex, then Blake too."""
    robin, alex = await introduced(sessions)
    blake = Chat(sessions, 7002, first_name="Blake")
    await request_support(blake, NOW)
    robins = [
        m
        for m in await proposed(sessions)
        if m.supporter_id == (await the_match(sessions)).supporter_id
    ]
    await as_coordinator(sessions, NOW, proposals.approve, MatchApprove(robins[0].id))
    [offer] = await rows(sessions, Match, Match.status == MatchStatus.OFFERED)
    await robin.call(NOW, answer_offer, OfferAnswer(offer.id, "accept"))
    return robin, alex, blake


async def test_a_supporter_with_two_participants_picks_which_by_name(session_factory):
    robin, alex, blake = await two_participants(session_factory)

    asked = await robin.call(NOW, choices.end)
    labels = {row[0].label_text: row[0].data for row in menu_of(asked).buttons}
    confirm = await robin.call(NOW, choices.chosen, labels["Blake"])
    ended = await robin.call(NOW, choices.chosen, pressed(confirm))

    assert menu_of(asked).key == "end.which" and set(labels) == {"Alex", "Blake"}
    assert menu_of(confirm).key == "end.confirm" and menu_of(confirm).values["name"] == "Blake"
    assert texts_of(ended)[:2] == ["end.done_supporter", "end.undo_offer"]
    [still] = await rows(session_factory, Match, Match.status == MatchStatus.ACCEPTED)
    [gone] = await rows(session_factory, Match, Match.status == MatchStatus.ENDED)
    assert gone.id == labels["Blake"].match_id and still.id == labels["Alex"].match_id
    assert menu_of(await robin.call(NOW, choices.change)).key == "change.confirm", "one left"


async def test_change_with_two_participants_asks_which_first(session_factory):
    robin, alex, blake = await two_participants(session_factory)

    asked = await robin.call(NOW, choices.change)
    labels = {row[0].label_text: row[0].data for row in menu_of(asked).buttons}
    confirm = await robin.call(NOW, choices.chosen, labels["Alex"])

    assert menu_of(asked).key == "change.which" and set(labels) == {"Alex", "Blake"}
    assert menu_of(confirm).key == "change.confirm" and menu_of(confirm).values["name"] == "Alex"


async def test_undoing_a_supporters_end_cancels_the_survey_not_yet_sent(session_factory):
    robin, alex, blake = await two_participants(session_factory)
    asked = await robin.call(NOW, choices.end)
    choice = next(row[0].data for row in menu_of(asked).buttons if row[0].label_text == "Blake")
    confirm = await robin.call(NOW, choices.chosen, choice)
    ended = await robin.call(NOW, choices.chosen, pressed(confirm))

    undone = await robin.call(NOW + timedelta(minutes=5), choices.undo, pressed(ended))

    assert texts_of(undone) == ["undo.done"]
    assert texts_of(undone.elsewhere[0].reply) == ["undo.told_participant"]
    [survey] = await rows(session_factory, Checkin, Checkin.kind == CheckinKind.FEEDBACK)
    assert survey.status == CheckinStatus.CANCELLED


async def test_change_asks_first_then_goes_to_the_coordinators(session_factory):
    """change.confirm: "Ask the coordinators to change your support with ...?"."""
    robin, participant = await introduced(session_factory)

    asked = await participant.call(NOW, choices.change)
    done = await participant.call(NOW, choices.chosen, pressed(asked))

    assert menu_of(asked).key == "change.confirm"
    assert [b.label_key for b in menu_of(asked).buttons[0]] == ["change.yes", "change.no"]
    assert texts_of(done) == ["change.asked"]
    assert any("asked for a different supporter" in c for c in await group_cards(session_factory))


async def test_a_press_on_someone_elses_or_an_ended_match_changes_nothing(session_factory):
    """choice.stale: "nothing was changed"."""
    robin, alex, blake = await two_participants(session_factory)
    accepted = await rows(session_factory, Match, Match.status == MatchStatus.ACCEPTED)
    alex_match = min(accepted, key=lambda m: m.id)

    foreign = await blake.call(NOW, choices.chosen, MatchChoice(alex_match.id, "end_yes"))

    assert texts_of(foreign) == ["choice.stale"]
    assert len(await rows(session_factory, Match, Match.status == MatchStatus.ACCEPTED)) == 2


async def test_nothing_to_end_says_so(session_factory):
    nobody = Chat(session_factory, 7009, first_name="Casey")
    await nobody.start(NOW)

    assert texts_of(await nobody.call(NOW, choices.end)) == ["end.nothing"]
    assert texts_of(await nobody.call(NOW, choices.change)) == ["end.nothing"]
