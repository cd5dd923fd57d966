"""`peerbot run` with Telegram's limits multiplied by a factor, for shortened benchmark runs.

    python -m benchmarks.paced_bot 10     # 10/s per private chat, 300/s overall, 200/min per group

Everything else is the real `serve()`, configured from the environment as `peerbot run` is.
"""

from __future__ import annotations

import asyncio
import logging
import sys

from peerbot.bot.deps import build_deps
from peerbot.bot.pacing import ChatPacer
from peerbot.bot.runner import serve
from peerbot.config import Settings
from peerbot.storage.migrate import upgrade_to_head


def main(factor: float) -> None:
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    settings = Settings()
    deps = build_deps(settings)
    upgrade_to_head(settings.database_url)
    deps.pacer = ChatPacer(
        rate_per_second=factor,
        overall_per_second=round(30 * factor),
        group_per_minute=round(20 * factor),
    )
    asyncio.run(serve(deps))


if __name__ == "__main__":
    main(float(sys.argv[1]))
