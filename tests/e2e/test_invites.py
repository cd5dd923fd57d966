"""Coordinators list open invites in their group and revoke one; nobody else can, and the
revoked link, opened later, is refused kindly."""

from __future__ import annotations

import sqlite3

from tests.support.journeys import Person
from tests.support.matching_steps import GROUP, invite_link, t


async def test_revoke_an_invite_from_the_group(api, start_bot, bot_workdir):
    start_bot(coordinator_chat_id=str(GROUP))
    coordinator = api.private_user(first_name="Dana")
    group = api.group(chat_id=GROUP, members=[coordinator])
    kept, revoked = [await invite_link(api, coordinator, group) for _ in range(2)]

    await coordinator.send_command("/help", chat=group)
    await api.wait_for_message(GROUP, contains="/invites – the open invitations", timeout=20)
    await coordinator.send_command("/invites", chat=group)
    listing = await api.wait_for_message(GROUP, contains="Open invitations (2)", timeout=20)
    assert "t.me" not in listing.text and kept.split("join-")[1] not in listing.text
    assert len(listing.buttons) == 2

    # someone outside the coordinators forges the Revoke button's data from their own chat
    outsider = Person(api, api.private_user(first_name="Max"))
    await outsider.command("/help")
    help_message = await outsider.expect("help")
    data = listing.reply_markup["inline_keyboard"][1][0]["callback_data"]
    forged = api.forge_press(outsider.user, help_message, data)
    await api.wait_until(lambda: forged in api.callback_answers, timeout=20)
    assert api.callback_answers[forged].get("text") == t("card.not_allowed")

    second = listing.buttons[1]
    await coordinator.press(second, message=listing)
    await api.wait_until(lambda: "revoked by Dana" in listing.text, timeout=20)
    assert "Open invitations (1)" in listing.text and len(listing.buttons) == 1

    newcomer = Person(api, api.private_user(first_name="Robin"))
    await newcomer.command("/start", revoked.split("?start=", 1)[1])
    await newcomer.expect("invite.revoked")

    with sqlite3.connect(bot_workdir / "peerbot.sqlite3") as db:
        open_left = db.execute(
            "select count(*) from invites where revoked_at is null and used_at is null"
        ).fetchone()[0]
        audited = db.execute(
            "select count(*) from audit_events where action = 'invite.revoked'"
        ).fetchone()[0]
        refused = db.execute(
            "select count(*) from audit_events where action = 'coordinator_action.refused'"
        ).fetchone()[0]
        audit_text = " ".join(str(row) for row in db.execute("select * from audit_events"))
    assert (open_left, audited, refused) == (1, 1, 1)
    logged = (bot_workdir / "peerbot.log").read_text(errors="replace")
    for link in (kept, revoked):
        code = link.split("join-")[1]
        assert code not in audit_text and code not in logged, "links are never kept"
