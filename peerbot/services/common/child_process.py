"""Heavy libraries (SciPy for batch matching, matplotlib for charts) run in a child process.

The bot's own process never imports them, so its memory stays small; the child reads its
task on stdin and writes its answer on stdout, then ends.
"""

from __future__ import annotations

import asyncio
import sys


async def start_module(module: str) -> asyncio.subprocess.Process:
    """Start `python -m module` with pipes for its task, answer and error text."""
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        module,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
