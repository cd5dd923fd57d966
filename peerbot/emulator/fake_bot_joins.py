"""A person adds the bot to a group: the my_chat_member update and the service message
Telegram sends for it (the set-up mode answers the first with the group's id)."""

from __future__ import annotations

import time

from .fake_admin import member_dict
from .fake_models import FakeGroup
from .fake_users import FakeUser
from .fake_world import FakeWorld

JOINED = ("member", "administrator")


def add_bot_to_group(
    world: FakeWorld,
    by: FakeUser,
    chat_id: int = -1001234567890,
    title: str = "Coordinators",
    status: str = "member",
    *,
    forum: bool = False,
) -> FakeGroup:
    """`by` creates a group (a supergroup for a -100… id; forum=True: with topics) and adds the
    bot as a member or an administrator; the bot gets a my_chat_member update (left → status),
    then the group's `new_chat_members` service message, as on Telegram."""
    if status not in JOINED:
        raise ValueError("add_bot_to_group takes member or administrator")
    group = world.group(chat_id, title, bot_status=status, forum=forum)
    group.add_member(by, "creator")
    now = int(time.time())
    world.updates.enqueue(
        "my_chat_member",
        {
            "chat": group.as_dict(),
            "from": by.as_dict(),
            "date": now,
            "old_chat_member": member_dict("left", world.bot_user),
            "new_chat_member": member_dict(status, world.bot_user),
        },
    )
    world.updates.enqueue(
        "message",
        {
            "message_id": group.next_message_id(),
            "from": by.as_dict(),
            "chat": group.as_dict(),
            "date": now,
            "new_chat_members": [world.bot_user],
            "new_chat_member": world.bot_user,
            "new_chat_participant": world.bot_user,
        },
    )
    return group
