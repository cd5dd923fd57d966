"""Shared steps of the case-thread stories (tests/e2e/test_case_threads.py, test_case_topics.py):
the coordinators' group in either mode, a person outside any flow, a crisis mid-intake."""

from __future__ import annotations

import sqlite3
import time

from tests.support.journeys import Person, catalog

GROUP = -1001234567890


def t(key: str, **values: object) -> str:
    return catalog().get(key, "en", **values)


def rows(workdir, query: str) -> list[tuple]:
    with sqlite3.connect(workdir / "peerbot.sqlite3") as db:
        return db.execute(query).fetchall()


def coordinators_group(api, *members, forum: bool = False):
    """The group, made before the bot starts (it looks at the group once, at start); a forum
    where the bot, an administrator, may manage topics."""
    if not forum:
        return api.group(chat_id=GROUP, members=list(members))
    return api.group(
        chat_id=GROUP,
        members=list(members),
        bot_status="administrator",
        forum=True,
        bot_rights={"can_manage_topics": True},
    )


async def participant_outside_any_flow(api, name: str = "Sam") -> Person:
    """Consented, then stopped the intake: nothing is in progress in their chat."""
    person = Person(api, api.private_user(first_name=name))
    await person.consent()
    await person.command("/cancel")
    await person.expect("engine.cancelled", after=person.last_pressed)
    return person


async def asked_who_for(api) -> tuple[Person, int]:
    """A person in the intake, asked who the support is for; and the id of that question."""
    person = Person(api, api.private_user(language_code="en"))
    await person.consent()
    await person.choose("intake.topics.anxiety")
    await person.expect("intake.who_for", after=person.last_pressed)
    return person, person.newest_id()


async def crisis_mid_intake(api):  # -> (Person, int, FakeMessage)
    """A person in the intake writes a crisis sentence: the questions pause, they are asked
    whether they are safe, the card reaches the group, and they answer "No". Returns them, the
    id of their newest message before the crisis, and the card."""
    person, mark = await asked_who_for(api)
    await person.say("I don't want to be alive anymore")
    asked = await person.expect("crisis.are_you_safe", after=mark)
    card = await api.wait_for_message(GROUP, contains="Safety flag – high", timeout=20)
    person.looks_at(asked)
    await person.press("crisis.safe.no")
    return person, mark, card


async def reaches_the_person(api, person, writing, contains: str):
    """What a coordinator writes (`writing`, sent when awaited here) reaches the person within
    2 s, headed as from the program's coordinators. Returns what was written and what came."""
    mark = person.newest_id()
    started = time.monotonic()
    said = await writing
    reached = await api.wait_for_message(person.chat_id, contains=contains, timeout=20, after=mark)
    assert time.monotonic() - started < 2.0
    assert reached.content.startswith(t("case.from_coordinators"))
    return said, reached


async def ignored_and_audited(api, workdir, person, writing) -> None:
    """What a non-coordinator writes in the group reaches no one; the refusal is audited."""
    mark = person.newest_id()
    await writing
    refused = "select count(*) from audit_events where action = 'coordinator_action.refused'"
    await api.wait_until(lambda: rows(workdir, refused)[0][0] == 1, timeout=20)
    assert person.newest_id() == mark
