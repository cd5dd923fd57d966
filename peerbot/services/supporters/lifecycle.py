"""A supporter's role ending: released (on good terms) or deactivated by a coordinator, with a
reason kept for the coordinators alone; or left by their own /leave or /forget; and a break
that lasts too long. Each hands their participants over (services/supporters/handover.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, ClassVar, cast

from sqlalchemy import delete, or_, select, update
from sqlalchemy.engine import CursorResult

from peerbot.services.common.context import ServiceContext, Who
from peerbot.services.conversations import callback_data, menus
from peerbot.services.conversations.shown import (
    CloseMenu,
    EditPressed,
    Menu,
    MenuButton,
    Notice,
    Outgoing,
    Reply,
    Text,
)
from peerbot.services.coordination import coordinators
from peerbot.services.matching import match_words
from peerbot.services.supporters import handover
from peerbot.services.supporters.checkins import PassReport
from peerbot.storage import audit
from peerbot.storage import checkins as checkin_rows
from peerbot.storage.enums import PersonStatus, Role, SupporterStatus
from peerbot.storage.models import Person, RoleAssignment, SupporterDeparture, SupporterProfile
from peerbot.storage.outbox import Priority

HOWS = ("released", "deactivated")
ASKED, DONE, CANCELLED = "asked", "done", "cancelled"
REASON_CHARACTERS = 500


@callback_data.register
@dataclass(frozen=True)
class DepartureAnswer:
    """A coordinator confirms (or cancels) releasing or deactivating a supporter."""

    prefix: ClassVar[str] = "kd"
    departure_id: int
    confirm: bool


@callback_data.register
@dataclass(frozen=True)
class LeaveAnswer:
    """A supporter's answer to /leave's "are you sure?"."""

    prefix: ClassVar[str] = "kl"
    leave: bool


async def ask_departure(
    ctx: ServiceContext, coordinator: Person, how: str, args: Sequence[str]
) -> Reply:
    """/release or /deactivate <supporter code> <reason>: "are you sure?", the reason kept
    encrypted with the request."""
    reply = Reply(coordinators.coordinator_locale(ctx))
    if how not in HOWS or not args:
        return reply.add(_note(ctx, "departure.usage"))
    case = args[0].strip().upper()[:16]
    supporter = await _supporter(ctx, case)
    if supporter is None:
        return reply.add(_note(ctx, "departure.unknown", case=case))
    reason = " ".join(args[1:]).strip()[:REASON_CHARACTERS]
    departure = SupporterDeparture(
        person_id=supporter.id,
        how=how,
        status=ASKED,
        reason_enc=ctx.cipher.encrypt(reason) if reason else None,
        asked_by_id=coordinator.id,
        asked_at=ctx.now,
    )
    ctx.session.add(departure)
    await ctx.session.flush()
    await _audited(ctx, f"supporter.{how}_asked", coordinator, supporter, departure)
    text = coordinators.text(
        ctx,
        f"departure.confirm_{how}",
        case=supporter.pseudonym,
        count=await handover.accepted_count(ctx, supporter),
        reason=reason or coordinators.text(ctx, "departure.no_reason"),
    )
    rows = [
        [
            (f"departure.yes_{how}", DepartureAnswer(departure.id, True)),
            ("departure.no", DepartureAnswer(departure.id, False)),
        ]
    ]
    return reply.add(Text(text=text, buttons=coordinators.buttons(ctx, rows)))


async def departure_answer(
    ctx: ServiceContext, coordinator: Person, action: DepartureAnswer
) -> Reply:
    """Yes: the role ends, the participants are handed over, the supporter told. A second or
    stale press changes nothing."""
    reply = Reply(coordinators.coordinator_locale(ctx))
    departure = await ctx.session.get(SupporterDeparture, action.departure_id)
    supporter = await ctx.session.get(Person, departure.person_id) if departure else None
    if departure is None or supporter is None or departure.status != ASKED:
        return reply.add(EditPressed(Text(text=coordinators.text(ctx, "departure.stale"))))
    profile = await ctx.session.get(SupporterProfile, supporter.id)
    if profile is None or profile.status == SupporterStatus.INACTIVE:
        departure.status = CANCELLED
        return reply.add(EditPressed(Text(text=coordinators.text(ctx, "departure.stale"))))
    departure.decided_at = ctx.now
    if not action.confirm:
        departure.status = CANCELLED
        await _audited(
            ctx, f"supporter.{departure.how}_cancelled", coordinator, supporter, departure
        )
        text = coordinators.text(ctx, "departure.cancelled", case=supporter.pseudonym)
        return reply.add(EditPressed(Text(text=text)))
    departure.status = DONE
    await _audited(ctx, f"supporter.{departure.how}", coordinator, supporter, departure)
    await handover.hand_over(ctx, supporter, departure.how, by=coordinator)
    await _end_role(ctx, supporter, profile)
    if supporter.telegram_user_id is not None and supporter.status == PersonStatus.ACTIVE:
        await ctx.outbox.post(
            supporter.telegram_user_id,
            Notice(f"handover.{departure.how}"),
            locale=supporter.language,
            priority=Priority.NOTICE,
            dedupe_key=f"supporter:{supporter.id}:{departure.how}",
        )
    stamp = coordinators.text(
        ctx,
        f"departure.done_{departure.how}",
        name=coordinators.name_of(ctx, coordinator),
        time=match_words.clock(ctx),
        case=supporter.pseudonym,
    )
    return reply.add(EditPressed(Text(text=stamp)))


async def leave_question(ctx: ServiceContext, who: Who) -> Reply:
    """/leave: ask first."""
    reply = Reply(who.locale)
    if await _active_profile(ctx, who.person) is None:
        return reply.add(Notice("leave.not_supporter"))
    buttons = (
        (MenuButton(LeaveAnswer(True), "leave.yes"), MenuButton(LeaveAnswer(False), "leave.no")),
    )
    return reply.add(Menu("leave.confirm", buttons))


async def leave_answer(ctx: ServiceContext, who: Who, action: LeaveAnswer) -> Reply:
    """Yes: the supporter role ends (their data stays under the retention rules) and their
    participants are handed over."""
    reply = Reply(who.locale).add(CloseMenu())
    person = who.person
    profile = await _active_profile(ctx, person)
    if profile is None or person is None:
        return reply.add(Notice("leave.not_supporter"))
    if not action.leave:
        return reply.add(Notice("leave.kept"))
    await audit.record(ctx.session, "supporter.left", now=ctx.now, actor_id=person.id)
    await handover.hand_over(ctx, person, "left", by=person)
    await _end_role(ctx, person, profile, menu=False)
    who.roles = frozenset(who.roles - {Role.SUPPORTER})
    return reply.add(
        Notice("leave.done"), menus.command_menu(ctx, who.telegram_user_id, who.roles)
    )


async def on_forget(ctx: ServiceContext, person: Person) -> None:
    """A supporter erasing their data: their participants are handed over first."""
    profile = await _active_profile(ctx, person)
    if profile is not None:
        await handover.hand_over(ctx, person, "erased", by=person)


async def long_break_ids(ctx: ServiceContext, limit: int) -> Sequence[int]:
    """Supporters whose break has lasted longer than program.yaml allows, not yet handed
    over for this break."""
    days = ctx.program.policy.supporters.handover_after_break_days
    return (
        await ctx.session.scalars(
            select(SupporterProfile.person_id)
            .where(
                SupporterProfile.status == SupporterStatus.ON_BREAK,
                SupporterProfile.break_started_at <= ctx.now - timedelta(days=days),
                _not_handed_over_this_break(),
            )
            .order_by(SupporterProfile.break_started_at)
            .limit(limit)
        )
    ).all()


async def hand_over_after_break(ctx: ServiceContext, person_id: int, report: PassReport) -> None:
    """Once per break: the participants go to others, and the supporter is told kindly."""
    claimed = await ctx.session.execute(
        update(SupporterProfile)
        .where(
            SupporterProfile.person_id == person_id,
            SupporterProfile.status == SupporterStatus.ON_BREAK,
            _not_handed_over_this_break(),
        )
        .values(handed_over_at=ctx.now)
        .execution_options(synchronize_session=False)
    )
    if cast(CursorResult[Any], claimed).rowcount != 1:
        return  # another process took it first
    person = await ctx.session.get(Person, person_id)
    if person is None or not await handover.accepted_count(ctx, person):
        return
    await handover.hand_over(ctx, person, "break", by=person)
    if person.telegram_user_id is None or person.status != PersonStatus.ACTIVE:
        return
    report.outgoing.append(
        Outgoing(
            person.telegram_user_id,
            Reply(person.language).add(Notice("handover.after_break")),
            dedupe_key=f"supporter:{person.id}:handed_over:{ctx.now.isoformat()}",
        )
    )


def _not_handed_over_this_break() -> Any:
    return or_(
        SupporterProfile.handed_over_at.is_(None),
        SupporterProfile.handed_over_at < SupporterProfile.break_started_at,
    )


async def _end_role(
    ctx: ServiceContext, person: Person, profile: SupporterProfile, *, menu: bool = True
) -> None:
    """No more offers or check-ins, the supporter role gone, and their menu to match."""
    profile.status = SupporterStatus.INACTIVE
    profile.break_until = profile.break_started_at = profile.next_checkin_at = None
    await checkin_rows.cancel_scheduled(ctx.session, person.id)
    await ctx.session.execute(
        delete(RoleAssignment).where(
            RoleAssignment.person_id == person.id, RoleAssignment.role == Role.SUPPORTER
        )
    )
    if menu:
        await menus.refresh(ctx, person)


async def _active_profile(ctx: ServiceContext, person: Person | None) -> SupporterProfile | None:
    """The person's supporter profile, unless their role has already ended."""
    if person is None:
        return None
    profile = await ctx.session.get(SupporterProfile, person.id)
    if profile is None or profile.status == SupporterStatus.INACTIVE:
        return None
    return profile


async def _supporter(ctx: ServiceContext, case: str) -> Person | None:
    """A supporter still taking part, by pseudonym."""
    return await ctx.session.scalar(
        select(Person)
        .join(SupporterProfile, SupporterProfile.person_id == Person.id)
        .where(
            Person.pseudonym == case,
            Person.status != PersonStatus.ERASED,
            SupporterProfile.status != SupporterStatus.INACTIVE,
        )
    )


def _note(ctx: ServiceContext, key: str, **values: object) -> Text:
    return Text(text=coordinators.text(ctx, key, **values))


async def _audited(
    ctx: ServiceContext,
    action: str,
    coordinator: Person,
    supporter: Person,
    departure: SupporterDeparture,
) -> None:
    """One step of a departure (asked, cancelled, done) in the audit trail."""
    await audit.record(
        ctx.session,
        action,
        now=ctx.now,
        actor_id=coordinator.id,
        subject_id=supporter.id,
        departure=departure.id,
    )
