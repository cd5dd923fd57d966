"""Pacing: private chats a short burst then about one a second; a group twenty a minute with
places kept for escalation cards; thirty a second overall; 429 pauses all."""

import asyncio

from peerbot.bot.pacing import ChatPacer
from peerbot.storage.outbox import Priority


class ManualClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_burst_then_one_per_second():
    clock = ManualClock()
    pacer = ChatPacer(rate_per_second=1.0, burst=3, clock=clock)
    assert [pacer.delay_for(42) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert pacer.delay_for(42) == 1.0
    clock.now += 1.0
    assert pacer.delay_for(42) == 0.0
    assert pacer.delay_for(42) > 0


def test_chats_are_paced_independently_and_groups_not_at_all():
    pacer = ChatPacer(rate_per_second=1.0, burst=1, clock=ManualClock())
    assert pacer.delay_for(1) == 0.0
    assert pacer.delay_for(2) == 0.0
    assert pacer.delay_for(1) > 0
    assert all(pacer.delay_for(-100123) == 0.0 for _ in range(10))


def test_retry_after_pauses_every_chat():
    clock = ManualClock()
    pacer = ChatPacer(clock=clock)
    pacer.pause_all(5)
    assert pacer.delay_for(7) == 5.0
    assert pacer.delay_for(-100) == 5.0
    clock.now += 5
    assert pacer.delay_for(7) == 0.0


def test_a_group_gets_at_most_twenty_in_any_minute():
    clock = ManualClock()
    pacer = ChatPacer(clock=clock)
    group = -1001234567890
    assert all(pacer.delay_for(group) == 0.0 for _ in range(20))
    wait = pacer.delay_for(group)
    assert 59 < wait <= 61
    assert pacer.delay_for(-100999) == 0.0, "another group has its own minute"
    clock.now += wait
    assert pacer.delay_for(group) == 0.0


def test_at_most_thirty_sends_in_any_second_overall():
    clock = ManualClock()
    pacer = ChatPacer(clock=clock, burst=1)
    assert all(pacer.delay_for(chat) == 0.0 for chat in range(1, 31))
    assert pacer.delay_for(31) > 0
    clock.now += 1.1
    assert pacer.delay_for(31) == 0.0


def test_edits_are_not_paced_but_wait_out_a_pause():
    clock = ManualClock()
    pacer = ChatPacer(clock=clock, burst=1, overall_per_second=5)
    assert pacer.delay_for(9) == 0.0
    assert pacer.delay_for(9) > 0, "a second new message waits"
    assert [pacer.delay_for(9, new_message=False) for _ in range(10)] == [0.0] * 10
    assert [pacer.delay_for(chat) for chat in range(10, 14)] == [0.0] * 4, "edits took no place"
    pacer.pause_all(3)
    assert pacer.delay_for(9, new_message=False) == 3.0


def test_a_send_still_in_flight_holds_its_place_in_the_overall_second():
    clock = ManualClock()
    pacer = ChatPacer(clock=clock, burst=1, overall_per_second=2)
    slow = pacer.reserve(1)
    assert pacer.delay_for(2) == 0.0
    clock.now += 5.0  # the quick one has long left the window; the slow one is still sending
    assert pacer.delay_for(3) == 0.0
    assert pacer.reserve(4).slot is None, "the slow call still counts"
    pacer.finished(slow)
    clock.now += 0.5
    assert pacer.reserve(4).slot is None, "and counts for a second after its answer"
    clock.now += 1.0
    assert pacer.reserve(4).slot is not None


async def test_when_the_overall_second_is_full_the_most_urgent_call_goes_next():
    pacer = ChatPacer(burst=1, overall_per_second=2)
    round_started = [await pacer.turn(chat, priority=50) for chat in (1, 2)]
    sent: list[int] = []

    async def send(chat_id: int, priority: int) -> None:
        turn = await pacer.turn(chat_id, priority=priority)
        sent.append(chat_id)
        pacer.finished(turn)

    queued = [asyncio.create_task(send(chat, 50)) for chat in (3, 4)]
    await asyncio.sleep(0.01)
    reply = asyncio.create_task(send(99, 10))
    await asyncio.sleep(0.01)
    for turn in round_started:
        pacer.finished(turn)
    await asyncio.gather(*queued, reply)

    assert sent == [99, 3, 4], "the reply waited for one free place, not behind the round"


async def test_a_chat_that_just_got_a_message_waits_its_turn_without_holding_others():
    pacer = ChatPacer(rate_per_second=4.0, burst=1)
    first = await pacer.turn(7)
    pacer.finished(first)
    assert pacer.chat_delay(7) > 0
    assert pacer.chat_delay(8) == 0.0
    other = await asyncio.wait_for(pacer.turn(8), timeout=0.1)
    pacer.finished(other)
    again = await asyncio.wait_for(pacer.turn(7), timeout=1.0)
    assert again.slot is not None


def test_a_groups_minute_keeps_places_for_escalations():
    clock = ManualClock()
    pacer = ChatPacer(clock=clock)  # 20 a minute, 4 of them kept for escalations
    group = -1001234567890
    for _ in range(16):
        assert pacer.chat_delay(group, priority=Priority.COORDINATION) == 0.0
        assert pacer.delay_for(group) == 0.0
    assert 59 < pacer.chat_delay(group, priority=Priority.COORDINATION) <= 61
    assert pacer.chat_delay(group, priority=Priority.MATCH_OFFER) > 59
    assert pacer.chat_delay(group, priority=Priority.ESCALATION) == 0.0, "a place is kept"
    assert pacer.chat_delay(group) == 0.0, "without a priority the whole minute counts"
    for _ in range(4):
        assert pacer.delay_for(group) == 0.0
    assert pacer.chat_delay(group, priority=Priority.ESCALATION) > 59, "Telegram's 20 still hold"
    clock.now += 61
    assert pacer.chat_delay(group, priority=Priority.COORDINATION) == 0.0


def test_the_share_waits_for_as_many_places_as_it_is_over():
    clock = ManualClock()
    pacer = ChatPacer(clock=clock, group_per_minute=4, group_kept_for_escalations=2)
    group = -100
    for second in range(4):
        clock.now = 1000.0 + second
        pacer.delay_for(group)
    clock.now = 1010.0
    # two of four places may go to proposals: three must leave the minute for one more
    assert pacer.chat_delay(group, priority=Priority.COORDINATION) == 1000.0 + 2 + 61 - 1010.0
    assert pacer.chat_delay(group, priority=Priority.ESCALATION) == 1000.0 + 61 - 1010.0
