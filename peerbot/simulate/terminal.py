"""The simulator's screen and keyboard: what the bot sent, numbered buttons, and commands.

Typed lines are either simulator commands (/as, /advance, /reply, /who, /help, /quit), a
number (press that button), `[Label]` (press the button with that label), or anything else,
which the current persona sends to the bot. The coordinators' group's messages are numbered
(#N), so a coordinator can /reply to one. Output is coloured with rich on a terminal and plain
text otherwise (a script's transcript, a pipe).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TextIO

from peerbot.emulator.fake_models import FakeMessage
from peerbot.simulate.session import ROLES, Persona, Simulation

DURATION = re.compile(r"^(\d{1,4})([mhd])$")
UNITS = {"m": "minutes", "h": "hours", "d": "days"}
HELP = """\
Simulator commands:
  /as participant NAME, /as supporter NAME, /as coordinator NAME   play someone
  /advance 3d (or 2h, 30m)   move the clock on and run what falls due
  /reply N TEXT              as a coordinator, reply to message #N of the coordinators'
                             group: to a case's card or a message relayed from the
                             person, TEXT reaches that person; TEXT may be a command,
                             e.g. /reply N /case or /reply N /close contacted
  /who                       list the people you play
  /help                      this list (send /help to the bot as /help bot)
  /quit                      end
