"""Coordinators see open invites by a short code (never the link) and can revoke one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from peerbot.services.conversations.actions import InviteRevoke
from peerbot.services.conversations.shown import EditPressed, Reply, Text
from peerbot.services.supporters import invites
from peerbot.storage.models import AuditEvent, Invite
from tests.support.supporter_steps import (
    Chat,
    as_coordinator,
    join,
    new_invite,
    rows,
    texts_of,
)

NOW = datetime(2027, 3, 3, 15, 0, tzinfo=UTC)


def view_of(reply: Reply) -> Text:
    [item] = reply.items
    return item.view if isinstance(item, EditPressed) else item  # type: ignore[return-value]


async def listing(sessions) -> Text:
    return view_of(await as_coordinator(sessions, NOW, invites.open_for_coordinators))


async def test_only_open_invites_are_listed_by_code_never_by_link(session_factory):
    open_code = await new_invite(session_factory, NOW - timedelta(hours=1))
    used = await new_invite(session_factory, NOW - timedelta(hours=1))
    await join(Chat(session_factory, 5001), NOW - timedelta(minutes=30), used)
    await new_invite(session_factory, NOW - timedelta(days=8))  # expired

    shown = await listing(session_factory)

    [open_one] = await rows(
        session_factory, Invite, Invite.code_hash == invites.hash_code(open_code)
    )
    assert shown.text is not None and shown.text.startswith("Open invitations (1)")
    assert invites.short_code(open_one) in shown.text and "created 2027-03-03" in shown.text
    assert open_code not in shown.text and "t.me" not in shown.text
    [[button]] = shown.buttons
    assert button.data == InviteRevoke(open_one.id)


async def test_revoking_closes_the_link_records_who_and_lists_again(session_factory):
    code = await new_invite(session_factory, NOW - timedelta(hours=1))
    [invite] = await rows(session_factory, Invite)

    done = view_of(
        await as_coordinator(session_factory, NOW, invites.revoke, InviteRevoke(invite.id))
    )
    refused = await Chat(session_factory, 5001).start(NOW, f"{invites.START_PREFIX}{code}")

    assert done.text is not None
    assert done.text.startswith(f"Invitation {invites.short_code(invite)} revoked by Dana")
    assert "There are no open invitations." in done.text and done.buttons == ()
    assert texts_of(refused) == ["invite.revoked"]
    [revoked] = await rows(session_factory, Invite)
    assert revoked.revoked_at == NOW and revoked.used_at is None
    [event] = await rows(session_factory, AuditEvent, AuditEvent.action == "invite.revoked")
    assert event.details == {"invite_id": invite.id} and event.actor_id is not None
    audited = " ".join(str(e.details) for e in await rows(session_factory, AuditEvent))
    assert code not in audited


async def test_a_second_press_or_a_used_invite_changes_nothing(session_factory):
    await new_invite(session_factory, NOW - timedelta(hours=1))
    used = await new_invite(session_factory, NOW - timedelta(hours=1))
    first, taken = sorted(await rows(session_factory, Invite), key=lambda i: i.id)
    await join(Chat(session_factory, 5001), NOW, used)

    await as_coordinator(session_factory, NOW, invites.revoke, InviteRevoke(first.id))
    again = view_of(
        await as_coordinator(session_factory, NOW, invites.revoke, InviteRevoke(first.id))
    )
    joined = view_of(
        await as_coordinator(session_factory, NOW, invites.revoke, InviteRevoke(taken.id))
    )

    assert again.text is not None and "is no longer open" in again.text
    assert joined.text is not None and "is no longer open" in joined.text
    revocations = await rows(session_factory, AuditEvent, AuditEvent.action == "invite.revoked")
    assert len(revocations) == 1
    [still_used] = await rows(session_factory, Invite, Invite.id == taken.id)
    assert still_used.revoked_at is None and still_used.used_by_id is not None
