"""Over real HTTP: an offer shows only what triage needs, the participant's words come with
the introduction, and a Telegram name goes to the other side only after its owner said yes."""

from __future__ import annotations

from tests.support.journeys import Person
from tests.support.matching_steps import (
    GROUP,
    confirm_every_training,
    invite_link,
    proposal_after,
    supporter_joins,
)

WORDS = "Since the flood took our farm the nights are long."


def everything_shown(api, chat_id: int) -> str:
    """Every text and button label the bot has put in a chat."""
    return "\n".join(
        "\n".join([message.text, *message.buttons]) for message in api.messages(chat_id)
    )


async def test_names_are_given_only_on_a_yes_and_words_only_after_accepting(
    api, start_bot, bot_workdir
):
    start_bot(coordinator_chat_id=str(GROUP))
    coordinator = api.private_user(first_name="Dana")
    group = api.group(chat_id=GROUP, members=[coordinator])
    link = await invite_link(api, coordinator, group)
    robin = await supporter_joins(api, link, name="Robin", username="robin_s")
    await confirm_every_training(api, coordinator, 1)
    alex = Person(api, api.private_user(first_name="Alex", username="alex_k"))
    await alex.consent(share=True)
    await alex.intake_until_safety()
    await alex.press("intake.safety.no")
    await alex.finish_intake(anything_else=WORDS)

    card = await proposal_after(api, 0)
    await coordinator.press("Approve 1", message=card)
    offer = await robin.expect("offer.text", after=robin.last_pressed, summary="", hours=48)
    assert "Languages: English" in offer.text
    assert WORDS not in offer.text and "alex_k" not in offer.text and "@" not in offer.text

    await robin.press("offer.accept")
    await robin.expect("intro.words", after=robin.last_pressed, words=WORDS)
    await robin.press("intro.name.yes")
    await robin.expect("intro.name_shared", after=robin.last_pressed - 1)
    await alex.expect("intro.write_to", link="https://t.me/robin_s")

    await alex.press("intro.name.no")
    await alex.expect("intro.name_kept", after=alex.last_pressed - 1)
    await alex.press("contact.how.coordinators")
    await alex.expect("contact.coordinators", after=alex.last_pressed)
    await api.wait_for_message(GROUP, contains="please arrange the first contact", timeout=20)
    await robin.expect("intro.contact_pending")

    assert "alex_k" not in everything_shown(api, robin.chat_id), "Alex said no"
    assert "https://t.me/robin_s" in everything_shown(api, alex.chat_id), "Robin said yes"
    logged = (bot_workdir / "peerbot.log").read_text(errors="replace")
    assert "alex_k" not in logged and "robin_s" not in logged and WORDS not in logged
