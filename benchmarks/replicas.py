"""Replicas: updates/s end to end with 1, 2 and 3 `peerbot run --webhook` replicas on PostgreSQL.

Synthetic participants walk consent and the intake (the journey of benchmarks.dialog_throughput),
every update posted over HTTP to the next replica in turn, as a load balancer would; a
participant sends the next update only once the fake Bot API has accepted the bot's answer to
the previous one. Telegram's limits are out of the way: the fake enforces none and the replicas
pace a thousand times faster than Telegram allows, so what is measured is the replicas, the
database and the one sender between them. Printed beside the bare framework's ceiling
(dialog_throughput.bare_pass: one handler that replies, in-process, no network, no database).

    python -m benchmarks.replicas [--replicas 1,2,3] [--participants N] [--runs K]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import logging
import math
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

from benchmarks.dialog_throughput import (
    GROUP_ID,
    JOURNEY,
    WARM_UP_PARTICIPANTS,
    Pass,
    Step,
    Walk,
    Wire,
    bare_pass,
    measure,
    peerbot_answered,
    postgres_database,
)
from benchmarks.report import figures, median, percentile, table
from peerbot.emulator.fake_telegram import FakeBotApi, FakeUser
from tests.support.replicas import Replicas

FIRST_USER_ID = 710_000_000
# `peerbot run --webhook` with the pacing x1000 (run as a script: the replicas' folders are
# temporary, and only peerbot itself is installed)
PACED_BOT = Path(__file__).with_name("paced_bot.py")
PACING_FACTOR = 1000
RECORDED = frozenset({"sendMessage", "editMessageReplyMarkup", "editMessageText"})

Post = Callable[[dict[str, Any]], Awaitable[None]]


def record_answers(api: FakeBotApi, wire: Wire) -> None:
    """Note every message call the fake accepted on the wire, per chat, as the in-process
    benchmark's fake does (so its waiting and measuring apply unchanged)."""
    answer = api.answer

    async def recorded(method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        status, body = await answer(method, params)
        chat_id = params.get("chat_id")
        if status == 200 and method in RECORDED and isinstance(chat_id, int):
            result = body.get("result")
            message_id = result.get("message_id") if isinstance(result, dict) else None
            markup = params.get("reply_markup")
            if markup is not None and not isinstance(markup, str):
                markup = json.dumps(markup)
            wire.record(chat_id, method, markup, message_id)
        return status, body

    api.answer = recorded  # type: ignore[method-assign]


async def act(api: FakeBotApi, user: FakeUser, step: Step, question_id: int) -> dict[str, Any]:
    """The participant does the step in the fake Telegram; return the update it made.

    Nothing polls the fake in webhook mode, so the update is taken off its queue here (the
    action and the taking never yield to another participant in between).
    """
    if step.press is not None:
        question = api.find_message(user.private_chat, question_id)
        assert question is not None, f"no question #{question_id} in chat {user.chat_id}"
        api.forge_press(user, question, f"f:{step.press[0]}:{step.press[1]}")
    elif step.command is not None:
        await user.send_command(step.command)
    else:
        await user.send_text(step.text or "")
    (update,) = api.pending_updates()
    api.updates.confirm(update["update_id"] + 1)
    return update


async def walk(api: FakeBotApi, wire: Wire, post: Post, user_id: int) -> Walk:
    """One participant's journey, each update after the bot's answer to the previous one."""
    user = api.private_user(user_id=user_id, first_name="Sam")
    record = Walk(user_id)
    question_id = 0
    for step in JOURNEY:
        seen = len(wire.calls[user_id])
        update = await act(api, user, step, question_id)
        record.put_at.append(time.perf_counter())
        await post(update)
        call, seen = await wire.wait_for(user_id, seen, peerbot_answered(step))
        if call.method == "sendMessage" and call.message_id is not None:
            question_id = call.message_id
    return record


async def crowd(
    api: FakeBotApi,
    wire: Wire,
    post: Post,
    participants: int,
    first_user_id: int,
    cpu: Callable[[], float],
) -> Pass:
    """All participants at once; the pass ends when the last one got its last answer.
    The pass's CPU time is what cpu() counts (the replicas')."""
    started, cpu_before = time.perf_counter(), cpu()
    users = range(first_user_id, first_user_id + participants)
    walks = await asyncio.gather(*(walk(api, wire, post, u) for u in users))
    return measure(walks, wire, started, cpu() - cpu_before)


def cpu_of(replicas: Replicas) -> Callable[[], float]:
    """CPU seconds the replicas' processes have used so far (Linux: /proc; nan elsewhere)."""
    ticks = os.sysconf("SC_CLK_TCK")

    def used() -> float:
        total = 0.0
        for process in replicas.processes:
            assert process.process is not None
            try:
                stat = Path(f"/proc/{process.process.pid}/stat").read_text()
            except OSError:
                return math.nan
            fields = stat.rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
        return total

    return used


def round_robin(replicas: Replicas) -> Post:
    """Post each update to the next replica in turn; anything but 200 stops the benchmark."""
    turns = itertools.cycle(range(len(replicas.processes)))

    async def post(update: dict[str, Any]) -> None:
        status = await replicas.post(next(turns), update)
        if status != 200:
            raise RuntimeError(f"a replica answered {status} to update {update['update_id']}")

    return post


async def replicas_pass(count: int, participants: int) -> Pass:
    """`count` webhook replicas on a fresh PostgreSQL database, against the fake Bot API."""
    async with postgres_database() as database_url, FakeBotApi() as api:
        api.group(chat_id=GROUP_ID)
        wire = Wire()
        record_answers(api, wire)
        workdir = Path(tempfile.mkdtemp(prefix="peerbot-replicas-"))
        replicas = Replicas(
            api.url,
            database_url,
            count,
            workdir,
            command=(sys.executable, str(PACED_BOT), str(PACING_FACTOR)),
            coordinator_chat_id=str(GROUP_ID),
        )
        try:
            await replicas.start()
            post, cpu = round_robin(replicas), cpu_of(replicas)
            await crowd(api, wire, post, WARM_UP_PARTICIPANTS, FIRST_USER_ID, cpu)
            result = await crowd(
                api, wire, post, participants, FIRST_USER_ID + WARM_UP_PARTICIPANTS, cpu
            )
        finally:
            await replicas.close()
        shutil.rmtree(workdir)  # kept, with the replicas' logs, when something failed
        return result


async def run(counts: Sequence[int], participants: int, runs: int) -> dict[str, list[Pass]]:
    """Per run: the bare ceiling, then each number of replicas, back to back."""
    results: dict[str, list[Pass]] = {"bare": [], **{str(count): [] for count in counts}}
    for _ in range(runs):
        results["bare"].append(await bare_pass(participants))
        for count in counts:
            results[str(count)].append(await replicas_pass(count, participants))
    return results


def _summary(passes: Sequence[Pass]) -> dict[str, float]:
    return {
        "updates_per_s": median([p.per_second for p in passes]),
        "p50_ms": median([percentile(p.latencies, 0.5) * 1000 for p in passes]),
        "p99_ms": median([percentile(p.latencies, 0.99) * 1000 for p in passes]),
        "cpu_ms_per_update": median([p.cpu_ms_per_update for p in passes]),
    }


def report(results: dict[str, list[Pass]], participants: int, runs: int) -> None:
    bare = _summary(results["bare"])
    rows: list[tuple[object, ...]] = []
    values: dict[str, object] = {
        "participants": participants,
        "updates_per_participant": len(JOURNEY),
        "runs": runs,
        "bare_updates_per_s": bare["updates_per_s"],
        "bare_p50_ms": bare["p50_ms"],
    }
    for name, passes in results.items():
        if name == "bare":
            continue
        summary = _summary(passes)
        ratio = summary["updates_per_s"] / bare["updates_per_s"]
        rows.append((name, *summary.values(), ratio))
        values.update({f"replicas_{name}_{key}": value for key, value in summary.items()})
        values[f"replicas_{name}_runs_updates_per_s"] = [round(p.per_second, 1) for p in passes]
    rows.append(("bare framework", *bare.values(), 1.0))
    table(
        f"webhook replicas on PostgreSQL: {participants} participants x {len(JOURNEY)} updates "
        f"each, posted round-robin over HTTP; median of {runs} run(s); Telegram's limits off; "
        "cpu: all replicas' processes together (the bare framework: in-process, no network, "
        "no database)",
        rows,
        header=("replicas", "updates/s", "p50 ms", "p99 ms", "cpu ms/update", "ratio to bare"),
    )
    figures("replicas", values)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicas", default="1,2,3", help="comma-separated replica counts")
    parser.add_argument("--participants", type=int, default=60)
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args(argv)
    counts = [int(part) for part in args.replicas.split(",") if part.strip()]
    logging.basicConfig(level=logging.WARNING)
    results = asyncio.run(run(counts, args.participants, args.runs))
    report(results, args.participants, args.runs)


if __name__ == "__main__":
    main()
