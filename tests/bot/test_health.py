"""The operator's endpoints on a real database: liveness, readiness and Prometheus metrics."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette

from peerbot.bot.deps import Deps
from peerbot.bot.health import health_routes
from peerbot.storage.db import create_engine, make_session_factory
from peerbot.storage.enums import (
    CheckinKind,
    CheckinStatus,
    EscalationCategory,
    EscalationSeverity,
    EscalationStatus,
    OutboxStatus,
)
from peerbot.storage.migrate import upgrade_to_head
from peerbot.storage.models import Checkin, Escalation, OutboxMessage, Person, ProcessedUpdate
from tests.support.supporter_steps import deps_for

# Nothing listens on the discard port: the database is unreachable.
UNREACHABLE_URL = "postgresql+asyncpg://postgres@127.0.0.1:9/peerbot"

EVERY_SAMPLE = {
    "peerbot_updates_received_total",
    "peerbot_updates_processed_total",
    "peerbot_update_processing_seconds_bucket",
    "peerbot_telegram_429_total",
    "peerbot_checkins_sent_total",
    "peerbot_inbox_backlog",
    "peerbot_outbox_backlog",
    "peerbot_escalations_open",
    "peerbot_checkins_due",
}


def replica(engine: AsyncEngine) -> httpx.AsyncClient:
    """An HTTP client talking to the health routes of a bot on this engine's database."""
    deps = deps_for(engine, make_session_factory(engine))
    app = Starlette(routes=health_routes(deps))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://replica")


def samples(page: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a Prometheus text page, by name and labels."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(page)
        for sample in family.samples
    }


@pytest.fixture
async def unmigrated(database_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine on an empty database (no tables, no alembic_version)."""
    engine = create_engine(database_url)
    yield engine
    await engine.dispose()


async def test_a_migrated_database_is_live_and_ready(engine):
    async with replica(engine) as http:
        live = await http.get("/healthz")
        ready = await http.get("/readyz")

    assert (live.status_code, live.json()) == (200, {"status": "ok"})
    assert (ready.status_code, ready.json()) == (200, {"status": "ready"})


async def test_an_unmigrated_database_is_not_ready_until_migrated(unmigrated, database_url):
    async with replica(unmigrated) as http:
        before = await http.get("/readyz")
        live = await http.get("/healthz")
        await asyncio.to_thread(upgrade_to_head, database_url)
        after = await http.get("/readyz")

    assert (before.status_code, before.json()) == (
        503,
        {"status": "unavailable", "reason": "not_migrated"},
    )
    assert live.status_code == 200, "the process is up even when the database is not ready"
    assert after.status_code == 200


async def test_a_database_at_another_revision_is_not_ready(engine):
    async with engine.begin() as connection:
        await connection.execute(text("UPDATE alembic_version SET version_num = '0123abcd'"))

    async with replica(engine) as http:
        ready = await http.get("/readyz")

    assert (ready.status_code, ready.json()["reason"]) == (503, "revision_mismatch")


async def test_an_unreachable_database_is_not_ready_but_metrics_still_answer():
    engine = create_engine(UNREACHABLE_URL)
    try:
        async with replica(engine) as http:
            live = await http.get("/healthz")
            ready = await http.get("/readyz")
            page = await http.get("/metrics")
    finally:
        await engine.dispose()

    assert live.status_code == 200
    assert (ready.status_code, ready.json()["reason"]) == (503, "database_unreachable")
    assert page.status_code == 200
    assert "peerbot_updates_processed_total" in page.text


async def seed_backlog(deps: Deps) -> None:
    """Rows waiting and rows done of every kind the gauges count."""
    now = deps.clock()
    hour = timedelta(hours=1)
    async with deps.sessions() as session, session.begin():
        person = Person(pseudonym="P-HEALTH", telegram_user_id=4242)
        session.add(person)
        await session.flush()

        def escalation(severity: EscalationSeverity, status: EscalationStatus) -> Escalation:
            return Escalation(
                person_id=person.id,
                category=EscalationCategory.ACUTE_DISTRESS,
                severity=severity,
                status=status,
                source="test",
            )

        def checkin(due_in: timedelta, status: CheckinStatus) -> Checkin:
            return Checkin(
                person_id=person.id,
                kind=CheckinKind.SUPPORTER_WELLBEING,
                due_at=now + due_in,
                status=status,
            )

        def message(chat_id: int, status: OutboxStatus) -> OutboxMessage:
            return OutboxMessage(chat_id=chat_id, payload={"text": "x"}, status=status)

        session.add_all(
            [
                ProcessedUpdate(update_id=1, received_at=now),
                ProcessedUpdate(update_id=2, received_at=now),
                ProcessedUpdate(update_id=3, received_at=now, processed_at=now, outcome="ok"),
                *(message(chat, OutboxStatus.PENDING) for chat in (11, 11, 12)),
                message(13, OutboxStatus.SENT),
                message(14, OutboxStatus.FAILED),
                escalation(EscalationSeverity.CRITICAL, EscalationStatus.OPEN),
                escalation(EscalationSeverity.CRITICAL, EscalationStatus.OPEN),
                escalation(EscalationSeverity.HIGH, EscalationStatus.CLAIMED),
                escalation(EscalationSeverity.MEDIUM, EscalationStatus.OPEN),
                escalation(EscalationSeverity.MEDIUM, EscalationStatus.RESOLVED),
                checkin(-hour, CheckinStatus.SCHEDULED),
                checkin(-2 * hour, CheckinStatus.SCHEDULED),
                checkin(24 * hour, CheckinStatus.SCHEDULED),
                checkin(-hour, CheckinStatus.SENT),
            ]
        )


async def test_metrics_name_every_metric_and_count_the_backlog(engine, session_factory):
    deps = deps_for(engine, session_factory)
    await seed_backlog(deps)

    async with replica(engine) as http:
        page = await http.get("/metrics")

    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/plain")
    found = samples(page.text)
    assert EVERY_SAMPLE - {name for name, _ in found} == set()
    assert found["peerbot_inbox_backlog", ()] == 2
    assert found["peerbot_outbox_backlog", ()] == 3
    assert found["peerbot_checkins_due", ()] == 2
    open_by_severity = {
        labels[0][1]: value for (name, labels), value in found.items()
        if name == "peerbot_escalations_open"
    }  # fmt: skip
    assert open_by_severity == {"critical": 2, "high": 0, "medium": 1}
