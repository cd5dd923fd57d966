"""Requests a coordinator decides on, over real HTTP, in English and Spanish: an under-18
request held and referred (never offered), a "not safe" request held and proposed anyway,
a request declined, closed or withdrawn from its card, a press by someone who is no
coordinator refused, and "we are still looking" after three days with nobody found."""

from __future__ import annotations

import re
import sqlite3
from datetime import UTC, datetime, timedelta

import pytest

from tests.support.journeys import Person
from tests.support.matching_steps import (
    GROUP,
    confirm_every_training,
    invite_link,
    proposal_after,
    supporter_joins,
    t,
)

LOCALES = ["en", "es"]


def code_in(text: str) -> str:
    found = re.search(r"R-[0-9A-Z]+", text)
    assert found is not None, text
    return found.group(0)


def request_row(bot_workdir, code: str) -> tuple[str, str | None]:
    with sqlite3.connect(bot_workdir / "peerbot.sqlite3") as db:
        return db.execute(
            "select status, closed_reason from support_requests where code = ?", (code,)
        ).fetchone()


async def desk_with_robin(api, start_bot):
    """The bot, Dana in the coordinators' group, and Robin, a trained supporter who fits
    (speaking English and Spanish)."""
    bot = start_bot(coordinator_chat_id=str(GROUP))
    coordinator = api.private_user(first_name="Dana")
    group = api.group(chat_id=GROUP, members=[coordinator])
    link = await invite_link(api, coordinator, group)
    robin = await supporter_joins(api, link, name="Robin", languages=("en", "es"))
    await confirm_every_training(api, coordinator, 1)
    return bot, coordinator, robin


async def confirm(api, coordinator, card, action: str, code: str) -> None:
    """Press the action on the card, then "Yes" on the question that follows it."""
    await coordinator.press(t(f"requests.button.{action}"), message=card)
    asked = await api.wait_for_message(
        GROUP, contains=t(f"requests.confirm.{action}", code=code).split("?")[0], timeout=20
    )
    await coordinator.press(t(f"requests.confirm.yes_{action}"), message=asked)


@pytest.mark.parametrize("locale", LOCALES)
async def test_an_under_18_request_is_held_referred_in_their_language_and_never_offered(
    api, start_bot, bot_workdir, locale
):
    _, coordinator, robin = await desk_with_robin(api, start_bot)
    alex = Person(api, api.private_user(first_name="Alex", language_code=locale), locale=locale)
    await alex.consent()
    await alex.intake_until_safety(country="es", age="under_18")
    await alex.press("intake.safety.no")
    # requests.held_received: "A coordinator will look at it personally before we go any
    # further ... and we will write to you here"
    await alex.finish_intake(received="requests.held_received")

    card = await api.wait_for_message(GROUP, contains="held for a coordinator", timeout=20)
    assert "under the program's minimum age (18)" in card.text and "Age: Under 18" in card.text
    assert "Alex" not in card.text
    assert card.buttons == ["Propose anyway", "Refer", "Decline"]
    code = code_in(card.text)
    await confirm(api, coordinator, card, "refer", code)

    told = await alex.expect("requests.referred", after=alex.last_pressed)
    assert alex.t("resources.general") in told.text
    assert "Teléfono de la Esperanza" in told.text and "Mind Infoline" not in told.text
    await api.wait_until(lambda: "Referred by Dana" in card.text, timeout=20)
    assert card.buttons == [], "the card is stamped and its buttons gone"
    assert request_row(bot_workdir, code) == ("closed", "referred")
    with sqlite3.connect(bot_workdir / "peerbot.sqlite3") as db:
        assert db.execute("select count(*) from matches").fetchone()[0] == 0
        audited = db.execute(
            "select count(*) from audit_events where action = 'request.referred'"
        ).fetchone()[0]
    assert audited == 1
    offered = [m for m in api.messages(robin.chat_id) if robin.t("offer.accept") in m.buttons]
    assert offered == [], "never offered to a supporter"


@pytest.mark.parametrize("locale", LOCALES)
async def test_a_not_safe_request_is_held_then_proposed_anyway_and_offered_as_usual(
    api, start_bot, locale
):
    _, coordinator, robin = await desk_with_robin(api, start_bot)
    alex = Person(api, api.private_user(first_name="Alex", language_code=locale), locale=locale)
    await alex.consent()
    await alex.intake_until_safety()
    await alex.press("intake.safety.yes")
    await alex.expect("crisis.resources", after=alex.last_pressed)  # the crisis path, as before
    await alex.press("common.continue")
    await alex.finish_intake(received="requests.held_received")

    card = await api.wait_for_message(GROUP, contains="held for a coordinator", timeout=20)
    assert "said they are not safe (see the escalation)" in card.text
    await api.wait_for_message(GROUP, contains="CRITICAL", timeout=20)  # the escalation stands
    await coordinator.press(t("requests.button.propose"), message=card)
    await api.wait_until(lambda: "Proposed anyway by Dana" in card.text, timeout=20)

    proposal = await proposal_after(api, card.message_id)
    await coordinator.press("Approve 1", message=proposal)
    await robin.expect("offer.text", after=robin.last_pressed, summary="", hours=48)
    await robin.press("offer.accept")
    first_line = alex.t("intro.to_participant").split(".")[0]  # "Good news: we have found…"
    await api.wait_for_message(alex.chat_id, contains=first_line, timeout=20)


