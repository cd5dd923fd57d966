"""Database rows around a match, for export tests: people, requests, matches, follow-ups,
contact notes, feedback answers and consents, with defaults unless told otherwise."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from peerbot.services.matching.relationships import FEEDBACK_FLOW
from peerbot.services.participants import consent
from peerbot.storage.codes import new_pseudonym, new_request_code
from peerbot.storage.crypto import FieldCipher
from peerbot.storage.enums import CheckinKind, CheckinStatus, ConsentKind, MatchStatus
from peerbot.storage.models import (
    Answer,
    Checkin,
    Consent,
    ContactNote,
    Match,
    Person,
    SupportRequest,
)
from tests.support.supporter_steps import context

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

_telegram_ids = itertools.count(7_420_000_001)


async def add_person(session: AsyncSession, cipher: FieldCipher, name: str) -> Person:
    """A person with a Telegram id, a pseudonym, and ``name`` as display and user name."""
    person = Person(
        telegram_user_id=next(_telegram_ids),
        pseudonym=new_pseudonym(),
        display_name_enc=cipher.encrypt(name),
        username_enc=cipher.encrypt(name.replace(" ", "_")),
    )
    session.add(person)
    await session.flush()
    return person


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
    values.update(changes)
    request = SupportRequest(**values)
    session.add(request)
    await session.flush()
    return request


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
    values.update(changes)
    match = Match(**values)
    session.add(match)
    await session.flush()
    return match


async def add_followup(
    session: AsyncSession,
    match: Match,
    person: Person,
    connected: str | None,
    *,
    kind: CheckinKind = CheckinKind.MATCH_FOLLOWUP,
) -> Checkin:
    """A "have you connected?" check-in for ``person``; ``connected=None`` is not answered yet."""
    checkin = Checkin(
        person_id=person.id,
        kind=kind,
        match_id=match.id,
        due_at=T0,
        status=CheckinStatus.SCHEDULED if connected is None else CheckinStatus.ANSWERED,
        answered_at=None if connected is None else T0,
        answers=None if connected is None else {"connected": connected},
    )
    session.add(checkin)
    await session.flush()
    return checkin


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
    values.update(changes)
    note = ContactNote(**values)
    session.add(note)
    await session.flush()
    return note


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
    session: AsyncSession, request: SupportRequest, question: str, value: Any
) -> Answer:
    """A closed intake answer linked to ``request``."""
    answer = Answer(
        person_id=request.person_id,
        support_request_id=request.id,
        flow="intake",
        question=question,
        value=value,
        answered_at=T0,
    )
    session.add(answer)
    await session.flush()
    return answer


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
