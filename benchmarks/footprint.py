"""Start-up time and resident memory of `peerbot run`, empty and with a large program stored.

Each run starts `python -m peerbot run` as an operator would, against the fake Bot API over
HTTP, and times it from process spawn to its first getUpdates call reaching the API. Memory
is read from /proc/<pid>/status (VmRSS now, VmHWM the peak so far) a few seconds after that
first poll, idle, and again once every recurring tick has run at least once.

Scenarios: "cold" starts on an empty folder (it creates and migrates the database), "warm"
on a database already at the newest revision, "loaded" on one holding --participants
participants (person, role, consents, finished consent and intake conversations, intake
answers, a support request, matches, check-ins), migrated and seeded once and copied for
each run. A first, uncounted start compiles peerbot's bytecode into a cache the runs read, as
an installed package has it compiled at install; --no-bytecode measures a checkout under
PYTHONDONTWRITEBYTECODE instead, which compiles every module on every start.

    python -m benchmarks.footprint [--runs 5] [--participants 100000] [--after-ticks 75]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from benchmarks.report import figures, median, table
from peerbot.emulator.fake_telegram import FakeBotApi
from peerbot.storage.crypto import FieldCipher, load_or_create_key_file
from tests.support.bot_process import BotProcess

GROUP = -1001234567890
DATABASE = "peerbot.sqlite3"
KEY_FILE = ".peerbot-key"
START_TIMEOUT = 60.0
TARGET_START_S = 1.5
TARGET_RSS_MB = 120.0
BATCH = 20_000

TOPICS = ("grief", "perinatal", "caring", "anxiety", "low_mood", "long_term_health",
          "substance_use", "relationships", "loneliness")  # fmt: skip
TOPIC_WEIGHTS = (12, 6, 8, 20, 18, 8, 5, 10, 13)
CHANNELS = ("text", "phone", "video", "in_person")
TIMES = ("mornings", "afternoons", "evenings", "weekends")
GENDERS = ("woman", "man", "non_binary")
AGE_BANDS = ("age_18_24", "age_25_34", "age_35_44", "age_45_54", "age_55_64", "age_65_plus")
ZONES = ("Europe/London", "Europe/Madrid", "America/New_York", "America/Mexico_City",
         "America/Bogota", "Asia/Kolkata", "UTC")  # fmt: skip
ZONE_WEIGHTS = (40, 20, 10, 10, 10, 5, 5)


@dataclass
class Sample:
    """One run of the bot: seconds to first poll (wall clock and CPU), memory in MB."""

    start_s: float
    start_cpu_s: float
    rss_mb: float
    hwm_mb: float
    ticked_rss_mb: float = float("nan")
    ticked_hwm_mb: float = float("nan")


@dataclass
class Scenario:
    name: str
    samples: list[Sample] = field(default_factory=list)

    def median_of(self, name: str) -> float:
        return median([getattr(sample, name) for sample in self.samples])


# -- measuring one run ------------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def memory_mb(pid: int) -> tuple[float, float]:
    """(VmRSS, VmHWM) of a process, in MB."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0]) / 1024
    return fields["VmRSS"], fields["VmHWM"]


async def first_poll(api: FakeBotApi, bot: BotProcess, since: float) -> float:
    """Seconds from `since` to the first getUpdates call the API saw after it."""
    deadline = since + START_TIMEOUT
    while time.monotonic() < deadline:
        polls = [r.time for r in api.calls("getUpdates") if r.time >= since]
        if polls:
            return min(polls) - since
        if not bot.running:
            raise RuntimeError(f"peerbot run exited during start-up:\n{bot.log()[-2000:]}")
        await asyncio.sleep(0.002)
    raise TimeoutError(f"no getUpdates within {START_TIMEOUT:.0f} s:\n{bot.log()[-2000:]}")


def make_bot(api_url: str, workdir: Path, pycache: Path | None) -> BotProcess:
    """A bot process; with pycache, Python reads and writes its bytecode there, as an installed
    package has it compiled at install (PYTHONDONTWRITEBYTECODE would recompile every start)."""
    bot = BotProcess(api_url, workdir, coordinator_chat_id=str(GROUP))
    if pycache is not None:
        bot.env.pop("PYTHONDONTWRITEBYTECODE", None)
        bot.env["PYTHONPYCACHEPREFIX"] = str(pycache)
    return bot


