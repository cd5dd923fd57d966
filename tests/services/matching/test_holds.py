"""Held requests (program.yaml eligibility, or the safety question answered "yes"): never
proposed or offered until a coordinator proposes them anyway, refers or declines them; and a
coordinator's Close, Decline, Refer and Withdraw on any open request."""

from __future__ import annotations

from sqlalchemy import update

from peerbot.services.cases import case_view, threads
from peerbot.services.conversations.actions import MatchApprove
from peerbot.services.conversations.shown import EditPressed, Reply, Text
from peerbot.services.matching import batch_proposals, proposals, request_actions
from peerbot.services.matching.request_buttons import (
    CLOSE,
    DECLINE,
    KEEP,
    PROPOSE,
    REFER,
    WITHDRAW,
    RequestConfirm,
    RequestDecision,
)
from peerbot.storage.enums import EscalationSeverity, MatchStatus, SupportRequestStatus
from peerbot.storage.models import AuditEvent, Escalation, Match, OutboxMessage, SupportRequest
from tests.services.matching.test_matching import NOW, PARTICIPANT, group_cards, texts_to
from tests.support.supporter_steps import (
    Chat,
    as_coordinator,
    context,
    request_support,
    rows,
    texts_of,
    trained_supporter,
)

UNDER_18 = {"age_band": 0}
NOT_SAFE = {"safety": 0}
IN_SPAIN = {"country": 0}  # ES
WORDS = "My mother died in May and evenings are hard."


async def held_request(sessions, intake, *, locale: str = "en") -> tuple[Chat, Reply]:
    """Robin (who fits) has joined; then a participant asks, with these intake answers."""
    await trained_supporter(sessions, NOW, 5001, first_name="Robin")
    participant = Chat(sessions, PARTICIPANT, locale=locale, first_name="Alex")
    return participant, await request_support(participant, NOW, intake)


async def the_request(sessions) -> SupportRequest:
    [request] = await rows(sessions, SupportRequest)
    return request


async def press(sessions, action) -> Reply:
    return await as_coordinator(sessions, NOW, request_actions.act, action)


def view_of(reply: Reply) -> Text:
    [item] = reply.items
    return item.view if isinstance(item, EditPressed) else item


async def audited(sessions, action: str) -> list[AuditEvent]:
    return await rows(sessions, AuditEvent, AuditEvent.action == action)


async def test_an_under_18_request_is_held_its_card_says_why_and_it_is_never_proposed(
    session_factory,
):
    participant, received = await held_request(session_factory, UNDER_18)

    # requests.held_received: "A coordinator will look at it personally before we go any further"
    assert "requests.held_received" in texts_of(received)
    assert "intake.received" not in texts_of(received)
    request = await the_request(session_factory)
    assert request.status == SupportRequestStatus.HELD and request.hold_reasons == ["age"]
    assert request.still_looking_due_at is None, "nobody is looked for yet"
    card = (await group_cards(session_factory))[-1]
    assert "held for a coordinator: under the program's minimum age (18)" in card
    assert "Age: Under 18" in card and WORDS not in card and "Alex" not in card
    [held] = await rows(session_factory, OutboxMessage, OutboxMessage.dedupe_key.like("%:held"))
    labels = [b["text"] for row in held.payload["reply_markup"]["inline_keyboard"] for b in row]
    assert labels == ["Propose anyway", "Refer", "Decline"]
    async with session_factory() as session, session.begin():
        assert await batch_proposals.propose_all(context(session, NOW)) == 0
    assert await rows(session_factory, Match) == []


async def test_a_not_safe_answer_is_held_besides_the_escalation_and_crisis_path(
    session_factory,
):
    _, received = await held_request(session_factory, NOT_SAFE)

    assert "requests.held_received" in texts_of(received)
    request = await the_request(session_factory)
    assert request.status == SupportRequestStatus.HELD and request.hold_reasons == ["safety"]
    [escalation] = await rows(session_factory, Escalation)
    assert escalation.severity == EscalationSeverity.CRITICAL
    assert escalation.support_request_id == request.id, "the red flag still works as before"
    card = next(c for c in await group_cards(session_factory) if "held for" in c)
    assert "said they are not safe (see the escalation)" in card and WORDS not in card
    assert await rows(session_factory, Match) == []


