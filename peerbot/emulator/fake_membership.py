"""Groups that change under the bot: it is removed or restricted, a chat disappears, a group
becomes a supergroup, topics are turned on or off, a member leaves; with the updates and errors
Telegram gives for each."""

from __future__ import annotations

import time
from typing import Any

from .fake_admin import member_dict
from .fake_errors import ApiError, bad_request, forbidden
from .fake_models import FakeGroup
from .fake_users import FakeUser
from .fake_world import FakeWorld

MIGRATED = "group chat was upgraded to a supergroup chat"
CANNOT_POST = "not enough rights to send text messages to the chat"
# What Telegram answers a bot that is no longer in a group.
GONE = {
    "kicked": "bot was kicked from the group chat",
    "left": "bot is not a member of the group chat",
}
CAN_POST = ("creator", "administrator", "member")


class MembershipEvents(FakeWorld):
    """Switches that make a group refuse the bot, migrate it, or lose a member."""

    def refuse_sends(self, group: FakeGroup | int, status: int = 403) -> None:
        """Every call about this chat fails: 403 (bot kicked) or 400 "chat not found"."""
        chat_id = group if isinstance(group, int) else group.id
        if status == 403:
            self.refusals[chat_id] = forbidden(GONE["kicked"])
        elif status == 400:
            self.refusals[chat_id] = bad_request("chat not found")
        else:
            raise ValueError("refuse_sends takes 403 or 400")

    def accept_sends(self, group: FakeGroup | int) -> None:
        """Undo refuse_sends."""
        self.refusals.pop(group if isinstance(group, int) else group.id, None)

    def migrate_group(
        self,
        group: FakeGroup,
        new_chat_id: int,
        by: FakeUser | None = None,
        *,
        forum: bool = False,
    ) -> FakeGroup:
        """Upgrade a group to a supergroup with the same members and bot status (and rights);
        forum=True is what turning topics on in a basic group does.

        As on Telegram: calls about the old id get 400 with parameters.migrate_to_chat_id;
        the old group's last message carries migrate_to_chat_id, the new one's first
        migrate_from_chat_id.
        """
        supergroup = self.group(
            new_chat_id,
            group.title,
            bot_status=group.bot_status,
            forum=forum,
            bot_rights=group.bot_rights,
        )
        supergroup.members = dict(group.members)
        sender = by.as_dict() if by is not None else self._someone_in(group)
        self._service_message(group, sender, migrate_to_chat_id=new_chat_id)
        self._service_message(supergroup, sender, migrate_from_chat_id=group.id)
        self.refusals[group.id] = ApiError(
            400, f"Bad Request: {MIGRATED}", {"migrate_to_chat_id": new_chat_id}
        )
        return supergroup

    def enable_topics(self, group: FakeGroup, enabled: bool = True) -> FakeGroup:
        """Turn a supergroup's topics on (it becomes a forum) or off; the bot sees it only in
        is_forum of the chat, as Telegram sends no update for it. A basic group gets topics
        by becoming a supergroup: migrate_group(group, new_id, forum=True)."""
        if group.type != "supergroup":
            raise ValueError("a basic group gets topics through migrate_group(..., forum=True)")
        group.make_forum(enabled)
        return group

    def member_leaves(self, group: FakeGroup, user: FakeUser, *, removed: bool = False) -> None:
        """A member leaves (or is banned: removed=True); a chat_member update follows when the
        bot is an administrator there (Telegram sends those to administrators only)."""
        old = group.status_of(user.id)
        new = "kicked" if removed else "left"
        group.members[user.id] = new
        if group.bot_status in ("administrator", "creator"):
            self._member_update("chat_member", group, user.as_dict(), user.as_dict(), old, new)

    def remove_bot(self, group: FakeGroup, by: FakeUser, status: str = "kicked") -> None:
        """Remove the bot ("kicked" or "left") or take its right to post ("restricted"); the
        bot gets a my_chat_member update, and Telegram's refusal from then on."""
        old = group.bot_status
        group.bot_status = status
        if status in GONE:
            self.refusals[group.id] = forbidden(GONE[status])
        elif status == "restricted":
            self.refusals[group.id] = bad_request(CANNOT_POST)
        else:
            raise ValueError("remove_bot takes kicked, left or restricted")
        self._member_update("my_chat_member", group, self.bot_user, by.as_dict(), old, status)

    # -- updates ------------------------------------------------------------------------------

    def _someone_in(self, group: FakeGroup) -> dict[str, Any]:
        for user_id, status in group.members.items():
            if status in CAN_POST and user_id in self.users:
                return self.users[user_id].as_dict()
        return {"id": 1087968824, "is_bot": True, "first_name": "Group"}  # Telegram's anonymous

    def _service_message(self, chat: FakeGroup, sender: dict[str, Any], **field: int) -> None:
        message = {
            "message_id": chat.next_message_id(),
            "from": sender,
            "chat": chat.as_dict(),
            "date": int(time.time()),
            **field,
        }
        self.updates.enqueue("message", message)

    def _member_update(
        self,
        kind: str,
        group: FakeGroup,
        member: dict[str, Any],
        by: dict[str, Any],
        old: str,
        new: str,
    ) -> None:
        self.updates.enqueue(
            kind,
            {
                "chat": group.as_dict(),
                "from": by,
                "date": int(time.time()),
                "old_chat_member": member_dict(old, member),
                "new_chat_member": member_dict(new, member),
            },
        )
