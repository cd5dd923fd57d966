"""The red-flag vocabulary of the rules and the escalations table stay the same."""

from peerbot.dialogs.red_flags import RED_FLAG_CATEGORIES
from peerbot.storage.enums import EscalationCategory, EscalationSeverity


def test_every_rule_category_can_be_stored_as_an_escalation():
    # and "unscreened": words the detector failed on are flagged to be safe
    assert {c.value for c in EscalationCategory} == {*RED_FLAG_CATEGORIES, "other", "unscreened"}


def test_severities_match():
    assert {s.value for s in EscalationSeverity} == {"critical", "high", "medium"}
