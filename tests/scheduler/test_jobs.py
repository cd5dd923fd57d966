"""Scheduler ticks: registered once with fixed ids, and each does its job on the database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from sqlalchemy import select

from peerbot.bot.app import build_application
from peerbot.bot.deps import Deps
from peerbot.config import load_settings
from peerbot.program import load_program
from peerbot.scheduler import jobs
from peerbot.services.escalations import escalations
from peerbot.storage import outbox
from peerbot.storage.crypto import FieldCipher
from peerbot.storage.models import OutboxMessage, Person
from tests.support.contexts import service_context
from tests.support.rows import begin_conversation

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def make_deps(engine, session_factory, now: datetime, **settings_overrides: object) -> Deps:
    settings = load_settings(
        bot_token="1:test", database_url=str(engine.url), **settings_overrides
    )
    return Deps(
        settings=settings,
        engine=engine,
        sessions=session_factory,
        program=load_program(),
        cipher=FieldCipher(FieldCipher.generate_key()),
        clock=lambda: now,
    )


def tick_context(deps: Deps) -> SimpleNamespace:
    return SimpleNamespace(job=SimpleNamespace(data=deps))


async def test_every_tick_is_registered_once_with_a_fixed_id(engine, session_factory):
    deps = make_deps(engine, session_factory, T0)
    application = build_application(deps)
    assert application.job_queue is not None
    jobs.register(application.job_queue, deps)
    jobs.register(application.job_queue, deps)  # a second registration replaces, never duplicates
    await application.job_queue.start()
    try:
        ids = sorted(job.id for job in application.job_queue.scheduler.get_jobs())
    finally:
        await application.job_queue.stop(wait=False)
    assert ids == sorted(tick.__name__ for tick, _, _ in jobs.TICKS)


async def test_idle_tick_sends_the_reminder(engine, session_factory):
    async with session_factory() as session, session.begin():
        await begin_conversation(session, 31, T0, flow="consent", step="about_program")
    deps = make_deps(engine, session_factory, T0 + timedelta(hours=25))
    await jobs.nudge_idle_conversations(tick_context(deps))  # type: ignore[arg-type]
    async with session_factory() as session:
        texts = [m.payload["text"] for m in await session.scalars(select(OutboxMessage))]
    assert texts == [deps.program.texts.get("reminder.idle", "en")]


async def test_outbox_tick_deletes_what_was_delivered_to_people(engine, session_factory):
    async with session_factory() as session, session.begin():
        await outbox.enqueue(session, chat_id=41, payload={"text": "hello"}, now=T0)
        row = (await session.scalars(select(OutboxMessage))).one()
        await outbox.mark_sent(session, row.id, now=T0, telegram_message_id=9)
    deps = make_deps(engine, session_factory, T0 + timedelta(hours=2))
    await jobs.prune_outbox(tick_context(deps))  # type: ignore[arg-type]
    async with session_factory() as session:
        assert (await session.scalars(select(OutboxMessage))).all() == []


async def test_escalation_tick_raises_an_unclaimed_card_again_and_wakes_the_sender(
    engine, session_factory
):
    raised = make_deps(engine, session_factory, T0, coordinator_chat_id=-1009)
    async with session_factory() as session, session.begin():
        ctx = service_context(session, raised.program, raised.cipher, raised.settings, T0)
        person = Person(pseudonym="P-TICK", created_at=T0)
        session.add(person)
        await session.flush()
        escalation = await escalations.raise_flag(
            ctx, person, category="suicide", severity="critical", source="message"
        )
    woken: list[bool] = []
    for minutes in (4, 5, 5):
        deps = make_deps(
            engine, session_factory, T0 + timedelta(minutes=minutes), coordinator_chat_id=-1009
        )
        deps.sender = SimpleNamespace(wake=lambda: woken.append(True))  # type: ignore[assignment]
        await jobs.reraise_unclaimed_escalations(tick_context(deps))  # type: ignore[arg-type]
    async with session_factory() as session:
        keys = list(await session.scalars(select(OutboxMessage.dedupe_key)))
    assert sorted(keys) == [
        f"escalation:{escalation.id}:raised",
        f"escalation:{escalation.id}:reraised:1",
    ]
    assert woken == [True]  # only the tick that queued something woke the sender
