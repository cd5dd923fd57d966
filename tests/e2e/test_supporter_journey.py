"""A peer supporter's journey over real HTTP: invite, profile, a scheduled check-in, a break."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from tests.support.journeys import Person, catalog

GROUP = -1001234567890
ON_CALL = 4242
NEW_YORK = ZoneInfo("America/New_York")


def t(key: str, **values: object) -> str:
    return catalog().get(key, "en", **values)


def next_monday_six_pm_new_york(after: datetime) -> datetime:
    """Worked out by hand, apart from the code under test: Monday 18:00 New York time."""
    local = after.astimezone(NEW_YORK)
    for days in range(8):
        day = (local + timedelta(days=days)).date()
        candidate = datetime(day.year, day.month, day.day, 18, 0, tzinfo=NEW_YORK)
        if day.weekday() == 0 and candidate > local:
            return candidate.astimezone(UTC)
    raise AssertionError("no Monday within a week")


async def run_due(bot, at: datetime) -> str:
    done = await bot.command("checkins", "run-due", "--at", at.isoformat())
    assert done.returncode == 0, done.stderr
    return done.stdout


async def test_invite_profile_check_in_alert_and_a_break(api, start_bot, bot_workdir):
    bot = start_bot(coordinator_chat_id=str(GROUP), coordinator_ids=str(ON_CALL))
    on_call = api.private_user(user_id=ON_CALL, first_name="Dana")
    api.group(chat_id=GROUP, members=[on_call])
    await api.wait_until(lambda: api.calls("getUpdates"), timeout=30)  # migrated and polling

    made = await bot.command("invite", "--note", "from the March training", "--expires", "2d")
    assert made.returncode == 0, made.stderr
    link = made.stdout.strip().splitlines()[-1]
    assert link.startswith("https://t.me/peerbot_test_bot?start=join-")
    payload = link.split("?start=", 1)[1]

    supporter = Person(api, api.private_user(first_name="Robin"))
    await supporter.command("/start", payload)
    await supporter.expect("invite.welcome")
    await supporter.fill_supporter_profile()
    first_due = next_monday_six_pm_new_york(datetime.now(UTC))
    await supporter.expect("supporter.joined", after=supporter.last_pressed, when=_when(first_due))
    joined = await api.wait_for_message(GROUP, contains="New peer supporter", timeout=20)
    own_menu = (f"chat:{supporter.chat_id}", "")
    await api.wait_until(lambda: own_menu in api.commands, timeout=20)
    assert [c["command"] for c in api.commands[own_menu]][:3] == ["profile", "note", "pause"]
    assert t("card.confirm_training") in joined.buttons

    # the same link again, from someone else
    stranger = Person(api, api.private_user(first_name="Kim"))
    await stranger.command("/start", payload)
    await stranger.expect("invite.used")

    assert "check-ins sent 0" in await run_due(bot, first_due - timedelta(minutes=1))
    assert "check-ins sent 1" in await run_due(bot, first_due)
    await supporter.expect("checkin.opening", after=supporter.last_pressed)
    await supporter.answer_worrying_checkin()
    await supporter.press("engine.skip")
    await supporter.expect("checkin.thanks.concern", after=supporter.last_pressed)
    alert = await api.wait_for_message(ON_CALL, contains="Safety flag – high", timeout=20)
    assert "burnout" in alert.text.lower() and "who5_very_low" in alert.text
    assert not [m for m in api.messages(GROUP) if "who5" in m.text], "not in the group"

    # a break: the next check-in is not sent; after /resume one is
    await supporter.command("/pause")
    await supporter.expect_new("supporter.pause.started")
    second_due = first_due + timedelta(days=7)
    assert "check-ins sent 0" in await run_due(bot, second_due)
    await supporter.command("/resume")
    resumed = await supporter.expect_new("supporter.resume.done", when=_when(first_due))
    assert "check-ins sent 1" in await run_due(bot, first_due + timedelta(minutes=1))
    await supporter.expect("checkin.opening", after=resumed.message_id)

    with sqlite3.connect(bot_workdir / "peerbot.sqlite3") as db:
        statuses = [row[0] for row in db.execute("select status from checkins order by id")]
        band = db.execute("select score from checkins where status = 'answered'").fetchone()
        invite = db.execute("select code_hash, used_by_id, note_enc from invites").fetchone()
    assert statuses.count("answered") == 1 and statuses.count("sent") == 1
    assert band == (20.0,)
    assert payload.removeprefix("join-") not in invite[0] and invite[1] is not None
    assert "March" not in invite[2]


async def test_coordinators_invite_and_list_supporters_from_their_group(api, start_bot):
    start_bot(coordinator_chat_id=str(GROUP))
    coordinator = api.private_user(first_name="Dana")
    group = api.group(chat_id=GROUP, members=[coordinator])
    outsider = api.private_user(first_name="Eve")

    await coordinator.send_command("/invite", chat=group)
    posted = await api.wait_for_message(GROUP, contains="https://t.me/", timeout=20)
    link = next(word for word in posted.text.split() if word.startswith("https://t.me/"))

    supporter = Person(api, api.private_user(first_name="Robin"))
    await supporter.command("/start", link.split("?start=", 1)[1])
    await supporter.fill_supporter_profile()
    card = await api.wait_for_message(GROUP, contains="New peer supporter", timeout=20)
    await coordinator.press(t("card.confirm_training"), message=card)
    await api.wait_for_message(
        GROUP, predicate=lambda m: "Training confirmed by Dana" in m.text, timeout=20
    )

    await supporter.command("/pause", "until 2099-01-31")
    await supporter.expect_new("supporter.pause.until", date="2099-01-31")
    await coordinator.send_command("/supporters", chat=group)
    listing = await api.wait_for_message(GROUP, contains="Peer supporters (1)", timeout=20)
    assert "on a break until 2099-01-31" in listing.text
    assert "0/2 participants" in listing.text and "none yet" in listing.text
    assert "training not confirmed" not in listing.text

    # someone outside the group is not given an invite
    before = len(api.messages(GROUP))
    await outsider.send_command("/invite")
    await api.wait_for_message(outsider.chat_id, contains=t("not_understood"), timeout=20)
    assert len(api.messages(GROUP)) == before


def _when(moment: datetime) -> str:
    local = moment.astimezone(NEW_YORK)
    return f"{t('weekday.mon')} {local.date().isoformat()} 18:00"
