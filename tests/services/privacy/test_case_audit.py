"""/audit: a case's trail by role and pseudonym, in the program's time zone, and audited itself."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from peerbot.services.conversations.shown import Reply, Text
from peerbot.services.privacy import case_audit
from peerbot.storage import audit
from peerbot.storage.enums import EscalationCategory, Role
from peerbot.storage.models import AuditEvent, Person, RoleAssignment
from tests.support import rows as build
from tests.support.supporter_steps import CIPHER, PROGRAM, context

Sessions = async_sessionmaker[AsyncSession]
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # 10:00 in Madrid, the program's time zone
MINUTE = timedelta(minutes=1)


async def _role(session: AsyncSession, person: Person, role: Role) -> None:
    session.add(RoleAssignment(person_id=person.id, role=role))
    await session.flush()


async def seed(sessions: Sessions) -> dict[str, str]:
    """A request with a match and an escalation, events about it and about someone else."""
    async with sessions() as session, session.begin():
        participant = await build.add_person(session, CIPHER, "Sam Participant")
        other = await build.add_person(session, CIPHER, "Kim Other")
        supporter = await build.add_person(session, CIPHER, "Lee Supporter")
        coordinator = await build.add_person(session, CIPHER, "Dana Coordinator")
        await _role(session, supporter, Role.SUPPORTER)
        await _role(session, coordinator, Role.COORDINATOR)
        await _role(session, coordinator, Role.SUPPORTER)  # the highest role is shown
        request = await build.add_request(session, participant)
        match = await build.add_match(session, request, supporter)
        escalation = await build.add_escalation(
            session, participant, category=EscalationCategory.SELF_HARM
        )

        async def event(action: str, minutes: int, **values: object) -> None:
            await audit.record(session, action, now=T0 + minutes * MINUTE, **values)

        await event("escalation.raised", 0, subject_id=participant.id, escalation_id=escalation.id)
        await event("escalation.note", 5, actor_id=coordinator.id, escalation_id=escalation.id)
        await event(
            "match.approved",
            3,
            actor_id=coordinator.id,
            subject_id=participant.id,
            match_id=match.id,
        )
        await event("person.exported", 7, actor_id=participant.id, subject_id=participant.id)
        await event("person.exported", 8, actor_id=other.id, subject_id=other.id)
        await event("supporters.listed", 9, actor_id=coordinator.id, count=1)
        return {
            "code": request.code,
            "participant": participant.pseudonym,
            "supporter": supporter.pseudonym,
            "coordinator": coordinator.pseudonym,
            "coordinator_id": str(coordinator.id),
        }


async def look(
    sessions: Sessions, desk: str, *args: str, now: datetime = T0 + 60 * MINUTE
) -> list[str]:
    """/audit with these arguments from the coordinator whose pseudonym is ``desk``."""
    async with sessions() as session, session.begin():
        ctx = context(session, now)
        coordinator = await session.scalar(select(Person).where(Person.pseudonym == desk))
        assert coordinator is not None
        reply = await case_audit.case_trail(ctx, coordinator, args)
    return _texts(reply)


def _texts(reply: Reply) -> list[str]:
    return [item.text or "" for item in reply.items if isinstance(item, Text)]


def t(key: str, **values: object) -> str:
    return PROGRAM.texts.get(key, PROGRAM.texts.default_locale, **values)


async def test_a_requests_trail_oldest_first_by_role_and_pseudonym(session_factory: Sessions):
    seeded = await seed(session_factory)
    code, desk = seeded["code"], seeded["coordinator"]

    [text] = await look(session_factory, desk, code.lower())

    lines = text.splitlines()
    assert lines[0] == t("audit.heading", case=code, count=4)
    coordinator = t("audit.who", role=t("audit.role.coordinator"), case=desk)
    participant = t("audit.who", role=t("audit.role.participant"), case=seeded["participant"])
    assert lines[1:] == [
        f"2026-03-02 10:00 · {t('audit.system')} · escalation.raised",
        f"2026-03-02 10:03 · {coordinator} · match.approved",
        f"2026-03-02 10:05 · {coordinator} · escalation.note",
        f"2026-03-02 10:07 · {participant} · person.exported",
    ]
    assert "Sam" not in text and "Dana" not in text


async def test_looking_is_audited_and_shows_next_time(session_factory: Sessions):
    seeded = await seed(session_factory)
    code, desk = seeded["code"], seeded["coordinator"]
    await look(session_factory, desk, code)
    async with session_factory() as session:
        looked = (
            await session.scalars(select(AuditEvent).where(AuditEvent.action == "case.audited"))
        ).one()
    assert looked.actor_id == int(seeded["coordinator_id"])
    assert looked.details == {"case": code}
    assert looked.subject_person_id is not None

    [text] = await look(session_factory, desk, code, now=T0 + 90 * MINUTE)
    assert text.splitlines()[-1].endswith("· case.audited")


async def test_a_case_by_pseudonym_and_the_last_thirty_only(session_factory: Sessions):
    seeded = await seed(session_factory)
    async with session_factory() as session, session.begin():
        supporter = await session.scalar(
            select(Person).where(Person.pseudonym == seeded["supporter"])
        )
        assert supporter is not None
        for minute in range(40):
            await audit.record(
                session,
                "supporter.profile_read",
                now=T0 + (100 + minute) * MINUTE,
                subject_id=supporter.id,
            )

    [text] = await look(session_factory, seeded["coordinator"], seeded["supporter"])

    lines = text.splitlines()
    assert lines[0] == t("audit.heading", case=seeded["supporter"], count=30)
    assert len(lines) == 31
    assert lines[1].startswith("2026-03-02 11:50")  # events 10..39 of 40; 11:40 + 10 min
    assert lines[-1].startswith("2026-03-02 12:19")


async def test_unknown_case_and_no_case(session_factory: Sessions):
    seeded = await seed(session_factory)
    desk = seeded["coordinator"]
    assert await look(session_factory, desk, "R-NOPE22") == [t("audit.unknown", case="R-NOPE22")]
    assert await look(session_factory, desk) == [t("audit.usage")]
    async with session_factory() as session:
        looked = (
            await session.scalars(select(AuditEvent).where(AuditEvent.action == "case.audited"))
        ).all()
    assert [event.details for event in looked] == [{"case": None}]


async def test_nobody_has_touched_a_new_case(session_factory: Sessions):
    seeded = await seed(session_factory)
    async with session_factory() as session, session.begin():
        fresh = await build.add_person(session, CIPHER, "New Person")
        request = await build.add_request(session, fresh)
        code = request.code
    [text] = await look(session_factory, seeded["coordinator"], code)
    assert text == t("audit.none", case=code)
