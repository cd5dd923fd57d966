"""`peerbot run` with Telegram's limits multiplied by a factor, for shortened benchmark runs.

    python -m benchmarks.paced_bot 10     # 10/s per private chat, 300/s overall, 200/min per group
    python -m benchmarks.paced_bot 10 --webhook    # the same as `peerbot run --webhook`

Everything else is the real `serve()`, configured from the environment as `peerbot run` is.
"""

from __future__ import annotations

import asyncio
import logging
import sys

from peerbot.bot.pacing import ChatPacer
from peerbot.config import Settings
from peerbot.runtime.build import build_deps
from peerbot.runtime.runner import serve
from peerbot.storage.migrate import upgrade_if_behind


def main(factor: float, *, webhook: bool = False) -> None:
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    settings = Settings()
    deps = build_deps(settings)
    upgrade_if_behind(settings.database_url)
    deps.pacer = ChatPacer(
        rate_per_second=factor,
        overall_per_second=round(30 * factor),
        group_per_minute=round(20 * factor),
    )
    asyncio.run(serve(deps, webhook=webhook))


if __name__ == "__main__":
    main(float(sys.argv[1]), webhook="--webhook" in sys.argv[2:])
