"""A person's rights over their data: stop contact, see everything stored, erase it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.ext.asyncio import AsyncSession

from peerbot.services.common.context import ServiceContext
from peerbot.services.conversations.flows import SEALED
from peerbot.services.coordination import coordinators
from peerbot.services.matching import offers, relationships
from peerbot.services.supporters import lifecycle
from peerbot.storage import audit, outbox, personal_data
from peerbot.storage import checkins as checkin_rows
from peerbot.storage.crypto import FieldCipher
from peerbot.storage.enums import (
    CheckinStatus,
    ConversationStatus,
    PersonStatus,
    SupporterStatus,
    SupportRequestStatus,
)
from peerbot.storage.models import Checkin, Conversation, Person, SupporterProfile, SupportRequest
from peerbot.storage.outbox import Priority
from peerbot.storage.people import unused_pseudonym
from peerbot.storage.personal_data import Erasure

OPEN_REQUEST_STATUSES = (
    SupportRequestStatus.NEW,
    SupportRequestStatus.HELD,
    SupportRequestStatus.MATCHING,
    SupportRequestStatus.PROPOSED,
    SupportRequestStatus.MATCHED,
)


async def stop(ctx: ServiceContext, person: Person) -> None:
    """No more messages from the program until the person writes again.

    The sender holds whatever is queued for them (storage.outbox: only answers to what they
    send, and safety answers, go out); what was scheduled is cancelled, and offers made to
    them as a supporter go to someone else.
    """
    session, now = ctx.session, ctx.now
    person.status = PersonStatus.STOPPED
    person.stopped_at = now
    await session.execute(
        update(Conversation)
        .where(
            Conversation.person_id == person.id, Conversation.status == ConversationStatus.ACTIVE
        )
        .values(status=ConversationStatus.CANCELLED, reminder_due_at=None, expires_at=None)
    )
    await checkin_rows.cancel_scheduled(session, person.id, every_kind=True)
    await offers.close_for_stopped(ctx, person)
    await audit.record(
        session, "person.stopped", now=now, actor_id=person.id, subject_id=person.id
    )


async def withdraw_participation(ctx: ServiceContext, person: Person) -> None:
    """Leaving the program: the open request is withdrawn (its offers and proposals too), a
    support in progress ends, and messages stop as with /stop."""
    requests = (
        await ctx.session.scalars(
            select(SupportRequest).where(
                SupportRequest.person_id == person.id,
                SupportRequest.status.in_(OPEN_REQUEST_STATUSES),
            )
        )
    ).all()
    for request in requests:
        await offers.withdraw_for_request(ctx, request)
    await relationships.end_on_withdrawal(ctx, person)
    for request in requests:
        if request.status != SupportRequestStatus.CLOSED:  # no support had begun
            await coordinators.post_card(
                ctx,
                "card.request_withdrawn",
                priority=Priority.COORDINATION,
                dedupe_key=f"request:{request.id}:withdrawn",
                code=request.code,
            )
        request.status = SupportRequestStatus.WITHDRAWN
        request.closed_at = request.updated_at = ctx.now
        request.closed_reason = "withdrawn"
    await stop(ctx, person)


async def resume_if_stopped(ctx: ServiceContext, person: Person) -> bool:
    """Writing again after /stop turns messages back on; True if it did.

    What was held meanwhile: news about their support (an introduction, an ending) is sent
    now; offers and scheduled prompts are dropped, as they are stale by now.
    """
    if person.status != PersonStatus.STOPPED:
        return False
    person.status = PersonStatus.ACTIVE
    person.stopped_at = None
    if person.telegram_user_id is not None:
        await outbox.drop_held(
            ctx.session, chat_id=person.telegram_user_id, from_priority=Priority.MATCH_OFFER
        )
    await audit.record(
        ctx.session, "person.resumed", now=ctx.now, actor_id=person.id, subject_id=person.id
    )
    return True


@dataclass(frozen=True)
class DataSummary:
    """Counts for the readable /mydata answer."""

    since: datetime
    consents: int
    requests: int
    answers: int


async def export(ctx: ServiceContext, person: Person) -> tuple[DataSummary, dict[str, Any]]:
    """Everything stored about the person, decrypted, as JSON-able data; the read is audited."""
    session, cipher, now = ctx.session, ctx.cipher, ctx.now
    tables: dict[str, list[dict[str, Any]]] = {}
    for table in personal_data.TABLES:
        if table.export_as is None:
            continue
        rows = table.rows_of(person.id, person.telegram_user_id, chat_rows=False)
        found = () if rows is None else (await session.scalars(select(table.model).where(rows)))
        tables[table.export_as] = [_as_dict(row, cipher) for row in found]
    for conversation in tables["conversations"]:
        conversation["state"] = _unsealed(conversation.get("state") or {}, cipher)
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


async def forget(ctx: ServiceContext, person: Person) -> None:
    """Erase personal data and free text for good; keep de-identified counts.

    The person row stays (with a new random pseudonym and no Telegram id) so that
    statistics still count one person, one request, their consents and escalations.
    What goes and what stays is the inventory's (``storage.personal_data``).
    """
    session, now = ctx.session, ctx.now
    person_id = person.id
    await lifecycle.on_forget(ctx, person)  # a supporter's participants are handed over first
    for table in personal_data.TABLES:
        rows = table.rows_of(person_id, person.telegram_user_id, chat_rows=True)
        if rows is None or table is personal_data.PERSON:
            continue
        if table.rows_deleted:
            await session.execute(delete(table.model).where(rows))
        elif cleared := table.cleared():
            await session.execute(update(table.model).where(rows).values(cleared))
    await _end_what_was_ongoing(session, person_id, now=now)
    for entry in personal_data.PERSON.columns:  # the loaded row, so it reads erased at once
        if entry.erasure is Erasure.CLEARED:
            setattr(person, entry.column.key, entry.cleared_to)
        elif entry.erasure is Erasure.NEW_PSEUDONYM:
            setattr(person, entry.column.key, await unused_pseudonym(session))
    person.status = PersonStatus.ERASED
    person.erased_at = now
    person.stopped_at = None
    await session.flush()
    await audit.record(session, "person.erased", now=now, subject_id=person_id)


async def _end_what_was_ongoing(session: AsyncSession, person_id: int, *, now: datetime) -> None:
    """Close the person's open request, retire their supporter profile, cancel check-ins."""
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
        .values(status=SupporterStatus.INACTIVE, break_until=None, next_checkin_at=None)
    )
    await session.execute(
        update(Checkin)
        .where(Checkin.person_id == person_id, Checkin.status == CheckinStatus.SCHEDULED)
        .values(status=CheckinStatus.CANCELLED)
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
    for attribute in sa_inspect(row).mapper.column_attrs:  # a sealed column opens itself
        value = getattr(row, attribute.key)
        name = attribute.key
        if name.endswith("_enc"):
            name = name.removesuffix("_enc")
            if value is None and name in result:
                continue  # answers: a closed answer is in `value`, only free text in `value_enc`
            value = cipher.decrypt(value)
        if isinstance(value, datetime):
            value = value.isoformat()
        result[name] = value
    return result
