"""Run the installed `peerbot` command as a child process, with only the settings a test gives."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from peerbot.storage.crypto import FieldCipher


def run_peerbot(
    *args: str, workdir: Path, settings: Mapping[str, str], timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """`python -m peerbot ARGS` in workdir; PEERBOT_* comes from settings only, never from
    the environment the tests run in."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PEERBOT_")}
    env |= settings
    return subprocess.run(
        [sys.executable, "-m", "peerbot", *args],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


#: The encryption key an operator's commands use in tests, and its cipher for seeding.
OPERATOR_KEY = FieldCipher.generate_key()
OPERATOR_CIPHER = FieldCipher(OPERATOR_KEY)


def operator_command(
    database_url: str, workdir: Path, *args: str, **settings: str
) -> subprocess.CompletedProcess[str]:
    """An operator's `peerbot ARGS` on a database: its URL and key set, no bot token;
    further settings by name (timezone="UTC" sets PEERBOT_TIMEZONE)."""
    values = {"PEERBOT_DATABASE_URL": database_url, "PEERBOT_ENCRYPTION_KEY": OPERATOR_KEY}
    values |= {f"PEERBOT_{name.upper()}": value for name, value in settings.items()}
    return run_peerbot(*args, workdir=workdir, settings=values)
