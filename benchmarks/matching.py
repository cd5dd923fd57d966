"""Batch matching of a realistic waiting list, and ranking supporters for one request.

Seeded random pools (10,000 waiting requests, 2,000 supporters): the batch assignment
(median over runs), the same with every request's own ranking as the bot's batch makes it
(in-process and in the child process it runs in), the greedy baseline, and top_proposals()
latency for single requests:
    python -m benchmarks.matching [--runs 5]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import random
import time
from collections.abc import Callable

from benchmarks.report import figures, median, percentile, table
from peerbot.dialogs.matching.batch import assign, greedy, plan
from peerbot.dialogs.matching.model import AGE_BANDS, Candidate, Need
from peerbot.dialogs.matching.policy import MatchingPolicy
from peerbot.dialogs.matching.score import top_proposals
from peerbot.services.matching import batch_solver

REQUESTS = 10_000
SUPPORTERS = 2_000
RUNS = 5
LATENCY_REQUESTS = 1_000
TARGET_BATCH_S = 2.0
TARGET_TOP_MS = 20.0

TOPICS = (
    "grief",
    "perinatal",
    "caring",
    "anxiety",
    "low_mood",
    "long_term_health",
    "substance_use",
    "relationships",
    "loneliness",
)
TOPIC_WEIGHTS = (12, 6, 8, 20, 18, 8, 5, 10, 13)
CHANNELS = ("text", "phone", "video", "in_person")
TIMES = ("mornings", "afternoons", "evenings", "weekends")
GENDERS = ("woman", "man", "non_binary")
# UTC offsets of the zones people write from, and how common each is.
ZONES = (-8.0, -5.0, -3.0, 0.0, 1.0, 2.0, 5.5)
ZONE_WEIGHTS = (5, 10, 10, 40, 20, 10, 5)


def some(rng: random.Random, values: tuple[str, ...], low: int, high: int) -> frozenset[str]:
    return frozenset(rng.sample(values, rng.randint(low, high)))


def topics(rng: random.Random, low: int, high: int) -> frozenset[str]:
    return frozenset(rng.choices(TOPICS, TOPIC_WEIGHTS, k=rng.randint(low, high)))


def languages(rng: random.Random, spanish_only: float, both: float) -> frozenset[str]:
    draw = rng.random()
    if draw < spanish_only:
        return frozenset({"es"})
    return frozenset({"en", "es"}) if draw < spanish_only + both else frozenset({"en"})


def offset(rng: random.Random) -> float | None:
    return None if rng.random() < 0.05 else rng.choices(ZONES, ZONE_WEIGHTS)[0]


def make_need(rng: random.Random, request_id: int) -> Need:
    wants_gender = rng.choices((None, *GENDERS), (57, 30, 10, 3))[0]
    wants_similar_age = rng.random() < 0.25
    required = set()
    if wants_gender and rng.random() < 0.2:
        required.add("gender")
    if wants_similar_age and rng.random() < 0.3:
        required.add("similar_age")
    if rng.random() < 0.1:
        required.add("experience")
    if rng.random() < 0.05:
        required.add("format")
    excluded = {rng.randrange(SUPPORTERS) for _ in range(rng.randint(1, 2))}
    return Need(
        request_id=request_id,
        languages=languages(rng, spanish_only=0.10, both=0.15),
        topics=topics(rng, 1, 3),
        channels=some(rng, CHANNELS, 1, 3),
        group_format=rng.random() < 0.05,
        age_band=rng.choice((*AGE_BANDS[1:], "prefer_not_to_say")),
        wants_gender=wants_gender,
        wants_similar_age=wants_similar_age,
        offset_hours=offset(rng),
        availability=some(rng, TIMES, 1, 4),
        required=frozenset(required),
        excluded=frozenset(excluded) if rng.random() < 0.05 else frozenset(),
    )


def make_candidate(rng: random.Random, supporter_id: int) -> Candidate:
    formats = set(some(rng, CHANNELS, 1, 4))
    if rng.random() < 0.15:
        formats.add("group")
    return Candidate(
        supporter_id=supporter_id,
        languages=languages(rng, spanish_only=0.10, both=0.25),
        lived_experience=topics(rng, 1, 3),
        formats=frozenset(formats),
        age_band=None if rng.random() < 0.05 else rng.choice(AGE_BANDS[1:]),
        gender=rng.choices((None, *GENDERS), (5, 60, 30, 5))[0],
        offset_hours=offset(rng),
        availability=some(rng, TIMES, 1, 4),
        capacity_left=rng.randint(1, 4),
        load=rng.randint(0, 3),
        active=rng.random() < 0.9,
        trained=rng.random() < 0.92,
    )


def timed(runs: int, work: Callable[[], object]) -> tuple[list[float], object]:
    """Seconds of each run, and the last run's result."""
    seconds = []
    result: object = None
    for _ in range(runs):
        result = None
        gc.collect()  # the last run's garbage is not this run's cost
        started = time.perf_counter()
        result = work()
        seconds.append(time.perf_counter() - started)
    return seconds, result


