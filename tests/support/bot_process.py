"""Run `peerbot run` as a real subprocess against a fake Bot API, as an operator would."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

TEST_TOKEN = "123456:test-token-for-the-fake-api"
PEERBOT_RUN = (sys.executable, "-m", "peerbot", "run")


class BotProcess:
    """One `python -m peerbot run` process; its log goes to a file in its working folder."""

    def __init__(
        self,
        api_url: str,
        workdir: Path,
        *,
        run_args: Sequence[str] = (),
        command: Sequence[str] = PEERBOT_RUN,
        **settings: str,
    ) -> None:
        """run_args follow `peerbot run` (e.g. --webhook); settings become PEERBOT_* variables.
        A benchmark may run another command that serves as `peerbot run` does."""
        self.workdir = workdir
        self.run_args = list(run_args)
        self.serve_command = list(command)
        self.log_path = workdir / "peerbot.log"
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("PEERBOT_")},
            "PEERBOT_BOT_TOKEN": TEST_TOKEN,
            "PEERBOT_TELEGRAM_API_URL": api_url,
            **{f"PEERBOT_{name.upper()}": value for name, value in settings.items()},
        }
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> BotProcess:
        """Start the bot (it migrates the database first)."""
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [*self.serve_command, *self.run_args],
            cwd=self.workdir,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        return self

    async def command(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run another `peerbot` sub-command beside the bot, with the same settings and folder."""
        return await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-m", "peerbot", *args],
            cwd=self.workdir,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    def kill(self) -> None:
        """SIGKILL: no chance to finish anything, as in a crash or an OOM kill."""
        assert self.process is not None
        self.process.kill()
        self.process.wait(timeout=10)

    async def terminate(self, timeout: float = 30.0) -> int:  # noqa: ASYNC109
        """SIGTERM and wait for a clean exit; returns the exit status."""
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        return await self.wait(timeout)

    async def wait(self, timeout: float = 30.0) -> int:  # noqa: ASYNC109
        assert self.process is not None
        process = self.process
        return await asyncio.wait_for(asyncio.to_thread(process.wait), timeout)

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def cleanup(self) -> None:
        if self.running:
            self.kill()
