"""From a confirmed intake to an introduction: proposals, approval, offers, and what follows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from peerbot.dialogs.inputs import Press, Text
from peerbot.scheduler.checkin_pass import run_pass
from peerbot.services.conversations.actions import (
    MatchApprove,
    MatchChoice,
    OfferAnswer,
    RequestAction,
)
from peerbot.services.conversations.shown import EditPressed, Outgoing, Reply
from peerbot.services.matching import (
    batch_proposals,
    choices,
    match_features,
    proposals,
    relationships,
)
from peerbot.services.matching.offers import answer as answer_offer
from peerbot.services.supporters import contact_notes
from peerbot.storage.enums import CheckinKind, CheckinStatus, MatchStatus, SupportRequestStatus
from peerbot.storage.models import (
    Answer,
    Checkin,
    ContactNote,
    Escalation,
    Match,
    OutboxMessage,
    Person,
    SupportRequest,
)
from tests.support.contexts import rendered_texts
from tests.support.supporter_steps import (
    CIPHER,
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

NOW = datetime(2027, 3, 3, 15, 0, tzinfo=UTC)
PARTICIPANT = 7001


def shown(reply: Reply) -> list[str]:
    return rendered_texts(PROGRAM.texts, reply)


async def group_cards(sessions) -> list[str]:
    found = await rows(sessions, OutboxMessage, OutboxMessage.chat_id == GROUP)
    return [row.payload["text"] for row in sorted(found, key=lambda r: r.id)]


async def proposed(sessions) -> list[Match]:
    found = await rows(sessions, Match, Match.status == MatchStatus.PROPOSED)
    return sorted(found, key=lambda m: m.rank or 0)


async def texts_to(sessions, chat_id: int) -> list[str]:
    found = await rows(sessions, OutboxMessage, OutboxMessage.chat_id == chat_id)
    return [row.payload.get("text", "") for row in sorted(found, key=lambda r: r.id)]


async def two_supporters_and_a_request(
    sessions, *, share: bool = True, participant_username: str | None = None
) -> tuple[Chat, Chat, Chat]:
    """Robin knows grief (a fit); Sam knows anxiety only; then a participant asks about grief."""
    robin = await trained_supporter(sessions, NOW, 5001, first_name="Robin", username="robin_s")
    sam = await trained_supporter(sessions, NOW, 5002, {"lived_experience": [0]}, first_name="Sam")
    participant = Chat(sessions, PARTICIPANT, first_name="Alex", username=participant_username)
    await request_support(participant, NOW, share=share)
    return robin, sam, participant


async def approve_first(sessions) -> None:
    [first, *_] = await proposed(sessions)
    await as_coordinator(sessions, NOW, proposals.approve, MatchApprove(first.id))


async def introduced(sessions) -> tuple[Chat, Chat]:
    """Robin approved, offered and accepting: both introduced."""
    robin, _, participant = await two_supporters_and_a_request(sessions)
    await approve_first(sessions)
    [offer] = await rows(sessions, Match, Match.status == MatchStatus.OFFERED)
    await robin.call(NOW, answer_offer, OfferAnswer(offer.id, "accept"))
    return robin, participant


async def test_a_confirmed_intake_gets_a_proposal_card_with_reasons(session_factory):
    await two_supporters_and_a_request(session_factory)

    [robin, sam] = await proposed(session_factory)
    assert robin.score > sam.score
    card = (await group_cards(session_factory))[-1]
    assert card.startswith("Proposed supporters for request R-")
    assert "both know Grief or loss" in card and "both speak English" in card
    first_line = next(line for line in card.splitlines() if line.startswith("1. "))
    assert "Grief" in first_line, "the supporter who shares the experience leads"
    [request] = await rows(session_factory, SupportRequest)
    assert request.status == SupportRequestStatus.PROPOSED


async def test_an_offer_shows_what_triage_needs_and_never_their_words_or_name(session_factory):
    """Even with the sharing consent: a candidate who may decline reads nothing personal."""
    await two_supporters_and_a_request(session_factory, participant_username="alex_k")

    await approve_first(session_factory)

    [offer] = await rows(session_factory, Match, Match.status == MatchStatus.OFFERED)
    assert offer.offer_expires_at == NOW + timedelta(hours=48)
    [text] = [t for t in await texts_to(session_factory, 5001) if "good match" in t]
    assert "Languages: English" in text and "Grief or loss" in text, "triage: categories"
    assert "My mother died in May" not in text, "never their own words"
    assert "@" not in text and "alex_k" not in text and "t.me" not in text, "no contact"
    assert "Alex" not in text, "no name before they accept"
    assert PROGRAM.texts.get("offer.more_after", "en") in text, "the promise it makes"


async def test_without_consent_to_share_the_offer_is_the_same_triage(session_factory):
    await two_supporters_and_a_request(session_factory, share=False)
    await approve_first(session_factory)
    [text] = [t for t in await texts_to(session_factory, 5001) if "good match" in t]
    assert "My mother died" not in text
    assert "Languages: English" in text and "Grief or loss" in text


async def test_accepting_introduces_both_and_schedules_the_follow_up(session_factory):
    robin, _, _ = await two_supporters_and_a_request(session_factory)
    await approve_first(session_factory)
    [offer] = await rows(session_factory, Match, Match.status == MatchStatus.OFFERED)

    reply = await robin.call(NOW, answer_offer, OfferAnswer(offer.id, "accept"))

    keys = texts_of(reply)
    assert keys[:3] == ["intro.to_supporter", "intro.words", "intro.contact_pending"]
    assert "My mother died in May" in shown(reply)[2], "their words, once accepted"
    assert keys[-2:] == ["intro.tips", "intro.name_question.supporter"]
    [to_participant] = reply.elsewhere
    assert isinstance(to_participant, Outgoing) and to_participant.chat_id == PARTICIPANT
    assert texts_of(to_participant.reply)[0] == "intro.to_participant"
    assert "robin_s" not in " ".join(shown(to_participant.reply)), "not before Robin says yes"
    assert texts_of(to_participant.reply)[-1] == "contact.how", "asked how to be reached"
    [request] = await rows(session_factory, SupportRequest)
    assert request.status == SupportRequestStatus.MATCHED
    followups = await rows(session_factory, Checkin, Checkin.kind == CheckinKind.MATCH_FOLLOWUP)
    assert sorted(c.due_at for c in followups) == [NOW + timedelta(days=3)] * 2


async def test_without_consent_to_share_the_introduction_keeps_their_words_back(
    session_factory,
):
    robin, _, _ = await two_supporters_and_a_request(session_factory, share=False)
    await approve_first(session_factory)
    [offer] = await rows(session_factory, Match, Match.status == MatchStatus.OFFERED)

    reply = await robin.call(NOW, answer_offer, OfferAnswer(offer.id, "accept"))

    assert "intro.words" not in texts_of(reply)
    assert not any("My mother died" in text for text in shown(reply))


async def test_the_participant_says_how_to_be_reached_and_only_the_supporter_hears(
    session_factory,
):
    robin, participant = await introduced(session_factory)

    await participant.send(NOW, Press("how", 0))  # phone
    done = await participant.send(NOW, Text("+1 555 0100"))

    assert texts_of(done)[-1] == "contact.thanks"
    assert any("+1 555 0100" in t for t in await texts_to(session_factory, 5001))
    assert not any("+1 555 0100" in t for t in await group_cards(session_factory))


async def test_declining_with_a_reason_proposes_again_without_that_supporter(session_factory):
    robin, _, _ = await two_supporters_and_a_request(session_factory)
    await approve_first(session_factory)
    [offer] = await rows(session_factory, Match, Match.status == MatchStatus.OFFERED)

    why = await robin.call(NOW, answer_offer, OfferAnswer(offer.id, "decline"))
    done = await robin.call(NOW, answer_offer, OfferAnswer(offer.id, "decline:no_time"))

    assert isinstance(why.items[0], EditPressed) and "Why not" in shown(why)[0]
    assert "nothing more" in shown(done)[0]
    [declined] = await rows(session_factory, Match, Match.status == MatchStatus.DECLINED)
    assert declined.decline_reason == "no_time"
    [next_one] = await proposed(session_factory)
    assert next_one.supporter_id != declined.supporter_id
    cards = await group_cards(session_factory)
    assert any("declined request" in card for card in cards)
    assert cards[-1].startswith("Proposed supporters")


async def test_an_offer_left_unanswered_moves_on_after_48_hours(engine, session_factory):
    await two_supporters_and_a_request(session_factory)
    await approve_first(session_factory)
    deps = deps_for(engine, session_factory)

    early = await run_pass(deps, now=NOW + timedelta(hours=47))
    late = await run_pass(deps, now=NOW + timedelta(hours=48))

    assert early.outgoing == [] and len(late.outgoing) == 1
    [expired] = await rows(session_factory, Match, Match.status == MatchStatus.DECLINED)
    assert expired.decline_reason == "no_answer"
    assert len(await proposed(session_factory)) == 1
    assert any("did not answer" in card for card in await group_cards(session_factory))


async def test_a_no_to_have_you_connected_tells_the_coordinators(engine, session_factory):
    robin, participant = await introduced(session_factory)
    await participant.send(NOW, Press("how", 3))  # via the coordinators

    report = await run_pass(deps_for(engine, session_factory), now=NOW + timedelta(days=3))
    told = await participant.send(NOW + timedelta(days=3, hours=1), Press("connected", 1))

    assert report.sent == 2
    assert texts_of(told)[-1] == "connected.told"
    cards = await group_cards(session_factory)
    assert any("the participant says they have not connected yet" in card for card in cards)


async def test_ending_gives_the_participant_a_survey_and_tells_the_supporter(session_factory):
    robin, participant = await introduced(session_factory)
    await participant.send(NOW, Press("how", 3))

    asked = await participant.call(NOW, choices.end)
    ended = await participant.call(
        NOW, choices.chosen, MatchChoice(asked.items[0].buttons[0][0].data.match_id, "end_yes")
    )
    await participant.send(NOW, Press("satisfaction", 5))
    await participant.send(NOW, Press("understood", 0))
    await participant.send(NOW, Press("recommend", 0))
    thanks = await participant.send(NOW, Text("Robin really listened."))

    assert texts_of(ended)[:3] == [
        "end.done_participant",
        "end.undo_offer",
        "feedback.satisfaction",
    ]
    assert texts_of(ended.elsewhere[0].reply) == ["end.told_supporter"]
    assert texts_of(thanks)[-2:] == ["feedback.thanks", "become_supporter.question"]
    feedback = {
        a.question: a for a in await rows(session_factory, Answer, Answer.flow == "feedback")
    }
    assert feedback["satisfaction"].value == 5 and feedback["recommend"].value == "yes"
    assert feedback["comments"].value is None
    assert CIPHER.decrypt(feedback["comments"].value_enc) == "Robin really listened."
    [match] = await rows(session_factory, Match, Match.status == MatchStatus.ENDED)
    assert match.end_reason == "ended_by_participant"
    assert (
        await rows(
            session_factory,
            Checkin,
            Checkin.kind == CheckinKind.MATCH_FOLLOWUP,
            Checkin.status == CheckinStatus.SCHEDULED,
        )
        == []
    )


async def test_a_change_approved_by_a_coordinator_proposes_someone_else(session_factory):
    robin, participant = await introduced(session_factory)
    await participant.send(NOW, Press("how", 3))

    confirm = await participant.call(NOW, choices.change)
    asked = await participant.call(NOW, choices.chosen, confirm.items[0].buttons[0][0].data)
    [request] = await rows(session_factory, SupportRequest)
    await as_coordinator(
        session_factory, NOW, relationships.rematch, RequestAction(request.id, "rematch")
    )

    assert texts_of(asked) == ["change.asked"]
    [ended] = await rows(session_factory, Match, Match.status == MatchStatus.ENDED)
    assert ended.end_reason == "change"
    [again] = await proposed(session_factory)
    assert again.supporter_id != ended.supporter_id


async def test_a_contact_note_is_kept_and_a_concern_escalates_about_the_participant(
    session_factory,
):
    robin, participant = await introduced(session_factory)

    await robin.call(NOW, contact_notes.start)
    for step, value in (("reached", 0), ("when", 0), ("format", 1), ("duration", 1)):
        await robin.send(NOW, Press(step, value))
    await robin.answer(NOW, "topics", [3])
    await robin.answer(NOW, "concerns", [1])  # thoughts of suicide
    saved = await robin.send(NOW, Text("She said she sometimes wishes she would not wake up."))

    assert texts_of(saved)[-1] == "note.saved"
    assert "crisis.are_you_safe" not in texts_of(saved)  # the words are about the participant
    [note] = await rows(session_factory, ContactNote)
    assert (note.format, note.minutes, note.topics, note.concerns) == (
        "phone",
        20,
        ["grief"],
        ["suicide"],
    )
    assert "wake up" not in (note.note_enc or "")
    escalations = await rows(session_factory, Escalation)
    critical = [e for e in escalations if e.severity.value == "critical"]
    [request] = await rows(session_factory, SupportRequest)
    assert critical and critical[0].person_id == request.person_id
    assert any("Contact note from" in card for card in await group_cards(session_factory))


async def test_a_coordinator_can_match_by_hand_but_not_against_hard_limits(session_factory):
    await two_supporters_and_a_request(session_factory)
    [request] = await rows(session_factory, SupportRequest)
    [sam_person] = await rows(session_factory, Person, Person.telegram_user_id == 5002)
    done = await as_coordinator(
        session_factory, NOW, proposals.match_by_hand, [request.code, sam_person.pseudonym]
    )
    assert "has been offered" in shown(done)[0]
    [offer] = await rows(session_factory, Match, Match.status == MatchStatus.OFFERED)
    assert offer.supporter_id == sam_person.id
    bad = await as_coordinator(session_factory, NOW, proposals.match_by_hand, ["R-NOPE"])
    assert "Send /match" in shown(bad)[0]


async def test_the_batch_proposes_for_requests_left_waiting(session_factory):
    participant = Chat(session_factory, PARTICIPANT, first_name="Alex")
    await request_support(participant, NOW)  # nobody to propose yet
    assert "Nobody fits" in (await group_cards(session_factory))[-1]
    await trained_supporter(session_factory, NOW, 5001)

    async with session_factory() as session, session.begin():
        proposed_now = await batch_proposals.propose_all(context(session, NOW))
    async with session_factory() as session, session.begin():
        again = await batch_proposals.propose_all(context(session, NOW))

    assert (proposed_now, again) == (1, 0)
    assert len(await proposed(session_factory)) == 1
    async with session_factory() as session:
        count = len((await session.scalars(select(Match))).all())
    assert count == 1


async def test_other_candidates_when_there_are_none_keeps_the_proposal(session_factory):
    await two_supporters_and_a_request(session_factory)
    [request] = await rows(session_factory, SupportRequest)
    before = [m.id for m in await proposed(session_factory)]

    reply = await as_coordinator(
        session_factory, NOW, proposals.request_action, RequestAction(request.id, "more")
    )

    assert "no other candidates" in shown(reply)[0]
    assert [m.id for m in await proposed(session_factory)] == before


async def test_needs_and_candidates_alike_share_their_sets(session_factory):
    """Two participants who asked alike, two supporters who offered alike: the same set
    objects, so a long waiting list and a large pool keep (and pickle) each set once."""
    for chat_id in (PARTICIPANT, PARTICIPANT + 1):
        await request_support(Chat(session_factory, chat_id), NOW)
    for chat_id in (5001, 5002):
        await trained_supporter(session_factory, NOW, chat_id)
    async with session_factory() as session:
        requests = list(await session.scalars(select(SupportRequest).order_by(SupportRequest.id)))
        ctx = context(session, NOW)
        first, second = await match_features.needs_for(ctx, requests)
        one, other = await match_features.candidates(ctx)

    assert first.request_id != second.request_id
    for name in ("languages", "topics", "channels", "availability", "required"):
        assert getattr(first, name) == getattr(second, name)
        assert getattr(first, name) is getattr(second, name), name
    assert one.supporter_id != other.supporter_id
    for name in ("languages", "lived_experience", "formats", "availability"):
        assert getattr(one, name) is getattr(other, name), name
