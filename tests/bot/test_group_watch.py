"""The sender and the coordinator gate when the coordinators' group refuses, moves or loses
someone: against the fake Bot API and a real database."""

from __future__ import annotations

from sqlalchemy import select

from peerbot.bot import metrics
from peerbot.bot.authorization import CoordinatorGate, Verdict
from peerbot.bot.deps import Deps
from peerbot.bot.group_watch import GroupWatch
from peerbot.bot.sender import OutboxSender
from peerbot.config import load_settings
from peerbot.program import load_program
from peerbot.storage import outbox
from peerbot.storage.clock import utcnow
from peerbot.storage.crypto import FieldCipher
from peerbot.storage.models import AuditEvent, OutboxMessage
from peerbot.storage.outbox import Priority
from tests.bot.conftest import FAST

GROUP = -4004004
SUPERGROUP = -1009009009
PROGRAM = load_program()


def deps_for(engine, sessions, coordinator_ids: frozenset[int]) -> Deps:
    settings = load_settings(coordinator_chat_id=GROUP, coordinator_ids=coordinator_ids)
    return Deps(
        settings=settings,
        engine=engine,
        sessions=sessions,
        program=PROGRAM,
        cipher=FieldCipher(FieldCipher.generate_key()),
    )


def sender(sessions, bot, watch: GroupWatch) -> OutboxSender:
    return OutboxSender(session_factory=sessions, bot=bot, clock=utcnow, tuning=FAST, group=watch)


async def queue_card(sessions, chat_id: int = GROUP, escalation_id: int = 7) -> None:
    async with sessions() as session, session.begin():
        await outbox.enqueue(
            session,
            chat_id=chat_id,
            payload={
                "text": "CRITICAL · case P-1",
                "reply_markup": {
                    "inline_keyboard": [[{"text": "Claim", "callback_data": "esc:7:claim"}]]
                },
            },
            now=utcnow(),
            priority=Priority.ESCALATION,
            dedupe_key=f"escalation:{escalation_id}:raised",
        )


async def statuses(sessions) -> dict[int, str]:
    async with sessions() as session:
        rows = await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
        return {row.chat_id: row.status for row in rows}


def failed_count() -> float:
    return metrics.REGISTRY.get_sample_value("peerbot_escalation_delivery_failed_total") or 0.0


async def test_a_card_the_group_refuses_reaches_every_coordinator_privately_and_is_counted(
    api, bot, engine, session_factory
):
    dana, eli = api.private_user(first_name="Dana"), api.private_user(first_name="Eli")
    api.group(chat_id=GROUP, members=[dana, eli])
    api.refuse_sends(GROUP, 403)
    watch = GroupWatch(deps_for(engine, session_factory, frozenset({dana.id, eli.id})))
    await queue_card(session_factory)
    before = failed_count()

    await sender(session_factory, bot, watch).deliver_all_due()

    for person in (dana, eli):
        [copy] = api.messages(person)
        assert copy.text.startswith("CRITICAL · case P-1")
        assert copy.buttons == ["Claim"]
    assert await statuses(session_factory) == {GROUP: "failed", dana.id: "sent", eli.id: "sent"}
    assert failed_count() == before + 1


async def test_a_private_copy_that_fails_is_not_tried_for_ever(
    api, bot, engine, session_factory
):
    dana = api.private_user(first_name="Dana")
    api.group(chat_id=GROUP, members=[dana])
    api.refuse_sends(GROUP, 400)  # chat not found
    api.block_user(dana)
    watch = GroupWatch(deps_for(engine, session_factory, frozenset({dana.id})))
    await queue_card(session_factory)

    await sender(session_factory, bot, watch).deliver_all_due()

    assert await statuses(session_factory) == {GROUP: "failed", dana.id: "failed"}
    assert len(api.calls("sendMessage")) == 2


async def test_a_migrated_group_is_followed_by_queued_and_new_cards_and_after_a_restart(
    api, bot, engine, session_factory
):
    dana = api.private_user(first_name="Dana")
    group = api.group(chat_id=GROUP, members=[dana])
    api.migrate_group(group, SUPERGROUP)
    deps = deps_for(engine, session_factory, frozenset())
    watch = GroupWatch(deps)
    await queue_card(session_factory)

    await sender(session_factory, bot, watch).deliver_all_due()

    assert [m.text for m in api.messages(SUPERGROUP)] == ["CRITICAL · case P-1"]
    assert watch.chat_id == SUPERGROUP == deps.settings.coordinator_chat_id
    assert watch.chats.chat_ids == {GROUP, SUPERGROUP}
    assert watch.is_group(GROUP) and watch.is_group(SUPERGROUP)
    async with session_factory() as session:
        [moved] = await session.scalars(select(AuditEvent.details))
    assert moved == {"from_chat_id": GROUP, "to_chat_id": SUPERGROUP}

    restarted = GroupWatch(deps_for(engine, session_factory, frozenset()))
    assert restarted.chat_id == GROUP
    await restarted.load()
    assert restarted.chat_id == SUPERGROUP


async def test_the_gate_asks_the_group_in_use_and_retries_before_it_says_unknown(
    api, bot, engine, session_factory
):
    dana, eli = api.private_user(first_name="Dana"), api.private_user(first_name="Eli")
    group = api.group(chat_id=GROUP, members=[dana, eli])
    deps = deps_for(engine, session_factory, frozenset())
    gate = CoordinatorGate(deps.settings, retry_delays=(0.01, 0.01))
    assert await gate.check(bot, dana.id) is Verdict.ALLOWED

    supergroup = api.migrate_group(group, SUPERGROUP)
    async with session_factory() as session, session.begin():
        assert await GroupWatch(deps).migrated(session, GROUP, SUPERGROUP)
    api.member_leaves(supergroup, eli)
    assert await gate.check(bot, eli.id) is Verdict.GONE  # asked of the supergroup

    api.fail_next(2, status=500, methods="getChatMember")
    gate.forget(dana.id)
    assert await gate.check(bot, dana.id) is Verdict.ALLOWED  # the third try answered
    api.fail_next(3, status=502, methods="getChatMember")
    gate.forget(dana.id)
    assert await gate.check(bot, dana.id) is Verdict.UNKNOWN
    assert len(api.calls("getChatMember")) == 2 + 3 + 3


async def test_a_card_too_long_for_the_group_reaches_coordinators_cut_to_fit(
    api, bot, engine, session_factory
):
    dana = api.private_user(first_name="Dana")
    api.group(chat_id=GROUP, members=[dana])
    watch = GroupWatch(deps_for(engine, session_factory, frozenset({dana.id})))
    async with session_factory() as session, session.begin():
        await outbox.enqueue(
            session,
            chat_id=GROUP,
            payload={"text": "<b>CRITICAL</b> " + "🙂 x" * 1400, "parse_mode": "HTML"},
            now=utcnow(),
            priority=Priority.ESCALATION,
            dedupe_key="escalation:8:raised",
        )

    await sender(session_factory, bot, watch).deliver_all_due()

    [copy] = api.messages(dana)
    assert copy.text.startswith("CRITICAL 🙂 x") and "…" in copy.text
    assert await statuses(session_factory) == {GROUP: "failed", dana.id: "sent"}
