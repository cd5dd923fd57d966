"""The fake Bot API over real HTTP, driven by httpx and by python-telegram-bot's Bot."""

from __future__ import annotations

import asyncio
import datetime as dtm
import io
import json
import time

import httpx
import pytest
from telegram import Bot, BotCommand, BotCommandScopeChat, InlineKeyboardButton
from telegram import InlineKeyboardMarkup as Keyboard
from telegram.error import BadRequest, Conflict, Forbidden, NetworkError, RetryAfter

from peerbot.emulator.fake_telegram import FakeBotApi

from .conftest import BOT_ID, TOKEN

NOT_MODIFIED = "Message is not modified"  # PTB capitalises the description's first letter


def keyboard(*pairs: tuple[str, str]) -> Keyboard:
    """One row of callback buttons from (text, data) pairs."""
    return Keyboard([[InlineKeyboardButton(text, callback_data=data) for text, data in pairs]])


# -- basics ----------------------------------------------------------------------------------


async def test_get_me_over_httpx_and_ptb(api: FakeBotApi, http: httpx.AsyncClient, bot: Bot):
    response = await http.get("getMe")
    assert response.status_code == 200
    body = response.json()
    assert body["ok"] is True
    assert body["result"] == {
        "id": BOT_ID, "is_bot": True, "first_name": "Peerbot", "username": "peerbot_test_bot",
        "can_join_groups": True, "can_read_all_group_messages": False,
        "supports_inline_queries": False,
    }  # fmt: skip
    me = await bot.get_me()
    assert (me.id, me.username, me.is_bot) == (BOT_ID, "peerbot_test_bot", True)
    assert (await http.post("GETME")).json()["result"]["id"] == BOT_ID  # case-insensitive


async def test_unknown_method_and_bad_token_are_404(api: FakeBotApi, http: httpx.AsyncClient):
    response = await http.post("sendTelepathy", json={"chat_id": 1})
    assert response.status_code == 404
    assert response.json() == {"ok": False, "error_code": 404, "description": "Not Found"}
    async with httpx.AsyncClient() as client:
        assert (await client.get(f"{api.url}/botnot-a-token/getMe")).status_code == 404


async def test_send_message_accepts_json_form_and_query(api: FakeBotApi, http: httpx.AsyncClient):
    user = api.private_user()
    markup = {"inline_keyboard": [[{"text": "Yes", "callback_data": "y"}]]}
    by_json = await http.post(
        "sendMessage", json={"chat_id": user.id, "text": "json", "reply_markup": markup}
    )
    form = {"chat_id": str(user.id), "text": "42", "reply_markup": json.dumps(markup)}
    by_form = await http.post("sendMessage", data=form)
    by_query = await http.get("sendMessage", params={"chat_id": user.id, "text": "query"})
    assert [r.status_code for r in (by_json, by_form, by_query)] == [200, 200, 200]
    sent = by_form.json()["result"]
    assert sent["text"] == "42"  # string params are not JSON-decoded
    assert sent["reply_markup"] == markup and sent["chat"] == {
        "id": user.id,
        "type": "private",
        "first_name": "Alex",
    }
    assert sent["from"]["id"] == BOT_ID and isinstance(sent["date"], int)
    assert [m.text for m in user.messages()] == ["json", "42", "query"]
    assert [m.message_id for m in user.messages()] == [1, 2, 3]


async def test_message_ids_are_per_chat_and_shared_with_user_messages(api: FakeBotApi, bot: Bot):
    alex, sam = api.private_user(), api.private_user(first_name="Sam")
    assert sam.id == alex.id + 1
    first = await bot.send_message(alex.id, "hi Alex")
    incoming = await alex.send_text("hello")
    second = await bot.send_message(alex.id, "again")
    other = await bot.send_message(sam.id, "hi Sam")
    assert (first.message_id, incoming.message_id, second.message_id) == (1, 2, 3)
    assert other.message_id == 1
    assert [m.text for m in api.sent_messages()] == ["hi Alex", "again", "hi Sam"]


async def test_send_message_errors(api: FakeBotApi, http: httpx.AsyncClient, bot: Bot):
    user = api.private_user()
    cases = {
        "": "Bad Request: message text is empty",
        "   ": "Bad Request: message text is empty",
        "x" * 4097: "Bad Request: message is too long",
    }
    for text, description in cases.items():
        response = await http.post("sendMessage", json={"chat_id": user.id, "text": text})
        assert (response.status_code, response.json()["description"]) == (400, description)
    assert (
        await http.post("sendMessage", json={"chat_id": user.id, "text": "x" * 4096})
    ).is_success
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(999, "hello?")
    assert len(user.messages()) == 1


