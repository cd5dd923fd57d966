"""Telegram names at an introduction: each side is asked, and only a yes hands theirs over."""

from __future__ import annotations

from sqlalchemy import select

from peerbot.services.conversations.actions import ConsentWithdraw, NameShare, OfferAnswer
from peerbot.services.conversations.shown import Menu, Reply
from peerbot.services.matching.introductions import name_answer
from peerbot.services.matching.offers import answer as answer_offer
from peerbot.services.participants import consent
from peerbot.services.privacy import rights
from peerbot.storage.enums import ConsentDecision, ConsentKind, MatchStatus
from peerbot.storage.models import Consent, Match, Person
from tests.services.matching.test_matching import (
    NOW,
    PARTICIPANT,
    approve_first,
    shown,
    texts_to,
    two_supporters_and_a_request,
)
from tests.support.supporter_steps import PROGRAM, Chat, rows, texts_of

ROBIN = 5001


async def accepted(sessions) -> tuple[Chat, Chat, Match, Reply]:
    """Robin (@robin_s) accepts Alex (@alex_k): both have a Telegram name to give, or not."""
    robin, _, participant = await two_supporters_and_a_request(
        sessions, participant_username="alex_k"
    )
    await approve_first(sessions)
    [match] = await rows(sessions, Match, Match.status == MatchStatus.OFFERED)
    reply = await robin.call(NOW, answer_offer, OfferAnswer(match.id, "accept"))
    return robin, participant, match, reply


async def name_decisions(sessions, telegram_id: int) -> list[Consent]:
    async with sessions() as session:
        person = await session.scalar(select(Person).where(Person.telegram_user_id == telegram_id))
        assert person is not None
        found = await session.scalars(
            select(Consent)
            .where(
                Consent.person_id == person.id,
                Consent.kind == ConsentKind.SHARE_TELEGRAM_NAME,
            )
            .order_by(Consent.id)
        )
        return list(found)


async def test_each_side_is_asked_and_no_name_is_given_before_a_yes(session_factory):
    _, _, match, reply = await accepted(session_factory)

    [to_participant] = reply.elsewhere
    [asked] = [item for item in to_participant.reply.items if isinstance(item, Menu)]
    assert asked.key == "intro.name_question.participant"
    assert texts_of(reply)[-1] == "intro.name_question.supporter"
    assert "intro.name_asked" in texts_of(reply)
    assert not any("alex_k" in text for text in shown(reply)), "not before Alex says yes"
    assert not any("robin_s" in text for text in shown(to_participant.reply))
    assert not any("robin_s" in text for text in await texts_to(session_factory, PARTICIPANT))
    assert not any("alex_k" in text for text in await texts_to(session_factory, ROBIN))


async def test_a_yes_gives_the_other_side_the_link_and_is_recorded_as_consent(session_factory):
    robin, participant, match, _ = await accepted(session_factory)

    said = await participant.call(NOW, name_answer, NameShare(match.id, True))

    assert "I have given them your Telegram name" in shown(said)[0]
    assert any("https://t.me/alex_k" in text for text in await texts_to(session_factory, ROBIN))
    [decision] = await name_decisions(session_factory, PARTICIPANT)
    asked = PROGRAM.texts.get("intro.name_question.participant", "en")
    assert decision.decision == ConsentDecision.GRANTED
    assert decision.text_hash == consent.text_version(asked).text_hash, "the text they read"
    [row] = await rows(session_factory, Match, Match.id == match.id)
    assert row.participant_shares_name is True and row.supporter_shares_name is None


async def test_a_participant_who_says_no_is_asked_how_to_be_reached_instead(session_factory):
    robin, participant, match, _ = await accepted(session_factory)

    said = await participant.call(NOW, name_answer, NameShare(match.id, False))

    # intro.name_kept: "stays private. We will connect you another way."
    assert shown(said)[0] == PROGRAM.texts.get("intro.name_kept", "en")
    assert texts_of(said)[-1] == "contact.how"
    to_robin = await texts_to(session_factory, ROBIN)
    assert not any("alex_k" in text for text in to_robin), "no name anywhere Robin is sent"
    assert any(PROGRAM.texts.get("intro.contact_pending", "en") in text for text in to_robin)
    [decision] = await name_decisions(session_factory, PARTICIPANT)
    assert decision.decision == ConsentDecision.DECLINED


async def test_the_supporter_is_asked_the_mirror_question(session_factory):
    robin, participant, match, _ = await accepted(session_factory)

    await robin.call(NOW, name_answer, NameShare(match.id, False))
    kept = await texts_to(session_factory, PARTICIPANT)
    assert not any("robin_s" in text for text in kept)
    assert any("Your supporter will get in touch" in text for text in kept)
    [decision] = await name_decisions(session_factory, ROBIN)
    assert decision.decision == ConsentDecision.DECLINED
    assert (
        decision.text_hash
        == consent.text_version(PROGRAM.texts.get("intro.name_question.supporter", "en")).text_hash
    )


async def test_a_supporter_yes_gives_the_participant_the_link(session_factory):
    robin, _, match, _ = await accepted(session_factory)

    await robin.call(NOW, name_answer, NameShare(match.id, True))

    sent = await texts_to(session_factory, PARTICIPANT)
    assert any("https://t.me/robin_s" in text for text in sent)


async def test_a_second_press_or_someone_else_s_press_changes_nothing(session_factory):
    robin, participant, match, _ = await accepted(session_factory)
    await participant.call(NOW, name_answer, NameShare(match.id, False))

    again = await participant.call(NOW, name_answer, NameShare(match.id, True))
    stranger = Chat(session_factory, 8123, first_name="Kim", username="kim_z")
    await stranger.start(NOW)
    other = await stranger.call(NOW, name_answer, NameShare(match.id, True))

    stale = PROGRAM.texts.get("intro.name_stale", "en")
    assert shown(again) == [stale] and shown(other) == [stale]
    assert len(await name_decisions(session_factory, PARTICIPANT)) == 1
    assert not any("alex_k" in text for text in await texts_to(session_factory, ROBIN))
    [row] = await rows(session_factory, Match, Match.id == match.id)
    assert row.participant_shares_name is False


async def test_consent_and_mydata_list_the_telegram_name_answer(session_factory):
    _, participant, match, _ = await accepted(session_factory)
    await participant.call(NOW, name_answer, NameShare(match.id, True))

    overview = await participant.call(NOW, rights.consent_overview)
    mine = await participant.call(NOW, rights.my_data)

    [status] = shown(overview)
    assert "Giving your Telegram name to the person you are matched with" in status
    assert "(asked each time you are introduced): yes" in status
    [menu] = overview.items
    assert isinstance(menu, Menu)
    withdrawable = [row[0].data for row in menu.buttons]
    assert ConsentWithdraw("evaluation") in withdrawable, "the others can be withdrawn"
    assert ConsentWithdraw("share_telegram_name") not in withdrawable, "a name given is given"
    assert "giving your Telegram name to the person you are matched with" in shown(mine)[0]
