"""From a request to an introduction over real HTTP: proposal, approval, decline, accept,
introductions, and the follow-up once the clock has moved on."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime, timedelta

from tests.support.journeys import Person
from tests.support.matching_steps import (
    GROUP,
    confirm_every_training,
    invite_link,
    proposal_after,
    supporter_joins,
    t,
)


async def test_request_to_introduction_with_a_decline_and_a_follow_up(api, start_bot, bot_workdir):
    bot = start_bot(coordinator_chat_id=str(GROUP))
    coordinator = api.private_user(first_name="Dana")
    group = api.group(chat_id=GROUP, members=[coordinator])
    links = [await invite_link(api, coordinator, group) for _ in range(2)]
    participant = Person(api, api.private_user(first_name="Alex"))

    async def participant_starts() -> None:
        await participant.consent()
        await participant.intake_until_safety()

    # three people at once, each in their own chat (each chat is paced on its own)
    robin, sam, _ = await asyncio.gather(
        supporter_joins(api, links[0], name="Robin", username="robin_s"),
        supporter_joins(api, links[1], name="Sam", topics=("intake.topics.loneliness",)),
        participant_starts(),
    )
    await confirm_every_training(api, coordinator, 2)
    await participant.press("intake.safety.no")
    await participant.finish_intake(anything_else="Since my father died I cannot sleep.")

    card = await proposal_after(api, 0)
    assert "both know Grief or loss" in card.text and "both speak English" in card.text
    assert card.buttons[:2] == ["Approve 1", "Approve 2"]
    await coordinator.press("Approve 1", message=card)
    await api.wait_until(lambda: "Approved by Dana" in card.text, timeout=20)

    offer = await robin.expect("offer.text", after=robin.last_pressed, summary="", hours=48)
    assert "Since my father died" not in offer.text, "their words only after accepting"
    await robin.press("offer.decline")
    await robin.press("offer.reason.no_time", same_message=True)
    declined = await api.wait_for_message(GROUP, contains="declined request", timeout=20)

    second = await proposal_after(api, declined.message_id - 1)
    assert second.text.count("\n") == 1, "only Sam is left to propose"
    await coordinator.press("Approve 1", message=second)
    await sam.press("offer.accept")
    await sam.expect("intro.tips", after=sam.last_pressed)
    intro = await api.wait_for_message(
        participant.chat_id, contains="we have found a peer supporter for you", timeout=20
    )
    assert "Sam has been through something like you" in intro.text
    assert "Alex" not in intro.text
    await participant.press("contact.how.coordinators")
    await participant.expect("contact.coordinators", after=participant.last_pressed)
    arrange = await api.wait_for_message(
        GROUP, contains="please arrange the first contact", timeout=20
    )
    # "a coordinator will write to you here": a reply to the card reaches the participant
    await coordinator.send_text("Sam will call you on Monday.", chat=group, reply_to=arrange)
    written = await api.wait_for_message(
        participant.chat_id, contains="Sam will call you on Monday.", timeout=20
    )
    assert written.text.startswith(t("case.from_coordinators"))

    # three days on, at 17:00 UTC: daytime in Madrid and New York (not in quiet hours)
    later = (datetime.now(UTC) + timedelta(days=4)).replace(hour=17, minute=0)
    done = await bot.command("checkins", "run-due", "--at", later.isoformat())
    assert done.returncode == 0, done.stderr
    # Sam's weekly check-in fell due first; the follow-up waits until Sam has answered it.
    await sam.expect("checkin.opening", after=sam.last_pressed)
    await participant.expect("connected.question", after=participant.last_pressed)
    await participant.press("connected.not_yet")
    not_yet = await api.wait_for_message(GROUP, contains="have not connected yet", timeout=20)
    assert t("case.reply_hint").split()[0] in not_yet.text  # "Reply to this message ..."
    await coordinator.send_text("I will look into it today.", chat=group, reply_to=not_yet)
    await api.wait_for_message(
        participant.chat_id, contains="I will look into it today.", timeout=20
    )

    with sqlite3.connect(bot_workdir / "peerbot.sqlite3") as db:
        statuses = sorted(row[0] for row in db.execute("select status from matches"))
        audited = db.execute(
            "select count(*) from audit_events where action = 'match.approved'"
        ).fetchone()[0]
    assert statuses.count("accepted") == 1 and statuses.count("declined") == 1
    assert audited == 2
    with sqlite3.connect(bot_workdir / "peerbot.sqlite3") as db:
        cases = db.execute("select reason, status from cases").fetchall()
    assert cases == [("first_contact", "open")], "the participant's one case, reused"
