"""A supporter who cannot reach their participant says so with /note; the second failed
attempt in a row tells the coordinators, once (English and Spanish supporters)."""

from __future__ import annotations

import re

import pytest

from tests.support.journeys import Person
from tests.support.matching_steps import (
    GROUP,
    confirm_every_training,
    invite_link,
    note_a_talk,
    proposal_after,
    supporter_joins,
)


async def could_not_reach(supporter: Person) -> None:
    await supporter.command("/note")
    await supporter.press("note.reached.no")
    await supporter.press("note.when.today")


@pytest.mark.parametrize("locale", ["en", "es"])
async def test_two_failed_attempts_in_a_row_tell_the_coordinators_once(api, start_bot, locale):
    start_bot(coordinator_chat_id=str(GROUP))
    coordinator = api.private_user(first_name="Dana")
    group = api.group(chat_id=GROUP, members=[coordinator])
    link = await invite_link(api, coordinator, group)
    robin = await supporter_joins(api, link, name="Robin", locale=locale)
    await confirm_every_training(api, coordinator, 1)
    participant = Person(api, api.private_user(first_name="Alex"))
    await participant.consent()
    await participant.intake_until_safety()
    await participant.press("intake.safety.no")
    await participant.finish_intake()
    card = await proposal_after(api, 0)
    code = re.search(r"R-[0-9A-Z]+", card.text).group(0)
    await coordinator.press("Approve 1", message=card)
    await robin.press("offer.accept")
    await robin.expect("intro.tips", after=robin.last_pressed)

    # note.saved_unreached: "if you cannot reach them the next time either, we will tell
    # the coordinators" -- the first attempt alone tells nobody
    await could_not_reach(robin)
    await robin.expect("note.saved_unreached", after=robin.last_pressed)
    # note.unreached_told: "...so we have told the coordinators"
    await could_not_reach(robin)
    await robin.expect("note.unreached_told", after=robin.last_pressed)
    told = await api.wait_for_message(GROUP, contains="twice in a row", timeout=20)
    assert code in told.text and "(last try: Today)" in told.text
    assert "Alex" not in told.text and "Robin" not in told.text
    # note.unreached_known: "the coordinators already know" -- a third attempt posts nothing
    await could_not_reach(robin)
    await robin.expect("note.unreached_known", after=robin.last_pressed)
    # then they talk: the usual note, whose card comes after any card the attempts queued
    await note_a_talk(robin)
    await api.wait_for_message(GROUP, contains="Contact note from", timeout=20)
    cards = [m for m in api.messages(GROUP) if "twice in a row" in m.text]
    assert cards == [told], "told once per streak"
