"""Screen every free-text message for red flags, in every language the program has rules for.

A person may write in a language other than the one they chose, so each message is checked
against all rule sets and the most severe finding wins: detection errs toward escalating.
A detector that fails counts as a flag ("could not be screened"), never as "nothing found".
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from peerbot.dialogs.detection import NOTHING, SEVERITIES, Detection, detect
from peerbot.program import ProgramData
from peerbot.storage.enums import EscalationCategory, EscalationSeverity

log = logging.getLogger(__name__)

UNSCREENED = Detection(
    flagged=True,
    category=EscalationCategory.UNSCREENED.value,
    severity=EscalationSeverity.HIGH.value,
    matched=("unscreened",),
)


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


def screen_safely(program: ProgramData, text: str, locale: str) -> Detection:
    """screen(), but a detector error is a high flag: words we could not read may be a crisis."""
    try:
        return screen(program, text, locale)
    except Exception as error:  # fail safe: any fault in detection escalates
        log.error("red-flag detection failed: %s", type(error).__name__)
        return UNSCREENED


def is_urgent(severity: str | None) -> bool:
    """Critical and high flags tell the person a coordinator will get in touch."""
    return severity in (EscalationSeverity.CRITICAL, EscalationSeverity.HIGH)


@dataclass(frozen=True)
class LateFlag:
    """A flag raised inside the update's own transaction (e.g. a check-in's score): raised
    again, in the transaction that records the failure, if that update fails for good."""

    person_id: int | None
    category: str
    severity: str
    source: str
    matched: tuple[str, ...]
    cause_key: str


@dataclass
class Screened:
    """What an update's words and answers raised, committed before the dialog's own work.

    Shared by the update's attempts, so a retried or failed update neither raises its flags
    again nor leaves the person without the crisis resources.
    """

    escalation_ids: list[int] = field(default_factory=list)
    severities: list[str] = field(default_factory=list)
    crisis_key: str = "crisis.resources"  # the person's own block, chosen while screening
    unrecorded: bool = False  # the words could not be screened or their flag not stored
    resources_given: bool = False  # the reply already carries the crisis resources
    coordinator_told: bool = False  # ... and says a coordinator has been told
    late: list[LateFlag] = field(default_factory=list)  # raised by this try's own work
    safety_answered: int | None = None  # the escalation whose safety answer this update gave

    @property
    def flagged(self) -> bool:
        return bool(self.escalation_ids)

    @property
    def needs_resources(self) -> bool:
        """Flagged, or in doubt: the person must get the crisis resources."""
        return self.flagged or self.unrecorded

    @property
    def urgent(self) -> bool:
        return any(is_urgent(severity) for severity in self.severities)

    def add(self, escalation_id: int, severity: str) -> None:
        if escalation_id not in self.escalation_ids:
            self.escalation_ids.append(escalation_id)
            self.severities.append(str(severity))


def _rank(detection: Detection) -> int:
    if not detection.flagged or detection.severity is None:
        return -1
    return SEVERITIES.index(detection.severity)  # medium < high < critical
