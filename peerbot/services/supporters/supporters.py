"""Peer supporters: joining by invite, their profile, and breaks.

A supporter's record starts only once they agree (the first question of their profile);
until then the invite they opened is held for them and given back if they say no.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import select, update
from sqlalchemy.engine import CursorResult

from peerbot.dialogs.checkin_schedule import break_ends_at, time_zone_of
from peerbot.dialogs.conditions import Answer
from peerbot.services.common.context import ServiceContext, Who
from peerbot.services.conversations import flows, menus
from peerbot.services.conversations.actions import TrainingConfirm
from peerbot.services.conversations.flows import FlowTurn
from peerbot.services.conversations.shown import (
    EditPressed,
    Notice,
    Outgoing,
    Reply,
    Text,
)
from peerbot.services.coordination import coordinators
from peerbot.services.participants import consent, enrolment
from peerbot.services.supporters import checkins, invites
from peerbot.storage import conversations
from peerbot.storage.enums import PersonStatus, Role, SupporterStatus
from peerbot.storage.models import Person, SupporterProfile
from peerbot.storage.outbox import Priority

SUPPORTER_FLOW = "supporter"
PROFILE_SUMMARY = "summary"
OTHER_TIME_ZONE = "other"


async def profile_of(ctx: ServiceContext, person: Person | None) -> SupporterProfile | None:
    if person is None:
        return None
    return await ctx.session.get(SupporterProfile, person.id)


async def open_invite(ctx: ServiceContext, who: Who, code: str) -> Reply:
    """/start with an invite: hold the invite for this person and ask the profile questions."""
    reply = Reply(who.locale)
    if await profile_of(ctx, who.person) is not None:
        return reply.add(Notice("invite.already_supporter"))
    claimed = await invites.claim(ctx, code)
    if isinstance(claimed, invites.Refusal):
        return reply.add(Notice(f"invite.{claimed.value}"))
    reply.add(Notice("invite.welcome"))
    turn = await flows.begin(ctx, who, SUPPORTER_FLOW, {"invite": claimed.id})
    return reply.add(*turn.transition.outputs)


async def show_profile(ctx: ServiceContext, who: Who) -> Reply:
    """/profile: the supporter's answers at the summary, where any one can be changed."""
    reply = Reply(who.locale)
    profile = await profile_of(ctx, who.person)
    if who.person is None or profile is None:
        return reply.add(Notice("supporter.only"))
    turn = await flows.begin(
        ctx,
        who,
        SUPPORTER_FLOW,
        answers=_answers_of(ctx, who.person, profile),
        at_step=PROFILE_SUMMARY,
    )
    return reply.add(*turn.transition.outputs)


async def profile_confirmed(
    ctx: ServiceContext, who: Who, turn: FlowTurn, answers: dict[str, Answer]
) -> list[Notice]:
    """The profile's summary was confirmed: a new supporter joins, or a profile changes."""
    invite_id = turn.meta.get("invite")
    person = who.person or await enrolment.enroll(ctx, who, Role.SUPPORTER)
    await enrolment.grant_role(ctx, person, Role.SUPPORTER)
    enrolment.remember_names(ctx, person, who)
    profile = await profile_of(ctx, person)
    if profile is None:
        profile = SupporterProfile(person_id=person.id, created_at=ctx.now)
        ctx.session.add(profile)
    timing = _timing(person, profile)
    _apply(ctx, person, profile, answers)
    await consent.record_decisions(
        ctx, person_id=person.id, decisions=turn.meta.get("consents", {}), locale=who.locale
    )
    await ctx.session.flush()
    due = profile.next_checkin_at
    if invite_id is not None or _timing(person, profile) != timing:
        due = await checkins.schedule_next(ctx, person, profile, after=ctx.now)
    when = _when(ctx, who.locale, person, due)
    if invite_id is None:
        return [Notice("supporter.profile_saved", {"when": when})]
    await invites.mark_joined(ctx, int(invite_id), person.id)
    await _announce(ctx, person, profile)
    await menus.refresh(ctx, person, dedupe_key=f"supporter:{person.id}:menu")
    return [Notice("supporter.joined", {"when": when})]


