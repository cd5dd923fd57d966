"""Bot API methods about the bot and chats: getMe, getUpdates, webhooks, commands, members."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from .fake_errors import ApiError, bad_request
from .fake_models import FakeGroup

if TYPE_CHECKING:
    from .fake_world import FakeWorld

WEBHOOK_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
_COMMAND_RE = re.compile(r"[a-z0-9_]{1,32}")
_SCOPES = frozenset({
    "default", "all_private_chats", "all_group_chats", "all_chat_administrators", "chat",
    "chat_administrators", "chat_member",
})  # fmt: skip
_ADMIN_RIGHTS = (
    "can_manage_chat", "can_delete_messages", "can_manage_video_chats", "can_restrict_members",
    "can_promote_members", "can_change_info", "can_invite_users", "can_post_stories",
    "can_edit_stories", "can_delete_stories", "can_pin_messages", "can_manage_topics",
)  # fmt: skip
_MEMBER_RIGHTS = (
    "can_send_messages", "can_send_audios", "can_send_documents", "can_send_photos",
    "can_send_videos", "can_send_video_notes", "can_send_voice_notes", "can_send_polls",
    "can_send_other_messages", "can_add_web_page_previews", "can_change_info",
    "can_invite_users", "can_pin_messages", "can_manage_topics", "can_edit_tag",
    "can_react_to_messages",
)  # fmt: skip


def scope_key(scope: Any) -> str:
    """Readable key for a BotCommandScope, e.g. "default" or "chat:-1001234567890"."""
    scope = scope or {"type": "default"}
    kind = scope.get("type") if isinstance(scope, dict) else None
    if kind not in _SCOPES:
        raise bad_request("wrong bot command scope type specified")
    if kind in ("chat", "chat_administrators"):
        return f"{kind}:{scope.get('chat_id')}"
    if kind == "chat_member":
        return f"{kind}:{scope.get('chat_id')}:{scope.get('user_id')}"
    return kind


def member_dict(
    status: str, user: dict[str, Any], rights: dict[str, bool] | None = None
) -> dict[str, Any]:
    """A ChatMember object of the given status with every field PTB requires; an administrator
    has every right but those `rights` sets to False."""
    member: dict[str, Any] = {"status": status, "user": user}
    if status == "creator":
        member["is_anonymous"] = False
    elif status == "administrator":
        member |= {"can_be_edited": False, "is_anonymous": False}
        member |= dict.fromkeys(_ADMIN_RIGHTS, True) | {
            right: bool(value) for right, value in (rights or {}).items() if right in _ADMIN_RIGHTS
        }
    elif status == "restricted":
        member |= {"is_member": True, "until_date": 0} | dict.fromkeys(_MEMBER_RIGHTS, False)
    elif status == "kicked":
        member["until_date"] = 0
    return member


class AdminMethods:
    """getMe, logOut, close, getUpdates, webhooks, commands, chats, members, descriptions."""

    def __init__(self, world: FakeWorld) -> None:
        self.world = world
        self.webhook: dict[str, Any] | None = None
        self.commands: dict[tuple[str, str], list[dict[str, str]]] = {}
        self.descriptions: dict[tuple[str, str], str] = {}

    async def getMe(self, params: dict[str, Any]) -> dict[str, Any]:
        """The bot user."""
        return self.world.bot_user

    async def logOut(self, params: dict[str, Any]) -> bool:
        """Accepted; nothing happens."""
        return True

    async def close(self, params: dict[str, Any]) -> bool:
        """Accepted; nothing happens."""
        return True

    async def getUpdates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        """Long polling with offset/limit/timeout/allowed_updates semantics."""
        if self.webhook is not None:
            raise ApiError(409, WEBHOOK_CONFLICT)
        limit = min(100, max(1, int(params.get("limit") or 100)))
        return await self.world.updates.poll(
            params.get("offset"),
            limit,
            float(params.get("timeout") or 0),
            params.get("allowed_updates"),
        )

    async def setWebhook(self, params: dict[str, Any]) -> bool:
        """Record a webhook (an empty url removes it); updates are not pushed anywhere."""
        url = params.get("url") or ""
        if not url:
            return await self.deleteWebhook(params)
        if not url.startswith("https://"):
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        if params.get("drop_pending_updates"):
            self.world.updates.clear()
        self.webhook = {k: v for k, v in params.items() if k != "certificate"}
        return True

    async def deleteWebhook(self, params: dict[str, Any]) -> bool:
        """Remove the webhook, optionally dropping pending updates."""
        if params.get("drop_pending_updates"):
            self.world.updates.clear()
        self.webhook = None
        return True

    async def getWebhookInfo(self, params: dict[str, Any]) -> dict[str, Any]:
        """WebhookInfo for the recorded webhook."""
        info: dict[str, Any] = {
            "url": "",
            "has_custom_certificate": False,
            "pending_update_count": len(self.world.pending_updates()),
        }
        if self.webhook:
            info |= {
                "url": self.webhook["url"],
                "max_connections": self.webhook.get("max_connections", 40),
                "ip_address": "127.0.0.1",
            }
            if self.webhook.get("allowed_updates"):
                info["allowed_updates"] = self.webhook["allowed_updates"]
        return info

    async def setMyCommands(self, params: dict[str, Any]) -> bool:
        """Store commands per (scope, language_code)."""
        commands = params.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise bad_request('parameter "commands" must be an array of at most 100 commands')
        for command in commands:
            if not isinstance(command, dict) or not _COMMAND_RE.fullmatch(
                str(command.get("command", ""))
            ):
                raise bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        key = (scope_key(params.get("scope")), params.get("language_code") or "")
        self.commands[key] = [
            {"command": c["command"], "description": c["description"]} for c in commands
        ]
        return True

    async def getMyCommands(self, params: dict[str, Any]) -> list[dict[str, str]]:
        """Commands stored for exactly this scope and language_code ([] if none)."""
        key = (scope_key(params.get("scope")), params.get("language_code") or "")
        return self.commands.get(key, [])

    async def deleteMyCommands(self, params: dict[str, Any]) -> bool:
        """Forget commands for this scope and language_code."""
        self.commands.pop(
            (scope_key(params.get("scope")), params.get("language_code") or ""), None
        )
        return True

    async def getChat(self, params: dict[str, Any]) -> dict[str, Any]:
        """ChatFullInfo with the fields PTB 22 requires."""
        chat = self.world.api_chat(params.get("chat_id"))
        gifts = dict.fromkeys(
            (
                "unlimited_gifts",
                "limited_gifts",
                "unique_gifts",
                "premium_subscription",
                "gifts_from_channels",
            ),
            False,
        )
        return chat.as_dict() | {
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": gifts,
        }

    async def getChatMember(self, params: dict[str, Any]) -> dict[str, Any]:
        """Membership from the fake's data (unknown users are "left")."""
        chat = self.world.api_chat(params.get("chat_id"))
        user_id = params.get("user_id")
        if not isinstance(user_id, int):
            raise bad_request("invalid user_id specified")
        user = self.world.users.get(user_id)
        user_dict = (
            user.as_dict()
            if user
            else {"id": user_id, "is_bot": False, "first_name": f"User {user_id}"}
        )
        rights = None
        if user_id == self.world.bot_id:
            user_dict = self.world.bot_user
            status = chat.bot_status if isinstance(chat, FakeGroup) else "member"
            rights = chat.bot_rights if isinstance(chat, FakeGroup) else None
        elif isinstance(chat, FakeGroup):
            status = chat.status_of(user_id)
        else:
            status = "member" if user_id == chat.id else "left"
        return member_dict(status, user_dict, rights)

    async def getChatMemberCount(self, params: dict[str, Any]) -> int:
        """Members (plus the bot) of a group; 2 for a private chat."""
        chat = self.world.api_chat(params.get("chat_id"))
        if not isinstance(chat, FakeGroup):
            return 2
        present = [s for s in chat.members.values() if s not in ("left", "kicked")]
        return len(present) + 1

    async def setMyDescription(self, params: dict[str, Any]) -> bool:
        """Record the bot description (0-512 characters)."""
        return self._describe(params, "description", 512)

    async def setMyShortDescription(self, params: dict[str, Any]) -> bool:
        """Record the bot short description (0-120 characters)."""
        return self._describe(params, "short_description", 120)

    async def getMyDescription(self, params: dict[str, Any]) -> dict[str, str]:
        """BotDescription for the language."""
        key = ("description", params.get("language_code") or "")
        return {"description": self.descriptions.get(key, "")}

    async def getMyShortDescription(self, params: dict[str, Any]) -> dict[str, str]:
        """BotShortDescription for the language."""
        key = ("short_description", params.get("language_code") or "")
        return {"short_description": self.descriptions.get(key, "")}

    def _describe(self, params: dict[str, Any], field: str, limit: int) -> bool:
        text = str(params.get(field) or "")
        if len(text) > limit:
            raise bad_request(f"{field.replace('_', ' ')} is too long")
        self.descriptions[(field, params.get("language_code") or "")] = text
        return True
