"""Unclaimed escalations are raised again in the group, then sent to each coordinator privately."""

from __future__ import annotations

import html
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from functools import partial

import pytest
from sqlalchemy import select

from peerbot.config import load_settings
from peerbot.program import ProgramData, ProgramDataError, load_program
from peerbot.services.common.context import ServiceContext
from peerbot.services.coordination import coordinators
from peerbot.services.escalations import escalation_timers, escalations
from peerbot.storage.codes import new_pseudonym
from peerbot.storage.crypto import FieldCipher
from peerbot.storage.enums import EscalationEventKind, EscalationStatus, PersonStatus
from peerbot.storage.models import AuditEvent, Escalation, EscalationEvent, OutboxMessage, Person
from tests.support import contexts

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
GROUP = -1001234
ON_CALL = frozenset({111, 222})
PROGRAM = load_program()
CIPHER = FieldCipher(FieldCipher.generate_key())


def settings(*, group: int | None = GROUP):
    return load_settings(bot_token="1:test", coordinator_chat_id=group, coordinator_ids=ON_CALL)


def service_context(session, now: datetime, program: ProgramData = PROGRAM, **options):
    return contexts.service_context(
        session=session, program=program, cipher=CIPHER, settings=settings(**options), now=now
    )


async def raise_one(session_factory, severity: str, program: ProgramData = PROGRAM) -> int:
    """A participant's red flag at T0, and a coordinator (333) who once pressed a button."""
    async with session_factory() as session, session.begin():
        ctx = service_context(session, T0, program)
        person = Person(telegram_user_id=None, pseudonym=new_pseudonym(), created_at=T0)
        session.add(person)
        await session.flush()
        escalation = await escalations.raise_flag(
            ctx, person, category="suicide", severity=severity, source="intake & <screening>"
        )
        await coordinators.enroll(ctx, 333, "Ana")
        await coordinators.enroll(ctx, 111, "Ben")  # both configured and enrolled: told once
        return escalation.id


async def run_timer(
    timer: Callable[[ServiceContext], Awaitable[int]],
    session_factory,
    now: datetime,
    program: ProgramData = PROGRAM,
    **options: object,
) -> int:
    """Run one of the escalation timers' passes at ``now`` in a unit of work of its own."""
    async with session_factory() as session, session.begin():
        return await timer(service_context(session, now, program, **options))


tick = partial(run_timer, escalation_timers.reraise_due)
remind = partial(run_timer, escalation_timers.remind_claimed_due)


async def reminders(session_factory) -> list[OutboxMessage]:
    """What was queued after the first card, oldest first (not a coordinator's command menu,
    set when they were enrolled)."""
    async with session_factory() as session:
        rows = await session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.method != "setMyCommands")
            .order_by(OutboxMessage.id)
        )
        return [row for row in rows if not row.dedupe_key.endswith(":raised")]


async def first_card(session_factory, escalation_id: int) -> dict:
    """The first card's payload, less the line on replying to it (reminders leave it out: the
    first card is the case's thread)."""
    async with session_factory() as session:
        row = await session.scalar(
            select(OutboxMessage).where(
                OutboxMessage.dedupe_key == f"escalation:{escalation_id}:raised"
            )
        )
        hint = "\n" + PROGRAM.texts.get("case.reply_hint", "en")
        assert row.payload["text"].endswith(hint)
        return {**row.payload, "text": row.payload["text"].removesuffix(hint)}


async def escalation_row(session_factory, escalation_id: int) -> Escalation:
    async with session_factory() as session:
        return await session.get(Escalation, escalation_id)


def minutes(count: int) -> datetime:
    return T0 + timedelta(minutes=count)


