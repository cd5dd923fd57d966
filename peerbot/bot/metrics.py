"""Prometheus metrics: counters bumped where the work happens, backlog gauges read on scrape.

The instruments sit in this module's own registry (not prometheus-client's global one). Like
a logger, a counter is a tally for the whole process: each replica reports its own and
Prometheus adds them up. Tests read differences, never absolute values. The gauges count
rows of the shared database, so every replica reports the same figure (take max, not sum).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    ProcessCollector,
    generate_latest,
)
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from peerbot.storage.backlog import Backlog, read_backlog
from peerbot.storage.enums import EscalationSeverity

# How an update's processing ended.
OK = "ok"  # its effects committed
ERROR = "error"  # rolled back; the person was told something went wrong
DUPLICATE = "duplicate"  # already processed: skipped
ABORTED = "aborted"  # interrupted (shutdown, database fault): nothing recorded, redone later
OUTCOMES = (OK, ERROR, DUPLICATE, ABORTED)

# The first message of a check-in prompt (services/supporters/checkins.py names its prompts
# "checkin:<id>:sent", bot/replies.py numbers the messages of a reply ":<index>").
_CHECKIN_PROMPT = re.compile(r"checkin:\d+:sent:0")

CONTENT_TYPE = CONTENT_TYPE_LATEST

REGISTRY = CollectorRegistry(auto_describe=True)
ProcessCollector(registry=REGISTRY)  # CPU, memory, open files of this replica

UPDATES_RECEIVED = Counter(
    "peerbot_updates_received",
    "Updates recorded in the inbox (a redelivered update id is not counted).",
    registry=REGISTRY,
)
UPDATES_PROCESSED = Counter(
    "peerbot_updates_processed",
    "Updates processed, by outcome: ok, error (rolled back), duplicate (skipped), aborted.",
    ["outcome"],
    registry=REGISTRY,
)
UPDATE_SECONDS = Histogram(
    "peerbot_update_processing_seconds",
    "From an update reaching the processor (its chat's earlier updates still ahead of it) "
    "to its transaction's end.",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
    registry=REGISTRY,
)
TELEGRAM_429 = Counter(
    "peerbot_telegram_429",
    "Outbox deliveries Telegram answered with 429 Too Many Requests.",
    registry=REGISTRY,
)
ESCALATION_DELIVERY_FAILED = Counter(
    "peerbot_escalation_delivery_failed",
    "Escalation cards the coordinators' group refused for good (bot removed or blocked, chat "
    "not found, text too long); each went to every coordinator privately instead.",
    registry=REGISTRY,
)
CHECKINS_SENT = Counter(
    "peerbot_checkins_sent",
    "Check-in prompts Telegram accepted.",
    registry=REGISTRY,
)
INBOX_BACKLOG = Gauge(
    "peerbot_inbox_backlog",
    "Updates received and not yet processed (whole database).",
    registry=REGISTRY,
)
OUTBOX_BACKLOG = Gauge(
    "peerbot_outbox_backlog",
    "Outbox messages pending delivery, retries and later sends included (whole database).",
    registry=REGISTRY,
)
ESCALATIONS_OPEN = Gauge(
    "peerbot_escalations_open",
    "Escalations raised and not yet claimed by a coordinator, by severity (whole database).",
    ["severity"],
    registry=REGISTRY,
)
CHECKINS_DUE = Gauge(
    "peerbot_checkins_due",
    "Check-ins due and not yet sent (whole database).",
    registry=REGISTRY,
)

for _outcome in OUTCOMES:  # every series shows from the start, at 0
    UPDATES_PROCESSED.labels(_outcome)
for _severity in EscalationSeverity:
    ESCALATIONS_OPEN.labels(_severity.value)


def update_done(outcome: str, seconds: float) -> None:
    """Count one processed update and how long it took."""
    UPDATES_PROCESSED.labels(outcome).inc()
    UPDATE_SECONDS.observe(seconds)


def message_sent(dedupe_key: str | None) -> None:
    """Note an outbox message Telegram accepted (counted when it opens a check-in prompt)."""
    if dedupe_key is not None and _CHECKIN_PROMPT.fullmatch(dedupe_key):
        CHECKINS_SENT.inc()


def show_backlog(backlog: Backlog) -> None:
    """Set the gauges from the database's counts."""
    INBOX_BACKLOG.set(backlog.inbox)
    OUTBOX_BACKLOG.set(backlog.outbox)
    CHECKINS_DUE.set(backlog.checkins_due)
    for severity, count in backlog.escalations_open.items():
        ESCALATIONS_OPEN.labels(severity.value).set(count)


async def refresh_backlog(
    sessions: async_sessionmaker[AsyncSession], clock: Callable[[], datetime]
) -> None:
    """Read the backlog from the database into the gauges (done on each scrape)."""
    async with sessions() as session:
        backlog = await read_backlog(session, now=clock())
    show_backlog(backlog)


def exposition() -> bytes:
    """Every metric in Prometheus' text format."""
    return generate_latest(REGISTRY)