async def one_run(
    api: FakeBotApi, workdir: Path, settle: float, after_ticks: float, pycache: Path | None
) -> Sample:
    bot = make_bot(api.url, workdir, pycache)
    started = time.monotonic()
    bot.start()
    assert bot.process is not None
    try:
        start_s = await first_poll(api, bot, started)
        start_cpu_s = cpu_seconds(bot.process.pid)
        await asyncio.sleep(settle)
        rss, hwm = memory_mb(bot.process.pid)
        sample = Sample(start_s, start_cpu_s, rss, hwm)
        if after_ticks > 0:
            await asyncio.sleep(max(0.0, after_ticks - settle))
            if not bot.running:
                raise RuntimeError(f"peerbot run stopped:\n{bot.log()[-2000:]}")
            sample.ticked_rss_mb, sample.ticked_hwm_mb = memory_mb(bot.process.pid)
        status = await bot.terminate()
        if status != 0:
            raise RuntimeError(f"peerbot run exited with {status}:\n{bot.log()[-2000:]}")
        return sample
    finally:
        bot.cleanup()


# -- the databases ----------------------------------------------------------------------------


def migrate(workdir: Path, pycache: Path | None) -> None:
    """`peerbot migrate` in workdir, beside a new key file, as `peerbot run` would make it."""
    load_or_create_key_file(workdir / KEY_FILE)
    env = make_bot("http://127.0.0.1:9", workdir, pycache).env
    subprocess.run(
        [sys.executable, "-m", "peerbot", "migrate"],
        cwd=workdir,
        env=env,
        check=True,
        capture_output=True,
    )


def copy_database(source: Path, target: Path) -> None:
    target.mkdir(parents=True, exist_ok=True)
    for name in (DATABASE, KEY_FILE):
        shutil.copy2(source / name, target / name)


def when(value: datetime) -> str:
    """A datetime as SQLAlchemy stores it in SQLite (naive UTC text)."""
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


class Rows:
    """Rows for one table, written in large executemany batches."""

    def __init__(self, connection: Any, table_name: str, columns: tuple[str, ...]) -> None:
        self.connection = connection
        self.sql = (
            f"INSERT INTO {table_name} ({', '.join(columns)}) "
            f"VALUES ({', '.join('?' for _ in columns)})"
        )
        self.pending: list[tuple[object, ...]] = []
        self.count = 0

    def add(self, *values: object) -> None:
        self.pending.append(values)
        if len(self.pending) >= BATCH:
            self.flush()

    def flush(self) -> None:
        if self.pending:
            self.connection.executemany(self.sql, self.pending)
            self.count += len(self.pending)
            self.pending = []


@dataclass(frozen=True)
class Population:
    participants: int
    supporters: int
    waiting: int


def seed(workdir: Path, population: Population) -> dict[str, int]:
    """Fill the migrated database in workdir; return rows written per table."""
    cipher = FieldCipher((workdir / KEY_FILE).read_text().strip())
    rng = random.Random(20_240_611)
    now = datetime.now(UTC)
    connection = sqlite3.connect(workdir / DATABASE)
    connection.execute("PRAGMA journal_mode=OFF")
    connection.execute("PRAGMA synchronous=OFF")
    connection.execute("PRAGMA cache_size=-262144")
    tables = Tables(connection)
    names = [cipher.encrypt(f"Person {n}") for n in range(500)]
    summaries = [cipher.encrypt(f"What I would like help with, number {n}.") for n in range(200)]
    supporter_ids = seed_supporters(tables, rng, population, names, now)
    seed_participants(tables, rng, population, supporter_ids, names, summaries, now)
    tables.flush()
    connection.commit()
    connection.execute("PRAGMA journal_mode=WAL")
    connection.close()
    return tables.counts()


