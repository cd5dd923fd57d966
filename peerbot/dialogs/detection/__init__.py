"""Red-flag detection in free text: rules as data per locale, compiled once, matched purely."""

from peerbot.dialogs.detection.detect import NOTHING, SEVERITIES, Detection, detect
from peerbot.dialogs.detection.normalise import normalise
from peerbot.dialogs.detection.ruleset import RuleSet, build_rule_sets
from peerbot.dialogs.detection.schema import RuleFile, RuleFileError, parse_rule_file

__all__ = [
    "NOTHING",
    "SEVERITIES",
    "Detection",
    "RuleFile",
    "RuleFileError",
    "RuleSet",
    "build_rule_sets",
    "detect",
    "normalise",
    "parse_rule_file",
]