A number presses that button; [Label] presses the button with that label; anything else
is sent to the bot by the person you play (a coordinator writes in the group, where
/case CODE shows a case by its code and /open lists the open red flags)."""
REPLY_USAGE = "Use /reply N TEXT, where #N is a message of the coordinators' group"


@dataclass
class Screen:
    """Prints new and changed bot messages, and remembers which buttons are numbered."""

    simulation: Simulation
    out: TextIO = sys.stdout
    color: bool = False
    shown: dict[tuple[int, int], str] = field(default_factory=dict)
    choices: list[tuple[FakeMessage, str]] = field(default_factory=list)
    texts: dict[tuple[int, int], str] = field(default_factory=dict)

    def line(self, text: str, style: str = "") -> None:
        if self.color and style:
            from rich.console import Console
            from rich.markup import escape

            Console(file=self.out, highlight=False, soft_wrap=True).print(
                f"[{style}]{escape(text)}[/{style}]"
            )
        else:
            self.out.write(text + "\n")
        self.out.flush()

    def show_news(self) -> None:
        """Every bot message that is new or changed since last time, labelled by chat."""
        current = self.simulation.current
        self.choices = []
        before = dict(self.texts)
        with_buttons: list[tuple[FakeMessage, bool]] = []
        mine_changed = False
        newest_mine: FakeMessage | None = None
        for chat_id, message in self._bot_messages():
            state = self._state(message)
            key = (chat_id, message.message_id)
            changed = self.shown.get(key) != state
            self.shown[key] = state
            self.texts[key] = self._text(message)
            mine = current is not None and chat_id == self.simulation.chat_of(current)
            if changed:
                self._print(message, self._where(chat_id, message), mine, before.get(key))
            mine_changed = mine_changed or (mine and changed)
            if mine:
                newest_mine = message
            if mine and message.buttons:
                with_buttons.append((message, changed))
        # Buttons of what was just shown; else those of the newest message that has any.
        # (A question answered by typing keeps its Skip button, as in Telegram.) In a private
        # chat only while it is the newest message: a question left by /cancel is history,
        # while the group's cards stay open for any coordinator.
        fresh = [message for message, changed in with_buttons if changed]
        if not fresh and not mine_changed:
            group = self.simulation.group
            in_group = (
                group is not None
                and current is not None
                and self.simulation.chat_of(current) == group.id
            )
            fresh = [m for m, _ in with_buttons[-1:] if in_group or m is newest_mine]
        for message in fresh:
            self.choices.extend((message, label) for label in message.buttons)
        if self.choices:
            for number, (_, label) in enumerate(self.choices, start=1):
                self.line(f"  [{number}] {label}", "bold cyan")

    def _print(self, message: FakeMessage, where: str, mine: bool, earlier: str | None) -> None:
        """A new message in full; an edited one only by the lines it gained."""
        rows = self._text(message).splitlines() or [""]
        if earlier is not None:
            seen = set(earlier.splitlines())
            rows = [row for row in rows if row not in seen]
            if not rows:
                return  # only its buttons went away
        self.line(
            f"{where}{' (edited)' if earlier is not None else ''}:",
            "bold green" if mine else "dim",
        )
        for row in rows:
            self.line(f"  {row}", "" if mine else "dim")

    @staticmethod
    def _text(message: FakeMessage) -> str:
        if message.document is not None and not message.content:
            return f"[file: {message.document.file_name}]"
        return message.content

    def _where(self, chat_id: int, message: FakeMessage) -> str:
        if self.simulation.group is not None and chat_id == self.simulation.group.id:
            # numbered, so that a coordinator can /reply N to it
            answered = message.reply_to
            to = f" (a reply to #{answered.message_id})" if answered is not None else ""
            return f"bot → coordinators' group #{message.message_id}{to}"
        for persona in self.simulation.personas.values():
            if persona.user.chat_id == chat_id:
                return f"bot → {persona.name}"
        return f"bot → chat {chat_id}"

    def _bot_messages(self) -> Iterable[tuple[int, FakeMessage]]:
        chats = [p.user.chat_id for p in self.simulation.personas.values()]
        if self.simulation.group is not None:
            chats.append(self.simulation.group.id)
        for chat_id in chats:
            for message in self.simulation.api.messages(chat_id):
                yield chat_id, message

    @staticmethod
    def _state(message: FakeMessage) -> str:
        return f"{message.content}|{'/'.join(message.buttons)}"


async def handle(simulation: Simulation, screen: Screen, typed: str) -> bool:
    """Act on one typed line; False when the simulation should end."""
    typed = typed.strip()
    if not typed or typed.startswith("#"):
        return True
    word, _, rest = typed.partition(" ")
    if word == "/quit":
        return False
    if word == "/help" and rest.strip() != "bot":
        screen.line(HELP, "yellow")
        return True
    if word == "/who":
        for persona in simulation.personas.values():
            marker = "*" if persona is simulation.current else " "
            screen.line(f" {marker} {persona.label}")
        return True
    if word == "/as":
        return await _switch(simulation, screen, rest)
    if word == "/advance":
        return await _advance(simulation, screen, rest)
    if word == "/reply":
        return await _reply(simulation, screen, rest)
    if simulation.current is None:
        screen.line("Choose someone to play first, e.g. /as participant Alex", "yellow")
        return True
    pressed = _choice(screen, typed)
    if pressed is not None:
        await simulation.press(*pressed)
    else:
        await simulation.say("/help" if typed == "/help bot" else typed)
    screen.show_news()
    return True


async def _switch(simulation: Simulation, screen: Screen, rest: str) -> bool:
    role, _, name = rest.strip().partition(" ")
    if role not in ROLES or not name.strip():
        screen.line("Use /as participant NAME, /as supporter NAME or /as coordinator NAME", "red")
        return True
    persona: Persona = simulation.persona(role, name.strip())
    screen.line(f"── you are {persona.label} ──", "bold magenta")
    if role == "supporter" and simulation.created:  # a new volunteer starts from an invite
        screen.line("(opening a one-time invitation a coordinator made for you)", "dim")
        await simulation.open_invite()
    screen.show_news()
    return True


async def _advance(simulation: Simulation, screen: Screen, rest: str) -> bool:
    found = DURATION.match(rest.strip())
    if found is None:
        screen.line("Use /advance with a duration such as 3d, 2h or 30m", "red")
        return True
    amount = timedelta(**{UNITS[found.group(2)]: int(found.group(1))})
    await simulation.advance(amount)
    screen.line(f"── the clock now reads {simulation.clock():%a %Y-%m-%d %H:%M} UTC ──", "magenta")
    screen.show_news()
    return True


async def _reply(simulation: Simulation, screen: Screen, rest: str) -> bool:
    number, _, text = rest.strip().partition(" ")
    persona = simulation.current
    if not number.isdigit() or not text.strip():
        screen.line(REPLY_USAGE, "red")
        return True
    if persona is None or persona.role != "coordinator":
        screen.line("Only a coordinator replies by number: /as coordinator NAME first", "red")
        return True
    try:
        sent = await simulation.reply(int(number), text.strip())
    except LookupError as error:
        screen.line(f"{REPLY_USAGE}: {error}", "red")
        return True
    screen.line(f"  ({persona.name}'s message is #{sent.message_id}, a reply to #{number})", "dim")
    if sent.update_id is None:  # privacy mode hides a reply to a person's message
        screen.line("  (the bot does not see it: in a group it sees replies to its own "
                    "messages and commands)", "dim")  # fmt: skip
    screen.show_news()
    return True


def _choice(screen: Screen, typed: str) -> tuple[FakeMessage, str] | None:
    """A button chosen by number or by [label]; None when the line is text for the bot."""
    if typed.isdigit() and 1 <= int(typed) <= len(screen.choices):
        return screen.choices[int(typed) - 1]
    if typed.startswith("[") and typed.endswith("]"):
        wanted = typed[1:-1].strip().casefold()
        for message, label in reversed(screen.choices):
            if label.casefold() == wanted:
                return message, label
    return None