async def not_joined(ctx: ServiceContext, who: Who, turn: FlowTurn) -> list[Notice]:
    """The agreement was declined or the questions cancelled: give the invite back."""
    invite_id = turn.meta.get("invite")
    if invite_id is None:
        return []
    await invites.release(ctx, int(invite_id))
    await conversations.forget_chat(ctx.session, who.chat_id)  # nothing of theirs is kept
    return [Notice("invite.declined")]


async def pause(ctx: ServiceContext, who: Who, args: list[str]) -> Reply:
    """/pause [until DATE]: no match offers and no check-ins until the break ends."""
    reply = Reply(who.locale)
    person, profile = who.person, await profile_of(ctx, who.person)
    if person is None or profile is None or profile.status == SupporterStatus.INACTIVE:
        return reply.add(Notice("supporter.only"))
    try:
        until = _break_end(ctx, person, args)
    except ValueError:
        return reply.add(Notice("supporter.pause.bad_date"))
    if profile.status == SupporterStatus.ON_BREAK and until is None:
        return reply.add(Notice("supporter.pause.already"))
    profile.status = SupporterStatus.ON_BREAK
    profile.break_started_at = ctx.now
    profile.break_until = until
    await checkins.schedule_next(ctx, person, profile, after=ctx.now)
    day = _local_date(person, until)
    await coordinators.post_card(
        ctx,
        "card.supporter_break",
        priority=Priority.COORDINATION,
        dedupe_key=f"supporter:{person.id}:break:{ctx.now.isoformat()}",
        case=person.pseudonym,
        until=coordinators.text(ctx, "card.supporter_break_until", date=day) if day else "",
    )
    if day is None:
        return reply.add(Notice("supporter.pause.started"))
    return reply.add(Notice("supporter.pause.until", {"date": day}))


async def resume(ctx: ServiceContext, who: Who) -> Reply:
    """/resume: the break ends now."""
    reply = Reply(who.locale)
    person, profile = who.person, await profile_of(ctx, who.person)
    if person is None or profile is None:
        return reply.add(Notice("supporter.only"))
    if profile.status != SupporterStatus.ON_BREAK:
        return reply.add(Notice("supporter.resume.not_paused"))
    due = await _end_break(ctx, person, profile)
    return reply.add(
        Notice("supporter.resume.done", {"when": _when(ctx, who.locale, person, due)})
    )


async def ended_break_ids(ctx: ServiceContext, limit: int) -> Sequence[int]:
    """Supporters whose break has reached its end date."""
    return (
        await ctx.session.scalars(
            select(SupporterProfile.person_id)
            .where(
                SupporterProfile.status == SupporterStatus.ON_BREAK,
                SupporterProfile.break_until <= ctx.now,
            )
            .order_by(SupporterProfile.break_until)
            .limit(limit)
        )
    ).all()


async def end_break_of(ctx: ServiceContext, person_id: int, report: checkins.PassReport) -> None:
    """A break whose end date has come: back to active, with one gentle note."""
    if not await _still_on_break(ctx, person_id):
        return  # another process ended it first
    profile = await ctx.session.get(SupporterProfile, person_id, populate_existing=True)
    person = await ctx.session.get(Person, person_id)
    if profile is None or person is None:
        return
    due = await _end_break(ctx, person, profile)
    if person.telegram_user_id is None or person.status != PersonStatus.ACTIVE:
        return
    note = Notice("supporter.break_ended", {"when": _when(ctx, person.language, person, due)})
    report.outgoing.append(
        Outgoing(
            person.telegram_user_id,
            Reply(person.language).add(note),
            dedupe_key=f"supporter:{person.id}:break_ended:{ctx.now.isoformat()}",
        )
    )


