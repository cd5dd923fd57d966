"""Models round-trip on SQLite and PostgreSQL: types, constraints, versioning, delete rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError, InvalidRequestError, StatementError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError

from peerbot.storage.db import create_engine, make_session_factory
from peerbot.storage.models import (
    Answer,
    AuditEvent,
    Base,
    Checkin,
    CheckinKind,
    CheckinStatus,
    Consent,
    ConsentDecision,
    ConsentKind,
    ContactNote,
    Conversation,
    ConversationStatus,
    Escalation,
    EscalationCategory,
    EscalationEvent,
    EscalationEventKind,
    EscalationSeverity,
    EscalationStatus,
    Invite,
    Match,
    MatchStatus,
    OutboxMessage,
    OutboxStatus,
    Person,
    PersonStatus,
    ProcessedUpdate,
    Role,
    RoleAssignment,
    SupporterProfile,
    SupporterStatus,
    SupportRequest,
    SupportRequestStatus,
    Urgency,
)

Factory = async_sessionmaker[AsyncSession]
MADRID_SUMMER = timezone(timedelta(hours=2))
T0 = datetime(2025, 6, 1, 9, 30, 15, 123456, tzinfo=MADRID_SUMMER)


def person(number: int, **fields: Any) -> Person:
    return Person(telegram_user_id=1000 + number, pseudonym=f"P-{number:05d}", **fields)


async def add_all(factory: Factory, *rows: Base) -> None:
    async with factory() as session, session.begin():
        session.add_all(rows)


async def build_graph(factory: Factory) -> dict[str, int]:
    """Write one row to every table; return the ids."""
    async with factory() as session, session.begin():
        participant = person(1, display_name_enc="gAAAA-ciphertext", referral_source="clinic")
        supporter = person(2, language="es", time_zone="Europe/Madrid")
        coordinator = person(3)
        session.add_all([participant, supporter, coordinator])
        await session.flush()
        request = SupportRequest(
            person_id=participant.id,
            code="R-4F7KQ2",
            topics=["sleep", "anxiety"],
            language="en",
            support_format=["chat"],
            urgency=Urgency.SOON,
            summary_enc="gAAAA-summary",
        )
        conversation = Conversation(
            chat_id=1001,
            person_id=participant.id,
            flow="intake",
            step="topics",
            state={"answers": {"topics": ["sleep"]}, "note": "ñ ✓"},
            expires_at=T0,
        )
        session.add_all(
            [
                RoleAssignment(person_id=participant.id, role=Role.PARTICIPANT),
                RoleAssignment(
                    person_id=supporter.id, role=Role.SUPPORTER, granted_by_id=coordinator.id
                ),
                RoleAssignment(person_id=coordinator.id, role=Role.COORDINATOR),
                Consent(
                    person_id=participant.id,
                    kind=ConsentKind.PARTICIPATION,
                    version="v1" * 8,
                    text_hash="ab" * 32,
                    decision=ConsentDecision.GRANTED,
                    decided_at=T0,
                ),
                SupporterProfile(
                    person_id=supporter.id,
                    lived_experience=["postpartum"],
                    languages=["es", "en"],
                    next_checkin_at=T0,
                ),
                request,
                conversation,
            ]
        )
        await session.flush()
        match = Match(
            support_request_id=request.id,
            supporter_id=supporter.id,
            score=0.75,
            reasons=["language", "experience"],
            approved_by_id=coordinator.id,
            approved_at=T0,
        )
        escalation = Escalation(
            person_id=participant.id,
            support_request_id=request.id,
            category=EscalationCategory.SELF_HARM,
            severity=EscalationSeverity.HIGH,
            source="intake.q3",
            claimed_by_id=coordinator.id,
            next_reminder_at=T0,
        )
        session.add_all(
            [
                match,
                escalation,
                Answer(
                    person_id=participant.id,
                    conversation_id=conversation.id,
                    support_request_id=request.id,
                    flow="intake",
                    question="topics",
                    value=["sleep", 3, {"x": None}],
                ),
                Answer(
                    person_id=participant.id,
                    flow="intake",
                    question="story",
                    value=None,
                    value_enc="gAAAA-story",
                ),
                Checkin(
                    person_id=supporter.id,
                    kind=CheckinKind.SUPPORTER_WELLBEING,
                    due_at=T0,
                    answers={"energy": 2},
                    score=0.4,
                ),
                OutboxMessage(
                    chat_id=-100123,
                    payload={"text": "hi", "reply_markup": None},
                    dedupe_key="esc:1",
                ),
                ProcessedUpdate(update_id=2**40),
                AuditEvent(
                    actor_id=coordinator.id,
                    action="person.viewed",
                    subject_person_id=participant.id,
                    details={"code": "R-4F7KQ2"},
                ),
                Invite(
                    code_hash="cd" * 32,
                    role=Role.SUPPORTER,
                    created_by_id=coordinator.id,
                    expires_at=T0 + timedelta(days=7),
                    used_by_id=supporter.id,
                ),
            ]
        )
        await session.flush()
        session.add_all(
            [
                ContactNote(
                    match_id=match.id,
                    author_id=supporter.id,
                    contact_at=T0,
                    minutes=30,
                    note_enc="gAAAA-note",
                ),
                EscalationEvent(
                    escalation_id=escalation.id,
                    kind=EscalationEventKind.RAISED,
                    actor_id=coordinator.id,
                ),
            ]
        )
        return {
            "participant": participant.id,
            "supporter": supporter.id,
            "coordinator": coordinator.id,
            "request": request.id,
            "conversation": conversation.id,
            "match": match.id,
            "escalation": escalation.id,
        }


async def test_every_table_round_trips(session_factory: Factory) -> None:
    ids = await build_graph(session_factory)
    async with session_factory() as session:
        participant = await session.get_one(Person, ids["participant"])
        assert participant.status is PersonStatus.ACTIVE
        assert (participant.language, participant.time_zone) == ("en", "UTC")
        assert participant.display_name_enc == "gAAAA-ciphertext"
        assert participant.created_at.tzinfo is UTC
        request = await session.get_one(SupportRequest, ids["request"])
        assert request.status is SupportRequestStatus.NEW
        assert request.urgency is Urgency.SOON
        assert request.topics == ["sleep", "anxiety"]
        conversation = await session.get_one(Conversation, ids["conversation"])
        assert conversation.state == {"answers": {"topics": ["sleep"]}, "note": "ñ ✓"}
        assert conversation.status is ConversationStatus.ACTIVE
        assert conversation.version == 1
        profile = await session.get_one(SupporterProfile, ids["supporter"])
        assert (profile.capacity, profile.checkin_time) == (2, "18:00")
        assert profile.status is SupporterStatus.ACTIVE
        assert profile.languages == ["es", "en"]
        match = await session.get_one(Match, ids["match"])
        assert (match.status, match.score) == (MatchStatus.PROPOSED, 0.75)
        escalation = await session.get_one(
            Escalation, ids["escalation"], options=[selectinload(Escalation.events)]
        )
        assert escalation.status is EscalationStatus.OPEN
        assert escalation.reminders_sent == 0
        assert [event.kind for event in escalation.events] == [EscalationEventKind.RAISED]
        answers = (await session.scalars(select(Answer).order_by(Answer.id))).all()
        assert answers[0].value == ["sleep", 3, {"x": None}]
        assert (answers[1].value, answers[1].value_enc) == (None, "gAAAA-story")
        checkin = (await session.scalars(select(Checkin))).one()
        assert checkin.status is CheckinStatus.SCHEDULED
        assert checkin.answers == {"energy": 2}
        outbox = (await session.scalars(select(OutboxMessage))).one()
        assert (outbox.method, outbox.priority, outbox.status) == ("sendMessage", 50, "pending")
        assert outbox.status == OutboxStatus.PENDING
        assert outbox.payload == {"text": "hi", "reply_markup": None}
        assert outbox.next_attempt_at.tzinfo is UTC
        update = (await session.scalars(select(ProcessedUpdate))).one()
        assert update.update_id == 2**40
        assert (await session.scalar(select(func.count()).select_from(ContactNote))) == 1
        assert (await session.scalar(select(AuditEvent.details))) == {"code": "R-4F7KQ2"}
        invite = (await session.scalars(select(Invite))).one()
        assert invite.role is Role.SUPPORTER
        consent = (await session.scalars(select(Consent))).one()
        assert consent.channel == "telegram"


async def test_aware_datetimes_come_back_in_utc_and_equal(session_factory: Factory) -> None:
    ids = await build_graph(session_factory)
    async with session_factory() as session:
        conversation = await session.get_one(Conversation, ids["conversation"])
    assert conversation.expires_at == T0
    assert conversation.expires_at is not None
    assert conversation.expires_at.tzinfo is UTC
    assert conversation.expires_at.hour == 7  # 09:30 at +02:00
    assert conversation.expires_at.microsecond == 123456


async def test_datetime_comparisons_follow_the_instant_not_the_zone(
    session_factory: Factory,
) -> None:
    await add_all(session_factory, person(1))
    async with session_factory() as session, session.begin():
        due = [T0 + timedelta(minutes=minutes) for minutes in (-90, -1, 1, 90)]
        session.add_all(
            Checkin(person_id=1, kind=CheckinKind.FEEDBACK, due_at=moment.astimezone(zone))
            for moment, zone in zip(due, [UTC, MADRID_SUMMER, UTC, timezone.min], strict=True)
        )
    async with session_factory() as session:
        found = await session.scalars(
            select(Checkin.due_at).where(Checkin.due_at <= T0).order_by(Checkin.due_at)
        )
        assert list(found) == due[:2]


async def test_naive_datetimes_are_refused(session_factory: Factory) -> None:
    async with session_factory() as session:
        session.add(person(1, last_seen_at=datetime(2025, 1, 1)))  # noqa: DTZ001
        with pytest.raises(StatementError, match="naive datetime refused"):
            await session.flush()


async def test_unknown_enum_values_are_refused(session_factory: Factory) -> None:
    async with session_factory() as session:
        session.add(person(1, status="vanished"))
        with pytest.raises(StatementError, match="vanished"):
            await session.flush()


async def test_enums_are_stored_as_their_values(session_factory: Factory) -> None:
    await add_all(session_factory, person(1, status=PersonStatus.STOPPED))
    async with session_factory() as session:
        assert (await session.scalar(text("SELECT status FROM people"))) == "stopped"


async def test_nullable_json_none_is_sql_null(session_factory: Factory) -> None:
    await build_graph(session_factory)
    async with session_factory() as session:
        nulls = await session.scalar(
            select(func.count()).select_from(Answer).where(Answer.value.is_(None))
        )
    assert nulls == 1


@pytest.mark.parametrize(
    ("first", "second"),
    [
        pytest.param(
            lambda: person(1),
            lambda: Person(telegram_user_id=1001, pseudonym="P-OTHER"),
            id="telegram_user_id",
        ),
        pytest.param(
            lambda: person(1),
            lambda: Person(telegram_user_id=9, pseudonym="P-00001"),
            id="pseudonym",
        ),
        pytest.param(
            lambda: OutboxMessage(chat_id=1, payload={}, dedupe_key="k"),
            lambda: OutboxMessage(chat_id=2, payload={}, dedupe_key="k"),
            id="outbox_dedupe_key",
        ),
        pytest.param(
            lambda: ProcessedUpdate(update_id=7),
            lambda: ProcessedUpdate(update_id=7),
            id="update_id",
        ),
    ],
)
async def test_unique_constraints(session_factory: Factory, first: Any, second: Any) -> None:
    await add_all(session_factory, first())
    with pytest.raises(IntegrityError):
        await add_all(session_factory, second())


async def test_unique_constraints_on_related_rows(session_factory: Factory) -> None:
    await build_graph(session_factory)
    duplicates = [
        lambda: RoleAssignment(person_id=1, role=Role.PARTICIPANT),
        lambda: SupportRequest(person_id=1, code="R-4F7KQ2"),
        lambda: Invite(code_hash="cd" * 32, role=Role.COORDINATOR, expires_at=T0),
    ]
    for duplicate in duplicates:
        with pytest.raises(IntegrityError):
            await add_all(session_factory, duplicate())


async def test_erased_people_may_share_a_null_telegram_id(session_factory: Factory) -> None:
    await add_all(
        session_factory,
        Person(pseudonym="P-AAAAA", telegram_user_id=None, status=PersonStatus.ERASED),
        Person(pseudonym="P-BBBBB", telegram_user_id=None, status=PersonStatus.ERASED),
    )


async def test_concurrent_conversation_update_raises_stale_data(
    database_url: str, session_factory: Factory
) -> None:
    await add_all(session_factory, Conversation(chat_id=5, flow="intake", step="start"))
    other_process = create_engine(database_url)  # one SQLite connection per process
    try:
        async with session_factory() as first, make_session_factory(other_process)() as second:
            mine = (await first.scalars(select(Conversation))).one()
            theirs = (await second.scalars(select(Conversation))).one()
            mine.step = "topics"
            await first.commit()
            assert mine.version == 2
            theirs.step = "consent"
            with pytest.raises(StaleDataError):
                await second.commit()
    finally:
        await other_process.dispose()
    async with session_factory() as session:
        assert (await session.scalars(select(Conversation.step))).one() == "topics"


async def test_deleting_a_person_cascades_their_data_and_keeps_counts(
    session_factory: Factory,
) -> None:
    ids = await build_graph(session_factory)
    async with session_factory() as session, session.begin():
        await session.delete(await session.get_one(Person, ids["participant"]))
    async with session_factory() as session:

        async def count(model: type[Base]) -> int | None:
            return await session.scalar(select(func.count()).select_from(model))

        for gone in (Consent, Conversation, Answer, SupportRequest, Match, ContactNote):
            assert await count(gone) == 0, gone.__name__
        assert await count(RoleAssignment) == 2
        escalation = await session.get_one(Escalation, ids["escalation"])
        assert (escalation.person_id, escalation.support_request_id) == (None, None)
        assert await count(EscalationEvent) == 1
        audit = (await session.scalars(select(AuditEvent))).one()
        assert (audit.subject_person_id, audit.actor_id) == (None, ids["coordinator"])


async def test_deleting_an_actor_sets_references_to_null(session_factory: Factory) -> None:
    ids = await build_graph(session_factory)
    async with session_factory() as session, session.begin():
        await session.delete(await session.get_one(Person, ids["coordinator"]))
        await session.delete(await session.get_one(Person, ids["supporter"]))
    async with session_factory() as session:
        match = await session.get_one(Match, ids["match"])
        assert (match.supporter_id, match.approved_by_id) == (None, None)
        escalation = await session.get_one(Escalation, ids["escalation"])
        assert escalation.claimed_by_id is None
        event = (await session.scalars(select(EscalationEvent))).one()
        assert event.actor_id is None
        note = (await session.scalars(select(ContactNote))).one()
        assert note.author_id is None
        invite = (await session.scalars(select(Invite))).one()
        assert (invite.created_by_id, invite.used_by_id) == (None, None)
        assert await session.scalar(select(func.count()).select_from(SupporterProfile)) == 0
        assert await session.scalar(select(func.count()).select_from(Checkin)) == 0


async def test_deleting_an_escalation_removes_its_events(session_factory: Factory) -> None:
    ids = await build_graph(session_factory)
    async with session_factory() as session, session.begin():
        await session.delete(await session.get_one(Escalation, ids["escalation"]))
    async with session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(EscalationEvent)) == 0


async def test_foreign_keys_are_enforced(session_factory: Factory) -> None:
    with pytest.raises(IntegrityError):
        await add_all(
            session_factory,
            Consent(
                person_id=999,
                kind=ConsentKind.EVALUATION,
                version="v",
                text_hash="h",
                decision=ConsentDecision.DECLINED,
            ),
        )


async def test_relationships_never_lazy_load(session_factory: Factory) -> None:
    ids = await build_graph(session_factory)
    async with session_factory() as session:
        participant = await session.get_one(Person, ids["participant"])
        with pytest.raises(InvalidRequestError):
            _ = participant.roles
        loaded = await session.scalar(
            select(Person)
            .where(Person.id == ids["supporter"])
            .options(selectinload(Person.roles), selectinload(Person.supporter_profile))
            .execution_options(populate_existing=True)
        )
        assert loaded is not None
        assert [assignment.role for assignment in loaded.roles] == [Role.SUPPORTER]
        assert loaded.supporter_profile is not None
