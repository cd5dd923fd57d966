"""/stop over real HTTP: "You will get no more messages from the program until you write to us
again" — a supporter accepting meanwhile reaches the fake Bot API for the supporter only, and
the participant's introduction waits until they write."""

from __future__ import annotations

import asyncio

from tests.support.journeys import Person
from tests.support.matching_steps import (
    GROUP,
    confirm_every_training,
    invite_link,
    proposal_after,
    supporter_joins,
)


def calls_for(api, chat_id: int, since: int) -> list[str]:
    """Bot API calls made for a chat from the index `since` of the fake's request log on."""
    return [
        call.method
        for call in api.requests[since:]
        if str(call.params.get("chat_id")) == str(chat_id)
    ]


async def test_stop_promise_no_more_messages_holds_an_introduction_until_they_write_again(
    api, start_bot
):
    start_bot(coordinator_chat_id=str(GROUP))
    coordinator = api.private_user(first_name="Dana")
    group = api.group(chat_id=GROUP, members=[coordinator])
    link = await invite_link(api, coordinator, group)
    robin = await supporter_joins(api, link, name="Robin", username="robin_s")
    await confirm_every_training(api, coordinator, 1)
    participant = Person(api, api.private_user(first_name="Alex"))
    await participant.consent()
    await participant.intake()
    card = await proposal_after(api, 0)

    await participant.command("/stop")
    stopped = await participant.expect("stop.done", after=participant.last_pressed)
    await api.wait_for_updates_consumed(timeout=20)
    since = len(api.requests)
    await coordinator.press("Approve 1", message=card)
    await robin.press("offer.accept")
    await robin.expect("intro.tips", after=robin.last_pressed)
    await api.wait_for_updates_consumed(timeout=20)
    await asyncio.sleep(2.0)  # room for anything queued for the participant to go out

    assert calls_for(api, participant.chat_id, since) == [], "nothing reached the participant"
    assert participant.newest_id() == stopped.message_id

    await participant.say("Hello, I am back")

    await participant.expect("stop.resumed", after=stopped.message_id)
    intro = await api.wait_for_message(
        participant.chat_id,
        contains="we have found a peer supporter for you",
        after=stopped.message_id,
        timeout=20,
    )
    assert "Robin has been through something like you" in intro.text
