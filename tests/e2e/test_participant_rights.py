"""A participant's own controls over the fake Bot API: /consent, /stop and /language.

(/mydata and /forget are in the whole-journey stories, where there is a request to see and
erase.)
"""

from __future__ import annotations

from tests.support.db_inspect import sqlite_rows
from tests.support.journeys import Person, first_contact


def database(workdir):
    return workdir / "peerbot.sqlite3"


def person_row(workdir, person: Person, columns: str) -> dict:
    """These columns of the person's row in the bot's database."""
    query = f"SELECT {columns} FROM people WHERE telegram_user_id = ?"
    [row] = sqlite_rows(database(workdir), query, person.user.id)
    return row


async def test_consent_shows_decisions_and_withdrawing_evaluation_is_recorded(
    api, start_bot, bot_workdir
):
    start_bot()
    person = Person(api, api.private_user())
    await person.consent(share=False, evaluation=True)

    await person.command("/consent")

    overview = await person.expect("consent.status")
    granted, declined = person.t("consent.state.granted"), person.t("consent.state.declined")
    not_asked = person.t("consent.state.not_asked")  # a Telegram name: only at an introduction
    assert overview.text == person.t(
        "consent.status",
        participation=granted,
        share_with_supporter=declined,
        evaluation=granted,
        share_telegram_name=not_asked,
    )
    assert overview.buttons == [
        person.t("consent.withdraw.participation"),
        person.t("consent.withdraw.evaluation"),
    ]
    await person.press("consent.withdraw.evaluation")
    await person.expect("consent.withdrawn", after=overview.message_id)
    consents = sqlite_rows(
        database(bot_workdir),
        "SELECT kind, decision, withdrawn_at IS NOT NULL AS withdrawn FROM consents ORDER BY id",
    )
    assert consents == [
        {"kind": "participation", "decision": "granted", "withdrawn": 0},
        {"kind": "share_with_supporter", "decision": "declined", "withdrawn": 0},
        {"kind": "evaluation", "decision": "granted", "withdrawn": 1},
    ]

    await person.command("/consent")
    now = await person.expect("consent.status", after=overview.message_id)
    assert now.text == person.t(
        "consent.status",
        participation=granted,
        share_with_supporter=declined,
        evaluation=person.t("consent.state.withdrawn"),
        share_telegram_name=not_asked,
    )
    assert now.buttons == [person.t("consent.withdraw.participation")]


async def test_stop_pauses_the_program_and_writing_again_resumes(api, start_bot, bot_workdir):
    person = first_contact(api, start_bot)
    await person.consent()
    topics = await person.expect("intake.topics")

    await person.command("/stop")

    await person.expect("stop.done", after=topics.message_id)
    stopped = person_row(bot_workdir, person, "status, stopped_at")
    assert stopped["status"] == "stopped" and stopped["stopped_at"] is not None
    active = sqlite_rows(
        database(bot_workdir), "SELECT id FROM conversations WHERE status = 'active'"
    )
    assert active == [], "nothing more is asked"

    before = person.newest_id()
    await person.say("Hello, it's me again")

    await person.expect("stop.resumed", after=before)
    resumed = person_row(bot_workdir, person, "status, stopped_at")
    assert resumed == {"status": "active", "stopped_at": None}


async def test_language_switches_to_spanish_midway_through_the_intake(api, start_bot, bot_workdir):
    person = first_contact(api, start_bot)
    who_for = await person.reach_who_for()

    await person.command("/language")
    person.locale = "es"  # the person picks "Español" and reads Spanish from here on
    await person.press("language_name")

    changed = await person.expect("language.changed", after=who_for.message_id)
    question = await person.expect("intake.who_for", after=changed.message_id)
    assert person.t("intake.who_for.self") in question.buttons
    await person.press("intake.who_for.self")
    await person.expect("intake.support_kind", after=question.message_id)
    assert person_row(bot_workdir, person, "language") == {"language": "es"}
