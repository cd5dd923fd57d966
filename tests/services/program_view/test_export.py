"""The evaluation export: only people whose evaluation consent stands, under export codes, with
times to the day, free text only when asked for, CSV safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from peerbot.cli.export import write_export
from peerbot.program import load_program
from peerbot.services.common.context import context_for
from peerbot.services.program_view import export
from peerbot.services.program_view.disclosure import Disclosure
from peerbot.services.program_view.export import ExportFormat, ExportKind, ExportSpec
from peerbot.storage.crypto import FieldCipher
from peerbot.storage.enums import (
    ConsentDecision,
    ConsentKind,
    PersonStatus,
    SupportRequestStatus,
    Urgency,
)
from peerbot.storage.models import AuditEvent, Person, SupportRequest
from tests.support.contexts import caller_deps
from tests.support.rows import add_intake_answer, add_person, add_request, consent_row

T0 = datetime(2026, 3, 2, 23, 30, tzinfo=UTC)
CIPHER = FieldCipher(FieldCipher.generate_key())
TEXT_STEPS = export.free_text_questions(load_program().flows.values())

Sessions = async_sessionmaker[AsyncSession]


@dataclass(frozen=True)
class Seeded:
    """What the test world holds: Telegram ids, codes per person, secret texts per person."""

    telegram_ids: dict[str, int]
    pseudonyms: dict[str, str]
    codes: dict[str, str]
    secrets: dict[str, list[str]]


async def seed(sessions: Sessions) -> Seeded:
    """Five people: consenting, withdrawn, re-declined, never asked, and erased."""
    telegram_ids = {
        "granted": 7_310_000_001,
        "withdrawn": 7_310_000_002,
        "redeclined": 7_310_000_003,
        "never_asked": 7_310_000_004,
    }
    evaluation: dict[str, list[tuple[ConsentDecision, datetime | None]]] = {
        "granted": [(ConsentDecision.GRANTED, None)],
        "withdrawn": [(ConsentDecision.GRANTED, T0 + timedelta(days=1))],
        "redeclined": [(ConsentDecision.GRANTED, None), (ConsentDecision.DECLINED, None)],
        "never_asked": [],
        "erased": [],
    }
    pseudonyms: dict[str, str] = {}
    codes: dict[str, str] = {}
    secrets: dict[str, list[str]] = {}
    async with sessions() as session, session.begin():
        for position, name in enumerate(evaluation):
            erased = name == "erased"
            person = await add_person(
                session,
                CIPHER,
                f"Name of {name}",
                telegram_user_id=telegram_ids.get(name),
                referral_source=None if erased else "clinic",
                status=PersonStatus.ERASED if erased else PersonStatus.ACTIVE,
            )
            pseudonyms[name] = person.pseudonym
            at = T0 + timedelta(minutes=position)
            session.add(consent_row(person, kind=ConsentKind.PARTICIPATION, at=at))
            for decision, withdrawn_at in evaluation[name]:
                session.add(
                    consent_row(
                        person, decision, at=at, version="evaluation-v2", withdrawn_at=withdrawn_at
                    )
                )
                await session.flush()  # ids give the order of decisions
            summary = None if erased else f"summary secret of {name}"
            request = await add_request(
                session,
                person,
                status=SupportRequestStatus.CLOSED if erased else SupportRequestStatus.NEW,
                referral_source=person.referral_source,
                topics=["anxiety", "sleep"],
                language="es",
                support_format=["one_to_one", "chat"],
                urgency=Urgency.SOON,
                summary_enc=CIPHER.encrypt(summary),
                created_at=at,
                updated_at=at,
                closed_at=at if erased else None,
                closed_reason="erased" if erased else None,
            )
            codes[name] = request.code
            if erased:
                continue  # forget() deleted the answers
            other = f"topics_other secret of {name}"
            region = f"region secret of {name}"  # a text step a program made not sensitive
            secrets[name] = [summary or "", other, region]
            for question, value, value_enc in (
                ("topics", ["anxiety", "sleep"], None),
                ("who_for", "myself", None),
                ("channels", ["chat", "voice"], None),
                ("age_band", "25_34", None),
                ("supporter_similar_age", True, None),
                ("topics_other", None, CIPHER.encrypt(other)),
                ("region", region, None),
            ):
                await add_intake_answer(
                    session, request, question, value, value_enc=value_enc, answered_at=at
                )
    return Seeded(telegram_ids, pseudonyms, codes, secrets)


async def run(sessions: Sessions, spec: ExportSpec) -> str:
    out = io.StringIO()
    await write_export(caller_deps(sessions, CIPHER), spec, out, now=T0 + timedelta(days=3))
    return out.getvalue()


def requests_spec(
    fmt: ExportFormat, *, include_free_text: bool = False, coarse: bool = False
) -> ExportSpec:
    return ExportSpec(
        kind=ExportKind.REQUESTS,
        format=fmt,
        include_free_text=include_free_text,
        free_text_questions=TEXT_STEPS,
        coarse=coarse,
    )


SHOWN = Disclosure(CIPHER)


def csv_rows(text: str) -> list[dict[str, str]]:
    assert text.startswith("\ufeff"), "Excel reads a CSV as UTF-8 only after a BOM"
    return list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"), newline="")))


async def grant_everyone(sessions: Sessions) -> None:
    """Everyone still here consents to evaluation use (newest decision granted)."""
    async with sessions() as session, session.begin():
        people = (
            await session.scalars(select(Person).where(Person.status == PersonStatus.ACTIVE))
        ).all()
        for person in people:
            session.add(consent_row(person, at=T0 + timedelta(days=2), version="evaluation-v2"))


def jsonl(text: str) -> list[dict[str, Any]]:
    assert text.endswith("\n")
    return [json.loads(line) for line in text.splitlines()]


def assert_no_identifiers(text: str, world: Seeded) -> None:
    for telegram_id in world.telegram_ids.values():
        assert str(telegram_id) not in text
    assert "Name of" not in text


def assert_no_free_text(text: str, world: Seeded) -> None:
    for secret in (s for texts in world.secrets.values() for s in texts):
        assert secret not in text


def assert_no_group_codes(text: str, world: Seeded) -> None:
    """The codes on the coordinators' cards never appear in an export."""
    for code in (*world.codes.values(), *world.pseudonyms.values()):
        assert code not in text


