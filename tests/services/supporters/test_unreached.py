"""A /note can say "I tried, but could not reach them"; two in a row tell the coordinators,
once per streak."""

from __future__ import annotations

from datetime import timedelta

from peerbot.dialogs.inputs import Press
from peerbot.services.conversations.shown import Reply
from peerbot.services.supporters import contact_notes
from peerbot.storage.models import ContactNote, Person, SupportRequest
from tests.services.matching.test_matching import NOW, group_cards, introduced
from tests.support.supporter_steps import Chat, rows, texts_of

YESTERDAY = 1  # the index of "Yesterday" among the when-buttons


async def could_not_reach(supporter: Chat, when: int = 0) -> Reply:
    await supporter.call(NOW, contact_notes.start)
    await supporter.send(NOW, Press("reached", 1))
    return await supporter.send(NOW, Press("tried_when", when))


async def talked(supporter: Chat) -> Reply:
    await supporter.call(NOW, contact_notes.start)
    for step, value in (("reached", 0), ("when", 0), ("format", 1), ("duration", 1)):
        await supporter.send(NOW, Press(step, value))
    await supporter.answer(NOW, "topics", [3])
    await supporter.answer(NOW, "concerns", [0])
    return await supporter.answer(NOW, "details", "skip")


async def unreached_cards(sessions) -> list[str]:
    return [card for card in await group_cards(sessions) if "twice in a row" in card]


async def test_an_attempt_that_did_not_reach_them_asks_only_when(session_factory):
    robin, _ = await introduced(session_factory)

    await robin.call(NOW, contact_notes.start)
    asked = await robin.send(NOW, Press("reached", 1))
    saved = await robin.send(NOW, Press("tried_when", YESTERDAY))

    assert texts_of(asked)[-1] == "note.tried_when"
    assert texts_of(saved)[-1] == "note.saved_unreached"
    [note] = await rows(session_factory, ContactNote)
    assert note.reached is False
    assert note.contact_at == NOW - timedelta(days=1)
    assert (note.minutes, note.format, note.topics, note.concerns, note.note_enc) == (
        None,
        None,
        [],
        [],
        None,
    )


async def test_saved_unreached_promise_one_attempt_alone_tells_nobody_yet(session_factory):
    """note.saved_unreached: "If you cannot reach them the next time either, we will tell
    the coordinators" -- not before."""
    robin, _ = await introduced(session_factory)
    cards_before = await group_cards(session_factory)

    await could_not_reach(robin)

    assert await group_cards(session_factory) == cards_before, "no card for one attempt"


async def test_unreached_told_promise_the_second_in_a_row_posts_a_card(session_factory):
    """note.unreached_told: "...so we have told the coordinators"; the card names the
    request and the supporter's code, never the participant."""
    robin, _ = await introduced(session_factory)
    [request] = await rows(session_factory, SupportRequest)
    [supporter] = await rows(session_factory, Person, Person.telegram_user_id == 5001)

    await could_not_reach(robin)
    second = await could_not_reach(robin, YESTERDAY)

    assert texts_of(second)[-1] == "note.unreached_told"
    [card] = await unreached_cards(session_factory)
    assert card == (
        f"Request {request.code}: {supporter.pseudonym} has tried twice in a row to reach "
        "the participant and could not (last try: Yesterday)."
    )
    assert "Alex" not in card and "Robin" not in card


async def test_unreached_known_promise_a_third_attempt_posts_nothing_more(session_factory):
    """note.unreached_known: "The coordinators already know" -- told once per streak."""
    robin, _ = await introduced(session_factory)

    for _ in range(2):
        await could_not_reach(robin)
    third = await could_not_reach(robin)

    assert texts_of(third)[-1] == "note.unreached_known"
    assert len(await unreached_cards(session_factory)) == 1


async def test_a_real_contact_in_between_starts_a_new_streak(session_factory):
    robin, _ = await introduced(session_factory)

    await could_not_reach(robin)
    talked_reply = await talked(robin)
    after_talk = await could_not_reach(robin)
    assert texts_of(talked_reply)[-1] == "note.saved"
    assert texts_of(after_talk)[-1] == "note.saved_unreached"
    assert await unreached_cards(session_factory) == []

    told_again = await could_not_reach(robin)

    assert texts_of(told_again)[-1] == "note.unreached_told"
    assert len(await unreached_cards(session_factory)) == 1
    assert [note.reached for note in await rows(session_factory, ContactNote)].count(False) == 3