async def test_html_parse_mode_becomes_text_and_entities(api: FakeBotApi, bot: Bot):
    user = api.private_user()
    message = await bot.send_message(user.id, "<b>Hi</b>, &lt;Alex&gt;", parse_mode="HTML")
    assert message.text == "Hi, <Alex>"
    assert [(e.type, e.offset, e.length) for e in message.entities] == [("bold", 0, 2)]
    with pytest.raises(BadRequest, match='(?i)unsupported start tag "br"'):
        await bot.send_message(user.id, "line<br>break", parse_mode="HTML")
    with pytest.raises(BadRequest, match="(?i)character '!' is reserved"):
        await bot.send_message(user.id, "Hello!", parse_mode="MarkdownV2")


# -- keyboards, edits, callbacks ------------------------------------------------------------


async def test_inline_keyboard_round_trip_through_ptb(api: FakeBotApi, bot: Bot):
    user = api.private_user()
    sent = await bot.send_message(
        user.id, "Pick", reply_markup=keyboard(("Yes", "y"), ("No", "n"))
    )
    assert sent.reply_markup == keyboard(("Yes", "y"), ("No", "n"))
    stored = user.last_message()
    assert stored is not None and stored.buttons == ["Yes", "No"]
    record = api.calls("sendMessage")[-1]
    assert record.content_type == "application/x-www-form-urlencoded"  # PTB's non-file format
    assert record.params["reply_markup"]["inline_keyboard"][0][1]["callback_data"] == "n"


async def test_edit_message_text_and_not_modified(api: FakeBotApi, bot: Bot):
    user = api.private_user()
    sent = await bot.send_message(user.id, "Pick", reply_markup=keyboard(("Yes", "y")))
    with pytest.raises(BadRequest, match=NOT_MODIFIED):
        await bot.edit_message_text(
            "Pick", user.id, sent.message_id, reply_markup=keyboard(("Yes", "y"))
        )
    edited = await bot.edit_message_text(
        "Picked", user.id, sent.message_id, reply_markup=keyboard(("Yes", "y"))
    )
    assert edited.text == "Picked" and edited.edit_date is not None
    # Omitting reply_markup in an edit removes the inline keyboard, as on Telegram.
    removed = await bot.edit_message_text("Done", user.id, sent.message_id)
    assert removed.reply_markup is None
    stored = user.messages()[0]
    assert (stored.text, stored.edits, stored.buttons) == ("Done", ["Pick", "Picked"], [])
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("x", user.id, 77)


async def test_edit_reply_markup_rules(api: FakeBotApi, bot: Bot):
    user = api.private_user()
    sent = await bot.send_message(user.id, "Pick", reply_markup=keyboard(("A", "a")))
    with pytest.raises(BadRequest, match=NOT_MODIFIED):
        await bot.edit_message_reply_markup(
            user.id, sent.message_id, reply_markup=keyboard(("A", "a"))
        )
    changed = await bot.edit_message_reply_markup(
        user.id, sent.message_id, reply_markup=keyboard(("B", "b"))
    )
    assert changed.reply_markup == keyboard(("B", "b")) and changed.text == "Pick"
    assert await bot.delete_message(user.id, sent.message_id) is True
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_reply_markup(user.id, sent.message_id)
    with pytest.raises(BadRequest, match="Message to delete not found"):
        await bot.delete_message(user.id, sent.message_id)
    assert user.messages() == [] and len(user.messages(include_deleted=True)) == 1


async def test_press_produces_callback_query(api: FakeBotApi, bot: Bot):
    user = api.private_user(first_name="Robin")
    older = await bot.send_message(user.id, "Old", reply_markup=keyboard(("Maybe", "m:1")))
    await bot.send_message(
        user.id, "Pick", reply_markup=keyboard(("✅ Yes", "y:2"), ("No", "n:2"))
    )
    query_id = await user.press("No")
    fallback_id = await user.press("yes")  # unique case-insensitive substring match
    old_id = await user.press("Maybe")  # an older message's button
    updates = await bot.get_updates()
    queries = [u.callback_query for u in updates]
    assert [q.id for q in queries] == [query_id, fallback_id, old_id]
    assert [q.data for q in queries] == ["n:2", "y:2", "m:1"]
    assert queries[0].from_user.id == user.id and queries[0].message.text == "Pick"
    assert queries[2].message.message_id == older.message_id
    assert updates[1].update_id == updates[0].update_id + 1
    with pytest.raises(AssertionError, match=r"(?s)no inline button 'Nope'.*\['✅ Yes', 'No'\]"):
        await user.press("Nope")


