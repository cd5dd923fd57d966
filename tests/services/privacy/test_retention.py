"""Retention on a seeded database: free text of cases closed long ago goes, open and recent
cases keep theirs, people gone quiet are pseudonymized, and every count stays."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from peerbot.bot.deps import Deps
from peerbot.config import load_settings
from peerbot.dialogs.policy import PolicyError, RetentionPolicy, build_policy
from peerbot.program import load_program
from peerbot.scheduler import jobs, retention_pass
from peerbot.services.common.context import context_for
from peerbot.services.conversations.flows import SEALED
from peerbot.services.privacy import retention
from peerbot.storage import personal_data
from peerbot.storage.crypto import FieldCipher
from peerbot.storage.enums import (
    CheckinStatus,
    ConversationStatus,
    EscalationStatus,
    MatchStatus,
    PersonStatus,
    Role,
    SupportRequestStatus,
)
from peerbot.storage.models import (
    Answer,
    AuditEvent,
    Base,
    Checkin,
    Conversation,
    Invite,
    Person,
    ProcessedUpdate,
    RoleAssignment,
    SupporterProfile,
    SupportRequest,
)
from peerbot.storage.personal_data import Expiry
from tests.support.contexts import caller_deps
from tests.support.rows import (
    add_escalation,
    add_feedback,
    add_intake_answer,
    add_match,
    add_note,
    add_person,
    add_request,
    due_checkin,
)

NOW = datetime(2026, 9, 1, 12, 0, tzinfo=UTC)
POLICY = RetentionPolicy(free_text_days=20, inactive_months=24)
OLD = NOW - timedelta(days=25)  # closed before the 20 days: its free text goes
RECENT = NOW - timedelta(days=5)  # closed within them: kept
LONG_AGO = NOW - timedelta(days=800)  # beyond 24 months without activity
CIPHER = FieldCipher(FieldCipher.generate_key())
GONE, KEPT = "erase-me", "keep-me"  # every seeded text starts with one of these


@dataclass
class Seeded:
    quiet: int  # a participant inactive for 26 months: pseudonymized
    kept_people: dict[int, tuple[int | None, str | None]]  # id -> (telegram id, name) after


async def seed(session: AsyncSession) -> Seeded:
    """Closed cases old and recent, open cases, and people active, quiet or kept anyway."""
    supporter = await add_person(session, CIPHER, f"{KEPT} supporter")
    supporter.last_seen_at = RECENT
    session.add(
        SupporterProfile(person_id=supporter.id, capacity=2, bio_enc=CIPHER.encrypt(f"{KEPT} bio"))
    )

    # A case closed 25 days ago, with free text everywhere a case keeps it.
    closed, old_request = await _participant(
        session, f"{KEPT} closed-case", RECENT, f"{GONE} summary", OLD - timedelta(days=2), OLD
    )
    await add_intake_answer(session, old_request, "who_for", "myself")
    await _free_answer(session, closed.id, old_request.id, f"{GONE} intake answer", OLD)
    await _supported(
        session,
        old_request,
        supporter,
        f"{GONE} contact note",
        status=MatchStatus.ENDED,
        approved_at=OLD - timedelta(days=1, hours=12),
        ended_at=OLD,
    )
    await add_feedback(session, CIPHER, old_request, at=OLD, comments=f"{GONE} feedback")
    await _escalation(session, closed.id, f"{GONE} escalation note", resolved_at=OLD)
    await _conversation(session, closed, ConversationStatus.COMPLETED, OLD, f"{GONE} sealed")

    # An open case, started just as long ago: it keeps everything.
    open_case, open_request = await _participant(
        session, f"{KEPT} open-case", RECENT, f"{KEPT} open summary", OLD - timedelta(days=2)
    )
    open_request.status = SupportRequestStatus.MATCHED
    await _free_answer(session, open_case.id, open_request.id, f"{KEPT} open answer", OLD)
    approved_at = OLD - timedelta(days=1, hours=6)
    await _supported(
        session, open_request, supporter, f"{KEPT} open note", approved_at=approved_at
    )
    await _escalation(session, open_case.id, f"{KEPT} claimed escalation note", resolved_at=None)
    await _conversation(session, open_case, ConversationStatus.ACTIVE, OLD, f"{KEPT} active")

    # A case closed five days ago.
    recent, _ = await _participant(
        session, f"{KEPT} recent", RECENT, f"{KEPT} recent summary", RECENT - timedelta(3), RECENT
    )
    await _escalation(session, recent.id, f"{KEPT} recent escalation note", resolved_at=RECENT)
    await _conversation(session, recent, ConversationStatus.COMPLETED, RECENT, f"{KEPT} sealed")

    # The supporter's check-ins: notes are answers of flow "checkin", without a request.
    scores = {"score": 64.0, "answers": {"who5_1": 3, "raw": 16, "band": "good"}}
    for when, note in ((OLD, f"{GONE} check-in note"), (RECENT, f"{KEPT} check-in note")):
        status = CheckinStatus.ANSWERED
        session.add(due_checkin(supporter, when, status=status, answered_at=when, **scores))
        await _free_answer(session, supporter.id, None, note, when, flow="checkin")
    session.add(due_checkin(supporter, OLD - timedelta(days=1), status=CheckinStatus.MISSED))

    # Invites: one used long ago, one still open.
    for used_at, expires_at, note in (
        (OLD, OLD + timedelta(days=2), f"{GONE} invite note"),
        (None, NOW + timedelta(days=5), f"{KEPT} invite note"),
    ):
        session.add(
            Invite(
                code_hash=f"{note:x<64}"[:64],
                role=Role.SUPPORTER,
                created_at=OLD - timedelta(days=1),
                expires_at=expires_at,
                used_at=used_at,
                used_by_id=supporter.id if used_at else None,
                note_enc=CIPHER.encrypt(note),
            )
        )
    # An update processed long ago whose payload was somehow left, one received as long ago
    # and never handled, and one waiting to replay.
    session.add_all(
        [
            ProcessedUpdate(
                update_id=1,
                received_at=OLD,
                processed_at=OLD,
                payload_enc=CIPHER.encrypt(f"{GONE} update"),
            ),
            ProcessedUpdate(
                update_id=2, received_at=OLD, payload_enc=CIPHER.encrypt(f"{GONE} stuck update")
            ),
            ProcessedUpdate(
                update_id=3, received_at=RECENT, payload_enc=CIPHER.encrypt(f"{KEPT} update")
            ),
        ]
    )

    # People gone quiet for 26 months: a participant (pseudonymized), a coordinator and a
    # participant whose request is still open (both kept).
    quiet, _ = await _participant(
        session, f"{GONE} quiet", LONG_AGO, f"{GONE} quiet summary", LONG_AGO, LONG_AGO
    )
    coordinator = await add_person(session, CIPHER, f"{KEPT} coordinator")
    coordinator.last_seen_at = LONG_AGO
    session.add(RoleAssignment(person_id=coordinator.id, role=Role.COORDINATOR))
    waiting, _ = await _participant(
        session, f"{KEPT} waiting", None, f"{KEPT} waiting summary", LONG_AGO
    )
    waiting.created_at = LONG_AGO  # never seen since joining; the request still new
    await session.flush()
    kept = [supporter, closed, open_case, recent, coordinator, waiting]
    return Seeded(
        quiet=quiet.id,
        kept_people={p.id: (p.telegram_user_id, p.display_name_enc) for p in kept},
    )


async def _participant(
    session: AsyncSession,
    name: str,
    seen: datetime | None,
    summary: str,
    created_at: datetime,
    closed_at: datetime | None = None,
) -> tuple[Person, SupportRequest]:
    """A participant last seen at ``seen`` with one request: closed at closed_at, or new."""
    person = await add_person(session, CIPHER, f"{name} participant")
    person.last_seen_at = seen
    request = await add_request(
        session,
        person,
        status=SupportRequestStatus.CLOSED if closed_at else SupportRequestStatus.NEW,
        created_at=created_at,
        closed_at=closed_at,
        summary_enc=CIPHER.encrypt(summary),
    )
    return person, request


async def _supported(
    session: AsyncSession,
    request: SupportRequest,
    supporter: Person,
    note: str,
    *,
    status: MatchStatus = MatchStatus.ACCEPTED,
    **match: Any,
) -> None:
    """A match on ``request`` accepted the day before OLD, and the supporter's note at OLD."""
    accepted = await add_match(
        session, request, supporter, status=status, decided_at=OLD - timedelta(days=1), **match
    )
    await add_note(session, CIPHER, accepted, supporter, note, contact_at=OLD)


