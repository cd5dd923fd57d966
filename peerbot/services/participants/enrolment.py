"""Creating people: a participant or supporter after they agree, or a bare count of a refusal."""

from __future__ import annotations

from sqlalchemy import select

from peerbot.services.common.context import ServiceContext, Who
from peerbot.storage.enums import PersonStatus, Role
from peerbot.storage.models import Person, RoleAssignment
from peerbot.storage.people import unused_pseudonym


async def enroll_participant(
    ctx: ServiceContext, who: Who, *, referral_source: str | None
) -> Person:
    """The person's record, made only once they agreed to take part."""
    return await enroll(ctx, who, Role.PARTICIPANT, referral_source=referral_source)


async def enroll(
    ctx: ServiceContext, who: Who, role: Role, *, referral_source: str | None = None
) -> Person:
    """The record of someone who just agreed to take part in a role."""
    person = await _add_person(ctx, who, referral_source, telegram_user_id=who.telegram_user_id)
    person.last_seen_at = ctx.now
    remember_names(ctx, person, who)
    ctx.session.add(RoleAssignment(person_id=person.id, role=role, granted_at=ctx.now))
    await ctx.session.flush()
    who.person = person
    return person


def remember_names(ctx: ServiceContext, person: Person, who: Who) -> None:
    """Keep the first name and @username (encrypted) for introductions to a match."""
    if who.first_name:
        person.display_name_enc = ctx.cipher.encrypt(who.first_name)
    person.username_enc = ctx.cipher.encrypt(who.username) if who.username else None


async def grant_role(ctx: ServiceContext, person: Person, role: Role) -> None:
    """Give the person a role they may not hold yet."""
    held = await ctx.session.scalar(
        select(RoleAssignment.id).where(
            RoleAssignment.person_id == person.id, RoleAssignment.role == role
        )
    )
    if held is None:
        ctx.session.add(RoleAssignment(person_id=person.id, role=role, granted_at=ctx.now))
        await ctx.session.flush()


async def record_refusal(ctx: ServiceContext, who: Who, *, referral_source: str | None) -> Person:
    """A person who declined: no Telegram id, no answers; only that someone said no."""
    person = await _add_person(ctx, who, referral_source, telegram_user_id=None)
    person.status = PersonStatus.STOPPED
    person.stopped_at = ctx.now
    return person


async def _add_person(
    ctx: ServiceContext, who: Who, referral_source: str | None, *, telegram_user_id: int | None
) -> Person:
    person = Person(
        telegram_user_id=telegram_user_id,
        pseudonym=await unused_pseudonym(ctx.session),
        language=who.locale,
        time_zone=ctx.settings.timezone,
        status=PersonStatus.ACTIVE,
        referral_source=referral_source,
        created_at=ctx.now,
        updated_at=ctx.now,
    )
    ctx.session.add(person)
    await ctx.session.flush()
    return person