async def test_answer_callback_query_once(api: FakeBotApi, bot: Bot):
    user = api.private_user()
    await bot.send_message(user.id, "Pick", reply_markup=keyboard(("Go", "go")))
    query_id = await user.press("Go")
    assert await bot.answer_callback_query(query_id, text="Done") is True
    assert api.callback_answers[query_id]["text"] == "Done"
    with pytest.raises(BadRequest, match="Query is too old"):
        await bot.answer_callback_query(query_id)
    with pytest.raises(BadRequest, match="Query is too old"):
        await bot.answer_callback_query("123")


async def test_callback_data_limit_is_64_utf8_bytes(api: FakeBotApi, bot: Bot):
    user = api.private_user()
    await bot.send_message(user.id, "ok", reply_markup=keyboard(("A", "x" * 64)))
    for data in ("x" * 65, "é" * 33):  # 33 characters but 66 bytes
        with pytest.raises(BadRequest, match="Button_data_invalid"):
            await bot.send_message(user.id, "bad", reply_markup=keyboard(("A", data)))
    assert [m.text for m in user.messages()] == ["ok"]


# -- updates and long polling -------------------------------------------------------------


async def test_get_updates_redelivers_until_confirmed(api: FakeBotApi, http: httpx.AsyncClient):
    user = api.private_user()
    await user.send_command("start", "ref_x")
    first = (await http.post("getUpdates")).json()["result"]
    again = (await http.post("getUpdates", json={"offset": 0})).json()["result"]
    assert first == again and len(first) == 1
    message = first[0]["message"]
    assert message["text"] == "/start ref_x"
    assert message["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]
    assert message["from"]["id"] == user.id and message["chat"]["type"] == "private"
    update_id = first[0]["update_id"]
    await user.send_text("second")
    after = (await http.post("getUpdates", data={"offset": str(update_id + 1)})).json()["result"]
    assert [u["message"]["text"] for u in after] == ["second"]
    assert api.confirmed_offset == update_id + 1
    assert [u["update_id"] for u in api.pending_updates()] == [update_id + 1]
    # The confirmed update never comes back, even when asking for it explicitly.
    assert (await http.post("getUpdates", json={"offset": update_id})).json()["result"] == after


async def test_get_updates_negative_offset_and_limit(api: FakeBotApi, http: httpx.AsyncClient):
    user = api.private_user()
    for text in ("a", "b", "c", "d"):
        await user.send_text(text)
    limited = (await http.get("getUpdates", params={"limit": 2})).json()["result"]
    assert [u["message"]["text"] for u in limited] == ["a", "b"]
    last = (await http.post("getUpdates", json={"offset": -1})).json()["result"]
    assert [u["message"]["text"] for u in last] == ["d"]
    assert len(api.pending_updates()) == 1  # a, b, c were forgotten


async def test_long_poll_wakes_on_new_update(api: FakeBotApi, bot: Bot):
    user = api.private_user()
    started = time.monotonic()
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.2)
    assert not poll.done()
    await user.send_text("wake up")
    updates = await asyncio.wait_for(poll, 2)
    assert [u.message.text for u in updates] == ["wake up"]
    assert time.monotonic() - started < 1.5


async def test_long_poll_times_out_empty(api: FakeBotApi, http: httpx.AsyncClient):
    started = time.monotonic()
    response = await http.post("getUpdates", json={"timeout": 0.3})
    assert response.json() == {"ok": True, "result": []}
    assert 0.25 <= time.monotonic() - started < 1.5


