"""`python -m peerbot`, with one fault injected into the real bot process.

PEERBOT_TEST_FAULT names it; the fault-injection suite starts this in place of `peerbot run`.
Each fault makes one function of the bot's own fail the way production code can fail.
"""

from __future__ import annotations

import functools
import os
import signal
import sys
from pathlib import Path
from typing import Any

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm.exc import StaleDataError

from peerbot.bot import pacing, sender
from peerbot.services.conversations import flows
from peerbot.services.escalations import safety_check, screening

FAULT = "PEERBOT_TEST_FAULT"
MARK = "PEERBOT_TEST_FAULT_MARK"  # a file: the one-shot faults fire while it does not exist


def _locked() -> Exception:
    return OperationalError("UPDATE conversations", {}, Exception("database is locked"))


def _after_flag(fail: Any) -> None:
    """Fail in the dialog's work, after the update's words were screened and flagged (its
    first step: finding the chat's conversation)."""
    active = flows.active

    async def failing(ctx: Any, *args: Any, **kwargs: Any) -> Any:
        if ctx.screened is not None and ctx.screened.flagged:
            fail()
        return await active(ctx, *args, **kwargs)

    flows.active = failing  # type: ignore[assignment]


def _recording_safety_answer(fail: Any) -> None:
    """Fail while the answer to "Are you safe right now?" is being recorded."""
    record = safety_check.record_answer

    async def failing(ctx: Any, *args: Any, **kwargs: Any) -> Any:
        fail()
        return await record(ctx, *args, **kwargs)

    safety_check.record_answer = failing  # type: ignore[assignment]


def _after_safety_answer() -> None:
    """Fail in the update's own work, after the safety answer was recorded."""

    def failing(*_args: Any, **_kwargs: Any) -> Any:
        raise KeyError("crisis.answered")

    safety_check.answer_notices = failing  # type: ignore[assignment]


def _once(error: Exception) -> Any:
    def fail() -> None:
        mark = Path(os.environ[MARK])
        if not mark.exists():
            mark.touch()
            raise error

    return fail


def _always(error: Exception) -> Any:
    def fail() -> None:
        raise error

    return fail


def _killed() -> None:
    mark = Path(os.environ[MARK])
    if not mark.exists():
        mark.touch()
        os.kill(os.getpid(), signal.SIGKILL)


def _after_late_flag() -> None:
    """Fail when the update's own work raised a flag (a check-in's score), before it commits."""
    save = flows.save

    async def failing(ctx: Any, *args: Any, **kwargs: Any) -> Any:
        if ctx.screened is not None and ctx.screened.late:
            raise KeyError("checkin.thanks.concern")
        return await save(ctx, *args, **kwargs)

    flows.save = failing  # type: ignore[assignment]


def _broken_detector(*_args: Any, **_kwargs: Any) -> Any:
    raise RuntimeError("detector fault")


def inject(name: str) -> None:
    """Make the named function fail."""
    if name == "detector":
        screening.screen = _broken_detector  # type: ignore[assignment]
    elif name == "db_locked_once":
        _after_flag(_once(_locked()))
    elif name == "db_locked":
        _after_flag(_always(_locked()))
    elif name == "stale_version":
        _after_flag(_always(StaleDataError("conversations: 0 rows matched")))
    elif name == "error_after_flag":
        _after_flag(_always(KeyError("intake.topics")))
    elif name == "error_after_checkin_flag":
        _after_late_flag()
    elif name == "sigkill_after_flag":
        _after_flag(_killed)
    elif name == "db_locked_recording_safety_answer_once":
        _recording_safety_answer(_once(_locked()))
    elif name == "error_after_safety_answer":
        _after_safety_answer()
    elif name:
        raise SystemExit(f"unknown fault {name!r}")


def _quick_chats() -> None:
    """Ten messages a second per private chat instead of one: the faults here are not about
    Telegram's limits, and each test walks a person through consent at the bot's pace."""
    sender.ChatPacer = functools.partial(  # type: ignore[misc]
        pacing.ChatPacer, rate_per_second=10.0, burst=10
    )


if __name__ == "__main__":
    _quick_chats()
    inject(os.environ.get(FAULT, ""))
    from peerbot.cli.main import main

    sys.exit(main())
