"""Each person's command menu follows their role: participants, supporters and coordinators
see their own commands in their private chat, in their language.

The default menu (every chat we never set) is a participant's; a chat gets its own menu when
the person's role becomes known or changes, and again when they choose another language.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from peerbot.services.common.context import ServiceContext
from peerbot.services.conversations.shown import CommandMenu
from peerbot.storage import people
from peerbot.storage.enums import Role
from peerbot.storage.models import Person, RoleAssignment
from peerbot.storage.outbox import Priority

PARTICIPANT_MENU = (
    "start", "back", "cancel", "feedback", "help", "consent", "language", "mydata", "stop",
    "forget",
)  # fmt: skip
SUPPORTER_MENU = (
    "profile", "note", "pause", "resume", "end", "change", "feedback", "help", "language",
    "mydata", "forget", "leave",
)  # fmt: skip
#: What a coordinator can ask in their private chat, group or no group.
COORDINATOR_PRIVATE_MENU = ("open", "case", "stats", "audit")
#: Without a coordinators' group, the group's desk commands answer privately too.
COORDINATOR_DESK_MENU = ("supporters", "match", "release", "deactivate", "invite", "invites")


def menu_for(roles: Iterable[Role], *, private_desk: bool = False) -> tuple[str, ...]:
    """The commands a private chat offers a person with these roles (a supporter who also
    coordinates sees both lists, the coordinator's first)."""
    held = set(roles)
    names: list[str] = []
    if Role.COORDINATOR in held:
        names += COORDINATOR_PRIVATE_MENU
        if private_desk:
            names += COORDINATOR_DESK_MENU
    names += SUPPORTER_MENU if Role.SUPPORTER in held else PARTICIPANT_MENU
    return tuple(dict.fromkeys(names))


def roles_of(ctx: ServiceContext, telegram_user_id: int, roles: Iterable[Role]) -> set[Role]:
    """Stored roles, plus coordinator for the operator's listed coordinator ids."""
    held = set(roles)
    if telegram_user_id in ctx.settings.coordinator_ids:
        held.add(Role.COORDINATOR)
    return held


def command_menu(ctx: ServiceContext, telegram_user_id: int, roles: Iterable[Role]) -> CommandMenu:
    """The menu a chat should show now for these roles."""
    held = roles_of(ctx, telegram_user_id, roles)
    return CommandMenu(menu_for(held, private_desk=ctx.settings.no_coordinator_group))


async def stored_roles(ctx: ServiceContext, person: Person) -> set[Role]:
    """The roles the person holds now (read again: a role may just have changed)."""
    held = await ctx.session.scalars(
        select(RoleAssignment.role).where(RoleAssignment.person_id == person.id)
    )
    return set(held)


async def refresh(ctx: ServiceContext, person: Person, *, dedupe_key: str | None = None) -> None:
    """Queue the person's chat menu for the roles they hold now, in their language (a role
    gained or lost, or another language chosen)."""
    if person.telegram_user_id is None:
        return
    roles = await stored_roles(ctx, person)
    held = "+".join(sorted(roles)) or "none"
    await ctx.outbox.post(
        person.telegram_user_id,
        command_menu(ctx, person.telegram_user_id, roles),
        locale=person.language,
        priority=Priority.REPLY,
        dedupe_key=dedupe_key or f"person:{person.id}:menu:{held}:{ctx.now.isoformat()}",
    )


async def publish_for_listed_coordinators(ctx: ServiceContext) -> None:
    """At start-up: the operator's listed coordinators see their menu before their first
    action enrolls them (once per set of roles: a restart queues nothing new)."""
    for user_id in sorted(ctx.settings.coordinator_ids):
        person = await people.find_by_telegram_id(ctx.session, user_id)
        roles = await stored_roles(ctx, person) if person else set()
        held = "+".join(sorted(roles_of(ctx, user_id, roles)))
        await ctx.outbox.post(
            user_id,
            command_menu(ctx, user_id, roles),
            locale=person.language if person else ctx.program.texts.default_locale,
            priority=Priority.REPLY,
            dedupe_key=f"listed:{user_id}:menu:{held}",
        )
