"""Fan-out: every supporter's check-in due at once, sent within Telegram's limits, while
participants keep chatting (and crises come in).

    python -m benchmarks.fanout                      # 10,000 supporters at 30 messages/s
    python -m benchmarks.fanout --speedup 10         # limits x10: 300/s overall, 10/s per chat
    python -m benchmarks.fanout --supporters 2000 --db postgresql
"""

from __future__ import annotations

import argparse
import asyncio

from benchmarks.evening import Evening, Plan, run_evening
from benchmarks.report import figures, percentile, table


def arguments() -> Plan:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--supporters", type=int, default=Plan.supporters)
    parser.add_argument("--speedup", type=float, default=Plan.speedup)
    parser.add_argument("--chatting", type=int, default=Plan.chatting)
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default=Plan.database)
    args = parser.parse_args()
    return Plan(args.supporters, args.speedup, args.chatting, database=args.db)


def report(evening: Evening) -> None:
    plan = evening.plan
    ratio = evening.fanout_seconds / plan.limit_seconds if plan.limit_seconds else 0.0
    shared = evening.shared_limit_seconds
    shared_ratio = evening.fanout_seconds / shared if shared else 0.0
    rate_limited = sum(evening.rate_limited.values())
    p99 = percentile(evening.reply_latencies, 0.99)
    p50 = percentile(evening.reply_latencies, 0.50)
    table(
        f"Fan-out: {plan.supporters:,} check-ins due at once, {plan.database}, "
        f"limits x{plan.speedup:g}",
        [
            ("check-ins accepted", len(evening.checkin_times), f"{plan.supporters:,}"),
            ("distinct supporters reached", len(evening.checkin_chats), f"{plan.supporters:,}"),
            ("first to last accepted, s", evening.fanout_seconds, ""),
            ("Telegram's limit N/30, s", plan.limit_seconds, ""),
            ("time / (N/30)", ratio, ""),
            ("all messages sent meanwhile", evening.sends_during, ""),
            ("limit for all of them (/30), s", shared, ""),
            ("time / limit for all", shared_ratio, "<= 1.05"),
            ("429 answers", rate_limited, "0"),
            ("participant actions", evening.participant_actions, ""),
            ("participant reply p50, s", p50, ""),
            ("participant reply p99, s", p99, "< 1"),
            ("actions left unanswered", evening.unanswered_actions, "0"),
        ],
        header=("figure", "value", "target"),
    )
    figures(
        "fanout",
        {
            "supporters": plan.supporters,
            "speedup": plan.speedup,
            "database": plan.database,
            "checkins_accepted": len(evening.checkin_times),
            "distinct_supporters": len(evening.checkin_chats),
            "fanout_s": round(evening.fanout_seconds, 3),
            "limit_s": round(plan.limit_seconds, 3),
            "ratio_to_n_over_30": round(ratio, 4),
            "sends_during": evening.sends_during,
            "shared_limit_s": round(shared, 3),
            "ratio": round(shared_ratio, 4),
            "rate_limited": rate_limited,
            "rate_limited_by_scope": evening.rate_limited,
            "reply_p50_s": round(p50, 4),
            "reply_p99_s": round(p99, 4),
            "participant_actions": evening.participant_actions,
            "unanswered": evening.unanswered_actions,
        },
    )


if __name__ == "__main__":
    report(asyncio.run(run_evening(arguments())))