async def test_second_poll_terminates_first_with_conflict(
    api: FakeBotApi, http: httpx.AsyncClient
):
    # PTB's own get_updates pool has a single connection, so two raw clients race here.
    first = asyncio.create_task(http.post("getUpdates", json={"timeout": 5}))
    await asyncio.sleep(0.1)
    second = await http.post("getUpdates", json={"timeout": 0.1})
    terminated = await asyncio.wait_for(first, 2)
    assert second.json() == {"ok": True, "result": []}
    assert terminated.status_code == 409
    assert terminated.json()["description"].startswith(
        "Conflict: terminated by other getUpdates request"
    )


async def test_webhook_blocks_get_updates(api: FakeBotApi, bot: Bot):
    with pytest.raises(BadRequest, match="(?i)https url must be provided"):
        await bot.set_webhook("http://example.com/hook")
    assert await bot.set_webhook("https://example.com/hook") is True
    assert (await bot.get_webhook_info()).url == "https://example.com/hook"
    with pytest.raises(Conflict, match="webhook is active"):
        await bot.get_updates()
    await bot.delete_webhook()
    assert await bot.get_updates() == ()


async def test_stop_is_prompt_with_long_poll_in_flight(http: httpx.AsyncClient):
    server = FakeBotApi()
    await server.start()
    async with httpx.AsyncClient() as client:
        poll = asyncio.create_task(
            client.post(f"{server.url}/bot{TOKEN}/getUpdates", json={"timeout": 30}, timeout=10)
        )
        await asyncio.sleep(0.2)
        started = time.monotonic()
        await server.stop()
        assert time.monotonic() - started < 2
        response = await asyncio.wait_for(poll, 2)
        assert response.json() == {"ok": True, "result": []}


# -- failures and flood control -----------------------------------------------------------


async def test_fail_next_429_surfaces_as_retry_after(api: FakeBotApi, bot: Bot):
    user = api.private_user()
    api.fail_next(1, status=429, retry_after=7)
    await bot.get_me()  # not a sending method: unaffected
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(user.id, "hi")
    assert caught.value.retry_after == dtm.timedelta(seconds=7)
    assert user.messages() == []  # a failed call creates no message
    await bot.send_message(user.id, "hi")
    assert [m.text for m in user.messages()] == ["hi"]
    assert [r.status for r in api.calls("sendMessage")] == [429, 200]


async def test_fail_next_raw_envelope(api: FakeBotApi, http: httpx.AsyncClient):
    api.fail_next(2, status=500, methods=["getMe"])
    for _ in range(2):
        response = await http.get("getMe")
        assert response.status_code == 500
        assert response.json() == {
            "ok": False,
            "error_code": 500,
            "description": "Internal Server Error",
        }
    assert (await http.get("getMe")).status_code == 200
    api.fail_next(1, status=429, retry_after=3, methods="getMe")
    assert (await http.get("getMe")).json() == {
        "ok": False, "error_code": 429, "description": "Too Many Requests: retry after 3",
        "parameters": {"retry_after": 3},
    }  # fmt: skip


async def test_fail_for_and_slow(api: FakeBotApi, bot: Bot):
    user = api.private_user()
    api.fail_for(0.3, status=502)
    with pytest.raises(NetworkError, match="Bad Gateway"):
        await bot.send_message(user.id, "a")
    await asyncio.sleep(0.35)
    await bot.send_message(user.id, "b")
    api.slow(0.3, methods=["sendMessage"])
    started = time.monotonic()
    await bot.send_message(user.id, "c")
    assert time.monotonic() - started >= 0.3
    api.slow(0)
    assert [m.text for m in user.messages()] == ["b", "c"]


async def test_blocked_user_is_forbidden(api: FakeBotApi, bot: Bot):
    user = api.private_user()
    api.block_user(user)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(user.id, "hello")
    api.unblock_user(user)
    await bot.send_message(user.id, "hello")


async def test_rate_limits_per_private_chat_and_group(api: FakeBotApi, bot: Bot):
    alex, sam = api.private_user(), api.private_user()
    group = api.group(members=[alex, sam])
    api.enforce_rate_limits(per_private_chat_per_s=1, per_group_per_min=3, private_burst=1)
    await bot.send_message(alex.id, "1")
    await bot.send_message(alex.id, "2")  # the burst allowance
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(alex.id, "3")
    assert caught.value.retry_after == dtm.timedelta(seconds=1)
    await bot.send_message(sam.id, "other chat is fine")
    for text in ("g1", "g2", "g3"):
        await bot.send_message(group.id, text)
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(group.id, "g4")
    assert 55 <= caught.value.retry_after.total_seconds() <= 60
    assert [(h.scope, h.chat_id) for h in api.rate_limit_hits] == [
        ("private_chat", alex.id),
        ("group", group.id),
    ]
    assert [m.text for m in alex.messages()] == ["1", "2"]
    api.enforce_rate_limits(None)
    await bot.send_message(group.id, "g4")


