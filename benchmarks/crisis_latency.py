"""Time from a crisis message to the person's crisis reply and to the coordinators' card.

Runs `peerbot run` against the fake Bot API on this machine and prints medians:
    python -m benchmarks.crisis_latency
"""

import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from peerbot.emulator.fake_telegram import FakeBotApi
from tests.support.bot_process import BotProcess

GROUP = -1001234567890
ROUNDS = 10


def summary(name: str, seconds: list[float]) -> str:
    median, worst = statistics.median(seconds) * 1000, max(seconds) * 1000
    return f"{name}: median {median:.0f} ms, max {worst:.0f} ms over {len(seconds)} messages"


async def measure() -> None:
    async with FakeBotApi() as api:
        bot = BotProcess(api.url, Path(tempfile.mkdtemp()), coordinator_chat_id=str(GROUP))
        bot.start()
        api.group(chat_id=GROUP)
        warm = api.private_user()
        await warm.send_command("/help")
        await api.wait_for_message(warm.chat_id, timeout=30)
        replies: list[float] = []
        cards: list[float] = []
        for _ in range(ROUNDS):
            person = api.private_user()
            cards_before = len(api.messages(GROUP))
            started = time.monotonic()
            await person.send_text("I want to kill myself tonight")
            await api.wait_for_message(person.chat_id, timeout=10)
            replies.append(time.monotonic() - started)
            await api.wait_until(
                lambda before=cards_before: len(api.messages(GROUP)) > before,
                timeout=10,
                interval=0.005,
            )
            cards.append(time.monotonic() - started)
            await asyncio.sleep(0.3)
        bot.kill()
        print(summary("crisis reply", replies))  # noqa: T201 - a benchmark prints figures
        print(summary("coordinator card", cards))  # noqa: T201


if __name__ == "__main__":
    asyncio.run(measure())
