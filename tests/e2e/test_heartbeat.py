"""Long polling's heartbeat, as a container healthcheck reads it: fresh while the bot runs,
gone once it stops."""

from __future__ import annotations

import json


async def test_a_polling_bot_is_healthy_while_it_runs_and_not_once_stopped(
    api, start_bot, bot_workdir
):
    bot = start_bot()
    beat = bot_workdir / "peerbot.heartbeat"  # beside the SQLite file by default

    await api.wait_until(beat.exists, timeout=20, message="no heartbeat written")
    healthy = await bot.command("check-config", "--heartbeat")
    assert healthy.returncode == 0, healthy.stdout + healthy.stderr
    assert healthy.stdout.startswith("ok      heartbeat at peerbot.heartbeat written ")

    assert await bot.terminate() == 0
    assert not beat.exists(), "a stopped bot leaves no heartbeat behind"
    stopped = await bot.command("check-config", "--heartbeat", "--json")
    assert stopped.returncode != 0
    [check] = json.loads(stopped.stdout)["checks"]
    assert (check["check"], check["status"]) == ("heartbeat", "FAIL")