async def test_global_rate_limit(api: FakeBotApi, http: httpx.AsyncClient):
    users = [api.private_user() for _ in range(4)]
    api.enforce_rate_limits(per_private_chat_per_s=None, global_per_s=3)
    codes = [
        (await http.post("sendMessage", json={"chat_id": u.id, "text": "x"})).status_code
        for u in users
    ]
    assert codes == [200, 200, 200, 429]
    assert api.rate_limit_hits[0].scope == "global"


# -- files, commands, chats ---------------------------------------------------------------


async def test_send_document_multipart(api: FakeBotApi, bot: Bot):
    user = api.private_user()
    content = b"name,score\nAlex,3\n"
    sent = await bot.send_document(
        user.id,
        io.BytesIO(content),
        filename="report.csv",
        caption="Weekly <b>report</b>",
        parse_mode="HTML",
    )
    assert api.calls("sendDocument")[-1].content_type == "multipart/form-data"
    assert sent.document.file_name == "report.csv" and sent.document.file_size == len(content)
    assert sent.caption == "Weekly report"
    stored = user.last_message()
    assert stored is not None and stored.document is not None
    assert (stored.document.content, stored.caption, stored.method) == (
        content,
        "Weekly report",
        "sendDocument",
    )
    again = await bot.send_document(user.id, sent.document.file_id)
    assert again.document.file_id == sent.document.file_id
    with pytest.raises(BadRequest, match="Wrong file identifier"):
        await bot.send_document(user.id, "no-such-file-id")


async def test_send_photo_upload(api: FakeBotApi, bot: Bot):
    user = api.private_user()
    png = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000030000000200") + b"\0" * 20
    sent = await bot.send_photo(user.id, png, caption="pic")
    assert (sent.photo[-1].width, sent.photo[-1].height) == (3, 2)
    assert user.last_message().photo.size == len(png)  # type: ignore[union-attr]


async def test_commands_per_scope_and_language(api: FakeBotApi, bot: Bot):
    group = api.group()
    await bot.set_my_commands([BotCommand("start", "Begin"), BotCommand("help", "Help")])
    await bot.set_my_commands([BotCommand("start", "Beginnen")], language_code="de")
    await bot.set_my_commands(
        [BotCommand("report", "Report")], scope=BotCommandScopeChat(group.id)
    )
    assert [c.command for c in await bot.get_my_commands()] == ["start", "help"]
    assert (await bot.get_my_commands(language_code="de"))[0].description == "Beginnen"
    assert api.commands[(f"chat:{group.id}", "")] == [
        {"command": "report", "description": "Report"}
    ]
    with pytest.raises(BadRequest, match="Bot_command_invalid"):
        await bot.set_my_commands([BotCommand("Start-Now", "bad")])
    await bot.delete_my_commands(language_code="de")
    assert await bot.get_my_commands(language_code="de") == ()


async def test_one_private_chat_gets_its_own_menu_read_back_by_its_scope(
    api: FakeBotApi, bot: Bot
):
    """getMyCommands answers for exactly the scope asked: a chat's own menu, not the default."""
    person, other = api.private_user(), api.private_user()
    await bot.set_my_commands([BotCommand("start", "Begin")])
    await bot.set_my_commands([BotCommand("note", "Note")], scope=BotCommandScopeChat(person.id))
    own = await bot.get_my_commands(scope=BotCommandScopeChat(person.id))
    assert [(c.command, c.description) for c in own] == [("note", "Note")]
    assert await bot.get_my_commands(scope=BotCommandScopeChat(other.id)) == ()
    assert [c.command for c in await bot.get_my_commands()] == ["start"]


