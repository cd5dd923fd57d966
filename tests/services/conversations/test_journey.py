"""Every built-in flow's ending is declared in the journey's one table."""

from peerbot.program import load_program
from peerbot.services.conversations.journey import ENDINGS


def test_every_built_in_flow_has_an_ending() -> None:
    flows = set(load_program().flows)
    assert flows, "the built-in flows were not found"
    assert flows - set(ENDINGS) == set(), "add these flows to journey.ENDINGS"


def test_every_ending_names_a_built_in_flow() -> None:
    assert set(ENDINGS) - set(load_program().flows) == set(), "no such flow"
