"""A supporter released, deactivated, leaving by /leave or /forget, or on a long break: their
participants are listed to the coordinators, proposed again without them and told kindly;
the supporter is told, never offered anyone again, and the coordinators' reason stays theirs."""

from __future__ import annotations

from datetime import timedelta

from peerbot.dialogs.matching.score import violations
from peerbot.scheduler.checkin_pass import run_pass
from peerbot.services.conversations.actions import MatchApprove, OfferAnswer
from peerbot.services.conversations.shown import EditPressed, Reply, Text
from peerbot.services.matching import match_features, proposals
from peerbot.services.matching.offers import answer as answer_offer
from peerbot.services.privacy import data_rights
from peerbot.services.supporters import lifecycle, supporter_roster, supporters
from peerbot.services.supporters.lifecycle import DepartureAnswer, LeaveAnswer
from peerbot.storage.enums import MatchStatus, Role, SupporterStatus, SupportRequestStatus
from peerbot.storage.models import (
    AuditEvent,
    Match,
    OutboxMessage,
    Person,
    RoleAssignment,
    SupporterDeparture,
    SupporterProfile,
    SupportRequest,
)
from tests.services.matching.test_matching import (
    NOW,
    PARTICIPANT,
    group_cards,
    introduced,
    texts_to,
)
from tests.support.rows import add_note
from tests.support.supporter_steps import (
    CIPHER,
    PROGRAM,
    Chat,
    as_coordinator,
    context,
    deps_for,
    request_support,
    rows,
    texts_of,
)

SECOND = 7002


def text_of(reply: Reply) -> Text:
    item = reply.items[0]
    return item.view if isinstance(item, EditPressed) else item  # type: ignore[return-value]


def t(key: str) -> str:
    return PROGRAM.texts.get(key, "en")


async def person(sessions, telegram_id: int) -> Person:
    [found] = await rows(sessions, Person, Person.telegram_user_id == telegram_id)
    return found


async def robin_with_two(sessions) -> tuple[Chat, Chat, Chat]:
    """Robin supports Alex and then Kim (both asked about grief; Robin has two places)."""
    robin, alex = await introduced(sessions)
    kim = Chat(sessions, SECOND, first_name="Kim")
    await request_support(kim, NOW)
    robin_id = (await person(sessions, robin.telegram_id)).id
    [offered] = await rows(
        sessions, Match, Match.status == MatchStatus.PROPOSED, Match.supporter_id == robin_id
    )
    await as_coordinator(sessions, NOW, proposals.approve, MatchApprove(offered.id))
    await robin.call(NOW, answer_offer, OfferAnswer(offered.id, "accept"))
    return robin, alex, kim


async def depart(sessions, how: str, case: str, *words: str, confirm: bool = True):
    asked = await as_coordinator(sessions, NOW, lifecycle.ask_departure, how, [case, *words])
    [departure] = await rows(sessions, SupporterDeparture, SupporterDeparture.status == "asked")
    done = await as_coordinator(
        sessions, NOW, lifecycle.departure_answer, DepartureAnswer(departure.id, confirm)
    )
    return asked, done, departure


