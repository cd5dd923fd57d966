"""Telegram adapter: application factory, handlers, rendering, delivery and the CLI."""

import os

# python-telegram-bot 22 warns on every integer time period unless this opt-in is set;
# we handle durations as timedelta throughout, as its next major version will.
os.environ.setdefault("PTB_TIMEDELTA", "true")
