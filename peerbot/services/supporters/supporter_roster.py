"""The coordinators' list of peer supporters: status, load and last check-in band, no free text."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from peerbot.dialogs.checkin_schedule import time_zone_of
from peerbot.services.common.context import ServiceContext
from peerbot.services.conversations.shown import Reply, Text
from peerbot.services.coordination import coordinators
from peerbot.services.supporters import checkins
from peerbot.storage import audit
from peerbot.storage import checkins as checkin_rows
from peerbot.storage.enums import MatchStatus, PersonStatus, SupporterStatus
from peerbot.storage.models import Match, Person, SupporterProfile

ACTIVE_MATCHES = (MatchStatus.OFFERED, MatchStatus.ACCEPTED)


async def roster(ctx: ServiceContext, coordinator: Person) -> Reply:
    """/supporters: one line per supporter who has not left, on a break first."""
    profiles = (
        await ctx.session.scalars(
            select(SupporterProfile)
            .join(Person, Person.id == SupporterProfile.person_id)
            .where(Person.status != PersonStatus.ERASED)
            .options(selectinload(SupporterProfile.person))
            .order_by(SupporterProfile.status.desc(), Person.pseudonym)
        )
    ).all()
    await audit.record(
        ctx.session, "supporters.listed", now=ctx.now, actor_id=coordinator.id, count=len(profiles)
    )
    reply = Reply(coordinators.coordinator_locale(ctx))
    if not profiles:
        return reply.add(Text(text=coordinators.text(ctx, "card.supporters_none")))
    load = await _matches_per_supporter(ctx)
    lines = [coordinators.text(ctx, "card.supporters_heading", count=len(profiles))]
    for profile in profiles:
        lines.append(await _line(ctx, profile, load.get(profile.person_id, 0)))
    lines.append(coordinators.text(ctx, "departure.roster_hint"))
    return reply.add(Text(text="\n".join(lines)))


async def _line(ctx: ServiceContext, profile: SupporterProfile, used: int) -> str:
    last = await checkin_rows.recent_finished(ctx.session, profile.person_id, 1)
    band = checkins.last_band(ctx, last[0] if last else None)
    return coordinators.text(
        ctx,
        "card.supporters_line",
        case=profile.person.pseudonym,
        status=_status(ctx, profile),
        used=used,
        capacity=profile.capacity,
        band=coordinators.text(ctx, f"band.{band}"),
        training=""
        if profile.training_confirmed_at is not None
        else coordinators.text(ctx, "card.supporters_unconfirmed"),
    )


def _status(ctx: ServiceContext, profile: SupporterProfile) -> str:
    if profile.status == SupporterStatus.ON_BREAK and profile.break_until is not None:
        zone = time_zone_of(profile.person.time_zone)
        day = profile.break_until.astimezone(zone).date().isoformat()
        return coordinators.text(ctx, "supporter_status.on_break_until", date=day)
    return coordinators.text(ctx, f"supporter_status.{profile.status.value}")


async def _matches_per_supporter(ctx: ServiceContext) -> dict[int, int]:
    rows = await ctx.session.execute(
        select(Match.supporter_id, func.count())
        .where(Match.status.in_(ACTIVE_MATCHES), Match.supporter_id.is_not(None))
        .group_by(Match.supporter_id)
    )
    return {supporter_id: count for supporter_id, count in rows.all() if supporter_id}
