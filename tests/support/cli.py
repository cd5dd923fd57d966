"""Run the installed `peerbot` command as a child process, with only the settings a test gives."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path


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
