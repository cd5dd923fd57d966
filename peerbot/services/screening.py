"""Screen every free-text message for red flags, in every language the program has rules for.

A person may write in a language other than the one they chose, so each message is checked
against all rule sets and the most severe finding wins: detection errs toward escalating.
"""

from __future__ import annotations

from peerbot.dialogs.detection import NOTHING, SEVERITIES, Detection, detect
from peerbot.services.program import ProgramData


def screen(program: ProgramData, text: str, locale: str) -> Detection:
    """The most severe flag any rule set raises for text (the person's language first)."""
    rules = program.red_flag_rules
    ordered = [locale, *sorted(set(rules) - {locale})] if locale in rules else sorted(rules)
    found = NOTHING
    for candidate in ordered:
        detection = detect(text, rules[candidate])
        if detection.flagged and _rank(detection) > _rank(found):
            found = detection
    return found


def _rank(detection: Detection) -> int:
    if not detection.flagged or detection.severity is None:
        return -1
    return SEVERITIES.index(detection.severity)  # medium < high < critical
