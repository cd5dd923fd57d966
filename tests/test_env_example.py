"""A new operator's first steps: `cp .env.example .env`, fill in the token, and every command
starts (empty values in the template mean "not set")."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

from peerbot.cli.main import _parser
from peerbot.emulator.fake_telegram import FakeBotApi
from tests.support.bot_process import TEST_TOKEN

ENV_EXAMPLE = Path(__file__).resolve().parents[1] / ".env.example"
SCRIPT = "/start\n"

# Every command, as an operator would first try it, and the exit status it must give with
# .env.example as it is: check-config fails by its rules (no coordinators' group yet).
COMMANDS: dict[str, tuple[list[str], int]] = {
    "check-config": (["check-config"], 2),
    "export": (["export", "requests", "--format", "csv"], 0),
    "redflags": (["redflags", "check"], 0),
    "flows": (["flows", "schema"], 0),
    "invite": (["invite", "--note", "first supporter"], 0),
    "checkins": (["checkins", "run-due"], 0),
    "match": (["match", "propose-all"], 0),
    "report": (["report", "--from", "2027-01-04", "--to", "2027-01-10", "--out", "report"], 0),
    "simulate": (["simulate", "--script", "script.txt"], 0),
    "retention": (["retention", "run", "--dry-run"], 0),
    "keys": (["keys", "generate"], 0),
}


def _command_names() -> set[str]:
    parser = _parser()
    (commands,) = (a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return set(commands.choices)


def _operator_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "operator"
    folder.mkdir()
    template = ENV_EXAMPLE.read_text(encoding="utf-8")
    assert "\nPEERBOT_BOT_TOKEN=\n" in template
    (folder / ".env").write_text(
        template.replace("\nPEERBOT_BOT_TOKEN=\n", f"\nPEERBOT_BOT_TOKEN={TEST_TOKEN}\n"),
        encoding="utf-8",
    )
    (folder / "script.txt").write_text(SCRIPT, encoding="utf-8")
    return folder


def _environment(api_url: str) -> dict[str, str]:
    """Nothing of the tests' own PEERBOT_* settings; Telegram is the fake (no network here)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PEERBOT_")}
    return env | {"PEERBOT_TELEGRAM_API_URL": api_url}


def _peerbot(folder: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "peerbot", *args],
        cwd=folder,
        env=env,
        input="",
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def test_every_command_starts_with_the_env_example_and_only_a_token(tmp_path: Path) -> None:
    assert {"run", "migrate"} | set(COMMANDS) >= _command_names()
    folder = _operator_folder(tmp_path)
    async with FakeBotApi() as api:
        env = _environment(api.url)
        bot = subprocess.Popen(  # noqa: ASYNC220 - started, not waited for
            [sys.executable, "-m", "peerbot", "run"],
            cwd=folder,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            # Beside `run`, which migrates too: the two take turns, and both carry on.
            migrated = await asyncio.to_thread(_peerbot, folder, env, "migrate")
            assert migrated.returncode == 0, migrated.stderr
            names = [name for name in COMMANDS if name in _command_names()]
            done = await asyncio.gather(
                *(asyncio.to_thread(_peerbot, folder, env, *COMMANDS[name][0]) for name in names)
            )
            await api.wait_until(lambda: bool(api.calls("getUpdates")), timeout=60)
            assert bot.poll() is None, "peerbot run stopped"
        finally:
            bot.send_signal(signal.SIGTERM)
            _, run_errors = await asyncio.to_thread(bot.communicate, timeout=60)
    assert bot.returncode == 0, run_errors
    assert "set-up mode" in run_errors
    for name, result in zip(names, done, strict=True):
        expected = COMMANDS[name][1]
        assert result.returncode == expected, f"{name}: {result.stderr}"
        assert "Traceback" not in result.stderr, name
    check_config = done[names.index("check-config")].stderr
    assert "PEERBOT_COORDINATOR_CHAT_ID" in check_config  # its own rule, nothing about others
    assert "PEERBOT_PROGRAM_DIR" not in check_config
    assert "PEERBOT_ENCRYPTION_KEY" not in check_config
    assert done[names.index("invite")].stdout.strip().splitlines()[-1].startswith("https://t.me/")
    assert len(done[names.index("keys")].stdout.strip()) == 44
    # The key the README promises: generated once, beside the SQLite database, used by all.
    assert (folder / ".peerbot-key").is_file()
    assert not (folder / "program.yaml").exists()