class Tables:
    def __init__(self, connection: Any) -> None:
        self.people = Rows(connection, "people", (
            "id", "telegram_user_id", "pseudonym", "language", "time_zone", "status",
            "display_name_enc", "created_at", "updated_at", "last_seen_at", "stopped_at",
        ))  # fmt: skip
        self.roles = Rows(connection, "role_assignments", ("person_id", "role", "granted_at"))
        self.consents = Rows(connection, "consents", (
            "person_id", "kind", "version", "text_hash", "decision", "channel", "decided_at",
        ))  # fmt: skip
        self.conversations = Rows(connection, "conversations", (
            "id", "chat_id", "person_id", "flow", "step", "state", "status", "started_at",
            "updated_at", "version",
        ))  # fmt: skip
        self.answers = Rows(connection, "answers", (
            "person_id", "conversation_id", "support_request_id", "flow", "question", "value",
            "value_enc", "answered_at",
        ))  # fmt: skip
        self.requests = Rows(connection, "support_requests", (
            "id", "person_id", "code", "status", "topics", "language", "support_format",
            "urgency", "summary_enc", "created_at", "updated_at", "closed_at", "closed_reason",
        ))  # fmt: skip
        self.profiles = Rows(connection, "supporter_profiles", (
            "person_id", "lived_experience", "languages", "capacity", "status",
            "checkin_weekday", "checkin_time", "next_checkin_at", "age_band", "gender",
            "formats", "availability", "training", "training_confirmed_at", "created_at",
            "updated_at",
        ))  # fmt: skip
        self.matches = Rows(connection, "matches", (
            "id", "support_request_id", "supporter_id", "status", "score", "reasons", "rank",
            "proposed_at", "approved_at", "offered_at", "decided_at", "ended_at", "end_reason",
        ))  # fmt: skip
        self.checkins = Rows(connection, "checkins", (
            "person_id", "kind", "match_id", "due_at", "status", "sent_at", "answered_at", "score",
        ))  # fmt: skip
        self.updates = Rows(connection, "processed_updates", (
            "update_id", "received_at", "processed_at", "outcome",
        ))  # fmt: skip

    def all(self) -> Iterator[tuple[str, Rows]]:
        yield from vars(self).items()

    def flush(self) -> None:
        for _, rows in self.all():
            rows.flush()

    def counts(self) -> dict[str, int]:
        return {name: rows.count for name, rows in self.all()}


def pick_some(rng: random.Random, values: tuple[str, ...], low: int, high: int) -> list[str]:
    return sorted(rng.sample(values, rng.randint(low, high)))


def seed_supporters(
    tables: Tables, rng: random.Random, population: Population, names: list[str | None],
    now: datetime,
) -> list[int]:  # fmt: skip
    ids = []
    for n in range(population.supporters):
        person_id = population.participants + n + 1
        ids.append(person_id)
        joined = now - timedelta(days=rng.uniform(30, 700))
        tables.people.add(
            person_id, 500_000_000 + person_id, f"S-{person_id:07d}", "en",
            rng.choices(ZONES, ZONE_WEIGHTS)[0], "active", names[n % len(names)], when(joined),
            when(joined), when(now - timedelta(days=rng.uniform(0, 14))), None,
        )  # fmt: skip
        tables.roles.add(person_id, "supporter", when(joined))
        tables.consents.add(
            person_id, "supporter_agreement", "v1", "0" * 64, "granted", "telegram", when(joined)
        )
        tables.profiles.add(
            person_id, json.dumps(sorted(set(rng.choices(TOPICS, TOPIC_WEIGHTS, k=2)))),
            json.dumps(["en", "es"] if rng.random() < 0.25 else ["en"]), rng.randint(2, 4),
            "active" if rng.random() < 0.9 else "on_break", "mon", "18:00",
            when(now + timedelta(days=rng.uniform(0, 7))), rng.choice(AGE_BANDS),
            rng.choice(GENDERS), json.dumps(pick_some(rng, CHANNELS, 1, 3)),
            json.dumps(pick_some(rng, TIMES, 1, 3)), "completed", when(joined), when(joined),
            when(joined),
        )  # fmt: skip
        tables.checkins.add(
            person_id, "supporter_wellbeing", None,
            when(now + timedelta(days=rng.uniform(0, 7))), "scheduled", None, None, None,
        )  # fmt: skip
        for week in range(1, 5):
            due = now - timedelta(days=7 * week)
            tables.checkins.add(
                person_id, "supporter_wellbeing", None, when(due), "answered", when(due),
                when(due + timedelta(hours=2)), rng.uniform(1, 5),
            )  # fmt: skip
    return ids


@dataclass(frozen=True)
class Profile:
    """What one participant told the intake; a few hundred of these are shared round."""

    language: str
    zone: str
    stopped: bool
    share_with_supporter: bool
    evaluation: bool
    topics: str
    support_format: str
    answers: tuple[tuple[str, str | None, bool], ...]  # question, JSON value, encrypted


