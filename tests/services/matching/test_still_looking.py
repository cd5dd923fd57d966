"""Someone waiting with no supporter found is told "we are still looking": after
waiting.still_looking_after_days (3) with nobody offered, once per 3 days, at most 3 times,
outside quiet hours; never while a supporter is being asked, never for a held request."""

from __future__ import annotations

from datetime import timedelta

from peerbot.dialogs.inputs import Cancel
from peerbot.services.conversations.shown import Menu
from peerbot.services.matching import request_actions, still_looking
from peerbot.storage.enums import MatchStatus, SupportRequestStatus
from peerbot.storage.models import Match, OutboxMessage, SupportRequest
from tests.services.matching.test_holds import offered_request
from tests.services.matching.test_matching import NOW, PARTICIPANT, group_cards
from tests.support.supporter_steps import Chat, context, request_support, rows, texts_of

DAY = timedelta(days=1)
STILL_LOOKING = "We are still looking for a peer supporter for you."


def said(reply) -> list[str]:
    """The text keys shown, the pressed message's new text included."""
    return [getattr(getattr(item, "view", item), "key", None) for item in reply.items]


async def told(sessions, at) -> int:
    async with sessions() as session, session.begin():
        return await still_looking.tell_due(context(session, at))


async def still_looking_texts(sessions) -> list[str]:
    found = await rows(sessions, OutboxMessage, OutboxMessage.chat_id == PARTICIPANT)
    return [row.payload["text"] for row in found if STILL_LOOKING in row.payload["text"]]


async def waiting_with_nobody(sessions, intake=None, locale="en") -> SupportRequest:
    """A request (New York time, 10:00 there at NOW) with no supporter in the program."""
    await request_support(Chat(sessions, PARTICIPANT, locale=locale), NOW, intake)
    [request] = await rows(sessions, SupportRequest)
    assert request.status == SupportRequestStatus.MATCHING
    return request


async def test_after_three_days_with_nobody_the_person_is_told_once_per_three_days_three_times(
    session_factory,
):
    await waiting_with_nobody(session_factory)

    assert await told(session_factory, NOW + 3 * DAY - timedelta(minutes=1)) == 0
    assert await told(session_factory, NOW + 3 * DAY) == 1
    assert await told(session_factory, NOW + 3 * DAY + timedelta(hours=1)) == 0, "once"
    assert await told(session_factory, NOW + 6 * DAY) == 1
    assert await told(session_factory, NOW + 9 * DAY) == 1
    assert await told(session_factory, NOW + 12 * DAY) == 0, "at most three times"
    texts = await still_looking_texts(session_factory)
    assert len(texts) == 3
    # requests.still_looking: "...send /cancel ... write to us here"
    assert "send /cancel" in texts[0] and "just write to us here" in texts[0]
    [request] = await rows(session_factory, SupportRequest)
    assert (request.still_looking_sent, request.still_looking_due_at) == (3, None)


async def test_it_is_written_in_their_language(session_factory):
    await waiting_with_nobody(session_factory, locale="es")
    assert await told(session_factory, NOW + 3 * DAY) == 1
    found = await rows(session_factory, OutboxMessage, OutboxMessage.chat_id == PARTICIPANT)
    assert found[-1].payload["text"].startswith("Seguimos buscando una persona de apoyo para ti.")


async def test_it_waits_until_quiet_hours_end_where_they_live(session_factory):
    await waiting_with_nobody(session_factory)
    night = NOW + 3 * DAY + timedelta(hours=12)  # 22:00 in New York

    assert await told(session_factory, night) == 0
    [request] = await rows(session_factory, SupportRequest)
    assert request.still_looking_due_at == (NOW + 4 * DAY).replace(hour=13)  # 08:00 there
    assert await told(session_factory, (NOW + 4 * DAY).replace(hour=13)) == 1


async def test_nobody_is_told_while_a_supporter_is_being_asked(session_factory):
    request = await offered_request(session_factory)
    assert request.status == SupportRequestStatus.PROPOSED

    assert await told(session_factory, NOW + 3 * DAY) == 0
    [request] = await rows(session_factory, SupportRequest)
    assert request.still_looking_due_at == NOW + 6 * DAY, "the clock starts again"
    [match] = await rows(session_factory, Match, Match.status == MatchStatus.OFFERED)
    assert match is not None


async def test_a_held_request_is_not_told_until_it_goes_to_matching(session_factory):
    await request_support(Chat(session_factory, PARTICIPANT), NOW, {"age_band": 0})
    assert await told(session_factory, NOW + 3 * DAY) == 0
    assert await still_looking_texts(session_factory) == []


async def test_cancel_while_waiting_asks_then_withdraws_the_request_and_tells_the_coordinators(
    session_factory,
):
    """requests.still_looking promises "If you would rather stop waiting, send /cancel"."""
    request = await waiting_with_nobody(session_factory)
    participant = Chat(session_factory, PARTICIPANT)

    asked = await participant.send(NOW, Cancel())
    [menu] = [item for item in asked.items if isinstance(item, Menu)]
    assert menu.key == "requests.stop_waiting.confirm"
    kept = await participant.call(NOW, request_actions.stop_waiting, menu.buttons[1][0].data)
    assert said(kept) == ["requests.stop_waiting.kept"]
    stranger = Chat(session_factory, 7999)
    other = await stranger.call(NOW, request_actions.stop_waiting, menu.buttons[0][0].data)
    assert said(other) == ["engine.stale_button"], "only their own request"
    assert (await rows(session_factory, SupportRequest))[0].status == SupportRequestStatus.MATCHING

    done = await participant.call(NOW, request_actions.stop_waiting, menu.buttons[0][0].data)

    assert said(done) == ["requests.stop_waiting.done"]
    [request] = await rows(session_factory, SupportRequest)
    assert request.status == SupportRequestStatus.WITHDRAWN
    assert request.closed_reason == "cancelled_by_participant"
    card = (await group_cards(session_factory))[-1]
    assert card.startswith(f"Request {request.code} was withdrawn by the participant")
    assert await told(session_factory, NOW + 3 * DAY) == 0, "no longer waiting"
    again = await participant.call(NOW, request_actions.stop_waiting, menu.buttons[0][0].data)
    assert said(again) == ["requests.stop_waiting.stale"]
    nothing = await participant.send(NOW, Cancel())
    assert texts_of(nothing) == ["nothing_to_cancel"]
