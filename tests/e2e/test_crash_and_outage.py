"""Crash safety and Telegram outages: nothing processed twice, no outbox message lost."""

from __future__ import annotations

import asyncio

from peerbot.storage.crypto import FieldCipher
from tests.support.db_inspect import outbox_counts, processed_update_ids, sqlite_url


def help_replies(api, person) -> int:
    return sum("/cancel" in m.text for m in api.messages(person.chat_id))


async def wait_for_help_replies(api, people, expected: int, timeout: float) -> None:  # noqa: ASYNC109
    try:
        await api.wait_until(
            lambda: all(help_replies(api, p) >= expected for p in people), timeout=timeout
        )
    except AssertionError:
        counts = {p.chat_id: help_replies(api, p) for p in people}
        raise AssertionError(f"not every person got {expected} help replies: {counts}") from None


async def test_sigkill_and_restart_processes_no_update_twice_and_loses_no_message(
    api, start_bot, database_url
):
    """On SQLite and on PostgreSQL."""
    database = database_url
    settings = {"database_url": database_url, "encryption_key": FieldCipher.generate_key()}
    people = [api.private_user() for _ in range(3)]
    bot = start_bot(**settings)
    for person in people:
        await person.send_command("/help")
    await wait_for_help_replies(api, people, 1, timeout=20)

    # Telegram goes down for sending: answers queue up in the outbox.
    api.fail_for(3600, status=500, methods=["sendMessage"])
    for person in people:
        await person.send_command("/help")
    await api.wait_for_updates_consumed(timeout=20)
    await api.wait_until(lambda: _pending(database, 6), timeout=20, interval=0.2)
    delivered_updates = await processed_update_ids(database)
    bot.kill()
    # A send the dead process had already written to the socket is still answered with the
    # outage's 500, as it would be; were it answered after the recovery below, Telegram
    # would hold a message the bot never learnt was delivered (sent again on restart).
    await asyncio.sleep(1)

    # While the bot is down, Telegram redelivers every update (as it does when an offset was
    # never confirmed) and a new one arrives.
    api.redeliver(delivered_updates)
    late = api.private_user()
    await late.send_command("/help")
    api.reset_failures()

    start_bot(**settings)
    # a message the killed bot was sending stays leased for up to 30 s, then is sent again
    await wait_for_help_replies(api, people, 2, timeout=90)
    await wait_for_help_replies(api, [late], 1, timeout=20)
    await api.wait_for_updates_consumed(timeout=20)
    await asyncio.sleep(1.5)  # time enough for any duplicate to show up

    assert [help_replies(api, p) for p in people] == [2, 2, 2]
    assert help_replies(api, late) == 1
    await _until_all_sent(api, database, 14)  # help text and crisis resources each
    assert len(await processed_update_ids(database)) == 7


async def _until_all_sent(api, database: str, expected: int) -> None:
    """Telegram has the messages; the bot records that a moment later."""
    try:
        await api.wait_until(lambda: _all_sent(database, expected), timeout=10, interval=0.1)
    except AssertionError:
        counts = await outbox_counts(database)
        raise AssertionError(f"outbox is {counts}, expected {expected} sent") from None


async def _all_sent(database: str, expected: int) -> bool:
    return await outbox_counts(database) == {"sent": expected}


async def _pending(database: str, expected: int) -> bool:
    return (await outbox_counts(database)).get("pending", 0) >= expected


async def test_429_burst_and_30s_of_500s_delay_messages_but_lose_none(api, start_bot, bot_workdir):
    database = sqlite_url(bot_workdir / "peerbot.sqlite3")
    start_bot()
    first = [api.private_user() for _ in range(3)]
    api.fail_next(6, status=429, retry_after=2, methods=["sendMessage"])
    for person in first:
        await person.send_command("/help")
    await wait_for_help_replies(api, first, 1, timeout=30)
    refused = [r for r in api.calls("sendMessage") if r.status == 429]
    assert len(refused) == 6

    api.fail_for(30, status=500, methods=["sendMessage"])
    outage_started = asyncio.get_running_loop().time()
    second = [api.private_user() for _ in range(5)]
    for person in second:
        await person.send_command("/help")
    await wait_for_help_replies(api, second, 1, timeout=120)
    recovered_after = asyncio.get_running_loop().time() - outage_started

    assert recovered_after >= 29, "the replies cannot arrive while Telegram answers 500"
    assert any(r.status == 500 for r in api.calls("sendMessage"))
    assert [help_replies(api, p) for p in first + second] == [1] * 8
    await _until_all_sent(api, database, 16)  # help text and crisis resources each
