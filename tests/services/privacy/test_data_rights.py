"""A person's export: everything stored about them, readable, including unfinished answers."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from peerbot.services.conversations.flows import SEALED
from peerbot.services.privacy import data_rights
from peerbot.storage.enums import EscalationCategory
from peerbot.storage.models import ContactNote
from tests.support.rows import (
    add_escalation,
    add_match,
    add_note,
    add_person,
    add_request,
    begin_conversation,
)
from tests.support.supporter_steps import context

NOW = datetime(2026, 5, 4, 9, 30, tzinfo=UTC)


async def test_export_opens_sealed_answers_of_an_unfinished_conversation(session_factory):
    secret = "my neighbourhood is Lavapiés"
    async with session_factory() as session, session.begin():
        ctx = context(session, NOW)
        cipher = ctx.cipher
        person = await add_person(session, cipher, "Ada Lovelace", telegram_user_id=777)
        state = {
            "engine": {"answers": {"region": {SEALED: cipher.encrypt(secret)}, "who_for": "self"}},
            "meta": {},
        }
        await begin_conversation(
            session, 777, NOW, person_id=person.id, step="timezone", state=state, expire_after=None
        )
        summary, data = await data_rights.export(ctx, person)
    answers = data["conversations"][0]["state"]["engine"]["answers"]
    assert answers == {"region": secret, "who_for": "self"}
    assert summary.answers == 0  # nothing confirmed yet


async def test_mydata_shows_what_we_store_about_you_including_coordinators_notes(session_factory):
    """/mydata promises "what we store about you": a coordinator's note on their escalation too."""
    async with session_factory() as session, session.begin():
        ctx = context(session, NOW)
        person = await add_person(session, ctx.cipher, "Grace Hopper")
        await add_escalation(
            session,
            person,
            note="called her, she is with her sister tonight",
            cipher=ctx.cipher,
            category=EscalationCategory.SUICIDE,
            source="message",
            created_at=NOW,
        )
        _, data = await data_rights.export(ctx, person)
    assert [event["note"] for event in data["escalation_history"]] == [
        "called her, she is with her sister tonight"
    ]
    assert [row["category"] for row in data["escalations"]] == ["suicide"]


async def test_forget_erases_a_supporters_notes_about_the_person_and_not_the_others(
    session_factory,
):
    """/forget leaves nothing of the person: a supporter's notes on their match go too."""
    async with session_factory() as session, session.begin():
        ctx = context(session, NOW)
        cipher = ctx.cipher
        participant = await add_person(session, cipher, "Ada Lovelace")
        other = await add_person(session, cipher, "Mary Somerville")
        supporter = await add_person(session, cipher, "Grace Hopper")
        about = await add_match(session, await add_request(session, participant), supporter)
        elsewhere = await add_match(session, await add_request(session, other), supporter)
        await add_note(session, cipher, about, supporter, "her brother calls every night")
        await add_note(session, cipher, elsewhere, supporter, "she started the course")

        _, data = await data_rights.export(ctx, participant)
        await data_rights.forget(ctx, participant)

    assert data["contact_notes"] == [], "a supporter's notes are not exported as hers"
    async with session_factory() as session:
        notes = list(await session.scalars(select(ContactNote).order_by(ContactNote.id)))
    assert [cipher.decrypt(note.note_enc) for note in notes] == [None, "she started the course"]
    assert [note.minutes for note in notes] == [30, 30], "the contacts still count"
