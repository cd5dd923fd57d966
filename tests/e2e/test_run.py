"""`peerbot run` as an operator starts it: answers, stops cleanly, keeps secrets out of logs."""

from __future__ import annotations

import sqlite3

from tests.support.bot_process import TEST_TOKEN
from tests.support.db_inspect import outbox_counts, sqlite_url


async def test_start_is_answered_in_the_persons_language(api, start_bot, bot_workdir):
    bot = start_bot()
    english = api.private_user(first_name="Robin", language_code="en")
    spanish = api.private_user(first_name="Lucía", language_code="es-ES")

    await english.send_command("/start")
    await spanish.send_command("/start")

    await api.wait_for_message(english.chat_id, contains="welcome", timeout=20)
    await api.wait_for_message(spanish.chat_id, contains="bienvenida", timeout=20)
    await api.wait_for_message(english.chat_id, contains="not medical or emergency care")
    await api.wait_for_message(spanish.chat_id, contains="no es atención médica")
    database = bot_workdir / "peerbot.sqlite3"
    assert database.exists(), "the embedded default is a SQLite file in the working folder"
    with sqlite3.connect(database) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert bot.running


async def test_help_cancel_and_free_text_get_answers(api, start_bot):
    start_bot()
    person = api.private_user()
    await person.send_command("/help")
    await api.wait_for_message(person.chat_id, contains="/cancel", timeout=20)
    await person.send_command("/cancel")
    await api.wait_for_message(person.chat_id, contains="nothing to cancel", timeout=10)
    await person.send_text("hello?")
    reply = await api.wait_for_message(person.chat_id, contains="did not understand", timeout=10)
    assert "/help" in reply.text


async def test_command_menu_is_set_in_every_language(api, start_bot):
    start_bot()
    await api.wait_until(lambda: len(api.commands) >= 2, timeout=20)
    menus = {
        language: [c["command"] for c in commands]
        for (scope, language), commands in api.commands.items()
        if scope == "default"
    }
    expected = [
        "start", "back", "cancel", "feedback", "help", "consent", "language", "mydata", "stop",
    ]  # fmt: skip
    assert menus[""] == [*expected, "forget"]
    assert menus["es"] == [*expected, "forget"]


async def test_sigterm_stops_cleanly_after_finishing_received_updates(api, start_bot, bot_workdir):
    bot = start_bot()
    people = [api.private_user() for _ in range(5)]
    for person in people:
        await person.send_command("/help")
    await api.wait_for_updates_consumed(timeout=20)

    assert await bot.terminate() == 0

    counts = await outbox_counts(sqlite_url(bot_workdir / "peerbot.sqlite3"))
    # /help answers with the help text and the crisis resources
    assert counts.get("sent", 0) + counts.get("pending", 0) == 2 * len(people)
    assert "peerbot stopped" in bot.log()


async def test_logs_carry_no_message_text_names_or_token(api, start_bot):
    bot = start_bot()
    person = api.private_user(first_name="Quintessa")
    await person.send_text("my secret worry about zebras")
    await api.wait_for_message(person.chat_id, contains="did not understand", timeout=20)
    await bot.terminate()
    log = bot.log()
    assert "zebras" not in log
    assert "Quintessa" not in log
    assert TEST_TOKEN.split(":")[1] not in log
