"""Which crisis resources a person is given: their country's, else their time zone's, else the
general ones (program.yaml crisis)."""

from __future__ import annotations

from collections.abc import Mapping

from peerbot.program import ProgramData
from peerbot.services.common.context import ServiceContext
from peerbot.storage.models import Person

COUNTRY_ANSWER = "country"
TIME_ZONE_ANSWER = "timezone"


def resources_key(
    ctx: ServiceContext, person: Person | None, answers: Mapping[str, object] | None = None
) -> str:
    """The text key of the crisis resources for where the person is, as far as we know.

    Answers given in a conversation still under way (the intake's country and time zone)
    come before what the person's record holds.
    """
    return resources_key_of(ctx.program, person, answers)


def resources_key_of(
    program: ProgramData, person: Person | None, answers: Mapping[str, object] | None = None
) -> str:
    """As resources_key, from the program data alone (for /help, which has no service call)."""
    answers = answers or {}
    country = _text(answers.get(COUNTRY_ANSWER)) or (person.country if person else None)
    time_zone = _text(answers.get(TIME_ZONE_ANSWER)) or (person.time_zone if person else None)
    return program.policy.crisis.resources_key(time_zone, program.texts.has, country=country)


def adopt_country(person: Person, answer: object) -> None:
    """Remember the country the person chose (a two-letter code); "other" forgets it."""
    code = _text(answer)
    if code is not None and len(code) == 2 and code.isalpha() and code.isupper():
        person.country = code
    elif code is not None:
        person.country = None


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