async def test_only_people_whose_evaluation_consent_stands_are_exported(
    session_factory: Sessions,
) -> None:
    world = await seed(session_factory)

    text = await run(session_factory, requests_spec(ExportFormat.JSONL))

    rows = jsonl(text)
    assert [row["request"] for row in rows] == [SHOWN.code(world.codes["granted"])]
    assert_no_identifiers(text, world)
    assert_no_free_text(text, world)
    assert_no_group_codes(text, world)
    assert all("summary" not in row and "free_text" not in row for row in rows)
    first = rows[0]
    assert first["person"] == SHOWN.code(world.pseudonyms["granted"])
    assert first["created"] == "2026-03-02", "a time is coarsened to its day"
    assert (first["status"], first["urgency"], first["language"]) == ("new", "soon", "es")
    assert first["topics"] == ["anxiety", "sleep"]
    assert first["support_format"] == ["one_to_one", "chat"]
    assert first["referral_source"] == "clinic"
    assert first["answers"] == {
        "topics": ["anxiety", "sleep"],
        "who_for": "myself",
        "channels": ["chat", "voice"],
        "age_band": "25_34",
        "supporter_similar_age": True,
    }


async def test_export_codes_are_not_the_groups_and_are_the_same_in_every_export(
    session_factory: Sessions,
) -> None:
    world = await seed(session_factory)

    first = jsonl(await run(session_factory, requests_spec(ExportFormat.JSONL)))
    again = jsonl(await run(session_factory, requests_spec(ExportFormat.JSONL)))

    code = first[0]["person"]
    assert code != world.pseudonyms["granted"]
    assert code.startswith(world.pseudonyms["granted"][:1] + "X-")
    assert [row["person"] for row in again] == [code]
    other_key = Disclosure(FieldCipher(FieldCipher.generate_key()))
    assert other_key.code(world.pseudonyms["granted"]) != code, "keyed: not guessable"


async def test_coarse_gives_the_iso_week_instead_of_the_day(session_factory: Sessions) -> None:
    await seed(session_factory)

    rows = jsonl(await run(session_factory, requests_spec(ExportFormat.JSONL, coarse=True)))

    assert rows[0]["created"] == "2026-W10"


async def test_default_csv_has_a_bom_a_header_and_one_row_per_consenting_request(
    session_factory: Sessions,
) -> None:
    world = await seed(session_factory)
    await grant_everyone(session_factory)

    text = await run(session_factory, requests_spec(ExportFormat.CSV))

    assert_no_identifiers(text, world)
    assert_no_free_text(text, world)
    assert_no_group_codes(text, world)
    rows = csv_rows(text)
    assert list(rows[0]) == [
        *export.REQUEST_COLUMNS,
        "answer.topics",
        "answer.who_for",
        "answer.channels",
        "answer.age_band",
        "answer.supporter_similar_age",
    ]
    still_here = ("granted", "withdrawn", "redeclined", "never_asked")
    assert [row["request"] for row in rows] == [SHOWN.code(world.codes[n]) for n in still_here]
    assert rows[0]["topics"] == "anxiety;sleep"
    assert rows[0]["answer.channels"] == "chat;voice"
    assert rows[0]["answer.supporter_similar_age"] == "true"


async def test_free_text_is_given_for_the_consenting_and_no_one_else_s_is_read(
    session_factory: Sessions,
) -> None:
    world = await seed(session_factory)

    text = await run(session_factory, requests_spec(ExportFormat.JSONL, include_free_text=True))

    assert_no_identifiers(text, world)
    (granted,) = jsonl(text)
    assert granted["summary"] == "summary secret of granted"
    assert granted["free_text"] == {
        "topics_other": "topics_other secret of granted",
        "region": "region secret of granted",
    }
    assert "region" not in granted["answers"]
    for name in ("withdrawn", "redeclined", "never_asked"):
        for secret in world.secrets[name]:
            assert secret not in text