def make_profile(rng: random.Random, summary: str | None) -> Profile:
    language = "es" if rng.random() < 0.15 else "en"
    zone = rng.choices(ZONES, ZONE_WEIGHTS)[0]
    topics = sorted(set(rng.choices(TOPICS, TOPIC_WEIGHTS, k=rng.randint(1, 3))))
    channels = pick_some(rng, CHANNELS, 1, 3)
    closed: list[tuple[str, object]] = [
        ("topics", topics),
        ("who_for", "myself"),
        ("support_kind", "talk"),
        ("format", "one_to_one"),
        ("channels", channels),
        ("languages", [language]),
        ("age_band", rng.choice(AGE_BANDS)),
        ("supporter_gender", rng.choice(("no_preference", *GENDERS))),
        ("supporter_similar_age", rng.choice(("yes", "no"))),
        ("must_haves", []),
        ("timezone", zone),
        ("availability", pick_some(rng, TIMES, 1, 4)),
        ("safety", "no"),
    ]
    return Profile(
        language=language,
        zone=zone,
        stopped=rng.random() < 0.05,
        share_with_supporter=rng.random() < 0.9,
        evaluation=rng.random() < 0.6,
        topics=json.dumps(topics),
        support_format=json.dumps(["one_to_one", *channels]),
        answers=(
            *((question, json.dumps(value), False) for question, value in closed),
            ("anything_else", summary, True),
        ),
    )


