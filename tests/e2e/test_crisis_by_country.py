"""Crisis lines by country: someone who chose Argentina in the intake gets Argentina's lines,
not Spain's, though their time zone is Madrid's: at the safety question, when they write a
crisis sentence later, and in /help."""

from __future__ import annotations

import pytest

from tests.support.journeys import first_contact

# Replies and /help take the person's block from services/escalations/crisis.py through the
# screening service (services/escalations/safety.py); until that lands they give the time
# zone's or the general one.
pytest.importorskip("peerbot.services.escalations.safety")

GROUP = -1001234567890


async def test_a_participant_in_argentina_gets_argentinas_crisis_lines(api, start_bot):
    person = first_contact(api, start_bot, GROUP, "es")
    argentina = person.t("crisis.resources.ar").splitlines()[2]  # "• Centro de Asistencia…"
    spain = person.t("crisis.resources.es").splitlines()[2]

    await person.consent()
    await person.intake_until_safety(country="ar")  # and the Madrid time zone
    after = person.newest_id()
    await person.press("intake.safety.yes")
    reply = await api.wait_for_message(person.chat_id, contains=argentina, after=after, timeout=20)
    assert spain not in reply.text
    await person.press("common.continue")
    # held for a coordinator (a "yes" to the safety question): requests.held_received
    await person.finish_intake(received="requests.held_received")

    for sends in (lambda: person.say("ya no aguanto más, quiero acabar con todo"),
                  lambda: person.command("/help")):  # fmt: skip
        after = person.newest_id()
        await sends()
        reply = await api.wait_for_message(
            person.chat_id, contains=argentina, after=after, timeout=20
        )
        assert spain not in reply.text