async def test_propose_anyway_sends_it_to_matching_and_stamps_who_did_it(session_factory):
    await held_request(session_factory, NOT_SAFE)
    request = await the_request(session_factory)

    stamped = await press(session_factory, RequestDecision(PROPOSE, request.id))

    view = view_of(stamped)
    assert isinstance(stamped.items[0], EditPressed) and view.buttons == ()
    assert "Proposed anyway by Dana at 16:00" in view.text  # Europe/Madrid
    [robin] = await rows(session_factory, Match, Match.status == MatchStatus.PROPOSED)
    assert (await the_request(session_factory)).status == SupportRequestStatus.PROPOSED
    assert (await group_cards(session_factory))[-1].startswith("Proposed supporters")
    [event] = await audited(session_factory, "request.proposed_anyway")
    assert event.subject_person_id == request.person_id and event.details["case"] == request.code
    # a second press (the card seen before it was stamped) changes nothing
    again = await press(session_factory, RequestDecision(PROPOSE, request.id))
    assert "is no longer open (proposed); nothing changed" in view_of(again).text
    assert len(await rows(session_factory, Match)) == 1


async def test_refer_asks_first_then_the_person_gets_referrals_in_spanish_and_is_closed(
    session_factory,
):
    await held_request(session_factory, {**UNDER_18, **IN_SPAIN}, locale="es")
    request = await the_request(session_factory)

    asked = await press(session_factory, RequestDecision(REFER, request.id))
    question = view_of(asked)
    assert question.text.startswith(f"Refer request {request.code}?")
    assert [b.label_text for row in question.buttons for b in row] == [
        "Yes, refer",
        "Keep it open",
    ]
    assert (await the_request(session_factory)).status == SupportRequestStatus.HELD
    done = await press(session_factory, RequestConfirm(REFER, request.id))

    assert "Referred by Dana" in view_of(done).text
    request = await the_request(session_factory)
    assert (request.status, request.closed_reason) == (SupportRequestStatus.CLOSED, "referred")
    told = (await texts_to(session_factory, PARTICIPANT))[-1]
    assert told.startswith("Gracias por escribirnos.")
    assert "Tu médico o tu centro de salud" in told and "Teléfono de la Esperanza" in told
    assert "Mind Infoline" not in told, "only the options for their country"
    assert len(await audited(session_factory, "request.referred")) == 1
    assert await rows(session_factory, Match) == []


async def test_decline_tells_them_kindly_with_referrals_and_the_crisis_lines(session_factory):
    await held_request(session_factory, {**UNDER_18, **IN_SPAIN})
    request = await the_request(session_factory)

    await press(session_factory, RequestDecision(DECLINE, request.id))
    await press(session_factory, RequestConfirm(DECLINE, request.id))

    request = await the_request(session_factory)
    assert (request.status, request.closed_reason) == (SupportRequestStatus.CLOSED, "declined")
    told = (await texts_to(session_factory, PARTICIPANT))[-1]
    assert "cannot offer you peer support at the moment" in told
    assert "Teléfono de la Esperanza" in told
    assert "024" in told, "the crisis lines for Spain"


async def test_keep_and_a_second_confirmation_change_nothing(session_factory):
    await held_request(session_factory, UNDER_18)
    request = await the_request(session_factory)

    kept = await press(session_factory, RequestConfirm(KEEP, request.id))
    assert view_of(kept).text == f"Nothing changed: request {request.code} stays open."
    assert (await the_request(session_factory)).status == SupportRequestStatus.HELD
    await press(session_factory, RequestConfirm(DECLINE, request.id))
    told_before = await texts_to(session_factory, PARTICIPANT)
    again = await press(session_factory, RequestConfirm(CLOSE, request.id))

    assert "is no longer open (closed); nothing changed" in view_of(again).text
    assert (await the_request(session_factory)).closed_reason == "declined"
    assert await texts_to(session_factory, PARTICIPANT) == told_before, "told once"


async def offered_request(sessions) -> SupportRequest:
    """An ordinary request, proposed and approved: Robin has the offer."""
    await held_request(sessions, {})
    [first] = await rows(sessions, Match, Match.status == MatchStatus.PROPOSED)
    await as_coordinator(sessions, NOW, proposals.approve, MatchApprove(first.id))
    return await the_request(sessions)


