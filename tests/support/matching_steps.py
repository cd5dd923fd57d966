"""Steps of matching stories over the fake Bot API: invites, supporters joining, training
confirmed, and the proposal cards in the coordinators' group."""

from __future__ import annotations

from tests.support.journeys import Person, catalog

GROUP = -1001234567890


def t(key: str, **values: object) -> str:
    return catalog().get(key, "en", **values)


async def invite_link(api, coordinator, group) -> str:
    before = max((m.message_id for m in api.messages(GROUP)), default=0)
    await coordinator.send_command("/invite", chat=group)
    posted = await api.wait_for_message(
        GROUP, predicate=lambda m: m.message_id > before and "https://t.me/" in m.text, timeout=20
    )
    return next(word for word in posted.text.split() if word.startswith("https://t.me/"))


async def supporter_joins(
    api, link: str, *, name, username=None, topics=(), locale: str = "en", languages=("en",)
) -> Person:
    """A supporter opens the invite from a Telegram app in ``locale`` and fills the profile
    (speaking ``languages``)."""
    user = api.private_user(first_name=name, username=username, language_code=locale)
    supporter = Person(api, user, locale=locale)
    await supporter.command("/start", link.split("?start=", 1)[1])
    await supporter.fill_supporter_profile(*topics, languages=languages)
    await supporter.expect("supporter.joined", after=supporter.last_pressed, when="")
    return supporter


async def confirm_every_training(api, coordinator, count: int) -> None:
    for _ in range(count):
        card = await api.wait_for_message(
            GROUP,
            predicate=lambda m: (
                "New peer supporter" in m.text and t("card.confirm_training") in m.buttons
            ),
            timeout=20,
        )
        await coordinator.press(t("card.confirm_training"), message=card)
        await api.wait_until(lambda card=card: "Training confirmed" in card.text, timeout=20)


async def proposal_after(api, message_id: int):
    return await api.wait_for_message(
        GROUP,
        predicate=lambda m: m.message_id > message_id and m.text.startswith("Proposed supporters"),
        timeout=30,
    )


async def note_a_talk(supporter: Person, details: str | None = None) -> None:
    """/note about a text chat today about grief, no concerns; saved."""
    await supporter.command("/note")
    await supporter.press("note.reached.yes")
    await supporter.press("note.when.today")
    await supporter.press("intake.channels.text")
    await supporter.press("note.duration.under_15")
    await supporter.choose("intake.topics.grief")
    await supporter.choose("note.concerns.none")
    await supporter.type_or_skip("note.details", details)
    await supporter.expect("note.saved", after=supporter.last_pressed)
