"""Over real HTTP, people in English and Spanish: a coordinator ends or reassigns a match from
its card; releases a supporter with two participants; a supporter's /forget and a break over
the limit hand their participants over; a press by someone who is no coordinator is refused."""

from __future__ import annotations

import re
import sqlite3
from datetime import UTC, datetime, timedelta

import pytest

from tests.support.journeys import Person, catalog
from tests.support.matching_steps import GROUP, confirm_every_training, invite_link, proposal_after

CARD_CODE = re.compile(r"^(\S+) accepted request (R-[0-9A-Z]+)")


def t(key: str, **values: object) -> str:
    return catalog().get(key, "en", **values)


class Program:
    """A coordinator in the group, and ways to bring in supporters and participants."""

    def __init__(self, api, start_bot, locale: str) -> None:
        self.bot = start_bot(coordinator_chat_id=str(GROUP))
        self.api = api
        self.locale = locale
        self.coordinator = api.private_user(first_name="Dana")
        self.group = api.group(chat_id=GROUP, members=[self.coordinator])
        self.trained = 0

    async def supporter(self, name: str) -> Person:
        link = await invite_link(self.api, self.coordinator, self.group)
        user = self.api.private_user(first_name=name, language_code=self.locale)
        supporter = Person(self.api, user, locale=self.locale)
        await supporter.command("/start", link.split("?start=", 1)[1])
        await supporter.fill_supporter_profile(languages=("en", "es"))
        await supporter.expect("supporter.joined", after=supporter.last_pressed, when="")
        self.trained += 1
        await confirm_every_training(self.api, self.coordinator, 1)
        return supporter

    async def participant(self, name: str) -> tuple[Person, object]:
        """A participant whose intake is confirmed; returns them and their proposal card."""
        before = max((m.message_id for m in self.api.messages(GROUP)), default=0)
        user = self.api.private_user(first_name=name, language_code=self.locale)
        person = Person(self.api, user, locale=self.locale)
        await person.consent()
        await person.intake()
        return person, await proposal_after(self.api, before)

    async def matched(self, name: str, supporter: Person) -> tuple[Person, object]:
        """A participant approved for, offered to and accepted by the supporter; returns them
        and the "accepted" card, which carries End match and Reassign."""
        participant, card = await self.participant(name)
        await self.coordinator.press("Approve 1", message=card)
        await supporter.press("offer.accept")
        await supporter.expect("intro.tips", after=supporter.last_pressed)
        accepted = await self.api.wait_for_message(
            GROUP,
            predicate=lambda m: CARD_CODE.match(m.text) and t("match_action.end") in m.buttons,
            timeout=20,
            after=card.message_id,
        )
        return participant, accepted

    async def press_and_confirm(self, label: str, card, confirm: str):
        """Press a card's button, then the confirmation's; return the confirmation message."""
        before = max(m.message_id for m in self.api.messages(GROUP))
        await self.coordinator.press(label, message=card)
        asked = await self.api.wait_for_message(
            GROUP, predicate=lambda m: confirm in m.buttons, timeout=20, after=before
        )
        await self.coordinator.press(confirm, message=asked)
        return asked

    def db(self, query: str, *values: object) -> list[tuple]:
        with sqlite3.connect(self.bot.workdir / "peerbot.sqlite3") as db:
            return db.execute(query, values).fetchall()


async def supporters_list(program: Program) -> str:
    before = max(m.message_id for m in program.api.messages(GROUP))
    await program.coordinator.send_command("/supporters", chat=program.group)
    listed = await program.api.wait_for_message(
        GROUP, contains="supporters", timeout=20, after=before
    )
    return listed.text


