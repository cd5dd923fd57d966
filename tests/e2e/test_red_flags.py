"""Red flags in free text: crisis resources in the same reply and a card for coordinators."""

from __future__ import annotations

import asyncio
from pathlib import Path

import peerbot
from tests.support.journeys import Person, catalog

GROUP = -1001234567890


async def test_crisis_sentence_mid_intake_gets_resources_and_a_card(api, start_bot):
    start_bot(coordinator_chat_id=str(GROUP))
    api.group(chat_id=GROUP)
    person = Person(api, api.private_user(language_code="en"))
    await person.consent()
    await person.expect("intake.topics")

    await person.say("i have my pills saved up and im going to take them all tonight")

    await person.expect_new("crisis.resources")
    await person.expect("redflag.coordinator_told")
    card = await api.wait_for_message(GROUP, contains="CRITICAL", timeout=20)
    assert "pills" not in card.text, "the card is redacted by default"


async def test_crisis_mid_intake_pauses_asks_if_safe_tells_the_group_and_resumes(api, start_bot):
    start_bot(coordinator_chat_id=str(GROUP))
    api.group(chat_id=GROUP)
    person = Person(api, api.private_user(language_code="en"))
    await person.consent()
    await person.choose("intake.topics.anxiety")
    await person.expect("intake.who_for", after=person.last_pressed)
    mark = person.newest_id()

    await person.say("I don't want to be alive anymore")

    await person.expect("crisis.heard", after=mark)
    await person.expect("redflag.coordinator_told", after=mark)
    asked = await person.expect("crisis.are_you_safe", after=mark)
    labels = {person.t(f"crisis.safe.{a}") for a in ("yes", "no", "unsure")}
    assert labels <= set(asked.buttons)
    card = await api.wait_for_message(GROUP, contains="Safety flag – high", timeout=20)
    await asyncio.sleep(1.5)  # nothing more is asked
    who_for = person.t("intake.who_for")
    assert sum(m.text.startswith(who_for) for m in api.messages(person.chat_id)) == 1
    person.looks_at(asked)

    await person.press("crisis.safe.no")

    said = person.t("card.safety.no")
    answer = await api.wait_for_message(GROUP, contains=said, after=card.message_id, timeout=20)
    assert answer.reply_to is not None and answer.reply_to.message_id == card.message_id
    assert "CRITICAL" in answer.text.splitlines()[0], "headed with the new severity"
    await api.wait_until(lambda: "CRITICAL" in card.text and said in card.text, timeout=20)
    await person.expect("crisis.coordinators_will_write", after=mark)

    await person.press("crisis.resume.go")

    await person.expect("resume.continue", after=person.last_pressed)
    await api.wait_until(
        lambda: sum(m.text.startswith(who_for) for m in api.messages(person.chat_id)) == 2,
        timeout=20,
    )
    await person.press("intake.who_for.self")
    await person.expect("intake.support_kind", after=person.last_pressed)


async def test_the_screener_follows_when_the_program_turns_it_on(api, start_bot, tmp_path):
    program = tmp_path / "program"
    program.mkdir()
    (program / "program.yaml").write_text("crisis:\n  screen: cssrs\n", encoding="utf-8")
    start_bot(coordinator_chat_id=str(GROUP), program_dir=str(program))
    api.group(chat_id=GROUP)
    person = Person(api, api.private_user(language_code="es"), locale="es")
    await person.consent()
    await person.expect("intake.topics")
    mark = person.newest_id()

    await person.say("ya no quiero seguir viviendo")
    await person.press("crisis.safe.yes")
    await person.expect("cssrs.q1", after=mark)
    await person.press("cssrs.yes")
    await person.press("cssrs.yes")  # q2: thoughts of killing themselves
    await person.press("cssrs.yes")  # q3: how
    await person.press("cssrs.yes")  # q4: some intention
    await person.press("engine.skip")  # q5
    await person.press("cssrs.no")  # q6

    await person.expect("cssrs.thanks", after=mark)
    await person.expect("crisis.resume.offer", after=mark)
    high_risk = catalog().get("card.cssrs.risk.high", "en")  # the coordinators' language
    await api.wait_for_message(GROUP, contains=high_risk, timeout=20)
    await api.wait_for_message(
        GROUP, predicate=lambda m: "CRITICAL" in m.text and high_risk in m.text, timeout=20
    )


