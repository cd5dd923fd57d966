"""The counters move where the work happens: the update processor and the outbox sender."""

from __future__ import annotations

from collections.abc import Callable

from peerbot.bot import metrics
from peerbot.bot.processing import ChatOrderedUpdateProcessor, current_scope
from peerbot.storage import outbox
from peerbot.storage.clock import utcnow
from peerbot.storage.outbox import Priority
from tests.support.updates import message_update


def reading(name: str, **labels: str) -> Callable[[], float]:
    """How far a metric has moved since this call."""

    def value() -> float:
        return metrics.REGISTRY.get_sample_value(name, labels) or 0.0

    start = value()
    return lambda: value() - start


async def handle(*, fail: bool = False) -> None:
    """A handler that writes a reply, and with fail=True asks for the update to be undone."""
    scope = current_scope()
    await outbox.enqueue(
        scope.session, chat_id=scope.chat_id or 0, payload={"text": "reply"}, now=utcnow()
    )
    scope.failed = fail


async def test_each_update_is_counted_by_outcome_and_timed(session_factory):
    class Guard:
        """Screening and the apology a failed update gets (not under test here)."""

        async def screen_first(self, session, update, scope) -> None: ...

        async def before_commit(self, session, scope) -> None: ...

        async def on_failure(self, session, scope) -> None: ...

        def start_again(self, scope) -> None: ...

    processor = ChatOrderedUpdateProcessor(
        max_concurrent_updates=4,
        session_factory=session_factory,
        clock=utcnow,
        after_commit=lambda: None,
        guard=Guard(),
        single_writer=session_factory.kw["bind"].dialect.name == "sqlite",
    )
    ok, error, duplicate = (
        reading("peerbot_updates_processed_total", outcome=outcome)
        for outcome in (metrics.OK, metrics.ERROR, metrics.DUPLICATE)
    )
    timed = reading("peerbot_update_processing_seconds_count")
    first, second = message_update(501, "hello"), message_update(501, "again")

    await processor.process_update(first, handle())
    await processor.process_update(second, handle(fail=True))
    await processor.process_update(first, handle())  # redelivered

    assert (ok(), error(), duplicate()) == (1, 1, 1)
    assert timed() == 3


async def test_429s_and_check_in_prompts_sent_are_counted(
    api, session_factory, make_sender, start_sender
):
    person = api.private_user()
    keys = ["checkin:77:sent:0", "checkin:77:sent:1", None]  # a prompt of two messages, a reply
    async with session_factory() as session, session.begin():
        for number, key in enumerate(keys):
            await outbox.enqueue(
                session,
                chat_id=person.chat_id,
                payload={"text": f"message {number}"},
                now=utcnow(),
                priority=Priority.SCHEDULED,
                dedupe_key=key,
            )
    refused = reading("peerbot_telegram_429_total")
    prompts = reading("peerbot_checkins_sent_total")
    api.fail_next(1, status=429, retry_after=1, methods="sendMessage")

    start_sender(make_sender())

    async def all_sent() -> bool:
        async with session_factory() as session:
            return await outbox.count_by_status(session) == {"sent": len(keys)}

    await api.wait_until(all_sent, timeout=10, interval=0.05)
    assert (refused(), prompts()) == (1, 1)
