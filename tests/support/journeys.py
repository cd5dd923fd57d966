"""Scripted people for end-to-end stories: press buttons by their visible text, in any locale."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from peerbot.dialogs.texts import TextCatalog
from peerbot.program import load_program


@cache
def catalog() -> TextCatalog:
    return load_program().texts


def first_contact(
    api: object,
    start_bot: Callable[..., object],
    group: int | None = None,
    locale: str = "en",
    **settings: str,
) -> Person:
    """Start the bot (with ``group`` as the coordinators' group, when given), and return a
    person about to write to it for the first time, from a Telegram app in ``locale``."""
    if group is None:
        start_bot(**settings)
    else:
        start_bot(coordinator_chat_id=str(group), **settings)
        api.group(chat_id=group)  # type: ignore[attr-defined]
    user = api.private_user(language_code=locale)  # type: ignore[attr-defined]
    return Person(api, user, locale=locale)


@dataclass
class Person:
    """A fake Telegram user who reads the bot's texts in their locale."""

    api: object
    user: object
    locale: str = "en"
    timeout: float = 20.0
    last_pressed: int = 0

    def t(self, key: str, **values: object) -> str:
        return catalog().get(key, self.locale, **values)

    @property
    def chat_id(self) -> int:
        return self.user.chat_id  # type: ignore[attr-defined]

    async def press(self, key: str, *, same_message: bool = False) -> None:
        """Wait for a button with this label, then press it, as a person taps what they see.

        A new question comes as a new message; a multi-choice question keeps its message
        (same_message) while buttons are toggled.
        """
        await self.press_label(self.t(key), same_message=same_message)

    async def press_label(self, label: str, *, same_message: bool = False) -> None:
        """Press a button by its label as shown (e.g. a number on a scale)."""
        after = self.last_pressed - 1 if same_message else self.last_pressed
        message = await self.api.wait_for_message(  # type: ignore[attr-defined]
            self.chat_id,
            predicate=lambda m: label in m.buttons,
            timeout=self.timeout,
            after=after,
        )
        self.last_pressed = message.message_id  # type: ignore[attr-defined]
        await self.user.press(label, message=message)  # type: ignore[attr-defined]

    def newest_id(self) -> int:
        """Id of the bot's newest message in the chat (0 if none): pass it as `after`."""
        messages = self.api.messages(self.chat_id)  # type: ignore[attr-defined]
        return messages[-1].message_id if messages else 0

    async def expect(self, key: str, *, after: int = 0, **values: object) -> object:
        """Wait until the bot has sent the text with this key (its first line is enough),
        in a message newer than `after`."""
        first_line = self.t(key, **values).splitlines()[0]
        return await self.api.wait_for_message(  # type: ignore[attr-defined]
            self.chat_id, contains=first_line, timeout=self.timeout, after=after
        )

    async def expect_new(self, key: str, **values: object) -> object:
        """Like expect, but only a message after the newest one already there."""
        return await self.expect(key, after=self.newest_id(), **values)

    async def say(self, text: str) -> None:
        await self.user.send_text(text)  # type: ignore[attr-defined]

    async def command(self, command: str, args: str = "") -> None:
        await self.user.send_command(command, args)  # type: ignore[attr-defined]

    async def choose(self, *keys: str) -> None:
        """A multi-choice question: toggle each option, then Done."""
        await self.press(keys[0])
        for key in keys[1:]:
            await self.press_marked_after(keys[keys.index(key) - 1], key)
        await self.press_marked_after(keys[-1], "engine.done")

    async def press_marked_after(self, toggled: str, key: str) -> None:
        """Press key once the toggle of `toggled` shows its mark on the same message."""
        marked = f"{self.t('engine.selected_mark')} {self.t(toggled)}"
        message = await self.api.wait_for_message(  # type: ignore[attr-defined]
            self.chat_id,
            predicate=lambda m: marked in m.buttons,
            timeout=self.timeout,
            after=self.last_pressed - 1,
        )
        await self.user.press(self.t(key), message=message)  # type: ignore[attr-defined]

    def looks_at(self, message: object) -> None:
        """From now on buttons are pressed on this message or newer ones (the person scrolled
        down to it), not on an older message that still shows the same button."""
        self.last_pressed = message.message_id - 1  # type: ignore[attr-defined]

    async def read_about_program(self) -> None:
        """/start, then Continue through the three pages before the first permission."""
        await self.command("/start")
        for _ in range(3):
            await self.press("common.continue")

    async def consent(self, *, share: bool = True, evaluation: bool = True) -> None:
        """From /start through the three permissions."""
        await self.read_about_program()
        await self.press("consent.participation.yes")
        await self.press(f"consent.share_with_supporter.{'yes' if share else 'no'}")
        await self.press(f"consent.evaluation.{'yes' if evaluation else 'no'}")
        await self.expect("intake.start")

    async def intake(
        self,
        *,
        safety: str = "no",
        country: str | None = None,
        region: str | None = None,
        anything_else: str | None = None,
    ) -> None:
        """Answer every intake question with ordinary answers, then confirm."""
        await self.intake_until_safety(country=country, region=region)
        await self.press(f"intake.safety.{safety}")
        if safety == "yes":
            await self.press("common.continue")
        await self.finish_intake(anything_else=anything_else)

    async def reach_who_for(self) -> object:
        """Consent, choose a topic, and wait until the intake asks who the support is for."""
        await self.consent()
        await self.choose("intake.topics.anxiety")
        return await self.expect("intake.who_for", after=self.last_pressed)

    async def intake_until_safety(
        self, *, country: str | None = None, region: str | None = None, age: str = "age_25_34"
    ) -> None:
        """Answer the intake up to the safety question (pressing the country, e.g. "ar", and
        typing the area when given; the age band, e.g. "under_18")."""
        await self.choose("intake.topics.anxiety", "intake.topics.grief")
        await self.press("intake.who_for.self")
        await self.choose("intake.support_kind.emotional")
        await self.press("intake.format.one_to_one")
        await self.choose("intake.channels.text")
        await self.choose(f"intake.languages.{self.locale}")
        await self.press(f"intake.age_band.{age}")
        await self.press("intake.supporter_gender.no_preference")
        await self.press("intake.supporter_similar_age.no_preference")
        await self.press("engine.done")  # no must-haves
        await self.press(f"intake.country.{country}" if country else "engine.skip")
        await self.type_or_skip("intake.region", region)
        await self.press("intake.timezone.madrid")
        await self.choose("intake.availability.evenings")
        await self.expect("intake.safety", after=self.last_pressed)

    async def finish_intake(
        self, *, anything_else: str | None = None, received: str = "intake.received"
    ) -> None:
        """After the safety question: the last free-text question, then confirm the summary
        (a request held for a coordinator is received with requests.held_received)."""
        await self.type_or_skip("intake.anything_else", anything_else)
        await self.press("engine.confirm")
        await self.expect(received, after=self.last_pressed)

    async def type_or_skip(self, question: str, text: str | None) -> None:
        """Skip an optional free-text question, or wait until it is asked and type ``text``."""
        if text is None:
            await self.press("engine.skip")
        else:
            await self.expect(question, after=self.last_pressed)
            await self.say(text)

    async def answer_worrying_checkin(self) -> None:
        """A check-in's answers up to its last question, scored as very low well-being."""
        for score in ("1", "1", "0", "1", "2"):
            await self.press_label(score)
        await self.press("checkin.burnout.4")
        await self.press("checkin.memories.often")
        await self.press("checkin.contact.no")

    async def fill_supporter_profile(
        self, *topics: str, languages: tuple[str, ...] = ("en",)
    ) -> None:
        """After opening an invite: agree and answer the supporter profile, then confirm."""
        await self.press("supporter.agreement.yes")
        await self.choose(*(topics or ("intake.topics.grief", "intake.topics.caring")))
        await self.choose(*(f"intake.languages.{language}" for language in languages))
        await self.press("intake.age_band.age_35_44")
        await self.press("engine.skip")  # gender
        await self.press("engine.skip")  # region
        await self.press("intake.timezone.new_york")
        await self.choose("intake.channels.text", "intake.channels.phone")
        await self.choose("intake.availability.evenings")
        await self.press_label("2")  # participants at once
        await self.press("supporter.training.completed")
        await self.press("weekday.mon")
        await self.press("time.1800")
        await self.press("engine.confirm")
