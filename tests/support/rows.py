"""Database rows for tests, with defaults unless told otherwise: people, requests, matches,
follow-ups, contact notes, feedback and intake answers, consents, escalations, check-ins and
conversations."""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from peerbot.services.matching.relationships import FEEDBACK_FLOW
from peerbot.services.participants import consent
from peerbot.storage import conversations
from peerbot.storage.codes import new_pseudonym, new_request_code
from peerbot.storage.crypto import FieldCipher
from peerbot.storage.enums import (
    CheckinKind,
    CheckinStatus,
    ConsentDecision,
    ConsentKind,
    EscalationCategory,
    EscalationEventKind,
    EscalationSeverity,
    MatchStatus,
    Role,
)
from peerbot.storage.models import (
    Answer,
    Base,
    Checkin,
    Consent,
    ContactNote,
    Escalation,
    EscalationEvent,
    Match,
    Person,
    RoleAssignment,
    SupporterProfile,
    SupportRequest,
)
from tests.support.supporter_steps import context

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

_telegram_ids = itertools.count(7_420_000_001)

Row = TypeVar("Row", bound=Base)


async def added(session: AsyncSession, row: Row) -> Row:
    """Add ``row`` and flush, so its id is known."""
    session.add(row)
    await session.flush()
    return row


async def add_person(
    session: AsyncSession, cipher: FieldCipher, name: str, **changes: Any
) -> Person:
    """A person with a Telegram id, a pseudonym, and ``name`` as display and user name."""
    values: dict[str, Any] = {
        "telegram_user_id": next(_telegram_ids),
        "pseudonym": new_pseudonym(),
        "display_name_enc": cipher.encrypt(name),
        "username_enc": cipher.encrypt(name.replace(" ", "_")),
    }
    return await added(session, Person(**(values | changes)))


async def add_request(
    session: AsyncSession, participant: Person, **changes: Any
) -> SupportRequest:
    """A confirmed grief request made at T0 (fields overridable)."""
    values: dict[str, Any] = {
        "person_id": participant.id,
        "code": new_request_code(),
        "topics": ["grief"],
        "support_format": ["text"],
        "created_at": T0,
        "updated_at": T0,
    }
    return await added(session, SupportRequest(**(values | changes)))


async def add_match(
    session: AsyncSession, request: SupportRequest, supporter: Person | None, **changes: Any
) -> Match:
    """A top-ranked match proposed at T0 (fields overridable)."""
    values: dict[str, Any] = {
        "support_request_id": request.id,
        "supporter_id": None if supporter is None else supporter.id,
        "status": MatchStatus.PROPOSED,
        "score": 0.5,
        "reasons": [{"code": "shared_language", "language": "en"}],
        "rank": 1,
        "proposed_at": T0,
    }
    return await added(session, Match(**(values | changes)))


async def add_followup(
    session: AsyncSession,
    match: Match,
    person: Person,
    connected: str | None,
    *,
    kind: CheckinKind = CheckinKind.MATCH_FOLLOWUP,
) -> Checkin:
    """A "have you connected?" check-in for ``person``; ``connected=None`` is not answered yet."""
    answered = connected is not None
    checkin = due_checkin(
        person,
        T0,
        kind=kind,
        match_id=match.id,
        status=CheckinStatus.ANSWERED if answered else CheckinStatus.SCHEDULED,
        answered_at=T0 if answered else None,
        answers={"connected": connected} if answered else None,
    )
    return await added(session, checkin)


async def add_participant_checkin(
    session: AsyncSession,
    match: Match,
    person: Person,
    kind: CheckinKind,
    due_at: datetime,
    *,
    status: CheckinStatus = CheckinStatus.ANSWERED,
    score: float | None = None,
    **answers: str,
) -> Checkin:
    """A participant's check-in on ``match`` (satisfaction, "how is it going?" or review) due
    at ``due_at``, answered an hour later with ``score`` and ``answers`` (e.g. how="fine")
    unless ``status`` says otherwise; stored as the follow-up flow stores it."""
    answered = status == CheckinStatus.ANSWERED
    checkin = due_checkin(
        person,
        due_at,
        kind=kind,
        match_id=match.id,
        status=status,
        sent_at=due_at,
        answered_at=due_at + timedelta(hours=1) if answered else None,
        score=score,
        answers=dict(answers) if answered and answers else None,
    )
    return await added(session, checkin)


async def add_note(
    session: AsyncSession,
    cipher: FieldCipher,
    match: Match,
    author: Person,
    details: str | None,
    **changes: Any,
) -> ContactNote:
    """A 30-minute text contact at T0 about grief, no concerns (fields overridable)."""
    values: dict[str, Any] = {
        "match_id": match.id,
        "author_id": author.id,
        "contact_at": T0,
        "minutes": 30,
        "format": "text",
        "topics": ["grief"],
        "concerns": [],
        "note_enc": cipher.encrypt(details),
        "created_at": T0,
    }
    return await added(session, ContactNote(**(values | changes)))


