"""Private-chat pacing: a short burst, then about one message a second; 429 pauses all."""

from peerbot.bot.pacing import ChatPacer


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


def test_edits_are_not_paced_per_chat_but_count_overall():
    clock = ManualClock()
    pacer = ChatPacer(clock=clock, burst=1, overall_per_second=5)
    assert pacer.delay_for(9) == 0.0
    assert pacer.delay_for(9) > 0, "a second new message waits"
    assert [pacer.delay_for(9, new_message=False) for _ in range(4)] == [0.0] * 4
    assert pacer.delay_for(9, new_message=False) > 0, "the overall limit still holds"


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