@pytest.mark.parametrize(
    ("action", "locale", "told", "stamp", "row"),
    [
        ("decline", "en", "requests.declined", "Declined by Dana", ("closed", "declined")),
        ("decline", "es", "requests.declined", "Declined by Dana", ("closed", "declined")),
        ("close", "en", "requests.closed_told", "Closed by Dana", ("closed", "closed")),
        ("close", "es", "requests.closed_told", "Closed by Dana", ("closed", "closed")),
        (
            "withdraw",
            "en",
            "requests.withdrawn_told",
            "Withdrawn by Dana",
            ("withdrawn", "withdrawn_by_coordinator"),
        ),
        (
            "withdraw",
            "es",
            "requests.withdrawn_told",
            "Withdrawn by Dana",
            ("withdrawn", "withdrawn_by_coordinator"),
        ),
    ],
)
async def test_a_coordinator_declines_closes_or_withdraws_a_request_the_person_is_told(
    api, start_bot, bot_workdir, action, locale, told, stamp, row
):
    start_bot(coordinator_chat_id=str(GROUP))
    coordinator = api.private_user(first_name="Dana")
    api.group(chat_id=GROUP, members=[coordinator])
    alex = Person(api, api.private_user(first_name="Alex", language_code=locale), locale=locale)
    await alex.consent()
    await alex.intake_until_safety()
    await alex.press("intake.safety.no")
    await alex.finish_intake()

    card = await api.wait_for_message(GROUP, contains="Nobody fits request", timeout=30)
    code = code_in(card.text)
    await confirm(api, coordinator, card, action, code)

    message = await alex.expect(told, after=alex.last_pressed)
    if action == "decline":  # the referral options and the crisis lines too
        assert alex.t("resources.general") in message.text
        assert alex.t("crisis.resources").splitlines()[0] in message.text
    await api.wait_until(lambda: stamp in card.text, timeout=20)
    assert card.buttons == []
    assert request_row(bot_workdir, code) == row


@pytest.mark.parametrize("locale", LOCALES)
async def test_a_press_by_someone_who_is_no_coordinator_is_refused_and_changes_nothing(
    api, start_bot, bot_workdir, locale
):
    start_bot(coordinator_chat_id=str(GROUP))
    api.group(chat_id=GROUP, members=[api.private_user(first_name="Dana")])
    alex = Person(api, api.private_user(first_name="Alex", language_code=locale), locale=locale)
    await alex.consent()
    await alex.intake_until_safety(age="under_18")
    await alex.press("intake.safety.no")
    await alex.finish_intake(received="requests.held_received")
    card = await api.wait_for_message(GROUP, contains="held for a coordinator", timeout=20)
    refer = next(
        button["callback_data"]
        for row in card.reply_markup["inline_keyboard"]
        for button in row
        if button["text"] == "Refer"
    )

    # the participant forges the Refer button's data from their own chat
    received = await alex.expect("requests.held_received")
    forged = api.forge_press(alex.user, received, refer)
    await api.wait_until(lambda: forged in api.callback_answers, timeout=20)

    assert api.callback_answers[forged].get("text") == t("card.not_allowed")
    assert request_row(bot_workdir, code_in(card.text)) == ("held", None)
    assert not [m for m in api.messages(GROUP) if "Refer request" in m.text]
    assert not [m for m in api.messages(alex.chat_id) if alex.t("resources.general") in m.text]


@pytest.mark.parametrize("locale", LOCALES)
async def test_someone_waiting_three_days_with_nobody_found_is_told_and_can_stop_waiting(
    api, start_bot, locale
):
    bot = start_bot(coordinator_chat_id=str(GROUP))
    api.group(chat_id=GROUP)
    alex = Person(api, api.private_user(first_name="Alex", language_code=locale), locale=locale)
    await alex.consent()
    await alex.intake_until_safety()  # Madrid time
    await alex.press("intake.safety.no")
    await alex.finish_intake()
    await api.wait_for_message(GROUP, contains="Nobody fits request", timeout=30)

    too_soon = datetime.now(UTC) + timedelta(days=2)
    early = await bot.command("match", "still-looking", "--at", too_soon.isoformat())
    assert early.returncode == 0 and "people told: 0" in early.stdout, early.stderr
    # three days on, at 17:00 UTC: 18:00 in Madrid, outside quiet hours
    later = (datetime.now(UTC) + timedelta(days=4)).replace(hour=17, minute=0)
    done = await bot.command("match", "still-looking", "--at", later.isoformat())
    assert done.returncode == 0 and "people told: 1" in done.stdout, done.stderr

    # requests.still_looking: "we will write to you here ... send /cancel ... write to us here"
    await alex.expect("requests.still_looking", after=alex.last_pressed)
    again = await bot.command("match", "still-looking", "--at", later.isoformat())
    assert "people told: 0" in again.stdout, "once per three days"

    # ... "If you would rather stop waiting, send /cancel"
    await alex.command("/cancel")
    await alex.press("requests.stop_waiting.yes")
    await alex.expect("requests.stop_waiting.done", after=alex.last_pressed - 1)
    await api.wait_for_message(GROUP, contains="was withdrawn by the participant", timeout=20)