async def test_critical_is_raised_again_every_five_minutes_then_sent_to_each_coordinator(
    engine, session_factory
):
    escalation_id = await raise_one(session_factory, "critical")
    assert (await escalation_row(session_factory, escalation_id)).next_reminder_at == minutes(5)

    assert await tick(session_factory, minutes(5) - timedelta(seconds=1)) == 0
    assert await reminders(session_factory) == []

    assert await tick(session_factory, minutes(5)) == 1
    [card] = await reminders(session_factory)
    first = await first_card(session_factory, escalation_id)
    heading = PROGRAM.texts.get("card.reraised", "en", count=1, minutes=5)
    mentions = " · ".join(f'<a href="tg://user?id={user}">on call</a>' for user in (111, 222))
    assert card.chat_id == GROUP
    assert card.dedupe_key == f"escalation:{escalation_id}:reraised:1"
    assert card.payload == {
        "text": f"{heading}\n{mentions}\n\n{html.escape(first['text'], quote=False)}",
        "parse_mode": "HTML",
        "reply_markup": first["reply_markup"],
    }
    assert "intake &amp; &lt;screening&gt;" in card.payload["text"]

    assert await tick(session_factory, minutes(9)) == 0
    assert await tick(session_factory, minutes(10)) == 1
    assert await tick(session_factory, minutes(15)) == 1
    keys = [row.dedupe_key for row in await reminders(session_factory)]
    assert keys == [f"escalation:{escalation_id}:reraised:{count}" for count in (1, 2, 3)]

    assert await tick(session_factory, minutes(20)) == 1
    private = (await reminders(session_factory))[3:]
    assert [row.chat_id for row in private] == [111, 222, 333]
    heading = PROGRAM.texts.get("card.unclaimed_privately", "en", minutes=20)
    assert private[0].payload["text"].startswith(html.escape(heading, quote=False) + "\n\n")
    assert "tg://user" not in private[0].payload["text"]
    assert private[0].payload["reply_markup"] == first["reply_markup"]

    for later in (25, 60, 24 * 60):
        assert await tick(session_factory, minutes(later)) == 0
    assert len(await reminders(session_factory)) == 6
    escalation = await escalation_row(session_factory, escalation_id)
    assert (escalation.reminders_sent, escalation.next_reminder_at) == (3, None)
    async with session_factory() as session:
        kinds = list(await session.scalars(select(EscalationEvent.kind)))
        audited = list(await session.scalars(select(AuditEvent.details).where(
            AuditEvent.action == "escalation.sent_privately"
        )))  # fmt: skip
    assert kinds.count(EscalationEventKind.REMINDED) == 4
    assert audited == [{"escalation_id": escalation_id, "recipients": 3}]


async def test_a_tick_run_twice_at_the_same_time_queues_nothing_twice(engine, session_factory):
    await raise_one(session_factory, "critical")
    assert await tick(session_factory, minutes(5)) == 1
    assert await tick(session_factory, minutes(5)) == 0
    assert len(await reminders(session_factory)) == 1


async def test_high_waits_thirty_minutes(engine, session_factory):
    escalation_id = await raise_one(session_factory, "high")
    assert await tick(session_factory, minutes(29)) == 0
    assert await tick(session_factory, minutes(30)) == 1
    assert await tick(session_factory, minutes(59)) == 0
    assert await tick(session_factory, minutes(60)) == 1
    keys = [row.dedupe_key for row in await reminders(session_factory)]
    assert keys == [f"escalation:{escalation_id}:reraised:{count}" for count in (1, 2)]


async def test_medium_is_raised_again_after_four_hours(engine, session_factory):
    escalation_id = await raise_one(session_factory, "medium")
    assert (await escalation_row(session_factory, escalation_id)).next_reminder_at == minutes(240)
    assert await tick(session_factory, minutes(239)) == 0
    assert await tick(session_factory, minutes(240)) == 1
    assert [row.dedupe_key for row in await reminders(session_factory)] == [
        f"escalation:{escalation_id}:reraised:1"
    ]


async def test_a_severity_set_to_null_is_never_raised_again(engine, session_factory, tmp_path):
    (tmp_path / "program.yaml").write_text(
        "escalations:\n  reraise_after_minutes: {medium: null}\n"
    )
    program = load_program(tmp_path)
    escalation_id = await raise_one(session_factory, "medium", program)
    assert (await escalation_row(session_factory, escalation_id)).next_reminder_at is None
    assert await tick(session_factory, minutes(7 * 24 * 60), program) == 0
    assert await reminders(session_factory) == []


async def test_a_claimed_or_resolved_escalation_is_never_raised_again(engine, session_factory):
    claimed = await raise_one(session_factory, "critical")
    resolved = await raise_one(session_factory, "critical")
    assert await tick(session_factory, minutes(5)) == 2
    async with session_factory() as session, session.begin():
        (await session.get(Escalation, claimed)).status = EscalationStatus.CLAIMED
        (await session.get(Escalation, resolved)).status = EscalationStatus.RESOLVED
    for later in (10, 15, 20, 60):
        assert await tick(session_factory, minutes(later)) == 0
    assert len(await reminders(session_factory)) == 2