@pytest.mark.parametrize("locale", ["en", "es"])
async def test_a_coordinator_ends_a_match_both_are_told_and_the_card_is_stamped(
    api, start_bot, locale
):
    program = Program(api, start_bot, locale)
    robin = await program.supporter("Robin")
    alex, card = await program.matched("Alex", robin)

    # "No, keep it" changes nothing
    before = max(m.message_id for m in api.messages(GROUP))
    await program.coordinator.press(t("match_action.end"), message=card)
    asked = await api.wait_for_message(
        GROUP, predicate=lambda m: t("match_action.keep") in m.buttons, timeout=20, after=before
    )
    await program.coordinator.press(t("match_action.keep"), message=asked)
    await api.wait_until(lambda: asked.text.startswith("Kept: nothing was changed"), timeout=20)
    assert program.db("select status from matches") == [("accepted",)]

    # "Yes, end it": both told in words for their side, the confirmation stamped
    confirmation = await program.press_and_confirm(
        t("match_action.end"), card, t("match_action.end_yes")
    )
    await api.wait_until(lambda: confirmation.text.startswith("Ended by Dana at"), timeout=20)
    await alex.expect("match_action.told_participant", name="Robin")
    await robin.expect("match_action.told_supporter", name="Alex")
    await api.wait_for_message(GROUP, contains="has ended (ended by a coordinator)", timeout=20)
    assert program.db("select status, end_reason from matches") == [
        ("ended", "ended_by_coordinator")
    ]
    assert program.db(
        "select count(*) from audit_events where action = 'match.ended_by_coordinator'"
    ) == [(1,)]

    # the same confirmation pressed again: kindly, nothing changes
    await program.coordinator.press(t("match_action.end"), message=card)
    await api.wait_until(lambda: card.text == t("match_action.stale"), timeout=20)
    assert program.db(
        "select count(*) from audit_events where action = 'match.ended_by_coordinator'"
    ) == [(1,)]


@pytest.mark.parametrize("locale", ["en", "es"])
async def test_a_reassigned_request_goes_to_someone_new_never_the_old_supporter(
    api, start_bot, locale
):
    program = Program(api, start_bot, locale)
    robin = await program.supporter("Robin")
    alex, card = await program.matched("Alex", robin)
    robin_code = CARD_CODE.match(card.text).group(1)
    sam = await program.supporter("Sam")

    before = max(m.message_id for m in api.messages(GROUP))
    confirmation = await program.press_and_confirm(
        t("match_action.reassign"), card, t("match_action.reassign_yes")
    )
    await api.wait_until(lambda: confirmation.text.startswith("Reassigned by Dana"), timeout=20)
    await alex.expect("match_action.reassigned_participant", name="Robin")
    await robin.expect("match_action.reassigned_supporter", name="Alex")
    proposal = await proposal_after(api, before)
    assert robin_code not in proposal.text and "Approve 2" not in proposal.buttons

    seen = alex.newest_id()
    await program.coordinator.press("Approve 1", message=proposal)
    await sam.press("offer.accept")
    await sam.expect("intro.tips", after=sam.last_pressed)
    await api.wait_for_message(alex.chat_id, contains="Sam", timeout=20, after=seen)
    rows = program.db("select status, end_reason from matches order by id")
    assert ("ended", "reassigned") in rows and ("accepted", None) in rows


