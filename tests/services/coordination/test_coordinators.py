"""Where coordinators' cards go: the group, or each coordinator privately without one."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from peerbot.services.common.context import ServiceContext
from peerbot.services.conversations.shown import Text
from peerbot.services.coordination import coordinators
from peerbot.services.escalations import escalations
from peerbot.storage.codes import new_pseudonym
from peerbot.storage.enums import Role
from peerbot.storage.models import OutboxMessage, Person, RoleAssignment
from peerbot.storage.outbox import Priority
from tests.support.contexts import context_with_settings

GROUP = -1002222
LISTED = frozenset({901, 902})
NOW = datetime(2026, 4, 1, 12, 0, tzinfo=UTC)


def context(session, **settings: object) -> ServiceContext:
    return context_with_settings(session, NOW, **settings)


def privately(session) -> ServiceContext:
    return context(session, no_coordinator_group=True, coordinator_ids=LISTED)


async def person(session, telegram_user_id: int, role: Role) -> Person:
    someone = Person(telegram_user_id=telegram_user_id, pseudonym=new_pseudonym())
    session.add(someone)
    await session.flush()
    session.add(RoleAssignment(person_id=someone.id, role=role, granted_at=NOW))
    await session.flush()
    return someone


async def queued(session_factory) -> list[tuple[int, str | None]]:
    async with session_factory() as session:
        rows = await session.scalars(select(OutboxMessage).order_by(OutboxMessage.chat_id))
        return [(row.chat_id, row.payload.get("text")) for row in rows]


async def test_a_card_goes_to_the_group_when_there_is_one(session_factory):
    async with session_factory() as session, session.begin():
        ctx = context(session, coordinator_chat_id=GROUP, coordinator_ids=LISTED)
        assert await coordinators.post(
            ctx, Text(text="card"), priority=Priority.ESCALATION, dedupe_key="k"
        )
    assert await queued(session_factory) == [(GROUP, "card")]


async def test_without_a_group_a_card_goes_privately_to_every_coordinator(session_factory):
    async with session_factory() as session, session.begin():
        await person(session, 903, Role.COORDINATOR)  # enrolled earlier, not listed
        await person(session, 904, Role.SUPPORTER)
        assert await coordinators.post_card(
            privately(session),
            "card.offer_expired",
            priority=Priority.COORDINATION,
            dedupe_key="k",
            case="ABC",
            code="R-1",
        )
    chats = [chat for chat, _ in await queued(session_factory)]
    assert chats == [901, 902, 903]


async def test_a_card_posted_twice_without_a_group_is_queued_once_per_coordinator(
    session_factory,
):
    for _ in range(2):
        async with session_factory() as session, session.begin():
            await coordinators.post(
                privately(session), Text(text="card"), priority=Priority.ESCALATION, dedupe_key="k"
            )
    assert [chat for chat, _ in await queued(session_factory)] == [901, 902]


async def test_in_setup_mode_a_card_reaches_no_one_and_says_so(session_factory):
    async with session_factory() as session, session.begin():
        posted = await coordinators.post(
            context(session), Text(text="card"), priority=Priority.ESCALATION, dedupe_key="k"
        )
    assert posted is False
    assert await queued(session_factory) == []


async def test_a_participants_red_flag_card_reaches_every_coordinator_privately(session_factory):
    async with session_factory() as session, session.begin():
        participant = await person(session, 556, Role.PARTICIPANT)
        await escalations.raise_flag(
            privately(session),
            participant,
            category="suicide",
            severity="critical",
            source="message",
        )
    async with session_factory() as session:
        rows = list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.chat_id)))
    assert [row.chat_id for row in rows] == sorted(LISTED)
    assert all("inline_keyboard" in row.payload["reply_markup"] for row in rows)
