"""The evaluation export of matches, contact notes and feedback: only rows about participants
whose evaluation consent stands, people under export codes, a supporter's code only with the
supporter's own consent."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from peerbot.cli.export import write_export
from peerbot.services.common.context import context_for
from peerbot.services.participants import consent
from peerbot.services.program_view import export
from peerbot.services.program_view.disclosure import Disclosure
from peerbot.services.program_view.export import ExportFormat, ExportKind, ExportSpec
from peerbot.storage.crypto import FieldCipher
from peerbot.storage.enums import CheckinKind, ConsentKind, MatchStatus
from peerbot.storage.models import AuditEvent, Person
from tests.support.contexts import caller_deps
from tests.support.rows import (
    T0,
    add_consent,
    add_feedback,
    add_followup,
    add_intake_answer,
    add_match,
    add_note,
    add_person,
    add_request,
)
from tests.support.supporter_steps import context

CIPHER = FieldCipher(FieldCipher.generate_key())
SHOWN = Disclosure(CIPHER)
NAMES = {
    "ann": "Ann Ashdown",
    "ben": "Ben Birch",
    "cat": "Cat Carlow",
    "sam": "Sam Sutton",
    "sue": "Sue Selby",
}
SECRETS = {
    "note_ann": "note secret about ann",
    "note_ben": "note secret about ben",
    "first_comment_ann": "first comment secret of ann",
    "comment_ann": "comment secret of ann",
    "comment_ben": "comment secret of ben",
}

Sessions = async_sessionmaker[AsyncSession]


@dataclass(frozen=True)
class World:
    """Who is who: pseudonyms and Telegram ids per name, request codes per participant."""

    pseudonyms: dict[str, str]
    telegram_ids: list[int]
    codes: dict[str, str]


async def seed(sessions: Sessions) -> World:
    """Participants ann (evaluation consent), ben (withdrawn) and cat (declined); supporters.

    Supporter sam consented too, which must not open notes about his participants.
    """
    async with sessions() as session, session.begin():
        people = {key: await add_person(session, CIPHER, name) for key, name in NAMES.items()}
        ann, ben, cat, sam, sue = people.values()
        await add_consent(session, ann)
        await add_consent(session, ben)
        await consent.withdraw(
            context(session, T0 + timedelta(days=1)), person_id=ben.id, kind=ConsentKind.EVALUATION
        )
        await add_consent(session, cat, granted=False)
        await add_consent(session, sam)
        requests = {key: await add_request(session, people[key]) for key in ("ann", "ben", "cat")}
        await add_intake_answer(session, requests["ann"], "who_for", "myself")

        ended = await add_match(
            session,
            requests["ann"],
            sam,
            status=MatchStatus.ENDED,
            score=0.82,
            reasons=[
                {"code": "shared_experience", "topics": ["loss"]},
                {"code": "similar_age", "age_band": "age_25_34"},
            ],
            approved_at=T0 + timedelta(hours=1),
            offered_at=T0 + timedelta(hours=2),
            decided_at=T0 + timedelta(days=1),
            ended_at=T0 + timedelta(days=20),
            end_reason="ended_by_participant",
        )
        # the supporter answers first: the side comes from the person, not the order
        await add_followup(session, ended, sam, "not_yet")
        await add_followup(session, ended, ann, "yes")
        await add_followup(session, ended, ann, "need_help", kind=CheckinKind.FEEDBACK)
        accepted = await add_match(
            session,
            requests["ben"],
            sue,
            status=MatchStatus.ACCEPTED,
            decided_at=T0 + timedelta(days=2),
        )
        await add_followup(session, accepted, ben, None)
        await add_followup(session, accepted, sue, "need_help")
        await add_match(
            session,
            requests["cat"],
            sam,
            status=MatchStatus.DECLINED,
            decided_at=T0 + timedelta(days=3),
            decline_reason="no_time",
        )
        await add_match(session, requests["cat"], None, status=MatchStatus.WITHDRAWN, rank=2)

        # 01:30 at UTC+2 is still 2 March in UTC
        late_evening = T0.replace(day=3, hour=1, minute=30, tzinfo=timezone(timedelta(hours=2)))
        await add_note(
            session,
            CIPHER,
            ended,
            sam,
            SECRETS["note_ann"],
            contact_at=late_evening,
            minutes=45,
            format="voice",
            topics=["grief", "sleep"],
            concerns=["self_care"],
        )
        await add_note(session, CIPHER, accepted, sue, SECRETS["note_ben"])
        await add_note(
            session, CIPHER, ended, sam, None, minutes=None, format=None, reached=False
        )  # sam tried to reach ann and could not

        # ann was surveyed twice (after a change of supporter): the newest answers count
        for name, days, comments, answers in (
            ("ann", 10, SECRETS["first_comment_ann"], {"satisfaction": 2, "recommend": "no"}),
            ("ann", 20, SECRETS["comment_ann"], {"satisfaction": 5, "recommend": "yes"}),
            ("ben", 21, SECRETS["comment_ben"], {"satisfaction": 3, "understood": "partly"}),
        ):
            at = T0 + timedelta(days=days)
            request = requests[name]
            await add_feedback(session, CIPHER, request, at=at, comments=comments, **answers)
    return World(
        pseudonyms={key: person.pseudonym for key, person in people.items()},
        telegram_ids=[
            person.telegram_user_id
            for person in people.values()
            if person.telegram_user_id is not None
        ],
        codes={key: request.code for key, request in requests.items()},
    )


async def run(sessions: Sessions, spec: ExportSpec) -> str:
    out = io.StringIO()
    await write_export(caller_deps(sessions, CIPHER), spec, out, now=T0 + timedelta(days=30))
    return out.getvalue()


def spec(kind: ExportKind, fmt: ExportFormat, *, include_free_text: bool = False) -> ExportSpec:
    return ExportSpec(kind=kind, format=fmt, include_free_text=include_free_text)


def jsonl(text: str) -> list[dict[str, Any]]:
    assert text.endswith("\n")
    return [json.loads(line) for line in text.splitlines()]


def csv_rows(text: str) -> tuple[list[str], list[dict[str, str]]]:
    assert text.startswith("\ufeff")
    reader = csv.DictReader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    rows = list(reader)
    assert reader.fieldnames is not None
    return list(reader.fieldnames), rows


def assert_no_secrets(text: str, *keys: str) -> None:
    for key in keys or SECRETS:
        assert SECRETS[key] not in text, key


async def test_matches_list_the_consenting_participants_pairings_by_export_code(
    session_factory: Sessions,
) -> None:
    world = await seed(session_factory)
    code = {key: SHOWN.code(pseudonym) for key, pseudonym in world.pseudonyms.items()}

    rows = jsonl(await run(session_factory, spec(ExportKind.MATCHES, ExportFormat.JSONL)))

    # ben withdrew and cat declined: their matches are left out, only counted
    assert rows == [
        {
            "request": SHOWN.code(world.codes["ann"]),
            "participant": code["ann"],
            "supporter": code["sam"],
            "status": "ended",
            "rank": 1,
            "score": 0.82,
            "reasons": ["shared_experience", "similar_age"],
            "proposed_at": "2026-03-02",
            "approved_at": "2026-03-02",
            "offered_at": "2026-03-02",
            "decided_at": "2026-03-03",
            "decline_reason": None,
            "ended_at": "2026-03-22",
            "end_reason": "ended_by_participant",
            "participant_connected": "yes",
            "supporter_connected": "not_yet",
        }
    ]


async def test_a_supporter_without_evaluation_consent_is_not_named(
    session_factory: Sessions,
) -> None:
    world = await seed(session_factory)
    async with session_factory() as session, session.begin():
        sam = await session.scalar(
            select(Person).where(Person.pseudonym == world.pseudonyms["sam"])
        )
        assert sam is not None
        await consent.withdraw(
            context(session, T0 + timedelta(days=2)), person_id=sam.id, kind=ConsentKind.EVALUATION
        )

    matches = jsonl(await run(session_factory, spec(ExportKind.MATCHES, ExportFormat.JSONL)))
    notes = jsonl(await run(session_factory, spec(ExportKind.NOTES, ExportFormat.JSONL)))

    assert [row["supporter"] for row in matches] == [None]
    assert [row["supporter"] for row in notes] == [None, None]


async def test_matches_csv_has_the_fixed_columns_and_reason_codes_only(
    session_factory: Sessions,
) -> None:
    world = await seed(session_factory)

    text = await run(session_factory, spec(ExportKind.MATCHES, ExportFormat.CSV))

    header, rows = csv_rows(text)
    assert header == list(export.MATCH_COLUMNS)
    assert [row["request"] for row in rows] == [SHOWN.code(world.codes["ann"])]
    assert rows[0]["reasons"] == "shared_experience;similar_age"
    assert (rows[0]["score"], rows[0]["participant_connected"]) == ("0.82", "yes")
    # the values kept with a reason describe the people matched: left out
    assert "loss" not in text
    assert "age_25_34" not in text


async def test_notes_without_free_text_by_default(session_factory: Sessions) -> None:
    world = await seed(session_factory)
    sam = SHOWN.code(world.pseudonyms["sam"])

    rows = jsonl(await run(session_factory, spec(ExportKind.NOTES, ExportFormat.JSONL)))
    text = await run(session_factory, spec(ExportKind.NOTES, ExportFormat.CSV))

    assert rows[0] == {
        "request": SHOWN.code(world.codes["ann"]),
        "supporter": sam,
        "contact_date": "2026-03-02",
        "reached": True,
        "minutes": 45,
        "format": "voice",
        "topics": ["grief", "sleep"],
        "concerns": ["self_care"],
        "created_at": "2026-03-02",
    }
    assert [
        (row["supporter"], row["reached"], row["minutes"], row["format"]) for row in rows[1:]
    ] == [(sam, False, None, None)], "the note about ben, who withdrew, is left out"
    header, csv_notes = csv_rows(text)
    assert header == list(export.NOTE_COLUMNS)
    assert (csv_notes[0]["topics"], csv_notes[0]["concerns"]) == ("grief;sleep", "self_care")
    assert_no_secrets(text)


async def test_note_details_only_about_a_consenting_participant(
    session_factory: Sessions,
) -> None:
    await seed(session_factory)
    with_text = spec(ExportKind.NOTES, ExportFormat.JSONL, include_free_text=True)

    rows = jsonl(await run(session_factory, with_text))
    text = await run(
        session_factory, spec(ExportKind.NOTES, ExportFormat.CSV, include_free_text=True)
    )

    assert [row["details"] for row in rows] == [SECRETS["note_ann"], None]
    header, csv_notes = csv_rows(text)
    assert header == [*export.NOTE_COLUMNS, "details"]
    assert [row["details"] for row in csv_notes] == [SECRETS["note_ann"], ""]
    assert_no_secrets(text, "note_ben")


async def test_feedback_gives_one_row_per_surveyed_request_with_the_newest_answers(
    session_factory: Sessions,
) -> None:
    world = await seed(session_factory)

    rows = jsonl(await run(session_factory, spec(ExportKind.FEEDBACK, ExportFormat.JSONL)))
    text = await run(session_factory, spec(ExportKind.FEEDBACK, ExportFormat.CSV))

    assert rows == [
        {
            "request": SHOWN.code(world.codes["ann"]),
            "participant": SHOWN.code(world.pseudonyms["ann"]),
            "answered_at": "2026-03-22",
            "satisfaction": 5,
            "understood": "yes",
            "recommend": "yes",
        },
    ]
    header, csv_feedback = csv_rows(text)
    assert header == list(export.FEEDBACK_COLUMNS)
    assert [row["satisfaction"] for row in csv_feedback] == ["5"]
    assert_no_secrets(text)


async def test_feedback_comments_only_of_a_consenting_participant(
    session_factory: Sessions,
) -> None:
    await seed(session_factory)

    rows = jsonl(
        await run(
            session_factory, spec(ExportKind.FEEDBACK, ExportFormat.JSONL, include_free_text=True)
        )
    )
    text = await run(
        session_factory, spec(ExportKind.FEEDBACK, ExportFormat.CSV, include_free_text=True)
    )

    assert [row["comments"] for row in rows] == [SECRETS["comment_ann"]]
    header, csv_feedback = csv_rows(text)
    assert header == [*export.FEEDBACK_COLUMNS, "comments"]
    assert [row["comments"] for row in csv_feedback] == [SECRETS["comment_ann"]]
    assert_no_secrets(text, "comment_ben", "first_comment_ann")


@pytest.mark.parametrize("fmt", list(ExportFormat))
async def test_requests_leave_feedback_answers_to_the_feedback_export(
    session_factory: Sessions, fmt: ExportFormat
) -> None:
    world = await seed(session_factory)

    text = await run(session_factory, spec(ExportKind.REQUESTS, fmt, include_free_text=True))

    assert_no_secrets(text)
    if fmt == ExportFormat.JSONL:
        ann = jsonl(text)[0]
        assert ann["request"] == SHOWN.code(world.codes["ann"])
        assert (ann["answers"], ann["free_text"]) == ({"who_for": "myself"}, {})
    else:
        header, rows = csv_rows(text)
        assert header == [*export.REQUEST_COLUMNS, "answer.who_for", "summary"]
        assert rows[0]["answer.who_for"] == "myself"


@pytest.mark.parametrize("kind", [ExportKind.MATCHES, ExportKind.NOTES, ExportKind.FEEDBACK])
@pytest.mark.parametrize("fmt", list(ExportFormat))
async def test_people_appear_only_by_export_code(
    session_factory: Sessions, kind: ExportKind, fmt: ExportFormat
) -> None:
    world = await seed(session_factory)
    include_free_text = kind != ExportKind.MATCHES

    text = await run(session_factory, spec(kind, fmt, include_free_text=include_free_text))

    for telegram_id in world.telegram_ids:
        assert str(telegram_id) not in text
    for name in NAMES.values():
        assert name not in text
        assert name.replace(" ", "_") not in text
    for code in (*world.pseudonyms.values(), *world.codes.values()):
        assert code not in text, "the codes on the group's cards stay in the group"
    # notes name their author, the other kinds the participant
    assert SHOWN.code(world.pseudonyms["sam" if kind == ExportKind.NOTES else "ann"]) in text


async def test_the_new_kinds_are_read_in_batches(session_factory: Sessions) -> None:
    await seed(session_factory)

    async with session_factory() as session, session.begin():
        ctx = context_for(caller_deps(session_factory, CIPHER), session, T0)
        matches = [row async for row in export.match_rows(ctx, SHOWN, batch_size=1)]
        notes = [
            row async for row in export.note_rows(ctx, SHOWN, include_free_text=True, batch_size=1)
        ]
        feedback = [row async for row in export.feedback_rows(ctx, SHOWN, batch_size=1)]

    assert [row["supporter_connected"] for row in matches] == ["not_yet"]
    assert [row["details"] for row in notes] == [SECRETS["note_ann"], None]
    assert [row["satisfaction"] for row in feedback] == [5]


async def test_a_notes_export_is_audited_with_its_kind_and_what_it_left_out(
    session_factory: Sessions,
) -> None:
    await seed(session_factory)

    await run(session_factory, spec(ExportKind.NOTES, ExportFormat.CSV, include_free_text=True))

    async with session_factory() as session:
        event = (await session.scalars(select(AuditEvent))).one()
    assert (event.action, event.details) == (
        "data.exported",
        {
            "kind": "notes",
            "format": "csv",
            "rows": 2,
            "left_out": 1,
            "free_text": True,
            "coarse": False,
            "complete": True,
        },
    )


@pytest.mark.parametrize("kind", [ExportKind.MATCHES, ExportKind.NOTES, ExportKind.FEEDBACK])
async def test_an_empty_database_gives_a_header_only_csv(
    session_factory: Sessions, kind: ExportKind
) -> None:
    text = await run(session_factory, spec(kind, ExportFormat.CSV))

    assert text == "\ufeff" + ",".join(export.FIXED_COLUMNS[kind][0]) + "\r\n"
