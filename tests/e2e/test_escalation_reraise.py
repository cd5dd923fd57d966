"""An unclaimed critical escalation is raised again (the real bot in-process, clock injected)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from peerbot.config import load_settings
from peerbot.runtime.build import build_deps
from peerbot.runtime.runner import serve
from peerbot.storage.clock import utcnow
from peerbot.storage.crypto import FieldCipher
from peerbot.storage.migrate import upgrade_to_head
from tests.support.bot_process import TEST_TOKEN

GROUP = -1001234567890


class MovableClock:
    """The real time plus an offset the test moves forward."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self):  # type: ignore[no-untyped-def]
        return utcnow() + self.offset


async def test_unclaimed_critical_card_is_raised_again_after_five_minutes(api, tmp_path):
    settings = load_settings(
        bot_token=TEST_TOKEN,
        telegram_api_url=api.url,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'peerbot.sqlite3'}",
        coordinator_chat_id=GROUP,
        coordinator_ids=frozenset({4242}),
        encryption_key=FieldCipher.generate_key(),
    )
    await asyncio.to_thread(upgrade_to_head, settings.database_url)
    deps = build_deps(settings)
    clock = MovableClock()
    deps.clock = clock
    stop = asyncio.Event()
    bot = asyncio.create_task(serve(deps, stop))
    try:
        api.group(chat_id=GROUP)
        person = api.private_user()
        await person.send_text("I am going to end my life tonight")
        await api.wait_for_message(GROUP, contains="CRITICAL", timeout=20)

        clock.offset = timedelta(minutes=4)
        await asyncio.sleep(12)  # the re-raise tick has run at least once: too early
        assert len(api.messages(GROUP)) == 1

        clock.offset = timedelta(minutes=5, seconds=1)
        again = await api.wait_for_message(GROUP, predicate=lambda m: m.message_id > 1, timeout=40)
        assert "CRITICAL" in again.text
        assert again.buttons == ["Claim", "Resolve"]
        links = [e.get("url") for e in again.entities if e["type"] == "text_link"]
        assert "tg://user?id=4242" in links, "the on-call coordinator is mentioned"
    finally:
        stop.set()
        await asyncio.wait_for(bot, timeout=30)
