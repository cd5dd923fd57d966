"""Raising an escalation: recorded with its card; a supporter's distress goes privately."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

from sqlalchemy import select

from peerbot.dialogs.policy import EscalationPolicy, ProgramPolicy
from peerbot.program import load_program
from peerbot.services.common.context import ServiceContext
from peerbot.services.escalations import escalations
from peerbot.storage.codes import new_pseudonym
from peerbot.storage.enums import EscalationStatus, Role
from peerbot.storage.models import Escalation, OutboxMessage, Person, RoleAssignment
from tests.support.contexts import context_with_settings

GROUP = -1001111
COORDINATORS = frozenset({901, 902})
NOW = datetime(2026, 4, 1, 12, 0, tzinfo=UTC)
PROGRAM = load_program()


def context(session) -> ServiceContext:
    return context_with_settings(
        session, NOW, coordinator_chat_id=GROUP, coordinator_ids=COORDINATORS
    )


async def person_with(session, role: Role) -> Person:
    person = Person(
        telegram_user_id=555 if role == Role.SUPPORTER else 556, pseudonym=new_pseudonym()
    )
    session.add(person)
    await session.flush()
    session.add(RoleAssignment(person_id=person.id, role=role, granted_at=NOW))
    await session.flush()
    return person


async def chats_written_to(session) -> list[int]:
    return sorted(row.chat_id for row in await session.scalars(select(OutboxMessage)))


async def test_a_participants_flag_posts_one_card_with_buttons_to_the_group(session_factory):
    async with session_factory() as session, session.begin():
        person = await person_with(session, Role.PARTICIPANT)
        escalation = await escalations.raise_flag(
            context(session), person, category="suicide", severity="critical", source="message"
        )
    async with session_factory() as session:
        assert await chats_written_to(session) == [GROUP]
        card = (await session.scalars(select(OutboxMessage))).one().payload
        stored = await session.get(Escalation, escalation.id)
    assert person.pseudonym in card["text"]
    buttons = [b["callback_data"] for b in card["reply_markup"]["inline_keyboard"][0]]
    assert buttons == [f"esc:{escalation.id}:claim", f"esc:{escalation.id}:resolve"]
    assert stored is not None and stored.status == EscalationStatus.OPEN
    assert stored.next_reminder_at is not None


async def test_a_supporters_own_distress_goes_to_each_coordinator_privately(session_factory):
    """The card (with why) goes privately; the group gets only the case's own card, which says
    a coordinator should get in touch and that a reply to it reaches the supporter."""
    async with session_factory() as session, session.begin():
        supporter = await person_with(session, Role.SUPPORTER)
        await escalations.raise_flag(
            context(session), supporter, category="burnout", severity="medium", source="checkin"
        )
    async with session_factory() as session:
        rows = list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
    private = [row for row in rows if row.chat_id != GROUP]
    in_group = [row.payload["text"] for row in rows if row.chat_id == GROUP]
    assert sorted(row.chat_id for row in private) == sorted(COORDINATORS)
    assert all(PROGRAM.texts.get("role.supporter", "en") in row.payload["text"] for row in private)
    burnout = PROGRAM.texts.get("category.burnout", "en")
    assert len(in_group) == 1 and burnout not in in_group[0]
    assert supporter.pseudonym in in_group[0] and "Reply to this message" in in_group[0]


async def test_cards_show_the_persons_words_only_when_the_program_chooses_full(session_factory):
    words = "i have the pills here"
    full = dataclasses.replace(
        PROGRAM, policy=ProgramPolicy(escalations=EscalationPolicy(card_text="full"))
    )
    async with session_factory() as session, session.begin():
        person = await person_with(session, Role.PARTICIPANT)
        redacted_ctx = context(session)
        await escalations.raise_flag(
            redacted_ctx,
            person,
            category="suicide",
            severity="critical",
            source="message",
            words=words,
        )
        full_ctx = dataclasses.replace(context(session), program=full)
        await escalations.raise_flag(
            full_ctx,
            person,
            category="suicide",
            severity="critical",
            source="message",
            words=words,
        )
    async with session_factory() as session:
        cards = [
            r.payload["text"]
            for r in await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
        ]
    assert words not in cards[0]
    assert words in cards[1]
