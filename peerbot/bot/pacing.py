"""Pacing within Telegram's limits: about one message a second per private chat (short bursts
allowed), at most 20 in any minute per group and at most 30 sends in any one second overall.

This is the one pacer: every message goes through the outbox and is paced here, with sliding
windows (python-telegram-bot's AIORateLimiter is not used: its leaky buckets let a full burst be
followed at once by more, which Telegram answers with 429, and on the same bot object it would
pace every send a second time and queue group edits and membership checks in a group's
20-a-minute bucket). The few direct calls (a button's answer, a membership check, the command
menus) are not messages and go straight out; a 429 on them is handled where they are made.

Telegram counts a message when it arrives, not when we start sending it, and a busy machine can
hold one call back long after the next began. So a send keeps its place in the overall window
until its answer is back, and the window runs from then (an answer comes after the arrival, so
a one-second window from the answer is never shorter than Telegram's).

When everything is due at once (a check-in round to every supporter), calls queue for the
overall window, and the queue is ordered by urgency: a reply or an escalation waits for the next
free place, not behind the whole round.

A group's minute is shared by urgency too: the outbox hands out a group's rows most urgent first,
and calls less urgent than an escalation may fill only part of the minute, so a place is kept
for escalation cards however many proposal or coordination cards are waiting.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from peerbot.storage.outbox import Priority

# Telegram's one second, counted from each answer: the next call leaves after that, so it
# arrives at least a second after the previous one did, however long either was on the wire.
OVERALL_WINDOW_SECONDS = 1.0
GROUP_WINDOW_SECONDS = 61.0  # Telegram's minute, plus slack


IN_FLIGHT_RECHECK_SECONDS = 0.05  # a full window of calls still on the wire: look again soon


@dataclass
class Slot:
    """One send's place in a window: held while in flight, then counted from when it ended."""

    time: float
    in_flight: bool = True


@dataclass
class Reservation:
    """What delay_for decided: how long to wait, or the slot taken (call finished() after)."""

    delay: float
    slot: Slot | None = None


@dataclass
class SlidingWindow:
    """At most `limit` events in any `seconds`; events still in flight always count."""

    limit: int
    seconds: float
    slots: list[Slot] = field(default_factory=list)

    def delay(self, now: float, limit: int | None = None) -> float:
        """Seconds until one more event fits (0 if it fits now), within `limit` events if given
        (a share of the window) rather than the whole window."""
        self.slots = [s for s in self.slots if s.in_flight or s.time > now - self.seconds]
        allowed = self.limit if limit is None else min(limit, self.limit)
        if len(self.slots) < allowed:
            return 0.0
        # enough of the finished slots must leave the window for one more to fit
        leaving = sorted(s.time + self.seconds - now for s in self.slots if not s.in_flight)
        needed = len(self.slots) - allowed + 1
        if needed > len(leaving):
            return IN_FLIGHT_RECHECK_SECONDS
        return leaving[needed - 1]

    def record(self, now: float, *, in_flight: bool = False) -> Slot:
        slot = Slot(now, in_flight)
        self.slots.append(slot)
        return slot


@dataclass
class _Bucket:
    tokens: float
    updated: float


@dataclass(order=True)
class _Waiter:
    priority: int
    order: int
    turn: asyncio.Future[Slot] = field(compare=False)