@pytest.mark.parametrize("locale", ["en", "es"])
async def test_releasing_a_supporter_hands_both_participants_over_and_thanks_them(
    api, start_bot, locale
):
    program = Program(api, start_bot, locale)
    robin = await program.supporter("Robin")
    alex, card = await program.matched("Alex", robin)
    kim, _ = await program.matched("Kim", robin)
    robin_code = CARD_CODE.match(card.text).group(1)
    await program.supporter("Sam")
    [sam_code] = [
        line.split()[0]
        for line in (await supporters_list(program)).splitlines()[1:]
        if " · " in line and not line.startswith(robin_code)
    ]

    before = max(m.message_id for m in api.messages(GROUP))
    await program.coordinator.send_command(
        "/release", f"{robin_code} moving abroad", chat=program.group
    )
    asked = await api.wait_for_message(
        GROUP, predicate=lambda m: t("departure.yes_released") in m.buttons, timeout=20
    )
    assert "(2)" in asked.text and "moving abroad" in asked.text
    await program.coordinator.press(t("departure.yes_released"), message=asked)
    await api.wait_until(lambda: asked.text.startswith("Released by Dana"), timeout=20)

    await alex.expect("handover.told_participant")
    await kim.expect("handover.told_participant")
    await robin.expect("handover.released")
    assert not any("moving abroad" in m.text for m in api.messages(robin.chat_id))
    listed = await api.wait_for_message(
        GROUP, contains="was released. Their participants", timeout=20, after=before
    )
    assert listed.text.count("R-") == 2

    def proposals() -> list:
        return [
            m
            for m in api.messages(GROUP)
            if m.message_id > before and m.text.startswith("Proposed supporters")
        ]

    await api.wait_until(lambda: len(proposals()) == 2, timeout=30)
    assert all(robin_code not in m.text and sam_code in m.text for m in proposals())
    assert program.db(
        "select p.status from supporter_profiles p join people on people.id = p.person_id"
        " where people.pseudonym = ?",
        robin_code,
    ) == [("inactive",)]
    ended = program.db("select end_reason from matches where status = 'ended'")
    assert ended == [("supporter_released",), ("supporter_released",)]


@pytest.mark.parametrize("locale", ["en", "es"])
async def test_a_supporter_who_forgets_has_their_participant_handed_over(api, start_bot, locale):
    program = Program(api, start_bot, locale)
    robin = await program.supporter("Robin")
    alex, card = await program.matched("Alex", robin)

    await robin.command("/forget")
    await robin.press("forget.yes")
    await robin.expect("forget.done", after=robin.last_pressed)

    await alex.expect("handover.told_participant")
    await api.wait_for_message(GROUP, contains="erased their data", timeout=20)
    assert program.db("select end_reason from matches where status = 'ended'") == [
        ("supporter_erased",)
    ]
    assert program.db("select status from support_requests") == [("matching",)]


@pytest.mark.parametrize("locale", ["en", "es"])
async def test_a_break_over_the_limit_hands_the_participants_over_once(api, start_bot, locale):
    program = Program(api, start_bot, locale)
    robin = await program.supporter("Robin")
    alex, card = await program.matched("Alex", robin)
    await robin.command("/pause")
    await robin.expect("supporter.pause.started", after=robin.last_pressed)

    # 22 days on, at 17:00 UTC (not in anyone's quiet hours), and again two days later
    later = (datetime.now(UTC) + timedelta(days=22)).replace(hour=17, minute=0)
    for at in (later, later + timedelta(days=2)):
        done = await program.bot.command("checkins", "run-due", "--at", at.isoformat())
        assert done.returncode == 0, done.stderr

    await robin.expect("handover.after_break")
    await alex.expect("handover.told_participant")
    await api.wait_for_message(GROUP, contains="on a break for over 21 days", timeout=20)
    assert program.db("select end_reason from matches where status = 'ended'") == [
        ("supporter_break",)
    ]
    told = [m for m in api.messages(robin.chat_id) if m.text == robin.t("handover.after_break")]
    cards = [m for m in api.messages(GROUP) if "on a break for over" in m.text]
    assert len(told) == 1 and len(cards) == 1, "handed over once"


async def test_a_match_button_pressed_by_someone_who_is_no_coordinator_is_refused(api, start_bot):
    program = Program(api, start_bot, "en")
    robin = await program.supporter("Robin")
    alex, card = await program.matched("Alex", robin)
    end_data = card.reply_markup["inline_keyboard"][0][0]["callback_data"]
    assert end_data.startswith("ke:")

    mine = await robin.expect("intro.tips")
    forged = api.forge_press(robin.user, mine, end_data.replace(":end", ":end_yes"))
    await api.wait_until(lambda: forged in api.callback_answers, timeout=20)

    assert api.callback_answers[forged].get("text") == t("card.not_allowed")
    assert program.db("select status from matches") == [("accepted",)]
    refused = program.db(
        "select count(*) from audit_events where action = 'coordinator_action.refused'"
    )
    assert refused == [(1,)]
