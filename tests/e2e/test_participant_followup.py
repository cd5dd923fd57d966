"""A participant's follow-up over real HTTP, in English and Spanish, with the clock moved on by
`peerbot checkins run-due --at`: satisfaction at two weeks, "how is it going?" every four
weeks and what its answers do, the review whose "end" ends the support with the survey, then
the question about becoming a peer supporter, whose yes a coordinator turns into an invite;
/feedback's complaint opening a case; and a consent on the older text bringing no check-in."""

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
    t,
)


def daytime(days: int) -> str:
    """`days` from now at 17:00 UTC: daytime in Madrid and New York (not in quiet hours)."""
    return (datetime.now(UTC) + timedelta(days=days)).replace(hour=17, minute=0).isoformat()


async def run_due(bot, days: int) -> None:
    done = await bot.command("checkins", "run-due", "--at", daytime(days))
    assert done.returncode == 0, done.stderr


async def introduced(api, start_bot, locale: str, *, older_consent: str | None = None):
    """Robin supports Alex (who asked the coordinators to arrange contact) and both have said
    they are in touch. older_consent: the bot's database, where Alex's consent is set back to
    the text before the follow-ups before they are introduced."""
    bot = start_bot(coordinator_chat_id=str(GROUP))
    coordinator = api.private_user(first_name="Dana")
    group = api.group(chat_id=GROUP, members=[coordinator])
    link = await invite_link(api, coordinator, group)
    robin = Person(api, api.private_user(first_name="Robin", language_code=locale), locale=locale)
    await robin.command("/start", link.split("?start=", 1)[1])
    await robin.fill_supporter_profile(languages=("en", "es"))
    await confirm_every_training(api, coordinator, 1)
    alex = Person(api, api.private_user(first_name="Alex", language_code=locale), locale=locale)
    await alex.consent()
    await alex.intake()
    if older_consent is not None:
        with sqlite3.connect(older_consent) as db:
            db.execute("update consents set promises = null where kind = 'participation'")
    card = await proposal_after(api, 0)
    await coordinator.press("Approve 1", message=card)
    await robin.press("offer.accept")
    await robin.expect("intro.tips", after=robin.last_pressed)
    await alex.press("contact.how.coordinators")
    await alex.expect("contact.coordinators", after=alex.last_pressed)
    await run_due(bot, 4)
    await alex.press("connected.yes")
    await alex.expect("connected.thanks", after=alex.last_pressed)
    return bot, coordinator, group, robin, alex


@pytest.mark.parametrize("locale", ["en", "es"])
async def test_follow_up_satisfaction_check_ins_review_end_and_an_invite(
    api, start_bot, bot_workdir, locale
):
    bot, coordinator, group, robin, alex = await introduced(api, start_bot, locale)

    # two weeks in: "How satisfied are you with the support so far?" (1-5)
    await run_due(bot, 15)
    await alex.press_label("4")
    await alex.expect("satisfaction.thanks", after=alex.last_pressed)

    # four weeks in: "How is it going?" — "Not so well" gets a kind answer with both ways on;
    # the /change it offers asks first, and "No, keep it" keeps the support
    await run_due(bot, 29)
    await alex.press("followup.how.not_well")
    await alex.expect("followup.not_well", after=alex.last_pressed)
    before = alex.newest_id()
    await alex.command("/change")
    await alex.expect("change.confirm", after=before, name="Robin")
    await alex.press("change.no")
    await alex.expect("choice.kept", after=alex.last_pressed)

    # eight weeks in: "I would like to talk to a coordinator" opens a case the words reach
    await run_due(bot, 57)
    await alex.press("followup.how.coordinator")
    await alex.expect("followup.coordinator", after=alex.last_pressed)
    await api.wait_for_message(GROUP, contains="would like to talk to a coordinator", timeout=20)
    await alex.say("Robin is lovely but our times never match.")
    await api.wait_for_message(GROUP, contains="our times never match", timeout=20)

    # twelve weeks in: the review (in place of that week's check-in); "End the support now"
    # ends it as /end does
    await run_due(bot, 85)
    await alex.press("review.end")
    await alex.expect("end.done_participant", after=alex.last_pressed)
    await robin.expect("end.told_supporter", after=robin.last_pressed)
    await alex.press_label("5")
    await alex.press("feedback.understood.yes")
    await alex.press("feedback.recommend.yes")
    await alex.command("/skip")

    # "Would you like us to let you know if you could join as one?" — yes: a card, an invite
    await alex.press("become_supporter.yes")
    thanks = await alex.expect("become_supporter.yes_thanks", after=alex.last_pressed)
    card = await api.wait_for_message(
        GROUP, contains="would like to hear if they could join", timeout=20
    )
    # the button is the coordinators' only: Alex forging its data is refused, nothing sent
    invite_data = card.reply_markup["inline_keyboard"][0][0]["callback_data"]
    forged = api.forge_press(alex.user, thanks, invite_data)
    await api.wait_until(lambda: forged in api.callback_answers, timeout=20)
    assert api.callback_answers[forged].get("text") == t("card.not_allowed")
    await coordinator.press("Send invite", message=card)
    await api.wait_until(lambda: "sent" in card.text and "Dana" in card.text, timeout=20)
    invited = await alex.expect("become_supporter.invite", after=alex.last_pressed, link="")
    link = re.search(r"https://t\.me/\S+", invited.text).group(0)

    # the link works: it opens the supporter's agreement
    before = alex.newest_id()
    await alex.command("/start", link.split("?start=", 1)[1])
    await alex.expect("invite.welcome", after=before)

    with sqlite3.connect(bot_workdir / "peerbot.sqlite3") as db:
        kept = db.execute(
            "select kind, status, score, answers from checkins where kind in "
            "('satisfaction', 'participant_followup', 'review') and status = 'answered' "
            "order by due_at, id"
        ).fetchall()
        [(said,)] = db.execute(
            "select value from answers where flow = 'feedback' and question = 'become_supporter'"
        ).fetchall()
        [(invites,)] = db.execute("select count(*) from invites").fetchall()  # Robin's, Alex's
        sent = db.execute(
            "select count(*) from audit_events where action = 'become_supporter.invited'"
        ).fetchone()[0]
        [(ended,)] = db.execute("select end_reason from matches where status = 'ended'").fetchall()
    assert [(k, s) for k, s, *_ in kept] == [
        ("satisfaction", "answered"),
        ("participant_followup", "answered"),
        ("participant_followup", "answered"),
        ("review", "answered"),
    ]
    assert kept[0][2] == 4
    assert [row[3] for row in kept[1:]] == [
        '{"how": "not_well"}',
        '{"how": "coordinator"}',
        '{"review": "end"}',
    ]
    assert said == '"yes"' and invites == 2 and sent == 1
    assert ended == "ended_by_participant"


