"""peerbot: a Telegram bot that runs the day-to-day of a peer-support program."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("peerbot")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0"