async def test_a_cell_a_spreadsheet_would_run_as_a_formula_is_written_as_text(
    session_factory: Sessions,
) -> None:
    world = await seed(session_factory)
    async with session_factory() as session, session.begin():
        request = await session.scalar(
            select(SupportRequest).where(SupportRequest.code == world.codes["granted"])
        )
        assert request is not None
        request.summary_enc = CIPHER.encrypt('=HYPERLINK("http://x","click")')

    text = await run(session_factory, requests_spec(ExportFormat.CSV, include_free_text=True))

    (row,) = csv_rows(text)
    assert row["summary"] == '\'=HYPERLINK("http://x","click")'
    assert row["free_text.topics_other"] == "topics_other secret of granted", "plain text as is"


async def test_consents_export_lists_the_decisions_of_the_consenting_only(
    session_factory: Sessions,
) -> None:
    world = await seed(session_factory)
    spec = ExportSpec(kind=ExportKind.CONSENTS, format=ExportFormat.JSONL)

    text = await run(session_factory, spec)

    assert_no_identifiers(text, world)
    assert_no_group_codes(text, world)
    rows = jsonl(text)
    person = SHOWN.code(world.pseudonyms["granted"])
    assert rows == [
        {
            "person": person,
            "kind": "participation",
            "version": "participation-v1",
            "decision": "granted",
            "decided_at": "2026-03-02",
            "withdrawn_at": None,
            "channel": "telegram",
        },
        {
            "person": person,
            "kind": "evaluation",
            "version": "evaluation-v2",
            "decision": "granted",
            "decided_at": "2026-03-02",
            "withdrawn_at": None,
            "channel": "telegram",
        },
    ]
    for name in ("withdrawn", "redeclined", "never_asked"):
        assert SHOWN.code(world.pseudonyms[name]) not in text, "a 'no' is not listed"

    text = await run(session_factory, ExportSpec(ExportKind.CONSENTS, ExportFormat.CSV))
    rows_csv = csv_rows(text)
    assert [row["decision"] for row in rows_csv] == [row["decision"] for row in rows]
    assert list(rows_csv[0]) == list(export.CONSENT_COLUMNS)


@pytest.mark.parametrize("include_free_text", [False, True])
async def test_each_export_is_audited_with_what_it_left_out(
    session_factory: Sessions, include_free_text: bool
) -> None:
    await seed(session_factory)

    await run(
        session_factory, requests_spec(ExportFormat.CSV, include_free_text=include_free_text)
    )

    async with session_factory() as session:
        events = (await session.scalars(select(AuditEvent))).all()
    assert [(e.action, e.details) for e in events] == [
        (
            "data.exported",
            {
                "kind": "requests",
                "format": "csv",
                "rows": 1,
                "left_out": 4,
                "free_text": include_free_text,
                "coarse": False,
                "complete": True,
            },
        )
    ]


async def test_an_export_that_fails_midway_is_still_audited(session_factory: Sessions) -> None:
    await seed(session_factory)
    await grant_everyone(session_factory)

    class FullDisk(io.StringIO):
        def write(self, text: str) -> int:
            if self.tell() > 0:
                raise OSError("no space left on device")
            return super().write(text)

    with pytest.raises(OSError, match="no space"):
        await write_export(
            caller_deps(session_factory, CIPHER),
            requests_spec(ExportFormat.JSONL),
            FullDisk(),
            now=T0,
        )
    async with session_factory() as session:
        event = (await session.scalars(select(AuditEvent))).one()
    assert (event.details["rows"], event.details["complete"]) == (1, False)


async def test_requests_are_read_in_batches(session_factory: Sessions) -> None:
    world = await seed(session_factory)
    await grant_everyone(session_factory)

    async with session_factory() as session, session.begin():
        ctx = context_for(caller_deps(session_factory, CIPHER), session, T0)
        rows = [
            row
            async for row in export.request_rows(ctx, SHOWN, include_free_text=True, batch_size=2)
        ]

    still_here = ("granted", "withdrawn", "redeclined", "never_asked")
    assert [row["request"] for row in rows] == [SHOWN.code(world.codes[n]) for n in still_here]
    assert rows[0]["summary"] == "summary secret of granted"


async def test_empty_database_gives_a_header_only_csv(session_factory: Sessions) -> None:
    text = await run(session_factory, requests_spec(ExportFormat.CSV))

    assert text == "\ufeff" + ",".join(export.REQUEST_COLUMNS) + "\r\n"
    assert await run(session_factory, requests_spec(ExportFormat.JSONL)) == ""
    async with session_factory() as session:
        counted = (
            await session.scalars(
                select(AuditEvent.details).where(AuditEvent.action == "data.exported")
            )
        ).all()
    assert [details["rows"] for details in counted] == [0, 0], "a lone header is no row"