async def test_crisis_sentence_outside_any_flow_in_spanish(api, start_bot):
    start_bot(coordinator_chat_id=str(GROUP))
    api.group(chat_id=GROUP)
    person = Person(api, api.private_user(language_code="es"), locale="es")
    await person.say("ya no aguanto más, quiero acabar con todo")
    await person.expect("crisis.resources")
    await api.wait_for_message(GROUP, contains="thoughts of suicide", timeout=20)
    texts = [m.text for m in api.messages(person.chat_id)]
    assert not any(person.t("not_understood") in text for text in texts)


async def test_everyday_message_is_not_flagged(api, start_bot):
    start_bot(coordinator_chat_id=str(GROUP))
    api.group(chat_id=GROUP)
    person = Person(api, api.private_user(language_code="en"))
    await person.say("this traffic is killing me, sorry I am late")
    await person.expect("case.start_first")  # no record yet: nothing is kept or passed on
    assert api.messages(GROUP) == []


async def test_bot_killed_before_the_card_was_delivered_sends_exactly_one_after_restart(
    api, start_bot, bot_workdir
):
    bot = start_bot(coordinator_chat_id=str(GROUP))
    api.group(chat_id=GROUP)
    person = Person(api, api.private_user(language_code="en"))
    api.fail_for(3600, status=502, methods=["sendMessage"])  # Telegram cannot take messages

    await person.say("I have the rope ready and I am going to do it tonight")
    await api.wait_for_updates_consumed(timeout=20)
    await api.wait_until(
        lambda: any(str(r.params.get("chat_id")) == str(GROUP) for r in api.calls("sendMessage")),
        timeout=20,
    )  # the card's row is committed and the sender has tried it at least once
    bot.kill()
    await asyncio.sleep(1)  # a send the dead process had on the wire still meets the outage
    api.reset_failures()

    start_bot(coordinator_chat_id=str(GROUP))
    # a row the killed bot was sending stays leased for up to 30 s, then is sent again
    await api.wait_for_message(GROUP, contains="CRITICAL", timeout=60)
    person.timeout = 60
    await person.expect("crisis.resources")
    await api.wait_for_updates_consumed(timeout=20)
    await api.wait_until(lambda: len(api.messages(GROUP)) >= 1, timeout=5)
    await asyncio.sleep(1.5)  # room for a duplicate to show up
    assert len([m for m in api.messages(GROUP) if "CRITICAL" in m.text]) == 1
    resources = person.t("crisis.resources").splitlines()[0]
    assert sum(resources in m.text for m in api.messages(person.chat_id)) == 1


async def test_a_flow_that_pauses_after_an_urgent_flag_stops_asking_until_start(
    api, start_bot, tmp_path
):
    program = tmp_path / "program"
    (program / "flows").mkdir(parents=True)
    builtin = Path(peerbot.__file__).parent / "dialogs" / "flows" / "intake.yaml"
    (program / "flows" / "intake.yaml").write_text(
        "on_red_flag: pause\n" + builtin.read_text(encoding="utf-8"), encoding="utf-8"
    )
    start_bot(program_dir=str(program))
    person = Person(api, api.private_user(language_code="en"))
    await person.consent()
    await person.intake_until_safety()
    await person.press("intake.safety.yes")

    await person.expect("redflag.paused")
    await asyncio.sleep(1.5)  # nothing more is asked
    followup = person.t("intake.safety_followup").splitlines()[0]
    assert not any(followup in m.text for m in api.messages(person.chat_id))

    await person.command("/start")
    await person.expect("resume.continue")
    await api.wait_for_message(person.chat_id, contains=followup, timeout=20)