async def confirm_training(
    ctx: ServiceContext, coordinator: Person, action: TrainingConfirm
) -> Reply:
    """A coordinator confirms a supporter's training; the card says who and when."""
    reply = Reply(coordinators.coordinator_locale(ctx))
    profile = await ctx.session.get(SupporterProfile, action.person_id)
    if profile is None:
        return reply.add(Notice("engine.stale_button"))
    if profile.training_confirmed_at is None:
        profile.training_confirmed_at = ctx.now
        profile.training_confirmed_by_id = coordinator.id
        profile.training = "completed"
    by = await ctx.session.get(Person, profile.training_confirmed_by_id)
    person = await ctx.session.get(Person, profile.person_id)
    card = _joined_card(ctx, person, profile) if person else ""
    stamp = coordinators.text(
        ctx,
        "card.training_confirmed",
        name=coordinators.name_of(ctx, by),
        time=_local_time(ctx, profile.training_confirmed_at),
    )
    return reply.add(EditPressed(Text(text=f"{card}\n\n{stamp}")))


async def _still_on_break(ctx: ServiceContext, person_id: int) -> bool:
    """Take the ending of this break for this pass: a conditional write, first thing."""
    result = await ctx.session.execute(
        update(SupporterProfile)
        .where(
            SupporterProfile.person_id == person_id,
            SupporterProfile.status == SupporterStatus.ON_BREAK,
        )
        .values(status=SupporterStatus.ACTIVE)
    )
    return cast(CursorResult[Any], result).rowcount == 1


async def _end_break(
    ctx: ServiceContext, person: Person, profile: SupporterProfile
) -> datetime | None:
    profile.status = SupporterStatus.ACTIVE
    profile.break_until = None
    profile.break_started_at = None
    await coordinators.post_card(
        ctx,
        "card.supporter_back",
        priority=Priority.COORDINATION,
        dedupe_key=f"supporter:{person.id}:back:{ctx.now.isoformat()}",
        case=person.pseudonym,
    )
    return await checkins.schedule_next(ctx, person, profile, after=ctx.now)


async def _announce(ctx: ServiceContext, person: Person, profile: SupporterProfile) -> None:
    """Tell the coordinators a supporter joined, with a button to confirm their training."""
    confirm = [[("card.confirm_training", TrainingConfirm(person.id))]]
    unconfirmed = profile.training_confirmed_at is None
    view = Text(
        text=_joined_card(ctx, person, profile),
        buttons=coordinators.buttons(ctx, confirm) if unconfirmed else (),
    )
    await coordinators.post(
        ctx, view, priority=Priority.COORDINATION, dedupe_key=f"supporter:{person.id}:joined"
    )


def _joined_card(ctx: ServiceContext, person: Person, profile: SupporterProfile) -> str:
    flow = ctx.program.flows[SUPPORTER_FLOW]
    return coordinators.text(
        ctx,
        "card.supporter_joined",
        case=person.pseudonym,
        topics=_labels(ctx, flow, "lived_experience", profile.lived_experience),
        languages=_labels(ctx, flow, "languages", profile.languages),
        capacity=profile.capacity,
        training=_labels(ctx, flow, "training", [profile.training]),
    )


def _labels(ctx: ServiceContext, flow: Any, step_id: str, values: list[str]) -> str:
    """Option values shown with their labels in the coordinators' language."""
    options = {option.value: option.text for option in getattr(flow.find(step_id), "options", ())}
    return (
        ", ".join(
            coordinators.text(ctx, options[value]) if value in options else value
            for value in values
        )
        or "—"
    )


def _timing(person: Person, profile: SupporterProfile) -> tuple[str, str, str]:
    """What a supporter's check-in schedule depends on."""
    return (profile.checkin_weekday, profile.checkin_time, person.time_zone)


