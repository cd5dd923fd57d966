"""Whether a request fits the program (program.yaml eligibility), and which referral options
fit a person (program.yaml resources). Pure: answers in, reasons and entries out."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from peerbot.dialogs.policy import EligibilityPolicy, ResourceEntry

# Why a request is held, in the order a card lists them.
AGE = "age"
REGION = "region"
LANGUAGE = "language"
SAFETY = "safety"
REASONS = (AGE, REGION, LANGUAGE, SAFETY)

_UNDER = re.compile(r"^under_(\d{1,3})$")
_FROM = re.compile(r"^age_(\d{1,3})(?:_\d{1,3}|_plus)$")


def youngest_in_band(band: str | None) -> int | None:
    """The youngest age an intake age band can hold (under_18: 0, age_25_34: 25); None when the
    band says nothing about age (no answer, rather not say)."""
    if not band:
        return None
    if _UNDER.match(band):
        return 0
    found = _FROM.match(band)
    return int(found.group(1)) if found else None


def hold_reasons(policy: EligibilityPolicy, answers: Mapping[str, object]) -> tuple[str, ...]:
    """Why this intake's request waits for a coordinator (empty: it goes to matching)."""
    reasons: list[str] = []
    youngest = youngest_in_band(_one(answers.get("age_band")))
    if youngest is not None and youngest < policy.minimum_age:
        reasons.append(AGE)
    if policy.regions and _one(answers.get("country")) not in policy.regions:
        reasons.append(REGION)
    spoken = _many(answers.get("languages"))
    if policy.languages and not any(language in policy.languages for language in spoken):
        reasons.append(LANGUAGE)
    if _one(answers.get("safety")) == "yes":
        reasons.append(SAFETY)
    return tuple(reasons)


def referrals(
    entries: Sequence[ResourceEntry], topics: Sequence[str], country: str | None
) -> list[ResourceEntry]:
    """The referral options for someone with these topics in this country, in program order."""
    return [entry for entry in entries if entry.fits(topics, country)]


def _one(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _many(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, (list, tuple)):
        return [str(item) for item in value]
    return []