@pytest.mark.parametrize("locale", ["en", "es"])
async def test_check_in_i_would_like_to_change_asks_the_coordinators_for_someone_else(
    api, start_bot, locale
):
    bot, _, _, _, alex = await introduced(api, start_bot, locale)
    await run_due(bot, 15)
    await alex.press_label("5")
    await alex.expect("satisfaction.thanks", after=alex.last_pressed)

    await run_due(bot, 29)
    await alex.press("followup.how.change")
    await alex.expect("followup.change", after=alex.last_pressed)
    await alex.press("change.yes")
    await alex.expect("change.asked", after=alex.last_pressed)
    await api.wait_for_message(GROUP, contains="asked for a different supporter", timeout=20)


@pytest.mark.parametrize("locale", ["en", "es"])
async def test_feedback_complaint_opens_a_case_the_coordinators_see(api, start_bot, locale):
    start_bot(coordinator_chat_id=str(GROUP))
    coordinator = api.private_user(first_name="Dana")
    group = api.group(chat_id=GROUP, members=[coordinator])
    alex = Person(api, api.private_user(first_name="Alex", language_code=locale), locale=locale)
    await alex.consent()
    await alex.intake()

    await alex.command("/feedback")
    await alex.press("feedback_any.kind.complaint")
    await alex.expect("feedback_any.words", after=alex.last_pressed)
    await alex.say("My supporter was late to our calls three times.")
    await alex.expect("feedback_any.complaint_sent", after=alex.last_pressed)

    card = await api.wait_for_message(GROUP, contains="made a complaint", timeout=20)
    assert "late to our calls" not in card.text, "the card says complaint, never the words"
    words = await api.wait_for_message(GROUP, contains="late to our calls", timeout=20)
    # a coordinator's reply in the thread reaches Alex, as a case does
    await coordinator.send_text("Sorry, we will call you today.", chat=group, reply_to=words)
    await api.wait_for_message(alex.chat_id, contains="we will call you today", timeout=20)

    # a compliment is kept and thanked, and nothing goes to the group
    before = len(api.messages(GROUP))
    await alex.command("/feedback")
    await alex.press("feedback_any.kind.compliment")
    await alex.say("The intake questions were gentle.")
    await alex.expect("feedback_any.thanks.compliment", after=alex.last_pressed)
    assert not any("gentle" in m.text for m in api.messages(GROUP)[before:])


@pytest.mark.parametrize("locale", ["en", "es"])
async def test_a_consent_on_the_older_text_brings_no_periodic_check_in(
    api, start_bot, bot_workdir, locale
):
    bot, _, _, _, alex = await introduced(
        api, start_bot, locale, older_consent=str(bot_workdir / "peerbot.sqlite3")
    )
    before = alex.newest_id()
    for days in (15, 29, 57, 85):
        await run_due(bot, days)
    with sqlite3.connect(bot_workdir / "peerbot.sqlite3") as db:
        kinds = db.execute(
            "select distinct c.kind from checkins c join people p on p.id = c.person_id "
            "where p.telegram_user_id = ?",
            (alex.chat_id,),
        ).fetchall()
    assert kinds == [("match_followup",)]
    later = [m.text for m in api.messages(alex.chat_id) if m.message_id > before]
    assert not any(alex.t("followup.how") in text for text in later)
    assert not any(alex.t("satisfaction.question") in text for text in later)