async def in_child(needs: list[Need], pool: list[Candidate], policy: MatchingPolicy) -> int:
    """The plan made as the bot's batch makes it; returns how many it matched.

    (Not the plan itself: asyncio.run() puts back its Ctrl-C handler on the way out, and
    Python 3.11 then writes out the repr of the handler's task, result and all.)
    """
    async with batch_solver.started() as solver:
        return len((await solver.plan(needs, pool, policy)).chosen)


def measure(runs: int) -> None:
    rng = random.Random(20_240_611)
    needs = [make_need(rng, request_id) for request_id in range(REQUESTS)]
    pool = [make_candidate(rng, supporter_id) for supporter_id in range(SUPPORTERS)]
    policy = MatchingPolicy()
    places = sum(c.capacity_left for c in pool if c.active and c.trained)

    assign(needs[:10], pool[:10], policy)  # imports numpy and SciPy, outside the timing
    assign_s, chosen = timed(runs, lambda: assign(needs, pool, policy))
    assert isinstance(chosen, list)
    plan_s, _ = timed(runs, lambda: plan(needs, pool, policy))
    child_s, _ = timed(runs, lambda: asyncio.run(in_child(needs, pool, policy)))
    greedy_s, baseline = timed(1, lambda: greedy(needs, pool, policy))
    assert isinstance(baseline, list)
    total = sum(p.score for p in chosen)
    baseline_total = sum(p.score for p in baseline)

    latencies = []
    for need in needs[:LATENCY_REQUESTS]:
        started = time.perf_counter()
        top_proposals(need, pool, policy)
        latencies.append((time.perf_counter() - started) * 1000)

    scale = f"{REQUESTS:,} requests x {SUPPORTERS:,} supporters"
    batch_target = f"< {TARGET_BATCH_S:.0f}"
    top_target = f"< {TARGET_TOP_MS:.0f}"
    table(
        f"matching: {scale} ({places:,} places free), median of {runs} runs",
        [
            ("assign s", median(assign_s), batch_target),
            ("plan s (assign + each request's top proposals)", median(plan_s), batch_target),
            ("  in a child process, with its start", median(child_s), batch_target),
            ("greedy s (baseline)", greedy_s[0], ""),
            ("requests matched by assign", len(chosen), ""),
            ("requests matched by greedy", len(baseline), ""),
            ("total score, assign", total, ""),
            ("total score, greedy", baseline_total, ""),
            (f"top_proposals ms median ({LATENCY_REQUESTS:,} requests)", median(latencies),
             top_target),
            ("top_proposals ms p99", percentile(latencies, 0.99), top_target),
            ("top_proposals ms max", max(latencies), ""),
        ],
        ("figure", "value", "target"),
    )  # fmt: skip
    figures(
        "matching",
        {
            "requests": REQUESTS,
            "supporters": SUPPORTERS,
            "places": places,
            "runs": runs,
            "assign_s": round(median(assign_s), 3),
            "assign_s_min": round(min(assign_s), 3),
            "assign_s_max": round(max(assign_s), 3),
            "plan_s": round(median(plan_s), 3),
            "plan_in_child_s": round(median(child_s), 3),
            "greedy_s": round(greedy_s[0], 3),
            "matched": len(chosen),
            "matched_greedy": len(baseline),
            "total_score": round(total, 2),
            "total_score_greedy": round(baseline_total, 2),
            "top_proposals_ms_median": round(median(latencies), 3),
            "top_proposals_ms_p99": round(percentile(latencies, 0.99), 3),
            "top_proposals_ms_max": round(max(latencies), 3),
            "target_batch_s": TARGET_BATCH_S,
            "target_top_proposals_ms": TARGET_TOP_MS,
        },
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=RUNS, help=f"batch runs (default {RUNS})")
    measure(parser.parse_args().runs)


if __name__ == "__main__":
    main()
