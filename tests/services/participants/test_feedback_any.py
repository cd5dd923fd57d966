"""/feedback at any time, and the question after the end-of-support survey about becoming a
peer supporter, on the real database."""

from __future__ import annotations

from datetime import timedelta

from peerbot.dialogs.inputs import Press, Text
from peerbot.services.conversations.actions import MatchChoice
from peerbot.services.conversations.shown import EditPressed
from peerbot.services.matching import choices
from peerbot.services.participants import become_supporter, feedback_any
from peerbot.services.participants.become_supporter import SendInvite
from peerbot.services.supporters import invites
from peerbot.storage.enums import CaseStatus
from peerbot.storage.models import (
    Answer,
    AuditEvent,
    Case,
    CaseMessage,
    Invite,
    OutboxMessage,
    Person,
)
from tests.services.matching.test_matching import NOW, group_cards, introduced
from tests.support.supporter_steps import (
    CIPHER,
    GROUP,
    Chat,
    as_coordinator,
    request_support,
    rows,
    texts_of,
    trained_supporter,
)

WORDS = "The coordinator never answered my message."


async def _feedback(chat: Chat, kind: int, words: str) -> list[str]:
    asked = await chat.call(NOW, feedback_any.start)
    await chat.send(NOW, Press("kind", kind))
    done = await chat.send(NOW, Text(words))
    return texts_of(asked) + texts_of(done)


async def test_a_compliment_is_kept_encrypted_and_acknowledged(session_factory):
    participant = Chat(session_factory, 7001, first_name="Alex")
    await request_support(participant, NOW)

    said = await _feedback(participant, 0, "Thank you all, this helped.")

    assert said[0] == "feedback_any.kind" and said[-1] == "feedback_any.thanks.compliment"
    answers = {
        a.question: a for a in await rows(session_factory, Answer, Answer.flow == "feedback_any")
    }
    assert answers["kind"].value == "compliment"
    assert answers["words"].value is None
    assert CIPHER.decrypt(answers["words"].value_enc) == "Thank you all, this helped."
    assert not any("compliment" in card for card in await group_cards(session_factory))


async def test_a_suggestion_is_kept_and_acknowledged(session_factory):
    participant = Chat(session_factory, 7001, first_name="Alex")
    await request_support(participant, NOW)

    said = await _feedback(participant, 2, "Evening slots would help.")

    assert said[-1] == "feedback_any.thanks.suggestion"
    kinds = await rows(session_factory, Answer, Answer.question == "kind")
    assert [a.value for a in kinds] == ["suggestion"]


async def test_a_complaint_opens_a_case_and_its_words_stay_in_the_thread(session_factory):
    participant = Chat(session_factory, 7001, first_name="Alex")
    await request_support(participant, NOW)

    said = await _feedback(participant, 1, WORDS)

    assert said[-1] == "feedback_any.complaint_sent"
    [alex] = await rows(session_factory, Person, Person.telegram_user_id == 7001)
    [case] = await rows(session_factory, Case, Case.person_id == alex.id)
    assert (case.status, case.reason) == (CaseStatus.OPEN, "complaint")
    [message] = await rows(session_factory, CaseMessage, CaseMessage.case_id == case.id)
    assert CIPHER.decrypt(message.body_enc) == WORDS
    group = await rows(session_factory, OutboxMessage, OutboxMessage.chat_id == GROUP)
    [card] = [row for row in group if row.dedupe_key == case.card_key]
    assert "made a complaint" in card.payload["text"] and WORDS not in card.payload["text"]
    [relayed] = [row for row in group if row.dedupe_key == f"case:{case.id}:from:{message.id}"]
    assert WORDS in relayed.payload["text"], "the words are in the case's thread"


async def test_a_supporter_can_send_feedback_too(session_factory):
    robin = await trained_supporter(session_factory, NOW, 5001, first_name="Robin")

    said = await _feedback(robin, 2, "A shorter check-in, please.")

    assert said[-1] == "feedback_any.thanks.suggestion"