def _apply(
    ctx: ServiceContext, person: Person, profile: SupporterProfile, answers: dict[str, Answer]
) -> None:
    zone = answers.get("timezone")
    person.time_zone = (
        zone if isinstance(zone, str) and zone != OTHER_TIME_ZONE else (ctx.settings.timezone)
    )
    person.updated_at = ctx.now
    profile.lived_experience = list(_many(answers.get("lived_experience")))
    profile.languages = list(_many(answers.get("languages")))
    profile.formats = list(_many(answers.get("formats")))
    profile.availability = list(_many(answers.get("availability")))
    profile.age_band = _one(answers.get("age_band"))
    profile.gender = _one(answers.get("gender"))
    region = _one(answers.get("region"))
    profile.region_enc = ctx.cipher.encrypt(region) if region else None
    capacity = answers.get("capacity")
    profile.capacity = capacity if isinstance(capacity, int) else profile.capacity or 1
    training = _one(answers.get("training")) or "not_yet"
    if profile.training_confirmed_at is None:
        profile.training = training
    profile.checkin_weekday = _one(answers.get("checkin_weekday")) or "mon"
    profile.checkin_time = _one(answers.get("checkin_time")) or "18:00"
    profile.updated_at = ctx.now


def _answers_of(
    ctx: ServiceContext, person: Person, profile: SupporterProfile
) -> dict[str, Answer]:
    """The profile as the flow's answers, so its summary shows and changes them."""
    zone = person.time_zone
    listed = {
        o.value for o in getattr(ctx.program.flows[SUPPORTER_FLOW].find("timezone"), "options", ())
    }
    answers: dict[str, Answer] = {
        "agreement": "granted",
        "lived_experience": tuple(profile.lived_experience),
        "languages": tuple(profile.languages),
        "age_band": profile.age_band,
        "gender": profile.gender,
        "region": ctx.cipher.decrypt(profile.region_enc) if profile.region_enc else None,
        "timezone": zone if zone in listed else OTHER_TIME_ZONE,
        "formats": tuple(profile.formats),
        "availability": tuple(profile.availability),
        "capacity": profile.capacity,
        "training": profile.training,
        "checkin_weekday": profile.checkin_weekday,
        "checkin_time": profile.checkin_time,
    }
    return answers


def _break_end(ctx: ServiceContext, person: Person, args: list[str]) -> datetime | None:
    """When a break asked for with /pause [until DATE] ends (None: when they say so).

    Raises ValueError for anything but one date after today, where the supporter lives.
    """
    words = [word for word in args if word.lower() not in ("until", "hasta")]
    if not words:
        return None
    if len(words) != 1:
        raise ValueError("one date, please")
    day = date.fromisoformat(words[0])
    today = ctx.now.astimezone(time_zone_of(person.time_zone)).date()
    if day <= today:
        raise ValueError("the date has passed")
    return break_ends_at(day, person.time_zone, checkins.policy_of(ctx).quiet_hours)


def _local_date(person: Person, moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(time_zone_of(person.time_zone)).date().isoformat()


def _when(ctx: ServiceContext, locale: str, person: Person, moment: datetime | None) -> str:
    """A check-in time as the supporter reads it: weekday, date and time, local."""
    if moment is None:
        return "—"
    local = moment.astimezone(time_zone_of(person.time_zone))
    weekday = ctx.program.texts.get(f"weekday.{local.strftime('%a').lower()}", locale)
    return f"{weekday} {local.date().isoformat()} {local.strftime('%H:%M')}"


def _local_time(ctx: ServiceContext, moment: datetime | None) -> str:
    if moment is None:
        return "—"
    return moment.astimezone(time_zone_of(ctx.settings.timezone)).strftime("%Y-%m-%d %H:%M")


def _one(value: Answer) -> str | None:
    return value if isinstance(value, str) else None


def _many(value: Answer) -> tuple[str, ...]:
    return value if isinstance(value, tuple) else ()