async def _free_answer(
    session: AsyncSession,
    person_id: int,
    request_id: int | None,
    text: str,
    at: datetime,
    *,
    flow: str = "intake",
) -> None:
    session.add(
        Answer(
            person_id=person_id,
            support_request_id=request_id,
            flow=flow,
            question="anything_else" if flow == "intake" else "note",
            value_enc=CIPHER.encrypt(text),
            answered_at=at,
        )
    )


async def _escalation(
    session: AsyncSession, person_id: int, note: str, *, resolved_at: datetime | None
) -> None:
    """An escalation with a coordinator's note: resolved at resolved_at, or claimed."""
    settled = resolved_at or OLD
    await add_escalation(
        session,
        person_id,
        note=note,
        cipher=CIPHER,
        status=EscalationStatus.RESOLVED if resolved_at else EscalationStatus.CLAIMED,
        created_at=settled - timedelta(hours=2),
        claimed_at=settled - timedelta(hours=1),
        resolved_at=resolved_at,
    )


async def _conversation(
    session: AsyncSession, person: Person, status: ConversationStatus, at: datetime, text: str
) -> None:
    state = {
        "engine": {
            "answers": {"who_for": "myself", "anything_else": {SEALED: CIPHER.encrypt(text)}}
        },
        "meta": {"request": 1},
    }
    session.add(
        Conversation(
            chat_id=person.telegram_user_id,
            person_id=person.id,
            flow="intake",
            step="summary",
            state=state,
            status=status,
            started_at=at - timedelta(hours=1),
            updated_at=at,
        )
    )


