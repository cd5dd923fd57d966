"""peerbot: a Telegram bot that runs the day-to-day of a peer-support program."""

import os
import sys
import types
from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("peerbot")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0"

# python-telegram-bot 22 warns on every integer time period unless this opt-in is set;
# we handle durations as timedelta throughout, as its next major version will.
os.environ.setdefault("PTB_TIMEDELTA", "true")


def _without_httpx_command_line() -> None:
    """Keep httpx's own command-line tool out of the bot.

    httpx's package imports its CLI (click, rich, pygments: about 100 modules and 6 MB)
    whenever click is installed, and uvicorn installs it. The bot never runs that tool, so
    its module is a stub here, made before python-telegram-bot imports httpx.
    """
    if "httpx" in sys.modules or "httpx._main" in sys.modules:
        return
    stub = types.ModuleType("httpx._main")

    def main() -> None:
        raise SystemExit("the httpx command-line tool is not available inside peerbot")

    stub.main = main  # type: ignore[attr-defined]
    sys.modules["httpx._main"] = stub


_without_httpx_command_line()