async def add_feedback(
    session: AsyncSession,
    cipher: FieldCipher,
    request: SupportRequest,
    *,
    at: datetime = T0,
    satisfaction: int = 4,
    understood: str = "yes",
    recommend: str = "maybe",
    comments: str | None = None,
) -> list[Answer]:
    """The participant's feedback survey on ``request``, stored as relationships.py stores it."""
    answers = [
        Answer(
            person_id=request.person_id,
            support_request_id=request.id,
            flow=FEEDBACK_FLOW,
            question=question,
            value=value,
            answered_at=at,
        )
        for question, value in (
            ("satisfaction", satisfaction),
            ("understood", understood),
            ("recommend", recommend),
        )
    ]
    if comments is not None:
        answers.append(
            Answer(
                person_id=request.person_id,
                support_request_id=request.id,
                flow=FEEDBACK_FLOW,
                question="comments",
                value_enc=cipher.encrypt(comments),
                answered_at=at,
            )
        )
    session.add_all(answers)
    await session.flush()
    return answers


async def add_intake_answer(
    session: AsyncSession, request: SupportRequest, question: str, value: Any, **changes: Any
) -> Answer:
    """A closed intake answer linked to ``request``, given at T0 (fields overridable)."""
    values: dict[str, Any] = {
        "person_id": request.person_id,
        "support_request_id": request.id,
        "flow": "intake",
        "question": question,
        "value": value,
        "answered_at": T0,
    }
    return await added(session, Answer(**(values | changes)))


async def add_consent(
    session: AsyncSession,
    person: Person,
    *,
    granted: bool = True,
    kind: ConsentKind = ConsentKind.EVALUATION,
    now: datetime = T0,
) -> Consent:
    """A decision on the evaluation consent text, recorded by the consent service."""
    return await consent.record(
        context(session, now),
        person_id=person.id,
        kind=kind,
        granted=granted,
        text_shown=f"{kind.value} consent text",
    )


def consent_row(
    person: Person,
    decision: ConsentDecision = ConsentDecision.GRANTED,
    *,
    kind: ConsentKind = ConsentKind.EVALUATION,
    at: datetime = T0,
    **changes: Any,
) -> Consent:
    """A consent decision as stored, on version 1 of a made-up text, without the consent
    service (fields overridable)."""
    values: dict[str, Any] = {
        "person_id": person.id,
        "kind": kind,
        "version": f"{kind.value}-v1",
        "text_hash": "c" * 64,
        "decision": decision,
        "decided_at": at,
    }
    return Consent(**(values | changes))


async def add_escalation(
    session: AsyncSession,
    person: Person | int,
    *,
    note: str | None = None,
    cipher: FieldCipher | None = None,
    **changes: Any,
) -> Escalation:
    """A high-severity acute-distress escalation raised at intake at T0 (fields overridable);
    with ``note``, a coordinator's note on it, encrypted with ``cipher``, at its creation."""
    values: dict[str, Any] = {
        "person_id": person if isinstance(person, int) else person.id,
        "category": EscalationCategory.ACUTE_DISTRESS,
        "severity": EscalationSeverity.HIGH,
        "source": "intake",
        "created_at": T0,
    }
    escalation = await added(session, Escalation(**(values | changes)))
    if note is not None:
        assert cipher is not None, "a note is encrypted"
        event = EscalationEvent(
            escalation_id=escalation.id,
            kind=EscalationEventKind.NOTE,
            at=escalation.created_at,
            note_enc=cipher.encrypt(note),
        )
        await added(session, event)
    return escalation


def due_checkin(person: Person, due_at: datetime, **changes: Any) -> Checkin:
    """A supporter's well-being check-in scheduled for ``due_at`` (fields overridable)."""
    values: dict[str, Any] = {
        "person_id": person.id,
        "kind": CheckinKind.SUPPORTER_WELLBEING,
        "due_at": due_at,
        "status": CheckinStatus.SCHEDULED,
    }
    return Checkin(**(values | changes))


async def add_supporters_due(
    session: AsyncSession,
    telegram_ids: Iterable[int],
    due_at: datetime,
    *,
    time_zone: str = "UTC",
    **profile: Any,
) -> list[Person]:
    """Active supporters with these Telegram ids, each with a profile (fields given) and a
    well-being check-in due at ``due_at``. Pseudonyms follow the ids: random ones would
    clash now and then among thousands."""
    people = [
        Person(telegram_user_id=telegram_id, pseudonym=f"T{telegram_id}", time_zone=time_zone)
        for telegram_id in telegram_ids
    ]
    session.add_all(people)
    await session.flush()
    for person in people:
        session.add(RoleAssignment(person_id=person.id, role=Role.SUPPORTER))
        session.add(SupporterProfile(person_id=person.id, **profile))
        session.add(due_checkin(person, due_at))
    return people


async def begin_conversation(
    session: AsyncSession, chat_id: int, at: datetime, **changes: Any
) -> int:
    """Begin an intake conversation at ``at`` in ``chat_id``, at the topics question, with the
    usual idle timers: a reminder after a day, expiry after a week (arguments overridable);
    return its id."""
    values: dict[str, Any] = {
        "person_id": None,
        "flow": "intake",
        "step": "topics",
        "state": {"engine": {}, "meta": {}},
        "remind_after": timedelta(days=1),
        "expire_after": timedelta(days=7),
    }
    conversation = await conversations.begin(
        session, chat_id=chat_id, now=at, **(values | changes)
    )
    return conversation.id
