"""At rest, nothing readable: a phrase of its own in every place people write or are named,
the journeys walked over real HTTP, and then the database as stored is searched for them.

On SQLite the bot's file and its WAL are read byte for byte while the bot runs; on PostgreSQL
every table is read as text. The outbox has delivered everything by then: what it sent
(offers with the participant's words, introductions, cards, relayed messages, the /mydata
file) must be gone or sealed, as must names, answers, notes and the inbox's raw updates.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from peerbot.storage.crypto import FieldCipher
from tests.e2e.test_matching_journey import (
    GROUP,
    confirm_every_training,
    invite_link,
    proposal_after,
    supporter_joins,
)
from tests.support.db_inspect import find_in_every_table, outbox_counts
from tests.support.figures import report
from tests.support.journeys import Person, catalog
from tests.support.matching_steps import note_a_talk
from tests.support.plaintext_scan import scan_postgres, scan_sqlite

#: One phrase per place people write or are named in; none is a word anyone would type.
PHRASES = {
    tag: f"Qv{number}x{tag.replace('_', '')}Zj"
    for number, tag in enumerate(
        (
            "participant_name",
            "participant_username",
            "supporter_name",
            "supporter_username",
            "coordinator_name",
            "intake_region",
            "intake_anything_else",
            "coordinator_reply",
            "participant_to_coordinators",
            "contact_note",
            "crisis_message",
            "escalation_note",
        )
    )
}


def t(key: str, **values: object) -> str:
    return catalog().get(key, "en", **values)


async def walk_every_journey(api, group, coordinator) -> Person:
    """Invite, profile, intake, offer, introduction, case messages both ways, a contact
    note, a crisis with its escalation note, and /mydata; returns the participant."""
    link = await invite_link(api, coordinator, group)
    participant = Person(
        api,
        api.private_user(
            first_name=PHRASES["participant_name"], username=PHRASES["participant_username"]
        ),
    )

    async def participant_starts() -> None:
        await participant.consent()
        await participant.intake_until_safety(region=PHRASES["intake_region"])

    supporter, _ = await asyncio.gather(
        supporter_joins(
            api,
            link,
            name=PHRASES["supporter_name"],
            username=PHRASES["supporter_username"],
        ),
        participant_starts(),
    )
    await confirm_every_training(api, coordinator, 1)
    await participant.press("intake.safety.no")
    await participant.finish_intake(anything_else=PHRASES["intake_anything_else"])

    card = await proposal_after(api, 0)
    await coordinator.press("Approve 1", message=card)
    offer = await supporter.expect(
        "offer.text", after=supporter.last_pressed, summary="", hours=48
    )
    assert PHRASES["intake_anything_else"] not in offer.text, "an offer carries triage only"
    await supporter.press("offer.accept")
    await supporter.expect(
        "intro.words", after=supporter.last_pressed, words=PHRASES["intake_anything_else"]
    )
    await supporter.press("intro.name.yes")  # each side's Telegram name travels too
    await api.wait_for_message(participant.chat_id, contains="https://t.me/", timeout=20)
    await participant.press("intro.name.yes")
    await api.wait_for_message(
        supporter.chat_id, contains=PHRASES["participant_username"], timeout=20
    )
    await participant.say(PHRASES["participant_to_coordinators"])
    await participant.press("case.send")
    await participant.expect("case.sent", after=participant.last_pressed)
    relayed = await api.wait_for_message(
        GROUP, contains=PHRASES["participant_to_coordinators"], timeout=20
    )
    await coordinator.send_text(PHRASES["coordinator_reply"], chat=group, reply_to=relayed)
    await api.wait_for_message(
        participant.chat_id, contains=PHRASES["coordinator_reply"], timeout=20
    )

    await note_a_talk(supporter, PHRASES["contact_note"])

    await participant.say(f"I want to kill myself tonight {PHRASES['crisis_message']}")
    crisis = await api.wait_for_message(GROUP, contains="CRITICAL", timeout=20)
    await coordinator.press(t("card.claim"), message=crisis)
    await api.wait_until(lambda: t("card.resolve") in crisis.buttons, timeout=20)
    await coordinator.press(t("card.resolve"), message=crisis)
    await api.wait_until(lambda: t("outcome.contacted") in crisis.buttons, timeout=20)
    await coordinator.press(t("outcome.contacted"), message=crisis)
    prompt = await api.wait_for_message(GROUP, contains="reply to this message", timeout=20)
    await coordinator.send_text(PHRASES["escalation_note"], chat=group, reply_to=prompt)
    await api.wait_for_message(GROUP, contains="Note saved", timeout=20)

    asked = participant.newest_id()
    await participant.command("/mydata")
    document = await api.wait_for_message(
        participant.chat_id, predicate=lambda m: m.document is not None, after=asked, timeout=20
    )
    exported = document.document.content
    assert PHRASES["intake_region"].encode() in exported, "the file held their words"
    return participant


async def outbox_drained(database_url: str) -> None:
    """Wait until every queued message was sent (or failed) and its row finished."""
    for _ in range(200):
        if not (await outbox_counts(database_url)).get("pending"):
            return
        await asyncio.sleep(0.1)
    raise AssertionError("the outbox did not drain")


async def test_no_phrase_is_readable_in_the_database_after_every_journey(
    api, start_bot, database_url: str, request: pytest.FixtureRequest
) -> None:
    key = FieldCipher.generate_key()
    url = make_url(database_url)
    coordinator = api.private_user(first_name=PHRASES["coordinator_name"])
    group = api.group(chat_id=GROUP, members=[coordinator])
    start_bot(coordinator_chat_id=str(GROUP), database_url=database_url, encryption_key=key)

    await walk_every_journey(api, group, coordinator)
    await outbox_drained(database_url)

    if url.get_backend_name() == "sqlite":
        database = Path(str(url.database))
        stored = find_in_every_table(database, PHRASES.values(), FieldCipher(key))
        found_in = {f.table for f in stored}
        scan = scan_sqlite(database, PHRASES)
        assert any(place.endswith("-wal") for place in scan.places), "read while the bot runs"
    else:
        plain = url.set(drivername="postgresql").render_as_string(hide_password=False)
        opened = await scan_postgres(plain, PHRASES, cipher=FieldCipher(key))
        found_in = {place for place, _ in opened.hits}
        scan = await scan_postgres(plain, PHRASES)
    report(request.config, f"{url.get_backend_name()} {scan.summary()}")
    assert found_in >= {"people", "answers", "contact_notes", "escalation_events"}, (
        "the phrases are stored, encrypted: the scan could not miss them otherwise"
    )
    assert not found_in & {"outbox_messages", "processed_updates"}, (
        "not even sealed: what was sent, and the updates handled, are emptied"
    )
    assert scan.hits == []