async def test_releasing_a_supporter_hands_over_both_participants_and_thanks_them(
    session_factory,
):
    robin, alex, kim = await robin_with_two(session_factory)
    supporter = await person(session_factory, robin.telegram_id)
    first, second = sorted(
        await rows(session_factory, Match, Match.status == MatchStatus.ACCEPTED),
        key=lambda m: m.id,
    )
    async with session_factory() as session, session.begin():
        talked = NOW - timedelta(days=1)
        await add_note(session, CIPHER, first, supporter, None, contact_at=talked)
        await add_note(session, CIPHER, second, supporter, None, contact_at=NOW, reached=False)

    asked, done, departure = await depart(
        session_factory, "released", supporter.pseudonym, "moving", "abroad"
    )

    assert "Their participants (2)" in (text_of(asked).text or "")
    assert "moving abroad" in (text_of(asked).text or "")
    assert CIPHER.decrypt(departure.reason_enc) == "moving abroad"
    assert (text_of(done).text or "").startswith("Released by Dana at")
    ended = await rows(session_factory, Match, Match.status == MatchStatus.ENDED)
    assert {m.end_reason for m in ended} == {"supporter_released"} and len(ended) == 2
    for request in await rows(session_factory, SupportRequest):
        assert request.status in (SupportRequestStatus.PROPOSED, SupportRequestStatus.MATCHING)
    proposed = await rows(session_factory, Match, Match.status == MatchStatus.PROPOSED)
    assert supporter.id not in {m.supporter_id for m in proposed}
    for chat in (alex, kim):
        assert t("handover.told_participant") in await texts_to(session_factory, chat.telegram_id)
    to_robin = await texts_to(session_factory, robin.telegram_id)
    assert t("handover.released") in to_robin
    assert not any("moving abroad" in text for text in to_robin), "the reason stays private"
    [card] = [c for c in await group_cards(session_factory) if "are handed over" in c]
    codes = [r.code for r in await rows(session_factory, SupportRequest)]
    assert all(code in card for code in codes) and "matched 0 days" in card
    [alex_line, kim_line] = card.splitlines()[1:]
    assert alex_line.endswith(f"last contact {talked.date().isoformat()}")
    assert kim_line.endswith("last contact none logged"), "a try that did not reach them"
    [profile] = await rows(
        session_factory, SupporterProfile, SupporterProfile.person_id == supporter.id
    )
    assert profile.status == SupporterStatus.INACTIVE
    roles = await rows(session_factory, RoleAssignment, RoleAssignment.person_id == supporter.id)
    assert Role.SUPPORTER not in {r.role for r in roles}
    menus = await rows(
        session_factory,
        OutboxMessage,
        OutboxMessage.chat_id == robin.telegram_id,
        OutboxMessage.method == "setMyCommands",
    )
    assert menus, "the former supporter's menu is a participant's again"
    actions = {e.action for e in await rows(session_factory, AuditEvent)}
    assert {"supporter.released_asked", "supporter.released", "supporter.handed_over"} <= actions


async def test_a_released_supporter_is_never_offered_again_and_cannot_pause_back_in(
    session_factory,
):
    robin, alex, kim = await robin_with_two(session_factory)
    supporter = await person(session_factory, robin.telegram_id)
    await depart(session_factory, "released", supporter.pseudonym)

    paused = await robin.call(NOW, supporters.pause, [])
    assert texts_of(paused) == ["supporter.only"]
    async with session_factory() as session:
        ctx = context(session, NOW)
        [request, *_] = await rows(session_factory, SupportRequest)
        [need] = await match_features.needs_for(ctx, [request])
        [candidate] = await match_features.candidates(ctx, only=[supporter.id])
    assert "inactive" in violations(need, candidate)
    listed = text_of(await as_coordinator(session_factory, NOW, supporter_roster.roster)).text
    [line] = [line for line in (listed or "").splitlines() if supporter.pseudonym in line]
    assert t("supporter_status.inactive") in line
    assert (listed or "").endswith(t("departure.roster_hint"))
    again = await as_coordinator(
        session_factory, NOW, lifecycle.ask_departure, "deactivated", [supporter.pseudonym]
    )
    assert "There is no peer supporter" in (text_of(again).text or "")


async def test_deactivating_tells_the_supporter_neutrally_and_cancel_changes_nothing(
    session_factory,
):
    robin, alex = await introduced(session_factory)
    supporter = await person(session_factory, robin.telegram_id)

    _, cancelled, departure = await depart(
        session_factory, "deactivated", supporter.pseudonym, confirm=False
    )
    assert (text_of(cancelled).text or "").startswith("Cancelled: nothing was changed")
    assert (await rows(session_factory, Match, Match.status == MatchStatus.ACCEPTED)) != []
    stale = await as_coordinator(
        session_factory, NOW, lifecycle.departure_answer, DepartureAnswer(departure.id, True)
    )
    assert text_of(stale).text == t("departure.stale")
    assert (await rows(session_factory, Match, Match.status == MatchStatus.ACCEPTED)) != []

    await depart(session_factory, "deactivated", supporter.pseudonym, "concerns")

    [ended] = await rows(session_factory, Match, Match.status == MatchStatus.ENDED)
    assert ended.end_reason == "supporter_deactivated"
    to_robin = await texts_to(session_factory, robin.telegram_id)
    assert t("handover.deactivated") in to_robin and t("handover.released") not in to_robin