def seed_participants(
    tables: Tables, rng: random.Random, population: Population, supporter_ids: list[int],
    names: list[str | None], summaries: list[str | None], now: datetime,
) -> None:  # fmt: skip
    """Most requests are long closed; a few thousand matched, some proposed, some waiting."""
    profiles = [make_profile(rng, summaries[n % len(summaries)]) for n in range(997)]
    matched = min(population.participants // 30, len(supporter_ids) * 2)
    proposed = population.participants // 300
    state = json.dumps({"flow": "intake", "current": None, "status": "completed"})
    update_id = 700_000_000
    match_id = 0
    for person_id in range(1, population.participants + 1):
        profile = profiles[person_id % len(profiles)]
        joined_at = now - timedelta(days=365 * (1 - person_id / population.participants))
        joined = when(joined_at)
        answered = when(joined_at + timedelta(minutes=8))
        chat_id = 100_000_000 + person_id
        tables.people.add(
            person_id, chat_id, f"P-{person_id:07d}", profile.language, profile.zone,
            "stopped" if profile.stopped else "active", names[person_id % len(names)], joined,
            joined, answered, when(joined_at + timedelta(days=40)) if profile.stopped else None,
        )  # fmt: skip
        tables.roles.add(person_id, "participant", joined)
        for kind, granted in (
            ("participation", True),
            ("share_with_supporter", profile.share_with_supporter),
            ("evaluation", profile.evaluation),
        ):
            tables.consents.add(
                person_id, kind, "v1", "0" * 64, "granted" if granted else "declined",
                "telegram", joined,
            )  # fmt: skip
        tables.conversations.add(
            2 * person_id - 1, chat_id, person_id, "consent", "done", state, "completed",
            joined, joined, 1,
        )  # fmt: skip
        tables.conversations.add(
            2 * person_id, chat_id, person_id, "intake", "summary", state, "completed", joined,
            answered, 1,
        )  # fmt: skip
        # The newest people are the waiting and proposed ones; then those matched now.
        rank = population.participants - person_id
        status, closed = "closed", True
        if rank < population.waiting:
            status, closed = "new", False
        elif rank < population.waiting + proposed:
            status, closed = "proposed", False
        elif rank < population.waiting + proposed + matched:
            status, closed = "matched", False
        elif person_id % 8 == 0:
            status = "withdrawn"
        ended = when(joined_at + timedelta(days=90))
        tables.requests.add(
            person_id, person_id, f"R-{person_id:07d}", status, profile.topics,
            profile.language, profile.support_format, "routine", profile.answers[-1][1], joined,
            joined, ended if closed else None,
            ("ended" if status == "closed" else "withdrawn") if closed else None,
        )  # fmt: skip
        for question, value, encrypted in profile.answers:
            tables.answers.add(
                person_id, 2 * person_id, person_id, "intake", question,
                None if encrypted else value, value if encrypted else None, answered,
            )  # fmt: skip
        if status == "proposed":
            for place, supporter in enumerate(rng.sample(supporter_ids, 3), start=1):
                match_id += 1
                tables.matches.add(
                    match_id, person_id, supporter, "proposed", 10.0 - place, "[]", place,
                    answered, None, None, None, None, None,
                )  # fmt: skip
        elif status == "matched" or (status == "closed" and person_id % 5):
            match_id += 1
            supporter = supporter_ids[person_id % len(supporter_ids)]
            decided = when(joined_at + timedelta(days=1))
            tables.matches.add(
                match_id, person_id, supporter, "ended" if closed else "accepted", 8.0, "[]", 1,
                answered, answered, answered, decided, ended if closed else None,
                "completed" if closed else None,
            )  # fmt: skip
            for who, kind, days in (
                (person_id, "match_followup", 7),
                (supporter, "match_followup", 7),
                (person_id, "feedback", 90),
            ):
                due = joined_at + timedelta(days=days)
                if due < now:
                    tables.checkins.add(
                        who, kind, match_id, when(due), "answered", when(due),
                        when(due + timedelta(hours=5)), None,
                    )  # fmt: skip
                else:
                    tables.checkins.add(who, kind, match_id, when(due), "scheduled", None,
                                        None, None)  # fmt: skip
        if rank < population.participants // 10:
            for _ in range(5):  # the last week's updates, kept for de-duplication
                update_id += 1
                received = when(now - timedelta(days=10 * rank / population.participants))
                tables.updates.add(update_id, received, received, "handled")


# -- the benchmark ----------------------------------------------------------------------------


async def measure_scenario(
    api: FakeBotApi,
    scenario: Scenario,
    prepare: Callable[[Path], None],
    settle: float,
    after_ticks: float,
    pycache: Path | None,
) -> None:
    workdir = Path(tempfile.mkdtemp(prefix=f"peerbot-footprint-{scenario.name}-"))
    try:
        prepare(workdir)
        scenario.samples.append(await one_run(api, workdir, settle, after_ticks, pycache))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


async def measure(args: argparse.Namespace) -> None:
    population = Population(args.participants, args.supporters, args.waiting)
    template = Path(tempfile.mkdtemp(prefix="peerbot-footprint-template-"))
    empty = Path(tempfile.mkdtemp(prefix="peerbot-footprint-empty-"))
    pycache = None if args.no_bytecode else Path(tempfile.mkdtemp(prefix="peerbot-pycache-"))
    try:
        migrate(empty, pycache)  # also compiles the bytecode the runs then read
        started = time.perf_counter()
        migrate(template, pycache)
        counts = seed(template, population)
        seeded_s = time.perf_counter() - started
        size_mb = (template / DATABASE).stat().st_size / 1e6
        cold, warm, loaded = Scenario("cold"), Scenario("warm"), Scenario("loaded")
        async with FakeBotApi() as api:
            api.group(chat_id=GROUP)

            def nothing(_: Path) -> None:
                pass

            # interleaved, so a burst of load elsewhere on the machine spreads over all three
            for run in range(args.runs + 1):
                if run == 0:  # the first start after a change compiles: not counted
                    await measure_scenario(api, Scenario("warm-up"), nothing, 0, 0, pycache)
                    continue
                await measure_scenario(api, cold, nothing, args.settle, 0, pycache)
                await measure_scenario(
                    api, warm, lambda d: copy_database(empty, d), args.settle, 0, pycache
                )
                await measure_scenario(
                    api, loaded, lambda d: copy_database(template, d), args.settle,
                    args.after_ticks, pycache,
                )  # fmt: skip
    finally:
        for folder in (template, empty, pycache):
            if folder is not None:
                shutil.rmtree(folder, ignore_errors=True)
    report(args, population, counts, seeded_s, size_mb, cold, warm, loaded)


def report(
    args: argparse.Namespace, population: Population, counts: dict[str, int], seeded_s: float,
    size_mb: float, cold: Scenario, warm: Scenario, loaded: Scenario,
) -> None:  # fmt: skip
    runs = f"median of {args.runs}"
    start_target = f"< {TARGET_START_S}"
    memory_target = f"< {TARGET_RSS_MB:.0f}"
    rows: list[tuple[object, ...]] = [
        ("start-up s, cold (creates + migrates the database)", cold.median_of("start_s"), ""),
        ("start-up s, warm (database at head)", warm.median_of("start_s"), start_target),
        (f"start-up s, {population.participants:,} participants", loaded.median_of("start_s"),
         start_target),
        ("  CPU s to first poll, cold", cold.median_of("start_cpu_s"), ""),
        ("  CPU s to first poll, warm", warm.median_of("start_cpu_s"), ""),
        ("  CPU s to first poll, loaded", loaded.median_of("start_cpu_s"), ""),
        (f"RSS MB idle {args.settle:.0f} s after first poll, empty", warm.median_of("rss_mb"),
         memory_target),
        ("  peak (VmHWM) MB, empty", warm.median_of("hwm_mb"), ""),
        (f"RSS MB idle, {population.participants:,} participants", loaded.median_of("rss_mb"),
         memory_target),
        ("  peak (VmHWM) MB so far, loaded, idle", loaded.median_of("hwm_mb"), ""),
    ]  # fmt: skip
    if args.after_ticks > 0:
        rows += [
            (f"RSS MB {args.after_ticks:.0f} s after first poll (every tick ran)",
             loaded.median_of("ticked_rss_mb"), memory_target),
            ("  peak (VmHWM) MB, loaded, after every tick", loaded.median_of("ticked_hwm_mb"),
             memory_target),
        ]  # fmt: skip
    table(f"peerbot run footprint ({runs} runs each)", rows, ("figure", "value", "target"))
    table(
        f"seeded database: {size_mb:,.0f} MB in {seeded_s:.1f} s (migrate + bulk inserts)",
        sorted(counts.items()),
        ("table", "rows"),
    )
    spread = [
        (name, ", ".join(f"{getattr(s, field_name):.2f}" for s in scenario.samples))
        for name, scenario, field_name in (
            ("cold start s", cold, "start_s"),
            ("warm start s", warm, "start_s"),
            ("loaded start s", loaded, "start_s"),
            ("warm start CPU s", warm, "start_cpu_s"),
            ("loaded idle RSS MB", loaded, "rss_mb"),
            ("loaded ticked HWM MB", loaded, "ticked_hwm_mb"),
        )
    ]
    table("every run", spread, ("figure", "runs"))
    figures(
        "footprint",
        {
            "runs": args.runs,
            "participants": population.participants,
            "supporters": population.supporters,
            "waiting_requests": population.waiting,
            "database_mb": round(size_mb, 1),
            "seed_s": round(seeded_s, 2),
            "cold_start_s": round(cold.median_of("start_s"), 3),
            "warm_start_s": round(warm.median_of("start_s"), 3),
            "loaded_start_s": round(loaded.median_of("start_s"), 3),
            "cold_start_cpu_s": round(cold.median_of("start_cpu_s"), 3),
            "warm_start_cpu_s": round(warm.median_of("start_cpu_s"), 3),
            "loaded_start_cpu_s": round(loaded.median_of("start_cpu_s"), 3),
            "empty_rss_mb": round(warm.median_of("rss_mb"), 1),
            "empty_hwm_mb": round(warm.median_of("hwm_mb"), 1),
            "loaded_rss_mb": round(loaded.median_of("rss_mb"), 1),
            "loaded_hwm_mb": round(loaded.median_of("hwm_mb"), 1),
            "ticked_rss_mb": round(loaded.median_of("ticked_rss_mb"), 1),
            "ticked_hwm_mb": round(loaded.median_of("ticked_hwm_mb"), 1),
            "target_start_s": TARGET_START_S,
            "target_rss_mb": TARGET_RSS_MB,
        },
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per scenario (default 5)")
    parser.add_argument("--participants", type=int, default=100_000)
    parser.add_argument("--supporters", type=int, default=2_000)
    parser.add_argument(
        "--waiting", type=int, default=300, help="requests waiting for a proposal (default 300)"
    )
    parser.add_argument(
        "--settle", type=float, default=3.0, help="idle seconds after the first poll (default 3)"
    )
    parser.add_argument(
        "--no-bytecode",
        action="store_true",
        help="leave PYTHONDONTWRITEBYTECODE as it is: an uninstalled checkout then compiles "
        "peerbot's modules on every start",
    )
    parser.add_argument(
        "--after-ticks",
        type=float,
        default=75.0,
        help="loaded runs: seconds after the first poll to read memory again, once every "
        "tick but the 2-minute outbox pruning has run (default 75; 0: skip)",
    )
    asyncio.run(measure(parser.parse_args()))


if __name__ == "__main__":
    main()
