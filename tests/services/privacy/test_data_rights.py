"""A person's export: everything stored about them, readable, including unfinished answers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from peerbot.services.conversations.flows import SEALED
from peerbot.services.privacy import data_rights
from peerbot.storage import conversations
from peerbot.storage.codes import new_pseudonym
from peerbot.storage.enums import (
    EscalationCategory,
    EscalationEventKind,
    EscalationSeverity,
)
from peerbot.storage.models import Escalation, EscalationEvent, Person
from tests.support.supporter_steps import context

NOW = datetime(2026, 5, 4, 9, 30, tzinfo=UTC)


async def test_export_opens_sealed_answers_of_an_unfinished_conversation(session_factory):
    secret = "my neighbourhood is Lavapiés"
    async with session_factory() as session, session.begin():
        ctx = context(session, NOW)
        cipher = ctx.cipher
        person = Person(telegram_user_id=777, pseudonym=new_pseudonym())
        session.add(person)
        await session.flush()
        state = {
            "engine": {"answers": {"region": {SEALED: cipher.encrypt(secret)}, "who_for": "self"}},
            "meta": {},
        }
        await conversations.begin(
            session,
            chat_id=777,
            person_id=person.id,
            flow="intake",
            step="timezone",
            state=state,
            now=NOW,
            remind_after=timedelta(days=1),
            expire_after=None,
        )
        summary, data = await data_rights.export(ctx, person)
    answers = data["conversations"][0]["state"]["engine"]["answers"]
    assert answers == {"region": secret, "who_for": "self"}
    assert summary.answers == 0  # nothing confirmed yet


async def test_mydata_shows_what_we_store_about_you_including_coordinators_notes(session_factory):
    """/mydata promises "what we store about you": a coordinator's note on their escalation too."""
    async with session_factory() as session, session.begin():
        ctx = context(session, NOW)
        person = Person(telegram_user_id=778, pseudonym=new_pseudonym())
        session.add(person)
        await session.flush()
        escalation = Escalation(
            person_id=person.id,
            category=EscalationCategory.SUICIDE,
            severity=EscalationSeverity.HIGH,
            source="message",
            created_at=NOW,
        )
        session.add(escalation)
        await session.flush()
        session.add(
            EscalationEvent(
                escalation_id=escalation.id,
                kind=EscalationEventKind.NOTE,
                at=NOW,
                note_enc=ctx.cipher.encrypt("called her, she is with her sister tonight"),
            )
        )
        await session.flush()
        _, data = await data_rights.export(ctx, person)
    assert [event["note"] for event in data["escalation_history"]] == [
        "called her, she is with her sister tonight"
    ]
    assert [row["category"] for row in data["escalations"]] == ["suicide"]