async def test_the_proposal_card_offers_close_decline_refer_and_withdraw(session_factory):
    await held_request(session_factory, {})
    [card] = await rows(
        session_factory, OutboxMessage, OutboxMessage.dedupe_key.like("request:%:proposal:%")
    )
    labels = [b["text"] for row in card.payload["reply_markup"]["inline_keyboard"] for b in row]
    assert labels[-4:] == ["Close", "Decline", "Refer", "Withdraw"]


async def test_close_withdraws_the_offer_tells_the_person_and_stamps_every_card(
    session_factory,
):
    request = await offered_request(session_factory)
    async with session_factory() as session, session.begin():  # the cards went out
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.dedupe_key.like(f"request:{request.id}:%"))
            .values(telegram_message_id=OutboxMessage.id + 100)
        )

    await press(session_factory, RequestDecision(CLOSE, request.id))
    done = await press(session_factory, RequestConfirm(CLOSE, request.id))

    assert "Closed by Dana at 16:00: the person has been told." in view_of(done).text
    request = await the_request(session_factory)
    assert (request.status, request.closed_reason) == (SupportRequestStatus.CLOSED, "closed")
    [match] = await rows(session_factory, Match, Match.status != MatchStatus.PROPOSED)
    assert match.status == MatchStatus.WITHDRAWN, "the open offer is withdrawn"
    told = (await texts_to(session_factory, PARTICIPANT))[-1]
    assert told.startswith("The coordinators have closed your request for peer support")
    edits = await rows(session_factory, OutboxMessage, OutboxMessage.method == "editMessageText")
    assert len(edits) == 2, "the new-request card and the proposal card"
    assert all("Closed by Dana" in edit.payload["text"] for edit in edits)
    assert all("reply_markup" not in edit.payload for edit in edits), "no stale buttons"
    [event] = await audited(session_factory, "request.closed")
    assert event.details["case"] == request.code and event.details["told"] is True


async def test_withdraw_sets_withdrawn_and_tells_the_person_in_its_own_words(session_factory):
    request = await offered_request(session_factory)

    await press(session_factory, RequestDecision(WITHDRAW, request.id))
    await press(session_factory, RequestConfirm(WITHDRAW, request.id))

    request = await the_request(session_factory)
    assert request.status == SupportRequestStatus.WITHDRAWN
    assert request.closed_reason == "withdrawn_by_coordinator"
    told = (await texts_to(session_factory, PARTICIPANT))[-1]
    assert told.startswith("The coordinators have withdrawn your request for peer support")
    assert len(await audited(session_factory, "request.withdrawn_by_coordinator")) == 1
    assert [m.status for m in await rows(session_factory, Match)].count(MatchStatus.OFFERED) == 0


async def test_case_offers_the_open_requests_actions_and_none_once_it_is_closed(
    session_factory,
):
    await held_request(session_factory, NOT_SAFE)  # the escalation opened a case
    request = await the_request(session_factory)

    shown = await as_coordinator(
        session_factory, NOW, case_view.show, threads.At(), [request.code]
    )
    buttons = [b for row in view_of(shown).buttons for b in row]
    assert [b.label_text for b in buttons] == [
        "Propose anyway",
        "Close",
        "Decline",
        "Refer",
        "Withdraw",
    ]
    withdraw = buttons[-1].data
    assert withdraw == RequestDecision(WITHDRAW, request.id)
    await press(session_factory, withdraw)
    await press(session_factory, RequestConfirm(WITHDRAW, request.id))
    after = await as_coordinator(
        session_factory, NOW, case_view.show, threads.At(), [request.code]
    )
    assert view_of(after).buttons == ()


async def test_after_a_close_or_withdrawal_start_asks_again_as_the_message_says(
    session_factory,
):
    """requests.closed_told / withdrawn_told / stop_waiting.done: "send /start" to ask again."""
    participant, _ = await held_request(session_factory, {})
    request = await the_request(session_factory)
    waiting = await participant.start(NOW)
    assert "intake.start" not in texts_of(waiting), "one open request at a time"

    await press(session_factory, RequestDecision(WITHDRAW, request.id))
    await press(session_factory, RequestConfirm(WITHDRAW, request.id))
    again = await participant.start(NOW)

    assert "intake.start" in texts_of(again)