class OverallQueue:
    """Calls waiting for a place in the overall window, most urgent (lowest number) first."""

    def __init__(self, window: SlidingWindow, pacer: ChatPacer) -> None:
        self._window = window
        self._pacer = pacer
        self._waiting: list[_Waiter] = []
        self._order = itertools.count()
        self._timer: asyncio.TimerHandle | None = None

    async def place(self, priority: int) -> Slot:
        """Wait for a place in the window, behind every more urgent call."""
        turn: asyncio.Future[Slot] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiting, _Waiter(priority, next(self._order), turn))
        self.dispatch()
        return await turn

    def dispatch(self) -> None:
        """Hand out the places the window has now; look again when the next one frees."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        while self._waiting:
            if self._waiting[0].turn.done():  # its sender gave up (cancelled)
                heapq.heappop(self._waiting)
                continue
            now = self._pacer.clock()
            wait = max(self._pacer.paused_for(), self._window.delay(now))
            if wait > 0:
                self._timer = asyncio.get_running_loop().call_later(wait, self.dispatch)
                return
            heapq.heappop(self._waiting).turn.set_result(self._window.record(now, in_flight=True))


@dataclass
class ChatPacer:
    """Token buckets per private chat, an overall sliding window, and a global pause after
    Telegram answers 429."""

    rate_per_second: float = 1.0
    burst: int = 3
    overall_per_second: int = 30
    group_per_minute: int = 20
    # Places in a group's minute that only escalation cards may take.
    group_kept_for_escalations: int = 4
    clock: Callable[[], float] = time.monotonic
    _buckets: dict[int, _Bucket] = field(default_factory=dict)
    _overall: SlidingWindow | None = None
    _groups: dict[int, SlidingWindow] = field(default_factory=dict)
    _paused_until: float = 0.0
    _queue: OverallQueue = field(init=False)

    def __post_init__(self) -> None:
        self._overall = SlidingWindow(self.overall_per_second, OVERALL_WINDOW_SECONDS)
        self._queue = OverallQueue(self._overall, self)

    def delay_for(self, chat_id: int, *, new_message: bool = True) -> float:
        """Seconds to wait before a call for chat_id; takes the slot (ended at once) on 0."""
        reservation = self.reserve(chat_id, new_message=new_message)
        if reservation.slot is not None:
            self.finished(reservation)
        return reservation.delay

    def reserve(self, chat_id: int, *, new_message: bool = True) -> Reservation:
        """Take a slot for a call to chat_id now, or say how long to wait.

        Edits of the bot's own messages (new_message=False) are not paced: Telegram's limits
        are on messages sent, and an answer to a button press is an edit followed by the next
        question. Only a pause Telegram asked for holds them.
        """
        now = self.clock()
        pause = self._paused_until - now
        if pause > 0:
            return Reservation(pause)
        if not new_message:
            return Reservation(0.0)
        assert self._overall is not None
        overall = self._overall.delay(now)
        if overall > 0:
            return Reservation(overall)
        chat_wait = self._take_chat_slot(chat_id, now)
        if chat_wait > 0:
            return Reservation(chat_wait)
        return Reservation(0.0, self._overall.record(now, in_flight=True))

    def finished(self, reservation: Reservation) -> None:
        """The call is answered: its slot now counts from this moment."""
        if reservation.slot is not None:
            reservation.slot.time = self.clock()
            reservation.slot.in_flight = False
            self._queue.dispatch()

    def chat_delay(
        self, chat_id: int, *, new_message: bool = True, priority: int | None = None
    ) -> float:
        """Seconds until the chat's own limit (and any pause Telegram asked for) allows a call;
        nothing is taken.

        With a priority, a call to a group less urgent than an escalation counts against the
        part of the minute not kept for escalations; without one, against the whole minute.
        """
        now = self.clock()
        pause = self._paused_until - now
        if not new_message:
            return max(pause, 0.0)
        if chat_id > 0:
            own = max(0.0, (1.0 - self._tokens(chat_id, now)) / self.rate_per_second)
        else:
            group = self._groups.get(chat_id)
            own = group.delay(now, self._group_share(priority)) if group is not None else 0.0
        return max(pause, own, 0.0)

    def _group_share(self, priority: int | None) -> int | None:
        """How many of a group's places a call of this priority may use (None: all of them)."""
        if priority is None or priority <= Priority.ESCALATION:
            return None
        return max(1, self.group_per_minute - self.group_kept_for_escalations)

    async def turn(
        self, chat_id: int, *, new_message: bool = True, priority: int = 0
    ) -> Reservation:
        """Wait until chat_id may receive a call, then for a place in the overall window, in
        order of priority; call finished() with the result once Telegram has answered.

        A group's share by priority is not waited for here: that is chat_delay(priority=...)
        before the call, since waiting up to a minute here would outlast the outbox row's lease.
        """
        # a computed delay, no event to await
        while (wait := self.chat_delay(chat_id, new_message=new_message)) > 0:  # noqa: ASYNC110
            await asyncio.sleep(wait)
        if not new_message:
            return Reservation(0.0)
        self._take_chat_slot(chat_id, self.clock())
        return Reservation(0.0, await self._queue.place(priority))

    def _take_chat_slot(self, chat_id: int, now: float) -> float:
        """A group's minute window or a private chat's bucket; 0 when the slot is taken."""
        if chat_id > 0:
            return self._take_private_token(chat_id, now)
        group = self._groups.setdefault(
            chat_id, SlidingWindow(self.group_per_minute, GROUP_WINDOW_SECONDS)
        )
        wait = group.delay(now)
        if wait == 0:
            group.record(now)
        return wait

    def _tokens(self, chat_id: int, now: float) -> float:
        """The chat's bucket as of now: full for a chat not written to lately."""
        bucket = self._buckets.get(chat_id)
        if bucket is None:
            return float(self.burst)
        return min(self.burst, bucket.tokens + (now - bucket.updated) * self.rate_per_second)

    def _take_private_token(self, chat_id: int, now: float) -> float:
        bucket = self._buckets.setdefault(chat_id, _Bucket(tokens=float(self.burst), updated=now))
        bucket.tokens = self._tokens(chat_id, now)
        bucket.updated = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            self._forget_full_buckets(now)
            return 0.0
        return (1.0 - bucket.tokens) / self.rate_per_second

    def paused_for(self) -> float:
        """Seconds left of a pause Telegram asked for (0 when none)."""
        return max(0.0, self._paused_until - self.clock())

    def pause_all(self, seconds: float) -> None:
        """Hold every send for a while: Telegram said to retry after that many seconds."""
        self._paused_until = max(self._paused_until, self.clock() + seconds)

    def _forget_full_buckets(self, now: float) -> None:
        if len(self._buckets) < 10_000:
            return
        refill_time = self.burst / self.rate_per_second
        for chat_id in [c for c, b in self._buckets.items() if now - b.updated > refill_time]:
            del self._buckets[chat_id]