async def test_an_open_offer_to_a_supporter_who_leaves_is_closed_and_proposed_again(
    session_factory,
):
    robin, alex = await introduced(session_factory)
    kim = Chat(session_factory, SECOND, first_name="Kim")
    await request_support(kim, NOW)
    supporter = await person(session_factory, robin.telegram_id)
    [offered] = await rows(
        session_factory,
        Match,
        Match.status == MatchStatus.PROPOSED,
        Match.supporter_id == supporter.id,
    )
    await as_coordinator(session_factory, NOW, proposals.approve, MatchApprove(offered.id))

    asked = await robin.call(NOW, lifecycle.leave_question)
    kept = await robin.call(NOW, lifecycle.leave_answer, LeaveAnswer(False))
    assert texts_of(asked) == ["leave.confirm"] and texts_of(kept) == ["leave.kept"]
    left = await robin.call(NOW, lifecycle.leave_answer, LeaveAnswer(True))

    assert texts_of(left) == ["leave.done"]
    [closed] = await rows(session_factory, Match, Match.id == offered.id)
    assert closed.status == MatchStatus.DECLINED and closed.decline_reason == "supporter_left"
    [ended] = await rows(session_factory, Match, Match.status == MatchStatus.ENDED)
    assert ended.end_reason == "supporter_left"
    proposed = await rows(session_factory, Match, Match.status == MatchStatus.PROPOSED)
    assert supporter.id not in {m.supporter_id for m in proposed}
    assert any("can no longer take request" in c for c in await group_cards(session_factory))
    again = await robin.call(NOW, lifecycle.leave_answer, LeaveAnswer(True))
    assert texts_of(again) == ["leave.not_supporter"]


async def test_a_supporter_who_forgets_hands_their_participant_over_first(session_factory):
    robin, alex = await introduced(session_factory)

    async with session_factory() as session, session.begin():
        supporter = await session.get(Person, (await person(session_factory, 5001)).id)
        assert supporter is not None
        await data_rights.forget(context(session, NOW), supporter)

    [ended] = await rows(session_factory, Match, Match.status == MatchStatus.ENDED)
    assert ended.end_reason == "supporter_erased"
    assert t("handover.told_participant") in await texts_to(session_factory, PARTICIPANT)
    [request] = await rows(session_factory, SupportRequest)
    assert request.status == SupportRequestStatus.PROPOSED
    assert any("erased their data" in c for c in await group_cards(session_factory))


async def test_a_break_over_the_limit_hands_over_once_and_tells_the_supporter(
    engine, session_factory
):
    robin, alex = await introduced(session_factory)
    await robin.call(NOW, supporters.pause, [])
    deps = deps_for(engine, session_factory)
    days = PROGRAM.policy.supporters.handover_after_break_days

    early = await run_pass(deps, now=NOW + timedelta(days=days - 1))
    assert await rows(session_factory, Match, Match.status == MatchStatus.ENDED) == []
    late = await run_pass(deps, now=NOW + timedelta(days=days, hours=1))
    later = await run_pass(deps, now=NOW + timedelta(days=days + 2))

    def told(report) -> list[list[str]]:
        return [texts_of(o.reply) for o in report.outgoing if o.chat_id == robin.telegram_id]

    assert ["handover.after_break"] in told(late)
    assert ["handover.after_break"] not in told(early) + told(later)
    [ended] = await rows(session_factory, Match, Match.status == MatchStatus.ENDED)
    assert ended.end_reason == "supporter_break"
    cards = [c for c in await group_cards(session_factory) if "on a break for over" in c]
    assert len(cards) == 1
    robin_id = (await person(session_factory, robin.telegram_id)).id
    [profile] = await rows(
        session_factory, SupporterProfile, SupporterProfile.person_id == robin_id
    )
    assert profile.status == SupporterStatus.ON_BREAK, "still on their break, free to come back"
