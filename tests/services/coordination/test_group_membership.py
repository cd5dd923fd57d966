"""The coordinators' group over time: followed through migrations, and who still belongs."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from peerbot.services.common.context import ServiceContext
from peerbot.services.coordination import coordinators, group_membership
from peerbot.storage.codes import new_pseudonym
from peerbot.storage.enums import Role
from peerbot.storage.models import AuditEvent, Person, RoleAssignment
from tests.support.contexts import context_with_settings

GROUP = -4001
SUPERGROUP = -1002002
LATER = -1003003
LISTED = 901
NOW = datetime(2026, 4, 1, 12, 0, tzinfo=UTC)


def context(session, group: int | None = GROUP) -> ServiceContext:
    return context_with_settings(
        session, NOW, coordinator_chat_id=group, coordinator_ids=frozenset({LISTED})
    )


async def test_the_group_in_use_follows_every_recorded_move_and_only_ours(session_factory):
    async with session_factory() as session, session.begin():
        ctx = context(session)
        assert await group_membership.record_move(ctx, GROUP, SUPERGROUP)
        assert not await group_membership.record_move(ctx, GROUP, SUPERGROUP)  # other side
        assert not await group_membership.record_move(ctx, -777, -1007777)  # not our group
        assert await group_membership.record_move(ctx, SUPERGROUP, LATER)
    async with session_factory() as session:
        assert await group_membership.group_in_use(context(session)) == LATER
        assert await group_membership.group_in_use(context(session, -777)) == -777
        assert await group_membership.group_in_use(context(session, None)) is None


async def coordinator(session, telegram_user_id: int) -> Person:
    someone = Person(telegram_user_id=telegram_user_id, pseudonym=new_pseudonym())
    session.add(someone)
    await session.flush()
    session.add(RoleAssignment(person_id=someone.id, role=Role.COORDINATOR, granted_at=NOW))
    await session.flush()
    return someone


async def test_a_member_who_left_loses_the_role_and_the_private_cards_unless_listed(
    session_factory,
):
    async with session_factory() as session, session.begin():
        leaving = await coordinator(session, 902)
        await coordinator(session, LISTED)
        assert await coordinators.coordinator_chats(context(session)) == [LISTED, 902]

    async with session_factory() as session, session.begin():
        ctx = context(session)
        assert await group_membership.left_group(ctx, 902, seen_by="chat_member")
        assert not await group_membership.left_group(ctx, 902, seen_by="chat_member")
        assert not await group_membership.left_group(ctx, LISTED, seen_by="chat_member")
        assert not await group_membership.left_group(ctx, 12345, seen_by="chat_member")

    async with session_factory() as session:
        assert await coordinators.coordinator_chats(context(session)) == [LISTED]
        roles = list(await session.scalars(select(RoleAssignment.person_id)))
        [removal] = await session.scalars(
            select(AuditEvent).where(AuditEvent.action == group_membership.ROLE_REMOVED)
        )
    assert leaving.id not in roles and len(roles) == 1
    assert removal.subject_person_id == leaving.id
    assert removal.details == {"seen_by": "chat_member"}
