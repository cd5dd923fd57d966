"""Batch matching of a realistic waiting list, and ranking supporters for one request.

Seeded random pools (10,000 waiting requests, 2,000 supporters); prints seconds:
    python benchmarks/matching.py
"""

import random
import statistics
import time

from peerbot.dialogs.matching.batch import assign, greedy
from peerbot.dialogs.matching.model import AGE_BANDS, Candidate, Need
from peerbot.dialogs.matching.policy import MatchingPolicy
from peerbot.dialogs.matching.score import top_proposals

REQUESTS = 10_000
SUPPORTERS = 2_000
RUNS = 5
LATENCY_REQUESTS = 1_000

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


def show(line: str) -> None:
    print(line)  # noqa: T201 - a benchmark prints figures


def seconds(values: list[float]) -> str:
    return (
        f"median {statistics.median(values):.3f} s, min {min(values):.3f} s, "
        f"max {max(values):.3f} s over {len(values)} runs"
    )


def measure() -> None:
    rng = random.Random(20_240_611)
    needs = [make_need(rng, request_id) for request_id in range(REQUESTS)]
    pool = [make_candidate(rng, supporter_id) for supporter_id in range(SUPPORTERS)]
    policy = MatchingPolicy()
    places = sum(c.capacity_left for c in pool if c.active and c.trained)

    timings = []
    for _ in range(RUNS):
        started = time.perf_counter()
        chosen = assign(needs, pool, policy)
        timings.append(time.perf_counter() - started)
    total = sum(p.score for p in chosen)
    show(f"assign {REQUESTS:,} requests x {SUPPORTERS:,} supporters: {seconds(timings)}")
    show("  (the first run also imports scipy)")
    show(f"  matched {len(chosen):,} ({places:,} places free), total score {total:,.2f}")

    started = time.perf_counter()
    baseline = greedy(needs, pool, policy)
    elapsed = time.perf_counter() - started
    baseline_total = sum(p.score for p in baseline)
    show(f"greedy: matched {len(baseline):,}, total score {baseline_total:,.2f}, {elapsed:.3f} s")

    latencies = []
    for need in needs[:LATENCY_REQUESTS]:
        started = time.perf_counter()
        top_proposals(need, pool, policy)
        latencies.append(time.perf_counter() - started)
    show(
        f"top_proposals against {SUPPORTERS:,} supporters: median "
        f"{statistics.median(latencies) * 1000:.2f} ms, max {max(latencies) * 1000:.2f} ms "
        f"over {LATENCY_REQUESTS:,} requests"
    )


if __name__ == "__main__":
    measure()
