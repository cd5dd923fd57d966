"""The person's country, chosen in the intake, is kept on their record and picks their crisis
lines afterwards; a newer answer in a conversation still under way comes first; /forget
forgets it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from peerbot.services.escalations import crisis
from peerbot.services.privacy import data_rights
from peerbot.storage import people
from tests.support.supporter_steps import Chat, context, request_support

NOW = datetime(2027, 3, 3, 15, 0, tzinfo=UTC)
ARGENTINA, OTHER = 6, 10  # press indexes of intake.yaml's country options
MADRID = 2  # the time zone option


async def participant(session_factory, country: object):
    chat = Chat(session_factory, 5001)
    await request_support(chat, NOW, {"country": country, "timezone": MADRID})
    async with session_factory() as session:
        return await people.find_by_telegram_id(session, 5001)


async def test_the_chosen_country_is_kept_and_picks_the_crisis_lines(engine, session_factory):
    person = await participant(session_factory, ARGENTINA)
    assert (person.country, person.time_zone) == ("AR", "Europe/Madrid")
    async with session_factory() as session:
        ctx = context(session, NOW)
        assert crisis.resources_key(ctx, person) == "crisis.resources.ar"
        assert crisis.resources_key(ctx, person, {"country": "PE"}) == "crisis.resources.pe"
        assert crisis.resources_key(ctx, None) == "crisis.resources"


@pytest.mark.parametrize("country", [OTHER, "skip"])
async def test_another_country_or_none_falls_back_to_the_time_zone(
    engine, session_factory, country
):
    person = await participant(session_factory, country)
    assert person.country is None
    async with session_factory() as session:
        assert crisis.resources_key(context(session, NOW), person) == "crisis.resources.es"


async def test_forgetting_a_person_forgets_their_country(engine, session_factory):
    person = await participant(session_factory, ARGENTINA)
    async with session_factory() as session, session.begin():
        person = await people.find_by_telegram_id(session, 5001)
        await data_rights.forget(context(session, NOW), person)
        assert person.country is None
