"""/end over real HTTP, in English and Spanish: it names the supporter and asks first, "No,
keep it" keeps the support, "Yes, end it" ends it with an Undo, and Undo within the day
brings the support back, telling the supporter and the coordinators; a stale confirmation
changes nothing."""

from __future__ import annotations

import sqlite3

import pytest

from tests.support.journeys import Person
from tests.support.matching_steps import GROUP, confirm_every_training, invite_link, proposal_after


@pytest.mark.parametrize("locale", ["en", "es"])
async def test_an_accidental_end_is_confirmed_first_and_can_be_undone(
    api, start_bot, bot_workdir, locale
):
    start_bot(coordinator_chat_id=str(GROUP))
    coordinator = api.private_user(first_name="Dana")
    group = api.group(chat_id=GROUP, members=[coordinator])
    link = await invite_link(api, coordinator, group)
    robin = Person(api, api.private_user(first_name="Robin", language_code=locale), locale=locale)
    await robin.command("/start", link.split("?start=", 1)[1])
    await robin.fill_supporter_profile(languages=("en", "es"))
    await confirm_every_training(api, coordinator, 1)
    participant = Person(
        api, api.private_user(first_name="Alex", language_code=locale), locale=locale
    )
    await participant.consent()
    await participant.intake()
    card = await proposal_after(api, 0)
    await coordinator.press("Approve 1", message=card)
    await robin.press("offer.accept")
    await robin.expect("intro.tips", after=robin.last_pressed)

    # "Do you want to end your support with Robin?" — and "No, keep it" keeps it
    before = participant.newest_id()
    await participant.command("/end")
    await participant.expect("end.confirm", after=before, name="Robin")
    await participant.press("end.no")
    await participant.expect("choice.kept", after=participant.last_pressed)

    # two confirmations open: "Yes, end it" on one ends it; the other is then stale
    before = participant.newest_id()
    await participant.command("/end")
    first = await participant.expect("end.confirm", after=before, name="Robin")
    await participant.command("/end")
    second = await participant.expect("end.confirm", after=first.message_id, name="Robin")
    await participant.user.press(participant.t("end.yes"), message=second)
    await participant.expect("end.done_participant", after=second.message_id)
    await robin.expect("end.told_supporter", after=robin.last_pressed)
    await api.wait_for_message(GROUP, contains="has ended (ended by the participant)", timeout=20)
    await participant.user.press(participant.t("end.yes"), message=first)
    await participant.expect("choice.stale", after=second.message_id)
    participant.looks_at(second)

    # "You can undo this within a day": Undo brings the support back and tells Robin
    await participant.press("end.undo")
    await participant.expect("undo.done", after=participant.last_pressed)
    await robin.expect("undo.told_supporter", after=robin.last_pressed)
    await api.wait_for_message(GROUP, contains="the participant undid the ending", timeout=20)
    with sqlite3.connect(bot_workdir / "peerbot.sqlite3") as db:
        [(status,)] = db.execute("select status from matches").fetchall()
        [(request,)] = db.execute("select status from support_requests").fetchall()
        undone = db.execute(
            "select count(*) from audit_events where action = 'match.end_undone'"
        ).fetchone()[0]
    assert (status, request, undone) == ("accepted", "matched", 1)