async def test_feedback_waits_for_what_is_in_progress(session_factory):
    participant = Chat(session_factory, 7001, first_name="Alex")
    await request_support(participant, NOW)
    await participant.call(NOW, feedback_any.start)  # one /feedback in progress

    asked = await participant.call(NOW, feedback_any.start)

    assert texts_of(asked) == ["feedback_any.busy"]


async def _ended_and_surveyed(sessions) -> tuple[Chat, list[str]]:
    robin, participant = await introduced(sessions)
    await participant.send(NOW, Press("how", 3))
    asked = await participant.call(NOW, choices.end)
    await participant.call(
        NOW, choices.chosen, MatchChoice(asked.items[0].buttons[0][0].data.match_id, "end_yes")
    )
    await participant.send(NOW, Press("satisfaction", 5))
    await participant.send(NOW, Press("understood", 0))
    await participant.send(NOW, Press("recommend", 0))
    thanks = await participant.send(NOW, Press("comments", "skip"))
    return participant, texts_of(thanks)


async def test_after_the_survey_a_no_to_becoming_a_supporter_is_kept_and_nothing_sent(
    session_factory,
):
    participant, after_survey = await _ended_and_surveyed(session_factory)
    assert after_survey[-2:] == ["feedback.thanks", "become_supporter.question"]

    said = await participant.send(NOW, Press("become_supporter", 1))

    assert texts_of(said)[-1] == "become_supporter.no_thanks"
    [answer] = await rows(session_factory, Answer, Answer.question == "become_supporter")
    assert (answer.flow, answer.value) == ("feedback", "no")
    assert answer.support_request_id is not None
    cards = await group_cards(session_factory)
    assert not any("would like to hear if they could join" in card for card in cards)


async def test_become_supporter_yes_card_send_invite_gives_a_working_link_once(session_factory):
    participant, _ = await _ended_and_surveyed(session_factory)
    said = await participant.send(NOW, Press("become_supporter", 0))

    assert texts_of(said)[-1] == "become_supporter.yes_thanks"
    [answer] = await rows(session_factory, Answer, Answer.question == "become_supporter")
    assert answer.value == "yes"
    cards = await rows(session_factory, OutboxMessage, OutboxMessage.chat_id == GROUP)
    [card] = [c for c in cards if c.dedupe_key == f"answer:{answer.id}:become_supporter"]
    assert "would like to hear if they could join" in card.payload["text"]

    later = NOW + timedelta(hours=2)
    sent = await as_coordinator(
        session_factory, later, become_supporter.send_invite, SendInvite(answer.id), "peer_bot"
    )
    again = await as_coordinator(
        session_factory, later, become_supporter.send_invite, SendInvite(answer.id), "peer_bot"
    )

    [stamp] = [item for item in sent.items if isinstance(item, EditPressed)]
    assert "sent" in (stamp.view.text or "") and "Dana" in (stamp.view.text or "")
    [second] = [item for item in again.items if isinstance(item, EditPressed)]
    assert "already has their supporter invite" in (second.view.text or "")
    made = await rows(session_factory, Invite, Invite.created_by_id.is_not(None))
    assert len(made) == 1, "a second press creates nothing"
    [audited] = await rows(
        session_factory, AuditEvent, AuditEvent.action == become_supporter.INVITED
    )
    assert audited.details == {"answer": answer.id}
    to_person = await rows(
        session_factory, OutboxMessage, OutboxMessage.dedupe_key == f"answer:{answer.id}:invite"
    )
    [message] = to_person
    assert message.chat_id == participant.telegram_id
    text = message.payload["text"]
    code = text.split("start=join-")[1].split()[0]

    newcomer = Chat(session_factory, participant.telegram_id, first_name="Alex")
    opened = await newcomer.start(later, f"{invites.START_PREFIX}{code}")
    assert "invite.welcome" in texts_of(opened) or "supporter.agreement" in texts_of(opened)
