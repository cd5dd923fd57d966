"""The coordinators' group over time: where it lives now, and who still belongs to it.

Telegram moves a group that becomes a supergroup to a new chat id; each move is kept in the
audit trail, so the group in use survives a restart. A person who leaves the group loses the
coordinator role (unless the operator lists them), and with it the private cards.
"""

from __future__ import annotations

from sqlalchemy import delete, select

from peerbot.services.common.context import ServiceContext
from peerbot.services.conversations import menus
from peerbot.storage import audit
from peerbot.storage.enums import Role
from peerbot.storage.models import AuditEvent, Person, RoleAssignment

MIGRATED = "coordinator_group.migrated"  # audit action; details: from_chat_id, to_chat_id
ROLE_REMOVED = "coordinator.role_removed"
LONGEST_CHAIN = 16  # a group can move more than once; a loop in bad data must still end


async def moves(ctx: ServiceContext) -> dict[int, int]:
    """Every recorded move of a group: old chat id -> new chat id."""
    rows = await ctx.session.scalars(
        select(AuditEvent.details).where(AuditEvent.action == MIGRATED).order_by(AuditEvent.id)
    )
    found: dict[int, int] = {}
    for details in rows:
        try:
            found[int(details["from_chat_id"])] = int(details["to_chat_id"])
        except (KeyError, TypeError, ValueError):
            continue
    return found


def follow(configured: int | None, recorded: dict[int, int]) -> int | None:
    """Where the configured group lives now, after the moves recorded."""
    current = configured
    for _ in range(LONGEST_CHAIN):
        if current is None or current not in recorded:
            break
        current = recorded[current]
    return current


async def group_in_use(ctx: ServiceContext) -> int | None:
    """The coordinators' group's chat id now: the setting, followed through any migration."""
    configured = ctx.settings.coordinator_chat_id
    if configured is None:
        return None
    return follow(configured, await moves(ctx))


async def record_move(ctx: ServiceContext, old_chat_id: int, new_chat_id: int) -> bool:
    """Keep Telegram's move of the coordinators' group; False if it is not our group's move or
    is already known (both sides of a migration say so, and the sender may see it too)."""
    recorded = await moves(ctx)
    if old_chat_id in recorded or old_chat_id == new_chat_id:
        return False
    configured = ctx.settings.coordinator_chat_id
    ours = {configured}
    current = configured
    for _ in range(LONGEST_CHAIN):
        if current is None or current not in recorded:
            break
        current = recorded[current]
        ours.add(current)
    if old_chat_id not in ours:
        return False
    await audit.record(
        ctx.session, MIGRATED, now=ctx.now, from_chat_id=old_chat_id, to_chat_id=new_chat_id
    )
    return True


async def left_group(ctx: ServiceContext, telegram_user_id: int, *, seen_by: str) -> bool:
    """Someone is no longer in the coordinators' group: they lose the coordinator role, unless
    the operator lists them in PEERBOT_COORDINATOR_IDS. True when a role was removed."""
    if telegram_user_id in ctx.settings.coordinator_ids:
        return False
    person_id = await ctx.session.scalar(
        select(Person.id).where(Person.telegram_user_id == telegram_user_id)
    )
    if person_id is None:
        return False
    removed = await ctx.session.execute(
        delete(RoleAssignment)
        .where(RoleAssignment.person_id == person_id, RoleAssignment.role == Role.COORDINATOR)
        .execution_options(synchronize_session=False)
    )
    if not removed.rowcount:  # type: ignore[attr-defined]
        return False
    await audit.record(
        ctx.session, ROLE_REMOVED, now=ctx.now, subject_id=person_id, seen_by=seen_by
    )
    person = await ctx.session.get(Person, person_id)
    if person is not None:  # back to the menu of the roles they still hold
        await menus.refresh(ctx, person)
    return True
