"""The coordinators' side: cards to their group through the outbox, in the program's language."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from peerbot.services.common.context import ServiceContext
from peerbot.services.conversations import menus
from peerbot.services.conversations.shown import Buttons, MenuButton, Text
from peerbot.storage.enums import PersonStatus, Role
from peerbot.storage.models import Match, Person, RoleAssignment, SupportRequest
from peerbot.storage.outbox import Priority
from peerbot.storage.people import unused_pseudonym


def coordinator_locale(ctx: ServiceContext) -> str:
    """The coordinators' language (program.yaml ``coordinators.language``)."""
    return ctx.program.policy.coordinators.language


def text(ctx: ServiceContext, key: str, **values: object) -> str:
    """A text in the coordinators' language."""
    return ctx.program.texts.get(key, coordinator_locale(ctx), **values)


def buttons(ctx: ServiceContext, rows: Sequence[Sequence[tuple[str, object]]]) -> Buttons:
    """Rows of buttons from (label key, action) pairs, labelled in the coordinators' language."""
    return tuple(
        tuple(MenuButton(action, label_text=text(ctx, label)) for label, action in row)
        for row in rows
    )


async def post(ctx: ServiceContext, view: Text, *, priority: int, dedupe_key: str) -> bool:
    """Queue a message for the coordinators' group, or (PEERBOT_NO_COORDINATOR_GROUP) for each
    coordinator privately; False only when it reached no one (set-up mode)."""
    chat_id = ctx.settings.coordinator_chat_id
    if chat_id is None:
        if not ctx.settings.no_coordinator_group:
            return False
        queued = await post_privately(ctx, view, priority=priority, dedupe_prefix=dedupe_key)
        return queued > 0
    await ctx.outbox.post(chat_id, view, priority=priority, dedupe_key=dedupe_key)
    return True


async def coordinator_chats(ctx: ServiceContext) -> list[int]:
    """Configured coordinator ids and everyone holding the coordinator role on Telegram."""
    with_role = await ctx.session.scalars(
        select(Person.telegram_user_id)
        .join(RoleAssignment, RoleAssignment.person_id == Person.id)
        .where(RoleAssignment.role == Role.COORDINATOR, Person.telegram_user_id.is_not(None))
    )
    known = {user_id for user_id in with_role if user_id is not None}
    return sorted(ctx.settings.coordinator_ids | known)


async def post_privately(
    ctx: ServiceContext, view: Text, *, priority: int, dedupe_prefix: str
) -> int:
    """Queue a message for each coordinator's private chat; return how many were queued."""
    chats = await coordinator_chats(ctx)
    for chat_id in chats:
        await ctx.outbox.post(
            chat_id, view, priority=priority, dedupe_key=f"{dedupe_prefix}:{chat_id}"
        )
    return len(chats)


async def post_card(
    ctx: ServiceContext, key: str, *, priority: int, dedupe_key: str, **values: object
) -> bool:
    """Queue a plain text card for the coordinators' group."""
    return await post(
        ctx, Text(text=text(ctx, key, **values)), priority=priority, dedupe_key=dedupe_key
    )


async def post_match_card(
    ctx: ServiceContext,
    key: str,
    match: Match,
    request: SupportRequest,
    *,
    occasion: str = "",
    **values: object,
) -> bool:
    """A card about a match: the request's code and the supporter's pseudonym, once per key
    (and occasion, for what can happen to a match more than once)."""
    supporter = await ctx.session.get(Person, match.supporter_id) if match.supporter_id else None
    return await post_card(
        ctx,
        key,
        priority=Priority.COORDINATION,
        dedupe_key=f"match:{match.id}:{key}{':' + occasion if occasion else ''}",
        case=supporter.pseudonym if supporter else "—",
        code=request.code,
        **values,
    )


async def enroll(ctx: ServiceContext, telegram_user_id: int, first_name: str) -> Person:
    """The record of a coordinator the bot has just verified (created on their first action)."""
    person = await ctx.session.scalar(
        select(Person)
        .where(Person.telegram_user_id == telegram_user_id)
        .options(selectinload(Person.roles))
    )
    if person is None:
        person = Person(
            telegram_user_id=telegram_user_id,
            pseudonym=await unused_pseudonym(ctx.session),
            language=coordinator_locale(ctx),
            status=PersonStatus.ACTIVE,
            display_name_enc=ctx.cipher.encrypt(first_name),
            created_at=ctx.now,
            updated_at=ctx.now,
        )
        ctx.session.add(person)
        await ctx.session.flush()
        roles: set[Role] = set()
    else:
        roles = {assignment.role for assignment in person.roles}
    if Role.COORDINATOR not in roles:
        ctx.session.add(
            RoleAssignment(person_id=person.id, role=Role.COORDINATOR, granted_at=ctx.now)
        )
        await ctx.session.flush()
        await menus.refresh(ctx, person)  # their private chat now offers coordinators' commands
    return person


def name_of(ctx: ServiceContext, person: Person | None) -> str:
    """A coordinator's first name for their colleagues (stored encrypted)."""
    if person is None:
        return "—"
    return ctx.cipher.decrypt(person.display_name_enc) or person.pseudonym


__all__ = ["Priority", "buttons", "coordinator_locale", "enroll", "post", "post_card", "text"]