async def test_chat_members_and_get_chat(api: FakeBotApi, bot: Bot):
    owner, admin, member, gone = (api.private_user() for _ in range(4))
    group = api.group(members=[member, gone], admins=[admin])
    group.add_member(owner, status="creator")
    group.remove_member(gone)
    statuses = [
        (await bot.get_chat_member(group.id, u.id)).status for u in (owner, admin, member, gone)
    ]
    assert statuses == ["creator", "administrator", "member", "left"]
    assert (await bot.get_chat_member(group.id, 99)).status == "left"
    chat = await bot.get_chat(group.id)
    assert (chat.type, chat.title) == ("supergroup", "Coordinators")
    assert await bot.send_chat_action(owner.id, "typing") is True
    assert await bot.set_my_description("Peer support") is True
    assert api.descriptions[("description", "")] == "Peer support"


async def test_group_privacy_mode(api: FakeBotApi, bot: Bot):
    alex = api.private_user()
    group = api.group(members=[alex])
    await alex.send_text("just chatting", chat=group)
    await alex.send_command("report", chat=group, mention=True)
    texts = [u.message.text for u in await bot.get_updates()]
    assert texts == ["/report@peerbot_test_bot"]


# -- test-side helpers and control API ----------------------------------------------------


async def test_wait_helpers(api: FakeBotApi, bot: Bot):
    user = api.private_user()
    await user.send_text("hi")

    async def reply_later() -> None:
        await asyncio.sleep(0.1)
        sent = await bot.send_message(user.id, "Loading…")
        await bot.edit_message_text("Welcome, Alex", user.id, sent.message_id)

    task = asyncio.create_task(reply_later())
    found = await api.wait_for_message(user.id, contains="Welcome", timeout=2)
    await task
    assert found.edits == ["Loading…"]
    with pytest.raises(AssertionError, match=r"#2 bot: 'Welcome, Alex'"):
        await api.wait_for_message(
            user.id, contains="Welcome", after=found.message_id, timeout=0.1
        )
    with pytest.raises(AssertionError, match="not confirmed"):
        await api.wait_for_updates_consumed(timeout=0.1)
    updates = await bot.get_updates()
    await bot.get_updates(offset=updates[-1].update_id + 1)
    await api.wait_for_updates_consumed(timeout=1)


async def test_control_api(api: FakeBotApi, bot: Bot):
    async with httpx.AsyncClient(base_url=f"{api.url}/_test/") as control:
        response = await control.post(
            "users/7001/command", json={"command": "/start", "args": "ref_1"}
        )
        assert response.status_code == 200 and response.json()["text"] == "/start ref_1"
        await bot.send_message(7001, "Choose", reply_markup=keyboard(("Yes", "y")))
        pressed = await control.post("users/7001/press", json={"text": "Yes"})
        assert pressed.json()["callback_query_id"] in api.callback_queries
        transcript = (await control.get("chats/7001/messages")).json()
        assert [(m["from_bot"], m["text"]) for m in transcript] == [
            (False, "/start ref_1"),
            (True, "Choose"),
        ]
        assert (await control.post("users/7001/press", json={"text": "Nope"})).status_code == 400
        await control.post("failures", json={"kind": "next", "count": 1, "status": 500})
        with pytest.raises(NetworkError):
            await bot.send_message(7001, "x")
        logged = (await control.get("requests")).json()
        assert [r["status"] for r in logged if r["method"] == "sendMessage"] == [200, 500]


async def test_a_waits_timeout_starts_when_a_bot_first_calls_the_api(api: FakeBotApi):
    """A bot still starting (no call yet) does not use up a wait's timeout; once it has
    called, the timeout counts as given."""
    user = api.private_user()
    await user.send_text("/start")

    async def start_slowly_then_answer() -> None:
        await asyncio.sleep(0.6)  # longer than the wait's timeout below
        async with Bot(TOKEN, base_url=f"{api.url}/bot") as late_bot:
            await late_bot.send_message(user.id, "Welcome")

    task = asyncio.create_task(start_slowly_then_answer())
    found = await api.wait_for_message(user.id, contains="Welcome", timeout=0.5)
    await task
    assert found.text == "Welcome"
    with pytest.raises(AssertionError, match="within 0.1s"):
        await api.wait_for_message(user.id, contains="never sent", timeout=0.1)


async def test_a_wait_gives_up_after_the_startup_grace_when_no_bot_ever_calls(api: FakeBotApi):
    user = api.private_user()
    api.startup_grace = 0.2
    began = time.monotonic()
    with pytest.raises(AssertionError, match="within 0.1s"):
        await api.wait_for_message(user.id, contains="anything", timeout=0.1)
    assert 0.3 <= time.monotonic() - began < 2