async def test_a_stopped_or_erased_subject_is_still_chased(engine, session_factory):
    stopped = await raise_one(session_factory, "critical")
    erased = await raise_one(session_factory, "critical")
    async with session_factory() as session, session.begin():
        person = await session.get(Person, (await session.get(Escalation, stopped)).person_id)
        person.status = PersonStatus.STOPPED
        await session.delete(
            await session.get(Person, (await session.get(Escalation, erased)).person_id)
        )
    assert await tick(session_factory, minutes(5)) == 2
    cards = await reminders(session_factory)
    assert [card.dedupe_key for card in cards] == [
        f"escalation:{stopped}:reraised:1",
        f"escalation:{erased}:reraised:1",
    ]
    assert "Case: — (participant)" in cards[1].payload["text"]


async def test_without_a_group_the_card_goes_to_each_coordinator_at_once(engine, session_factory):
    await raise_one(session_factory, "critical")
    assert await tick(session_factory, minutes(5), group=None) == 1
    assert [row.chat_id for row in await reminders(session_factory)] == [111, 222, 333]
    assert await tick(session_factory, minutes(10), group=None) == 0


async def test_program_yaml_changes_the_interval(engine, session_factory, tmp_path):
    (tmp_path / "program.yaml").write_text(
        "escalations:\n  reraise_after_minutes: {critical: 2}\n  max_reraises: 1\n"
    )
    program = load_program(tmp_path)
    await raise_one(session_factory, "critical", program)
    assert await tick(session_factory, minutes(1), program) == 0
    assert await tick(session_factory, minutes(2), program) == 1
    assert await tick(session_factory, minutes(4), program) == 1  # max 1: now privately
    assert [row.chat_id for row in await reminders(session_factory)] == [GROUP, 111, 222, 333]


# Claimed but unresolved: the claimer first, privately, then the group.


async def claim(session_factory, escalation_id: int, at: datetime, *, by: int = 333) -> None:
    """Coordinator `by` (Ana, 333) claims the escalation at `at`, as the desk does."""
    async with session_factory() as session, session.begin():
        escalation = await session.get(Escalation, escalation_id)
        coordinator = await session.scalar(select(Person).where(Person.telegram_user_id == by))
        escalation.status = EscalationStatus.CLAIMED
        escalation.claimed_by_id, escalation.claimed_at = coordinator.id, at
        escalation.next_reminder_at = None


async def resolve(session_factory, escalation_id: int, at: datetime) -> None:
    async with session_factory() as session, session.begin():
        escalation = await session.get(Escalation, escalation_id)
        escalation.status, escalation.resolved_at = EscalationStatus.RESOLVED, at


async def claimed_reminders(session_factory) -> list[OutboxMessage]:
    rows = await reminders(session_factory)
    return [row for row in rows if "claimed-reminder" in row.dedupe_key]


async def test_a_claimed_critical_left_unresolved_reminds_the_claimer_then_the_group(
    engine, session_factory
):
    escalation_id = await raise_one(session_factory, "critical")
    await claim(session_factory, escalation_id, minutes(2))
    first = await first_card(session_factory, escalation_id)

    assert await remind(session_factory, minutes(61)) == 0
    assert await remind(session_factory, minutes(62)) == 1
    [private] = await claimed_reminders(session_factory)
    heading = PROGRAM.texts.get("card.claimed_reminder_private", "en", elapsed="60 min")
    assert private.chat_id == 333, "the coordinator who claimed it, privately"
    assert private.priority == 5
    assert private.payload["text"].startswith(html.escape(heading, quote=False) + "\n\n")
    assert html.escape(first["text"], quote=False) in private.payload["text"]
    assert private.payload["reply_markup"] == first["reply_markup"]  # Resolve is one press away

    assert await remind(session_factory, minutes(62)) == 0, "a tick run twice sends once"
    assert await remind(session_factory, minutes(121)) == 0
    assert await remind(session_factory, minutes(122)) == 1
    group = (await claimed_reminders(session_factory))[1]
    heading = PROGRAM.texts.get(
        "card.claimed_reminder_group", "en", name="Ana", elapsed="2 h", count=2
    )
    assert group.chat_id == GROUP
    assert group.payload["text"].startswith(html.escape(heading, quote=False) + "\n\n")

    assert await remind(session_factory, minutes(182)) == 1
    for later in (242, 24 * 60, 7 * 24 * 60):  # max_claimed_reminders: 3
        assert await remind(session_factory, minutes(later)) == 0
    assert [row.chat_id for row in await claimed_reminders(session_factory)] == [
        333,
        GROUP,
        GROUP,
    ]
    escalation = await escalation_row(session_factory, escalation_id)
    assert (escalation.claimed_reminders_sent, escalation.claimed_reminded_at) == (3, minutes(182))
    assert await tick(session_factory, minutes(24 * 60)) == 0, "never re-raised as unclaimed"


