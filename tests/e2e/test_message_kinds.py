"""Everything a person sends is read: captions, command arguments, edits and forwards are
screened; voice notes, stickers and the like get a kind answer with the crisis resources."""

from __future__ import annotations

import asyncio

import pytest

from peerbot.emulator.fake_telegram import FakeBotApi
from tests.support.journeys import first_contact

GROUP = -1001234567890
CRISIS = {
    "en": "i have my pills saved up and im going to take them all tonight",
    "es": "ya no aguanto más, quiero acabar con todo",
}


def cards(api: FakeBotApi, contains: str = "Safety flag") -> list[str]:
    return [m.text or "" for m in api.messages(GROUP) if contains in (m.text or "")]


@pytest.mark.parametrize("locale", ["en", "es"])
async def test_crisis_words_in_a_caption_a_command_or_a_forward_escalate(api, start_bot, locale):
    person = first_contact(api, start_bot, GROUP, locale)

    await person.user.send_media("photo", caption=CRISIS[locale])
    await person.expect("crisis.resources")
    await person.expect("unreadable.photo")
    await api.wait_until(lambda: len(cards(api)) == 1, timeout=20)

    await person.command("help", CRISIS[locale])
    await person.expect_new("help")
    await api.wait_until(lambda: len(cards(api)) == 2, timeout=20)

    await person.user.forward_text(CRISIS[locale])
    await person.expect_new("crisis.resources")
    forwarded = await api.wait_for_message(GROUP, contains="Forwarded", timeout=20)
    assert "Safety flag" in (forwarded.text or "")
    assert CRISIS[locale] not in (forwarded.text or ""), "the card is redacted by default"
    assert len(cards(api)) == 3


@pytest.mark.parametrize(
    ("locale", "kind"), [("en", "voice"), ("es", "voice"), ("en", "sticker"), ("es", "sticker")]
)
async def test_what_the_bot_cannot_read_gets_a_kind_answer_and_the_crisis_resources(
    api, start_bot, locale, kind
):
    person = first_contact(api, start_bot, GROUP, locale)

    await person.user.send_media(kind)

    await person.expect(f"unreadable.{kind}")
    await person.expect("crisis.resources")
    await api.wait_for_updates_consumed(timeout=20)
    assert api.messages(GROUP) == [], "no open case: the coordinators are not told"


async def test_voice_note_from_someone_with_an_open_case_tells_the_coordinators(api, start_bot):
    person = first_contact(api, start_bot, GROUP)
    await person.consent()
    await person.expect("intake.topics")
    await person.say(CRISIS["en"])  # an open escalation: an open case
    await api.wait_until(lambda: len(cards(api)) == 1, timeout=20)

    await person.user.send_media("voice")

    await person.expect("unreadable.voice")
    note = await api.wait_for_message(GROUP, contains="voice note", timeout=20)
    assert "cannot read" in (note.text or "")


@pytest.mark.parametrize("locale", ["en", "es"])
async def test_an_edit_is_screened_once_and_never_answers_a_question(api, start_bot, locale):
    person = first_contact(api, start_bot, GROUP, locale)
    await person.consent()
    await person.expect("intake.topics")
    sent = await person.user.send_text("hello")
    await person.expect_new("intake.topics")  # typed where a button was asked: asked again
    questions = len([m for m in api.messages(person.chat_id) if m.buttons])

    await person.user.edit_text(sent, CRISIS[locale])
    await person.expect_new("crisis.resources")
    await api.wait_until(lambda: len(cards(api)) == 1, timeout=20)
    await person.user.edit_text(sent, CRISIS[locale] + "!")  # edited again: no second card
    await api.wait_for_updates_consumed(timeout=20)
    await asyncio.sleep(1.0)  # room for a second card or a moved conversation to show up

    assert len(cards(api)) == 1
    assert len([m for m in api.messages(person.chat_id) if m.buttons]) == questions, (
        "an edit is not an answer: no question was asked or moved on"
    )
