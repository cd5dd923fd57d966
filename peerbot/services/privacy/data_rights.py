"""A person's rights over their data: stop contact, see everything stored, erase it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from peerbot.services.common import audit
from peerbot.services.conversations.flows import SEALED
from peerbot.storage.crypto import FieldCipher
from peerbot.storage.enums import (
    CheckinStatus,
    ConversationStatus,
    PersonStatus,
    SupporterStatus,
    SupportRequestStatus,
)
from peerbot.storage.models import (
    Answer,
    AuditEvent,
    Checkin,
    Consent,
    ContactNote,
    Conversation,
    Escalation,
    EscalationEvent,
    Match,
    OutboxMessage,
    Person,
    RoleAssignment,
    SupporterProfile,
    SupportRequest,
)
from peerbot.storage.people import unused_pseudonym

OPEN_REQUEST_STATUSES = (
    SupportRequestStatus.NEW,
    SupportRequestStatus.MATCHING,
    SupportRequestStatus.PROPOSED,
    SupportRequestStatus.MATCHED,
)


async def stop(session: AsyncSession, person: Person, *, now: datetime) -> None:
    """No more messages from the program until the person writes again."""
    person.status = PersonStatus.STOPPED
    person.stopped_at = now
    await session.execute(
        update(Conversation)
        .where(
            Conversation.person_id == person.id, Conversation.status == ConversationStatus.ACTIVE
        )
        .values(status=ConversationStatus.CANCELLED, reminder_due_at=None, expires_at=None)
    )
    await audit.record(
        session, "person.stopped", now=now, actor_id=person.id, subject_id=person.id
    )


async def resume_if_stopped(session: AsyncSession, person: Person, *, now: datetime) -> bool:
    """Writing again after /stop turns messages back on; True if it did."""
    if person.status != PersonStatus.STOPPED:
        return False
    person.status = PersonStatus.ACTIVE
    person.stopped_at = None
    await audit.record(
        session, "person.resumed", now=now, actor_id=person.id, subject_id=person.id
    )
    return True


@dataclass(frozen=True)
class DataSummary:
    """Counts for the readable /mydata answer."""

    since: datetime
    consents: int
    requests: int
    answers: int


async def export(
    session: AsyncSession, person: Person, cipher: FieldCipher, *, now: datetime
) -> tuple[DataSummary, dict[str, Any]]:
    """Everything stored about the person, decrypted, as JSON-able data; the read is audited."""
    tables: dict[str, list[dict[str, Any]]] = {}
    for name, model, column in _PERSONAL_ROWS:
        rows = (await session.scalars(select(model).where(column == person.id))).all()
        tables[name] = [_as_dict(row, cipher) for row in rows]
    for conversation in tables["conversations"]:
        conversation["state"] = _unsealed(conversation.get("state") or {}, cipher)
    tables["messages_to_you"] = [
        _as_dict(row, cipher)
        for row in (
            await session.scalars(
                select(OutboxMessage).where(OutboxMessage.chat_id == person.telegram_user_id)
            )
        ).all()
    ]
    data = {"person": _as_dict(person, cipher), **tables, "exported_at": now.isoformat()}
    await audit.record(
        session, "person.exported", now=now, actor_id=person.id, subject_id=person.id
    )
    summary = DataSummary(
        since=person.created_at,
        consents=len(tables["consents"]),
        requests=len(tables["support_requests"]),
        answers=len(tables["answers"]),
    )
    return summary, data


async def forget(session: AsyncSession, person: Person, *, now: datetime) -> None:
    """Erase personal data and free text for good; keep de-identified counts.

    The person row stays (with a new random pseudonym and no Telegram id) so that
    statistics still count one person, one request, their consents and escalations.
    """
    telegram_id = person.telegram_user_id
    person_id = person.id
    await session.execute(delete(Answer).where(Answer.person_id == person_id))
    await session.execute(delete(Conversation).where(Conversation.person_id == person_id))
    if telegram_id is not None:
        await session.execute(delete(Conversation).where(Conversation.chat_id == telegram_id))
        await session.execute(delete(OutboxMessage).where(OutboxMessage.chat_id == telegram_id))
    await session.execute(
        update(SupportRequest)
        .where(SupportRequest.person_id == person_id)
        .values(summary_enc=None, referral_source=None)
    )
    await session.execute(
        update(SupportRequest)
        .where(
            SupportRequest.person_id == person_id,
            SupportRequest.status.in_(OPEN_REQUEST_STATUSES),
        )
        .values(status=SupportRequestStatus.CLOSED, closed_at=now, closed_reason="erased")
    )
    await session.execute(
        update(SupporterProfile)
        .where(SupporterProfile.person_id == person_id)
        .values(
            bio_enc=None,
            region_enc=None,
            lived_experience=[],
            age_band=None,
            gender=None,
            status=SupporterStatus.INACTIVE,
            break_until=None,
            next_checkin_at=None,
        )
    )
    await session.execute(
        update(ContactNote).where(ContactNote.author_id == person_id).values(note_enc=None)
    )
    await session.execute(
        update(Checkin).where(Checkin.person_id == person_id).values(answers=None)
    )
    await session.execute(
        update(Checkin)
        .where(Checkin.person_id == person_id, Checkin.status == CheckinStatus.SCHEDULED)
        .values(status=CheckinStatus.CANCELLED)
    )
    escalation_ids = select(Escalation.id).where(Escalation.person_id == person_id)
    await session.execute(
        update(EscalationEvent)
        .where(EscalationEvent.escalation_id.in_(escalation_ids))
        .values(note_enc=None)
    )
    person.telegram_user_id = None
    person.display_name_enc = None
    person.username_enc = None
    person.referral_source = None
    person.country = None
    person.pseudonym = await unused_pseudonym(session)
    person.status = PersonStatus.ERASED
    person.erased_at = now
    person.stopped_at = None
    person.last_seen_at = None
    await session.flush()
    await audit.record(session, "person.erased", now=now, subject_id=person_id)


_PERSONAL_ROWS: tuple[tuple[str, Any, Any], ...] = (
    ("roles", RoleAssignment, RoleAssignment.person_id),
    ("consents", Consent, Consent.person_id),
    ("conversations", Conversation, Conversation.person_id),
    ("answers", Answer, Answer.person_id),
    ("support_requests", SupportRequest, SupportRequest.person_id),
    ("supporter_profile", SupporterProfile, SupporterProfile.person_id),
    ("matches_as_supporter", Match, Match.supporter_id),
    ("contact_notes", ContactNote, ContactNote.author_id),
    ("checkins", Checkin, Checkin.person_id),
    ("escalations", Escalation, Escalation.person_id),
    ("audit_events", AuditEvent, AuditEvent.subject_person_id),
)


def _unsealed(state: dict[str, Any], cipher: FieldCipher) -> dict[str, Any]:
    """A stored conversation state with its sealed free-text answers readable again."""
    engine = dict(state.get("engine") or {})
    engine["answers"] = {
        step: cipher.decrypt(value[SEALED])
        if isinstance(value, dict) and SEALED in value
        else value
        for step, value in (engine.get("answers") or {}).items()
    }
    return {**state, "engine": engine}


def _as_dict(row: Any, cipher: FieldCipher) -> dict[str, Any]:
    """Columns as JSON-able values; encrypted columns decrypted under their plain name."""
    result: dict[str, Any] = {}
    for column in row.__table__.columns:
        value = getattr(row, column.key)
        name = column.key
        if name.endswith("_enc"):
            name = name.removesuffix("_enc")
            if value is None and name in result:
                continue  # answers: a closed answer is in `value`, only free text in `value_enc`
            value = cipher.decrypt(value)
        if isinstance(value, datetime):
            value = value.isoformat()
        result[name] = value
    return result
