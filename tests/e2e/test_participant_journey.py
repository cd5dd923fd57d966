"""A participant's whole journey over the fake Bot API, as a person on a phone would take it."""

from __future__ import annotations

from tests.support.journeys import Person


async def test_consent_and_intake_in_english(api, start_bot):
    start_bot(coordinator_chat_id="-1001234567890")
    coordinators = api.group(chat_id=-1001234567890)
    person = Person(api, api.private_user(language_code="en"))
    await person.consent()
    await person.intake(anything_else="I would like to talk to someone on weekday evenings.")
    card = await api.wait_for_message(coordinators.id, contains="R-", timeout=20)
    assert "Anxiety" in card.text or "anxiety" in card.text.lower()