async def test_resolving_stops_the_reminders(engine, session_factory):
    escalation_id = await raise_one(session_factory, "critical")
    await claim(session_factory, escalation_id, T0)
    assert await remind(session_factory, minutes(60)) == 1
    await resolve(session_factory, escalation_id, minutes(70))
    for later in (120, 180, 7 * 24 * 60):
        assert await remind(session_factory, minutes(later)) == 0
    assert len(await claimed_reminders(session_factory)) == 1


async def test_high_is_chased_after_a_day_and_medium_after_three(engine, session_factory):
    high = await raise_one(session_factory, "high")
    medium = await raise_one(session_factory, "medium")
    await claim(session_factory, high, T0)
    await claim(session_factory, medium, T0)
    assert await remind(session_factory, minutes(24 * 60 - 1)) == 0
    assert await remind(session_factory, minutes(24 * 60)) == 1
    assert await remind(session_factory, minutes(48 * 60)) == 1  # high's second, to the group
    assert await remind(session_factory, minutes(72 * 60 - 1)) == 0
    assert await remind(session_factory, minutes(72 * 60)) == 2  # high's third, medium's first
    keys = [row.dedupe_key for row in await claimed_reminders(session_factory)]
    assert [key.split(":")[1] for key in keys] == [str(high)] * 3 + [str(medium)]


async def test_without_a_group_later_reminders_go_to_each_coordinator(engine, session_factory):
    escalation_id = await raise_one(session_factory, "critical")
    await claim(session_factory, escalation_id, T0)
    assert await remind(session_factory, minutes(60), group=None) == 1
    assert await remind(session_factory, minutes(120), group=None) == 1
    chats = [row.chat_id for row in await claimed_reminders(session_factory)]
    assert chats == [333, 111, 222, 333], "the claimer, then every coordinator"


async def test_program_yaml_sets_the_claimed_reminders(engine, session_factory, tmp_path):
    (tmp_path / "program.yaml").write_text(
        "escalations:\n"
        "  remind_claimed_after_minutes: {critical: 10, high: null}\n"
        "  max_claimed_reminders: 1\n"
    )
    program = load_program(tmp_path)
    critical = await raise_one(session_factory, "critical", program)
    high = await raise_one(session_factory, "high", program)
    await claim(session_factory, critical, T0)
    await claim(session_factory, high, T0)
    assert await remind(session_factory, minutes(10), program) == 1
    assert await remind(session_factory, minutes(30 * 24 * 60), program) == 0
    [only] = await claimed_reminders(session_factory)
    assert only.dedupe_key.startswith(f"escalation:{critical}:")


@pytest.mark.parametrize(
    ("yaml", "problem"),
    [
        (
            "escalations:\n  remind_claimed_after_minutes: {critical: 0}\n",
            "escalations.remind_claimed_after_minutes.critical: must be ≥ 1",
        ),
        (
            "escalations:\n  remind_claimed_after_minutes: {low: 5}\n",
            "escalations.remind_claimed_after_minutes.low: is not a known field",
        ),
        (
            "escalations:\n  reraise_after_minutes: {medium: soon}\n",
            "escalations.reraise_after_minutes.medium: must be a whole number",
        ),
    ],
)
def test_a_bad_follow_up_setting_names_the_file_and_field(tmp_path, yaml, problem):
    (tmp_path / "program.yaml").write_text(yaml)
    with pytest.raises(ProgramDataError) as error:
        load_program(tmp_path)
    assert f"{tmp_path / 'program.yaml'}: {problem}" in str(error.value)
