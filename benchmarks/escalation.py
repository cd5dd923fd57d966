"""Escalation latency under load: crisis messages while every supporter's check-in goes out.

Time from the person's message to the coordinators' card accepted by the fake Bot API (and
to the crisis reply the person gets), during the same evening as benchmarks.fanout:
    python -m benchmarks.escalation                  # 10,000 supporters at 30 messages/s
    python -m benchmarks.escalation --speedup 10     # every limit x10, a tenth of the time
"""

from __future__ import annotations

import asyncio

from benchmarks.evening import Evening, run_evening
from benchmarks.fanout import arguments
from benchmarks.report import figures, percentile, table


def report(evening: Evening) -> None:
    plan = evening.plan
    cards, replies = evening.card_latencies, evening.crisis_replies
    table(
        f"Escalations during a fan-out of {plan.supporters:,} check-ins, {plan.database}, "
        f"limits x{plan.speedup:g}",
        [
            ("crisis messages", evening.flags_raised, ""),
            ("coordinator cards accepted", len(cards), f"{evening.flags_raised}"),
            ("card p50, s", percentile(cards, 0.5), ""),
            ("card p99, s", percentile(cards, 0.99), "< 1"),
            ("card max, s", max(cards, default=float("nan")), ""),
            ("crisis reply p50, s", percentile(replies, 0.5), ""),
            ("crisis reply p99, s", percentile(replies, 0.99), "< 1"),
            ("fan-out time / limit", evening.fanout_seconds / evening.shared_limit_seconds, ""),
            ("429 answers", sum(evening.rate_limited.values()), "0"),
        ],
        header=("figure", "value", "target"),
    )
    figures(
        "escalation",
        {
            "supporters": plan.supporters,
            "speedup": plan.speedup,
            "database": plan.database,
            "flags": evening.flags_raised,
            "cards": len(cards),
            "card_p50_s": round(percentile(cards, 0.5), 4),
            "card_p99_s": round(percentile(cards, 0.99), 4),
            "crisis_reply_p50_s": round(percentile(replies, 0.5), 4),
            "crisis_reply_p99_s": round(percentile(replies, 0.99), 4),
            "fanout_ratio": round(evening.fanout_seconds / evening.shared_limit_seconds, 4),
            "rate_limited": sum(evening.rate_limited.values()),
        },
    )


if __name__ == "__main__":
    report(asyncio.run(run_evening(arguments())))