async def free_texts(session: AsyncSession) -> list[str]:
    """Every free text left in the database, decrypted: each ``*_enc`` column of every table
    the models define, and the sealed answers in conversation states."""
    found: list[str] = []
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            if column.name.endswith("_enc"):
                values = await session.scalars(select(column).where(column.is_not(None)))
                found += [CIPHER.decrypt(value) or "" for value in values]
    for state in await session.scalars(select(Conversation.state)):
        answers = (state.get("engine") or {}).get("answers") or {}
        found += [
            CIPHER.decrypt(value[SEALED]) or ""
            for value in answers.values()
            if isinstance(value, dict) and SEALED in value
        ]
    return found


async def snapshot(session: AsyncSession) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, to see that nothing changed."""
    return {
        table.name: sorted((tuple(row) for row in await session.execute(select(table))), key=repr)
        for table in Base.metadata.sorted_tables
    }


@pytest.fixture
async def seeded(session_factory: async_sessionmaker[AsyncSession]) -> Seeded:
    async with session_factory() as session, session.begin():
        return await seed(session)


@pytest.fixture
def deps(session_factory: async_sessionmaker[AsyncSession]) -> Deps:
    """What a caller runs retention with: the tick's or the CLI's dependencies."""
    return replace(caller_deps(session_factory, CIPHER), clock=lambda: NOW)


def test_retention_erases_what_the_inventory_says_expires_and_nothing_else():
    after_close = {entry.place for entry in personal_data.expiring(Expiry.AFTER_CLOSE)}
    conversation_over = {entry.place for entry in personal_data.expiring(Expiry.CONVERSATION_OVER)}
    assert {free_text.place for free_text in retention.FREE_TEXT} == after_close
    assert conversation_over == {retention.SEALED_STATES}


async def test_free_text_of_cases_closed_long_ago_is_erased_and_the_rest_kept(
    session_factory, deps, seeded
):
    async with session_factory() as session:
        before = await free_texts(session)
    assert sum(text.startswith(GONE) for text in before) == 13  # the quiet one's name twice

    report = await retention_pass.run(deps, POLICY, now=NOW)

    async with session_factory() as session:
        after = await free_texts(session)
        checkin_answers = list(await session.scalars(select(Checkin.answers)))
    assert [text for text in after if not text.startswith(KEPT)] == []
    # a check-in's note is an answers row; the check-in keeps scored items only
    assert checkin_answers and all("note" not in (answers or {}) for answers in checkin_answers)
    assert sorted(after) == sorted(text for text in before if text.startswith(KEPT))
    assert dict(report.erased) == {
        "support_requests.summary_enc": 2,  # and the quiet participant's, closed long ago
        "answers.value_enc": 3,  # intake answer, feedback comment, old check-in note
        "contact_notes.note_enc": 1,
        "escalation_events.note_enc": 1,
        "invites.note_enc": 1,
        "processed_updates.payload_enc": 2,  # handled or not: nothing waits for 20 days
        "case_messages.body_enc": 0,
        "case_messages.file_id_enc": 0,
        "conversations.state": 1,
    }
    assert report.pseudonymized == 1


async def test_people_gone_quiet_are_pseudonymized_and_no_one_else(session_factory, deps, seeded):
    async with session_factory() as session:
        pseudonym = (await session.get_one(Person, seeded.quiet)).pseudonym

    await retention_pass.run(deps, POLICY, now=NOW)

    async with session_factory() as session:
        quiet = await session.get_one(Person, seeded.quiet)
        assert (quiet.telegram_user_id, quiet.display_name_enc, quiet.username_enc) == (
            None,
            None,
            None,
        )
        assert quiet.status == PersonStatus.ERASED
        assert quiet.pseudonym != pseudonym
        for person_id, identity in seeded.kept_people.items():
            person = await session.get_one(Person, person_id)
            assert (person.telegram_user_id, person.display_name_enc) == identity
            assert person.status == PersonStatus.ACTIVE


async def test_a_dry_run_counts_the_same_and_changes_nothing(
    session_factory, deps, seeded, monkeypatch
):
    monkeypatch.setattr(retention, "BATCH_SIZE", 1)  # every row its own page and transaction
    async with session_factory() as session:
        before = await snapshot(session)

    dry = await retention_pass.run(deps, POLICY, now=NOW, dry_run=True)

    async with session_factory() as session:
        assert await snapshot(session) == before
    done = await retention_pass.run(deps, POLICY, now=NOW)
    assert (dry.dry_run, done.dry_run) == (True, False)
    assert (dict(dry.erased), dry.pseudonymized) == (dict(done.erased), done.pseudonymized)


async def test_a_run_stopped_midway_keeps_its_finished_batches_and_the_next_run_finishes(
    session_factory, deps, seeded, monkeypatch
):
    monkeypatch.setattr(retention, "BATCH_SIZE", 1)  # every row its own batch and transaction
    erase_one_batch, batches = retention.erase_one_batch, 0

    async def crashing_on_the_second(ctx, progress):
        nonlocal batches
        batches += 1
        erased = await erase_one_batch(ctx, progress)  # its work is done, then the crash
        if batches == 2:
            raise RuntimeError("the process stops here")
        return erased

    monkeypatch.setattr(retention, "erase_one_batch", crashing_on_the_second)
    with pytest.raises(RuntimeError, match="stops here"):
        await retention_pass.run(deps, POLICY, now=NOW)

    async with session_factory() as session:
        texts = await free_texts(session)
        actions = list(await session.scalars(select(AuditEvent.action)))
    # The first batch's value stays erased; the second batch's work was rolled back.
    assert sum(text.startswith(GONE) for text in texts) == 13 - 1
    assert (actions.count("retention.erased"), actions.count(retention.RAN)) == (1, 0)

    monkeypatch.setattr(retention, "erase_one_batch", erase_one_batch)
    report = await retention_pass.run(deps, POLICY, now=NOW)

    assert (report.values_erased, report.pseudonymized) == (11 - 1, 1)  # only what was left
    async with session_factory() as session:
        assert [text for text in await free_texts(session) if not text.startswith(KEPT)] == []


async def test_a_run_is_audited_with_counts_and_ids_only(session_factory, deps, seeded):
    report = await retention_pass.run(deps, POLICY, now=NOW)
    again = await retention_pass.run(deps, POLICY, now=NOW)

    async with session_factory() as session:
        events = list(await session.scalars(select(AuditEvent).order_by(AuditEvent.id)))
    ran = [event.details for event in events if event.action == retention.RAN]
    assert [details["erased"] for details in ran] == [
        dict(report.erased),
        dict.fromkeys(report.erased, 0),
    ]
    assert [details["pseudonymized"] for details in ran] == [1, 0]
    assert again.values_erased == 0
    erased = [event.details for event in events if event.action == "retention.erased"]
    assert {details["place"]: len(details["ids"]) for details in erased} == {
        place: count for place, count in report.erased.items() if count
    }
    assert [
        (event.action, event.subject_person_id)
        for event in events
        if event.action in ("retention.pseudonymized", "person.erased")
    ] == [("person.erased", seeded.quiet), ("retention.pseudonymized", seeded.quiet)]
    assert not any(GONE in str(event.details) or KEPT in str(event.details) for event in events)


async def test_the_program_figures_are_the_same_after_a_run(session_factory, deps, seeded):
    statistics = pytest.importorskip("peerbot.services.program_view.statistics")

    async def figures() -> list[Any]:
        async with session_factory() as session:
            ctx = context_for(deps, session, NOW)
            windows = [
                await statistics.window_stats(
                    ctx,
                    start=NOW - timedelta(days=days),
                    end=NOW,
                    evaluation_only=evaluation_only,
                )
                for days in (7, 30, 1000)
                for evaluation_only in (False, True)
            ]
            return [*windows, await statistics.current_stats(ctx)]

    before = await figures()
    report = await retention_pass.run(deps, POLICY, now=NOW)

    assert report.values_erased and report.pseudonymized
    assert await figures() == before
    last_30_days = before[2]
    assert (last_30_days.requests_closed, last_30_days.requests_matched) == (2, 1)
    assert (last_30_days.checkins_due, last_30_days.checkins_answered) == (3, 2)
    assert last_30_days.escalations_total == 3


async def test_the_daily_tick_runs_once_after_run_at_in_the_program_time_zone(
    engine, session_factory, deps, seeded
):
    madrid = ZoneInfo("Europe/Madrid")  # 03:30 there is 01:30 UTC in September
    policy = POLICY.model_copy(update={"run_at": "03:30"})

    def at(hour: int, minute: int, days: int = 0) -> datetime:
        return datetime(2026, 9, 1, hour, minute, tzinfo=UTC) + timedelta(days=days)

    first = await retention_pass.run_if_due(deps, policy, time_zone=madrid, now=at(1, 31))
    assert first is not None and first.pseudonymized == 1
    for now in (at(1, 45), at(23, 0), at(1, 29, days=1)):
        assert await retention_pass.run_if_due(deps, policy, time_zone=madrid, now=now) is None

    ticking = Deps(
        settings=load_settings(database_url=str(engine.url), timezone="Europe/Madrid"),
        engine=engine,
        sessions=session_factory,
        program=load_program(),
        cipher=CIPHER,
        clock=lambda: at(1, 30, days=1),
    )
    await jobs.apply_retention(SimpleNamespace(job=SimpleNamespace(data=ticking)))  # type: ignore[arg-type]

    async with session_factory() as session:
        runs = list(
            await session.scalars(
                select(AuditEvent.at).where(AuditEvent.action == retention.RAN).order_by("id")
            )
        )
    assert runs == [at(1, 31), at(1, 30, days=1)]


def test_the_policy_counts_calendar_months_and_names_a_wrong_field():
    policy = RetentionPolicy(inactive_months=1)
    assert policy.inactive_before(datetime(2026, 3, 31, tzinfo=UTC)) == datetime(
        2026, 2, 28, tzinfo=UTC
    )
    assert RetentionPolicy().inactive_before(NOW) == datetime(2024, 9, 1, 12, 0, tzinfo=UTC)
    assert build_policy([]).retention == RetentionPolicy()
    with pytest.raises(PolicyError) as raised:
        build_policy(
            [("program.yaml", {}), ("mine/program.yaml", {"retention": {"free_text_days": 0}})]
        )
    assert str(raised.value) == "mine/program.yaml: retention.free_text_days: must be ≥ 1"
    with pytest.raises(PolicyError, match=r"retention\.run_at: .*HH:MM"):
        build_policy([("program.yaml", {"retention": {"run_at": "3h"}})])
