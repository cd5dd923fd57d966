"""Coordinators claim and resolve escalations from their group; nobody else can."""

from __future__ import annotations

import sqlite3

from tests.support.journeys import Person, catalog

GROUP = -1001234567890


def t(key: str, **values: object) -> str:
    return catalog().get(key, "en", **values)


async def test_claim_resolve_note_and_a_forged_claim_refused(api, start_bot, bot_workdir):
    start_bot(coordinator_chat_id=str(GROUP))
    coordinator = api.private_user(first_name="Dana")
    group = api.group(chat_id=GROUP, members=[coordinator])
    participant = Person(api, api.private_user(first_name="Sam"))

    await participant.say("I want to kill myself tonight")
    card = await api.wait_for_message(GROUP, contains="CRITICAL", timeout=20)
    claim_data = card.reply_markup["inline_keyboard"][0][0]["callback_data"]
    assert claim_data.startswith("esc:")

    # a participant forges the Claim button's data from their own chat
    resources = await participant.expect("crisis.resources")
    forged = api.forge_press(participant.user, resources, claim_data)
    await api.wait_until(lambda: forged in api.callback_answers, timeout=20)
    assert api.callback_answers[forged].get("text") == t("card.not_allowed")

    await api.wait_until(lambda: "Claim" in api.messages(GROUP)[0].buttons, timeout=5)
    await coordinator.press(t("card.claim"), message=card)
    await api.wait_for_message(GROUP, predicate=lambda m: "Claimed by Dana" in m.text, timeout=20)

    await coordinator.send_command("/open", chat=group)
    listing = await api.wait_for_message(GROUP, contains=t("card.open_heading"), timeout=20)
    assert "claimed by Dana" in listing.text

    await coordinator.press(t("card.resolve"), message=card)
    await api.wait_until(lambda: t("outcome.contacted") in card.buttons, timeout=20)
    await coordinator.press(t("outcome.contacted"), message=card)
    await api.wait_for_message(GROUP, predicate=lambda m: "Resolved by Dana" in m.text, timeout=20)
    prompt = await api.wait_for_message(GROUP, contains="reply to this message", timeout=20)
    await coordinator.send_text(
        "Called her; she is with family tonight.", chat=group, reply_to=prompt
    )
    await api.wait_for_message(GROUP, contains="Note saved", timeout=20)

    await coordinator.send_command("/open", chat=group)
    await api.wait_for_message(GROUP, contains=t("card.open_none"), timeout=20)

    with sqlite3.connect(bot_workdir / "peerbot.sqlite3") as db:
        status, resolution = db.execute("select status, resolution from escalations").fetchone()
        events = [row[0] for row in db.execute("select kind from escalation_events order by id")]
        refused = db.execute(
            "select count(*) from audit_events where action = 'coordinator_action.refused'"
        ).fetchone()[0]
        notes = [row[0] for row in db.execute("select note_enc from escalation_events")]
    assert (status, resolution) == ("resolved", "contacted")
    assert events == ["raised", "claimed", "resolved", "note"]
    assert refused == 1
    group_menu = api.commands.get((f"chat:{GROUP}", ""), [])
    assert [c["command"] for c in group_menu] == [
        "open",
        "case",
        "close",
        "supporters",
        "match",
        "release",
        "deactivate",
        "invite",
        "invites",
        "stats",
        "audit",
        "help",
    ]
    assert not any(note and "family" in note for note in notes), "notes are encrypted at rest"
