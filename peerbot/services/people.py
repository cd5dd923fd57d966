"""Creating people: a participant after they consent, or a bare count of a refusal."""

from __future__ import annotations

from peerbot.services.context import ServiceContext, Who
from peerbot.storage.codes import new_pseudonym
from peerbot.storage.enums import PersonStatus, Role
from peerbot.storage.models import Person, RoleAssignment


async def enroll_participant(
    ctx: ServiceContext, who: Who, *, referral_source: str | None
) -> Person:
    """The person's record, made only once they agreed to take part."""
    person = Person(
        telegram_user_id=who.telegram_user_id,
        pseudonym=new_pseudonym(),
        language=who.locale,
        time_zone=ctx.settings.timezone,
        status=PersonStatus.ACTIVE,
        referral_source=referral_source,
        created_at=ctx.now,
        updated_at=ctx.now,
        last_seen_at=ctx.now,
    )
    ctx.session.add(person)
    await ctx.session.flush()
    ctx.session.add(RoleAssignment(person_id=person.id, role=Role.PARTICIPANT, granted_at=ctx.now))
    await ctx.session.flush()
    who.person = person
    return person


async def record_refusal(ctx: ServiceContext, who: Who, *, referral_source: str | None) -> Person:
    """A person who declined: no Telegram id, no answers; only that someone said no."""
    person = Person(
        telegram_user_id=None,
        pseudonym=new_pseudonym(),
        language=who.locale,
        time_zone=ctx.settings.timezone,
        status=PersonStatus.STOPPED,
        referral_source=referral_source,
        created_at=ctx.now,
        updated_at=ctx.now,
        stopped_at=ctx.now,
    )
    ctx.session.add(person)
    await ctx.session.flush()
    return person
