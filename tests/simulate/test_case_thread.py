"""A case played in the simulator: a participant writes outside a flow, a coordinator answers
by replying to the relayed message (`/reply N`), looks the case up (`/case CODE`) and closes
it, and the transcript shows both sides."""

from __future__ import annotations

import io
import re
import sys

from sqlalchemy import select

from peerbot.runtime.simulation import start_simulated
from peerbot.simulate.runner import play, running
from peerbot.simulate.session import Simulation
from peerbot.simulate.terminal import Screen
from peerbot.storage.enums import CaseDirection, CaseStatus
from peerbot.storage.models import Case, CaseMessage

# Alex agrees to take part, then stops the intake's questions: no flow is in progress.
JOINS_AND_STOPS = """\
/start
[Continue]
[Continue]
[Continue]
[Yes, I want to take part]
[No, do not share it]
[No, thank you]
/cancel
"""
ASKS = (
    "Hello. I stopped the questions because I am not sure about talking to a stranger. "
    "Can I ask something first?"
)
ANSWER = (
    "Of course, ask anything here. A supporter is a trained volunteer, and you choose how "
    "you talk: chat, phone or video."
)
THANKS = "Thank you. Chat would suit me best. I will try the questions again."
# Alex writes to the program outside any flow, and confirms who will read it.
WRITES = f"{ASKS}\n[Send it]\n"
# The group's messages: #1 the case's card, #2 Alex's words; Dana's reply is #3, her /case
# #4 and its answer #5; Alex's answer, #6, comes as a reply to Dana's.
ANSWERS = f"""\
/as coordinator Dana
/reply 2 {ANSWER}
/case {{code}}
/as participant Alex
{THANKS}
/as coordinator Dana
/reply 6 /close contacted
"""
CARD = re.compile(r"💬 (P-\w+) \(participant\) wrote to the coordinators")


async def act(simulation: Simulation, screen: Screen, lines: str) -> None:
    await play(simulation, screen, io.StringIO(lines))


def after(transcript: str, line: str) -> str:
    """What the transcript shows after a typed line, up to the next typed line."""
    rest = transcript.split(f"> {line}\n", 1)[1]
    return rest.split("\n> ", 1)[0]


async def test_a_participant_writes_a_coordinator_replies_and_closes_the_case():
    out = io.StringIO()
    async with running(
        database_url=None, with_demo=False, out=out, color=False, start_bot=start_simulated
    ) as (simulation, screen):
        await act(simulation, screen, JOINS_AND_STOPS)
        out.truncate(0)  # the consent pages are another story's
        out.seek(0)
        await act(simulation, screen, WRITES)
        found = CARD.search(out.getvalue())
        assert found is not None, out.getvalue()
        code = found.group(1)
        await act(simulation, screen, ANSWERS.format(code=code))
        assert simulation.bot is not None
        async with simulation.bot.deps.sessions() as session:
            case = await session.scalar(select(Case))
            directions = list(
                await session.scalars(select(CaseMessage.direction).order_by(CaseMessage.id))
            )
    transcript = out.getvalue()
    sys.stdout.write(transcript)  # the story, as `peerbot simulate --script` prints it

    sent = after(transcript, "[Send it]")
    assert "bot → Alex:\n  Sent. The program's coordinators will read it" in sent
    assert f"bot → coordinators' group #1:\n  {found.group(0)}" in sent
    # (#2 answers the card once the card's id is known when #2 is queued: not yet, today)
    assert re.search(
        rf"bot → coordinators' group #2( \(a reply to #1\))?:\n  💬 {code} \(participant\):\n"
        r"  \n  Hello\. I stopped the questions",
        sent,
    ), sent
    answered = after(transcript, f"/reply 2 {ANSWER}")
    assert answered.startswith("  (Dana's message is #3, a reply to #2)\n")
    assert f"bot → Alex:\n  From the program's coordinators:\n  \n  {ANSWER}" in answered, (
        "Alex reads Dana's words, from the coordinators, without her name"
    )
    looked_up = after(transcript, f"/case {code}")
    assert f"bot → coordinators' group #5:\n  Case {code}: open since" in looked_up
    assert "Request: none" in looked_up
    relayed = after(transcript, THANKS)
    assert relayed.startswith(f"bot → coordinators' group #6 (a reply to #3):\n  💬 {code}")
    closed = after(transcript, "/reply 6 /close contacted")
    assert "bot → Alex:\n  The coordinators have closed this conversation for now." in closed
    assert f"Case {code} closed (contacted the person); the person has been told." in closed

    assert case is not None and case.status == CaseStatus.CLOSED
    assert directions == [
        CaseDirection.TO_COORDINATORS,
        CaseDirection.TO_PERSON,
        CaseDirection.TO_COORDINATORS,
    ]


async def test_reply_by_number_is_explained_when_it_cannot_be_sent():
    out = io.StringIO()
    async with running(
        database_url=None, with_demo=False, out=out, color=False, start_bot=start_simulated
    ) as (simulation, screen):
        await act(simulation, screen, "/help\n/reply 1 hello\n/as coordinator Dana\n"
                  "/reply one hello\n/reply 7 hello\n/open\n/reply 1 hello\n")  # fmt: skip
    transcript = out.getvalue()

    assert "/reply N TEXT              as a coordinator, reply to message #N" in transcript
    assert "/case CODE shows a case" in transcript
    assert after(transcript, "/reply 1 hello").startswith(
        "Only a coordinator replies by number: /as coordinator NAME first"
    )
    assert after(transcript, "/reply one hello").startswith("Use /reply N TEXT")
    assert after(transcript, "/reply 7 hello").endswith("there is no message #7 there")
    # /open is #1 and the bot's answer #2; a reply to Dana's own message stays unseen
    assert transcript.rsplit("> /reply 1 hello\n", 1)[1] == (
        "  (Dana's message is #3, a reply to #1)\n"
        "  (the bot does not see it: in a group it sees replies to its own messages and "
        "commands)\n"
    )
