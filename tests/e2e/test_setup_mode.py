"""No coordinators' group: `peerbot run` starts in set-up mode (a group is told its id, a person
is told the program is not open yet, with the crisis resources); --no-coordinator-group sends
every card privately to each listed coordinator instead."""

from __future__ import annotations

from peerbot.emulator.fake_bot_joins import add_bot_to_group
from peerbot.storage.crypto import FieldCipher
from tests.support import cli
from tests.support.bot_process import TEST_TOKEN, BotProcess
from tests.support.db_inspect import find_in_every_table, sqlite_rows
from tests.support.journeys import catalog

NEW_GROUP = -1007770001
CRISIS = {
    "en": "i have my pills saved up and im going to take them all tonight",
    "es": "ya no aguanto más, quiero acabar con todo",
}


def t(key: str, locale: str = "en", **values: object) -> str:
    return catalog().get(key, locale, **values)


async def test_the_readme_first_command_starts_in_setup_mode_and_a_group_is_told_its_id(
    api, start_bot
):
    bot = start_bot(coordinator_chat_id="")  # PEERBOT_BOT_TOKEN only, as the README starts
    owner = api.private_user(first_name="Dana")

    add_bot_to_group(api, owner, chat_id=NEW_GROUP)

    told = await api.wait_for_message(NEW_GROUP, contains=f"={NEW_GROUP}", timeout=20)
    assert f"\nPEERBOT_COORDINATOR_CHAT_ID={NEW_GROUP}\n" in told.text
    assert "restart the bot" in told.text
    await owner.send_command("/start", chat=NEW_GROUP)  # any command in a group: the id again
    await api.wait_until(lambda: len(api.messages(NEW_GROUP)) == 2, timeout=20)
    await api.wait_for_updates_consumed(timeout=10)
    assert len(api.messages(NEW_GROUP)) == 2, "the join's service message gets no answer"
    warnings = [line for line in bot.log().splitlines() if "set-up mode" in line]
    assert len(warnings) == 1 and "WARNING" in warnings[0]
    assert "PEERBOT_COORDINATOR_CHAT_ID is not set" in warnings[0]
    assert bot.running


async def test_a_person_is_told_not_open_yet_with_crisis_resources_and_nothing_kept(
    api, start_bot, bot_workdir
):
    key = FieldCipher.generate_key()
    bot = start_bot(coordinator_chat_id="", encryption_key=key)
    people = {
        locale: api.private_user(language_code=code)
        for locale, code in (("en", "en"), ("es", "es-MX"))
    }
    for locale, person in people.items():
        await person.send_command("/start")
        await person.send_text(CRISIS[locale])

    for locale, person in people.items():
        await api.wait_until(lambda p=person: len(api.messages(p.chat_id)) == 2, timeout=20)
        for reply in api.messages(person.chat_id):
            assert reply.text.startswith(t("setup.not_open", locale))
            assert reply.text.endswith(t("crisis.resources", locale))
    # a button from before (a stale card, an old question) is answered the same way
    english = people["en"]
    api.forge_press(english, api.messages(english.chat_id)[-1], "esc:c:1")
    await api.wait_until(lambda: len(api.messages(english.chat_id)) == 3, timeout=20)

    await bot.terminate()
    database = bot_workdir / "peerbot.sqlite3"
    for table in ("people", "conversations", "escalations", "consents"):
        assert sqlite_rows(database, f"SELECT * FROM {table}") == [], table  # noqa: S608
    assert find_in_every_table(database, CRISIS.values(), FieldCipher(key)) == []


def test_check_config_without_a_group_exits_non_zero_naming_the_setting(tmp_path):
    base = {"PEERBOT_BOT_TOKEN": TEST_TOKEN}

    no_group = cli.run_peerbot("check-config", workdir=tmp_path, settings=base)
    assert no_group.returncode != 0
    assert "PEERBOT_COORDINATOR_CHAT_ID is not set" in no_group.stderr
    assert "PEERBOT_NO_COORDINATOR_GROUP" in no_group.stderr

    alternative = {**base, "PEERBOT_NO_COORDINATOR_GROUP": "true"}
    no_ids = cli.run_peerbot("check-config", workdir=tmp_path, settings=alternative)
    assert no_ids.returncode != 0
    assert no_ids.stderr.startswith("peerbot: PEERBOT_COORDINATOR_IDS:")
    assert len(no_ids.stderr.splitlines()) == 1

    privately = {**alternative, "PEERBOT_COORDINATOR_IDS": "11,22"}
    ok = cli.run_peerbot("check-config", workdir=tmp_path, settings=privately)
    assert ok.returncode == 0, ok.stderr
    assert "cards privately to 2 coordinators" in ok.stdout


async def test_no_coordinator_group_tells_every_coordinator_privately_as_the_person_is_told(
    api, bot_workdir
):
    on_call = [api.private_user(first_name=name) for name in ("Ana", "Ben")]
    ids = ",".join(str(c.id) for c in on_call)
    refused = BotProcess(api.url, bot_workdir, run_args=["--no-coordinator-group"])
    assert (await refused.command("run", "--no-coordinator-group")).stderr.startswith(
        "peerbot: PEERBOT_COORDINATOR_IDS:"
    )
    bot = BotProcess(
        api.url, bot_workdir, run_args=["--no-coordinator-group"], coordinator_ids=ids
    ).start()
    try:
        person = api.private_user(language_code="en")
        await person.send_text(CRISIS["en"])

        await api.wait_for_message(person.chat_id, contains=t("crisis.resources")[:40], timeout=20)
        # what the person is told is now true: every coordinator has the card
        await api.wait_for_message(
            person.chat_id, contains=t("redflag.coordinator_told"), timeout=20
        )
        for coordinator in on_call:
            card = await api.wait_for_message(coordinator.chat_id, contains="CRITICAL", timeout=20)
            assert "pills" not in card.text
            assert "Claim" in card.buttons
        await on_call[0].send_command("/open")  # the group's commands work privately
        await api.wait_for_message(on_call[0].chat_id, contains=t("card.open_heading"), timeout=20)
    finally:
        bot.cleanup()
