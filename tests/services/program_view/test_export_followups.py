"""The evaluation export of participants' follow-up answers: satisfaction two weeks in, "how is
it going?" and reviews, only of participants whose evaluation consent stands."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from peerbot.cli.export import write_export
from peerbot.services.program_view import export
from peerbot.services.program_view.disclosure import Disclosure
from peerbot.services.program_view.export import ExportFormat, ExportKind, ExportSpec
from peerbot.storage.crypto import FieldCipher
from peerbot.storage.enums import CheckinKind, CheckinStatus, MatchStatus
from peerbot.storage.models import AuditEvent
from tests.support.contexts import caller_deps
from tests.support.rows import (
    T0,
    add_consent,
    add_match,
    add_participant_checkin,
    add_person,
    add_request,
)

CIPHER = FieldCipher(FieldCipher.generate_key())
SHOWN = Disclosure(CIPHER)
DAY = timedelta(days=1)

Sessions = async_sessionmaker[AsyncSession]


async def seed(sessions: Sessions) -> dict[str, str]:
    """ann consented to evaluation use, ben declined; both have a supporter, sam.

    Return ann's pseudonym and request code, and ben's pseudonym.
    """
    async with sessions() as session, session.begin():
        ann = await add_person(session, CIPHER, "Ann Ashdown")
        ben = await add_person(session, CIPHER, "Ben Birch")
        sam = await add_person(session, CIPHER, "Sam Sutton")
        await add_consent(session, ann)
        await add_consent(session, ben, granted=False)
        await add_consent(session, sam)
        request = await add_request(session, ann)
        accepted = {"status": MatchStatus.ACCEPTED, "decided_at": T0}
        ours = await add_match(session, request, sam, **accepted)
        theirs = await add_match(session, await add_request(session, ben), sam, **accepted)

        async def checkin(match, person, kind, days, status=CheckinStatus.ANSWERED, **said):
            await add_participant_checkin(
                session, match, person, kind, T0 + days * DAY, status=status, **said
            )

        await checkin(ours, ann, CheckinKind.PARTICIPANT_FOLLOWUP, 7, how="change")
        await checkin(ours, ann, CheckinKind.SATISFACTION, 14, score=4.0)
        await checkin(ours, ann, CheckinKind.REVIEW, 60, CheckinStatus.MISSED)
        await checkin(ours, ann, CheckinKind.PARTICIPANT_FOLLOWUP, 90, CheckinStatus.SCHEDULED)
        await checkin(theirs, ben, CheckinKind.PARTICIPANT_FOLLOWUP, 7, how="not_well")
        await checkin(theirs, ben, CheckinKind.SATISFACTION, 14, score=1.0)
        await checkin(ours, sam, CheckinKind.SUPPORTER_WELLBEING, 7, score=80.0)
    return {"ann": ann.pseudonym, "request": request.code, "ben": ben.pseudonym}


async def run(sessions: Sessions, spec: ExportSpec) -> str:
    out = io.StringIO()
    await write_export(caller_deps(sessions, CIPHER), spec, out, now=T0 + 100 * DAY)
    return out.getvalue()


async def test_followups_export_the_consenting_participants_answers_only(
    session_factory: Sessions,
) -> None:
    seeded = await seed(session_factory)

    lines = await run(session_factory, ExportSpec(ExportKind.FOLLOWUPS, ExportFormat.JSONL))
    rows = [json.loads(line) for line in lines.splitlines()]

    ann, request = SHOWN.code(seeded["ann"]), SHOWN.code(seeded["request"])
    assert rows == [
        {
            "request": request,
            "participant": ann,
            "kind": "participant_followup",
            "due": "2026-03-09",
            "status": "answered",
            "answered_at": "2026-03-09",
            "score": None,
            "answer": "change",
        },
        {
            "request": request,
            "participant": ann,
            "kind": "satisfaction",
            "due": "2026-03-16",
            "status": "answered",
            "answered_at": "2026-03-16",
            "score": 4.0,
            "answer": None,
        },
        {
            "request": request,
            "participant": ann,
            "kind": "review",
            "due": "2026-05-01",
            "status": "missed",
            "answered_at": None,
            "score": None,
            "answer": None,
        },
    ], "ben declined; a follow-up not yet due and a supporter's check-in are not follow-ups"
    assert seeded["ben"] not in lines and SHOWN.code(seeded["ben"]) not in lines

    text = await run(session_factory, ExportSpec(ExportKind.FOLLOWUPS, ExportFormat.CSV))
    reader = csv.DictReader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    assert reader.fieldnames == list(export.FOLLOWUP_COLUMNS)
    assert [(row["kind"], row["score"], row["answer"]) for row in reader] == [
        ("participant_followup", "", "change"),
        ("satisfaction", "4.0", ""),
        ("review", "", ""),
    ]

    async with session_factory() as session:
        audited = list(
            await session.scalars(select(AuditEvent).where(AuditEvent.action == "data.exported"))
        )
    assert [(event.details["kind"], event.details["left_out"]) for event in audited] == [
        ("followups", 2),
        ("followups", 2),
    ], "ben's two answers are left out, and said to be"
