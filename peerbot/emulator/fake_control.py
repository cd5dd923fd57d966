"""HTTP control API under /_test/ so the fake can be driven from curl or another process.

Users act (text, command, media, press; in a chat_id, a forum topic message_thread_id, or as
a reply to reply_to_message_id; administrators open topics), groups are made (forum ones
too), migrated or get topics, chats and their topics are read, failures are switched.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .fake_models import FakeGroup, FakeMessage
from .fake_users import FakeUser

if TYPE_CHECKING:
    from .fake_api import EmulatedBotApi

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _message_json(message: FakeMessage) -> dict[str, Any]:
    return message.to_dict() | {
        "from_bot": message.from_bot,
        "deleted": message.deleted,
        "edits": message.edits,
        "method": message.method,
    }


def _topic_json(group: FakeGroup) -> list[dict[str, Any]]:
    return [
        topic.as_dict() | {"is_closed": topic.closed, "is_deleted": topic.deleted}
        for topic in group.topics.values()
    ]


def add_control_routes(app: web.Application, api: EmulatedBotApi) -> None:
    """Register the /_test/ endpoints (users act, chats are read, failures are switched)."""

    def user(request: web.Request, body: dict[str, Any]) -> FakeUser:
        user_id = int(request.match_info["user_id"])
        if user_id not in api.users:
            api.private_user(user_id, first_name=body.get("first_name", f"User{user_id}"))
        return api.users[user_id]

    def handler(action: Callable[[web.Request, dict[str, Any]], Awaitable[Any]]) -> Handler:
        async def wrapped(request: web.Request) -> web.Response:
            body = await request.json() if request.can_read_body else {}
            try:
                return web.json_response(await action(request, body))
            except (AssertionError, KeyError, ValueError) as error:
                return web.json_response({"error": str(error)}, status=400)

        return wrapped

    def replied(who: FakeUser, body: dict[str, Any]) -> FakeMessage | None:
        if "reply_to_message_id" not in body:
            return None
        chat = api.resolve_chat(body.get("chat_id", who.id))
        message = api.find_message(chat, body["reply_to_message_id"])
        if message is None:
            raise KeyError(f"no message #{body['reply_to_message_id']} in chat {chat.id}")
        return message

    def placed(who: FakeUser, body: dict[str, Any]) -> dict[str, Any]:
        """Where a user's message goes: its chat, the message it replies to, its topic."""
        return {
            "chat": body.get("chat_id"),
            "reply_to": replied(who, body),
            "thread_id": body.get("message_thread_id"),
        }

    def group(request: web.Request) -> FakeGroup:
        chat = api.resolve_chat(int(request.match_info["chat_id"]))
        if not isinstance(chat, FakeGroup):
            raise ValueError(f"chat {chat.id} is not a group")
        return chat

    async def text(request: web.Request, body: dict[str, Any]) -> Any:
        who = user(request, body)
        return _message_json(await who.send_text(body["text"], **placed(who, body)))

    async def command(request: web.Request, body: dict[str, Any]) -> Any:
        sent = await user(request, body).send_command(
            body["command"],
            body.get("args", ""),
            chat=body.get("chat_id"),
            mention=bool(body.get("mention")),
            thread_id=body.get("message_thread_id"),
        )
        return _message_json(sent)

    async def media(request: web.Request, body: dict[str, Any]) -> Any:
        who = user(request, body)
        sent = await who.send_media(body["kind"], body.get("caption"), **placed(who, body))
        return _message_json(sent)

    async def open_topic(request: web.Request, body: dict[str, Any]) -> Any:
        topic = await user(request, body).open_topic(
            body["chat_id"], body["name"], int(body.get("icon_color", 0x6FB9F0))
        )
        return topic.as_dict()

    async def press(request: web.Request, body: dict[str, Any]) -> Any:
        who = user(request, body)
        chat = api.resolve_chat(body.get("chat_id", who.id))
        message = api.find_message(chat, body["message_id"]) if "message_id" in body else None
        return {"callback_query_id": await who.press(body["text"], message=message, chat=chat)}

    async def messages(request: web.Request, body: dict[str, Any]) -> Any:
        chat = api.resolve_chat(int(request.match_info["chat_id"]))
        bot_only = request.query.get("bot_only") in ("1", "true")
        thread = request.query.get("thread_id")
        return [
            _message_json(m)
            for m in chat.transcript
            if (m.from_bot or not bot_only) and (thread is None or m.thread_id == int(thread))
        ]

    async def groups(request: web.Request, body: dict[str, Any]) -> Any:
        members = [api.users.get(i) or api.private_user(i) for i in body.get("members", [])]
        admins = [api.users.get(i) or api.private_user(i) for i in body.get("admins", [])]
        group = api.group(
            int(body.get("chat_id", -1001234567890)),
            body.get("title", "Group"),
            members,
            admins,
            body.get("bot_status", "member"),
            forum=bool(body.get("forum")),
            bot_rights=body.get("bot_rights"),
        )
        return group.as_dict()

    async def topics(request: web.Request, body: dict[str, Any]) -> Any:
        return _topic_json(group(request))

    async def enable_topics(request: web.Request, body: dict[str, Any]) -> Any:
        return api.enable_topics(group(request), bool(body.get("enabled", True))).as_dict()

    async def migrate(request: web.Request, body: dict[str, Any]) -> Any:
        by = api.users.get(int(body["by"])) if "by" in body else None
        new = api.migrate_group(
            group(request), int(body["new_chat_id"]), by, forum=bool(body.get("forum"))
        )
        return new.as_dict()

    async def failures(request: web.Request, body: dict[str, Any]) -> Any:
        kind = body.pop("kind")
        actions: dict[str, Callable[..., Any]] = {
            "next": api.fail_next,
            "for": api.fail_for,
            "slow": api.slow,
            "reset": api.reset_failures,
            "block": lambda user_id: api.block_user(int(user_id)),
            "unblock": lambda user_id: api.unblock_user(int(user_id)),
            "rate_limits": api.enforce_rate_limits,
        }
        actions[kind](**body)
        return {"ok": True}

    async def requests(request: web.Request, body: dict[str, Any]) -> Any:
        return json.loads(json.dumps([asdict(r) for r in api.requests], default=repr))

    async def updates(request: web.Request, body: dict[str, Any]) -> Any:
        return {"pending": api.pending_updates(), "confirmed_offset": api.confirmed_offset}

    app.router.add_post("/_test/users/{user_id}/text", handler(text))
    app.router.add_post("/_test/users/{user_id}/command", handler(command))
    app.router.add_post("/_test/users/{user_id}/media", handler(media))
    app.router.add_post("/_test/users/{user_id}/topics", handler(open_topic))
    app.router.add_post("/_test/users/{user_id}/press", handler(press))
    app.router.add_get("/_test/chats/{chat_id}/messages", handler(messages))
    app.router.add_get("/_test/chats/{chat_id}/topics", handler(topics))
    app.router.add_post("/_test/groups", handler(groups))
    app.router.add_post("/_test/groups/{chat_id}/forum", handler(enable_topics))
    app.router.add_post("/_test/groups/{chat_id}/migrate", handler(migrate))
    app.router.add_post("/_test/failures", handler(failures))
    app.router.add_get("/_test/requests", handler(requests))
    app.router.add_get("/_test/updates", handler(updates))
