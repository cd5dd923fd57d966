"""`--demo`: a few peer supporters with varied profiles, so matching has someone to propose."""

from __future__ import annotations

from dataclasses import dataclass

from peerbot.services.common.context import unit_of_work
from peerbot.services.participants import consent
from peerbot.services.supporters import checkins
from peerbot.simulate.session import Simulation
from peerbot.storage.codes import new_pseudonym
from peerbot.storage.enums import ConsentKind, PersonStatus, Role
from peerbot.storage.models import Person, RoleAssignment, SupporterProfile


@dataclass(frozen=True)
class DemoSupporter:
    name: str
    time_zone: str
    languages: tuple[str, ...]
    lived_experience: tuple[str, ...]
    formats: tuple[str, ...]
    availability: tuple[str, ...]
    age_band: str
    capacity: int


DEMO_SUPPORTERS = (
    DemoSupporter(
        "Maria", "Europe/Madrid", ("es", "en"), ("perinatal", "anxiety"),
        ("text", "video"), ("mornings", "evenings"), "age_35_44", 2,
    ),
    DemoSupporter(
        "Sam", "America/New_York", ("en",), ("grief", "caring"),
        ("text", "phone"), ("evenings", "weekends"), "age_45_54", 3,
    ),
    DemoSupporter(
        "Jordan", "Europe/London", ("en",), ("low_mood", "loneliness", "substance_use"),
        ("text", "phone", "in_person"), ("afternoons", "evenings"), "age_25_34", 2,
    ),
)  # fmt: skip


async def seed(simulation: Simulation) -> list[str]:
    """Add the demo supporters (trained, agreed, weekly check-in Monday 18:00 their time)."""
    assert simulation.bot is not None
    deps, now = simulation.bot.deps, simulation.clock()
    async with unit_of_work(deps, now=now) as ctx:
        session = ctx.session
        for demo in DEMO_SUPPORTERS:
            persona = simulation.persona("supporter", demo.name)
            person = Person(
                telegram_user_id=persona.user.id,
                pseudonym=new_pseudonym(),
                language="en",
                time_zone=demo.time_zone,
                status=PersonStatus.ACTIVE,
                display_name_enc=deps.cipher.encrypt(demo.name),
                created_at=now,
                updated_at=now,
            )
            session.add(person)
            await session.flush()
            session.add(RoleAssignment(person_id=person.id, role=Role.SUPPORTER, granted_at=now))
            profile = SupporterProfile(
                person_id=person.id,
                lived_experience=list(demo.lived_experience),
                languages=list(demo.languages),
                formats=list(demo.formats),
                availability=list(demo.availability),
                age_band=demo.age_band,
                capacity=demo.capacity,
                training="completed",
                training_confirmed_at=now,
                checkin_weekday="mon",
                checkin_time="18:00",
                created_at=now,
            )
            session.add(profile)
            await consent.record(
                ctx,
                person_id=person.id,
                kind=ConsentKind.SUPPORTER_AGREEMENT,
                granted=True,
                text_shown=deps.program.texts.get("supporter.agreement", "en"),
            )
            await checkins.schedule_next(ctx, person, profile, after=now)
    simulation.current = None
    return [demo.name for demo in DEMO_SUPPORTERS]
